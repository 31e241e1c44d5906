// Command hellochi is the yardstick of scripts/render-bench: a chi "hello
// world" handler, the baseline the dashboard's GET /d/{id} is compared
// with, plus a CORS target on the same listener so the script can create
// a representative diagnosis without any other server.
//
//	go run ./loadtest/hellochi -addr 127.0.0.1:0
//
// It prints "hellochi listening on http://ADDR" and serves until SIGINT or
// SIGTERM:
//
//   - GET /       "hello world", the handler the bar is defined against;
//   - /api/items  an API whose preflight allows any origin but not
//     credentials, only GET and POST, and headers "*": a credentialed PUT
//     with Authorization fails three checks, a plain GET passes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen `address` (loopback)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "hellochi:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: routes(), ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("hellochi listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func routes() http.Handler {
	r := chi.NewRouter()
	// The baseline: nothing but chi and a constant body.
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello world"))
	})
	r.HandleFunc("/api/items", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Set("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "*")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("X-Total-Count", "3")
		_, _ = w.Write([]byte(`{"items":[1,2,3]}`))
	})
	return r
}
