// Package importer turns what a user has in hand when a cross-origin
// request fails into the request corsdoctor diagnoses.
//
// It exists because people arrive with a browser's console error, a
// devtools "Copy as cURL" or "Copy as fetch" snippet, a devtools header
// block, or several of these at once, not with a neatly separated URL,
// origin and header list. Before it, pasting any of them into the URL field
// (web form or CLI) produced Go's "first path segment in URL cannot contain
// colon". One parser serves the home page's paste box, POST /api/v1/import
// and `corsdoctor import`, so all three understand the same inputs in the
// same words.
//
// Parse is pure: no I/O, no HTTP, and nothing pasted is ever executed (a
// fetch() snippet is parsed as a literal, never evaluated; a curl command
// is split into words, never run by a shell). Its time and memory are
// bounded by MaxInput and the caps below; FuzzParse covers it.
//
// What it understands is exactly what the browsers print: the console line
// texts come from diagnose's reason table (the engine's texts, proven
// against real Chromium and Firefox by the differential suite), so a line
// the engine prints is a line the importer reads.
package importer
