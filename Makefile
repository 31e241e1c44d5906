# Convenience targets; ./scripts/test is the source of truth.
.PHONY: run test check generate build

run: ; go run .
build: ; go build -o corsdoctor .
generate: ; go tool templ generate
test check: ; ./scripts/test
