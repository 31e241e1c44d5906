//go:build realstackdeps

// This file is never compiled: it names the Go CORS middleware that the
// suite's generated servers (realstack/_gen/, not seen by `go mod tidy`)
// import, so that go.mod keeps requiring them.
package realstack

import (
	_ "github.com/go-chi/cors"
	_ "github.com/gorilla/handlers"
	_ "github.com/rs/cors"
)
