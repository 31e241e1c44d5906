# Convenience targets. `make check` is the fast development loop
# (scripts/check: gofmt, vet, staticcheck, templ fmt, go test -short without
# the browser packages); `make test` is the full suite CI runs
# (scripts/test); `make stress` reruns the tests under CPU load
# (scripts/stress).
.PHONY: run test check stress generate build

run: ; go run .
build: ; go build -o corsdoctor .
generate: ; go tool templ generate
check: ; ./scripts/check
test: ; ./scripts/test
stress: ; ./scripts/stress
