// Package realstack proves corsdoctor's root causes and fixes on real
// servers. Its test (TestRealStacks) starts each catalogued
// misconfiguration on loopback in the real stack (nginx, Apache httpd,
// Caddy, Express + cors, Fastify + @fastify/cors, Django with
// django-cors-headers, Flask-CORS, Starlette, and Go servers built with
// rs/cors, go-chi/cors, gorilla/handlers or plain net/http), checks that
// corsdoctor's diagnosis is blocked and names the expected stack, root
// cause and side of the fix, applies the generated snippet to the server's
// real configuration or code (or, for a client-side fix, the corrected
// fetch), restarts it, and checks that real Chromium and Firefox and
// corsdoctor then allow the request while a credentialed request from any
// other origin stays blocked.
//
// Each stack's app is a template with the places the remedy package
// documents (nginx "http" and "location", Express "app", Go "imports" and
// "code", …). The broken variant fills those places, and a few
// case-specific slots, with the misconfiguration; the fixed variant is the
// same app with the broken CORS configuration removed and the snippet's
// parts inserted at their places.
//
// scripts/ensure-stacks.sh installs the servers and packages; a stack whose
// tools are missing is skipped, or fails the test when CI=true. The test
// skips in -short mode. Environment:
//
//	CORSDOCTOR_REALSTACK=substring   only the matching cases (or one stack ID)
//	CORSDOCTOR_REPORT_DIR=dir        writes realstack.txt, the per-stack table
//	CORSDOCTOR_REALSTACK_BROKEN=1    also runs every broken request in both
//	                                 browsers (proves each case is a real block)
//	CORSDOCTOR_REALSTACK_FIX=reference  applies the suite's own reference fixes
//	                                 instead of corsdoctor's (a control)
//	CORSDOCTOR_REALSTACK_DUMP=dir    writes each case's reports and rendered apps
//
// A case fails when corsdoctor's diagnosis names another stack, root cause
// (problem) or side of the fix than the catalogue expects, when the applied
// fix does not make both browsers and corsdoctor allow the request, or when
// it lets another origin read a credentialed response.
package realstack
