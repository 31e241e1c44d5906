package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"corsdoctor/diagnose"
)

// TestHARBodyLimit: HAR uploads have their own limit, larger than every
// other body's, and a body over it is a 413 that says it is about the HAR,
// whether Content-Length announces it or the reader finds out mid-way.
func TestHARBodyLimit(t *testing.T) {
	har, err := os.ReadFile("../harimport/testdata/chromium.har")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newTestServer(t, Config{MaxBodyBytes: 1024, MaxHARBytes: int64(len(har)) + 4096}, proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		t.Error("a HAR upload probed")
		return nil, nil
	}), newMemStore())
	big := append(bytes.Repeat([]byte(" "), len(har)+8192), har...) // valid JSON, over the limit
	form := func(data []byte) (io.Reader, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("har", "s.har")
		fw.Write(data)
		mw.Close()
		return &buf, mw.FormDataContentType()
	}
	for _, tc := range []struct {
		name    string
		path    string
		data    []byte
		form    bool
		chunked bool
		status  int
	}{
		{name: "API under the HAR limit, over the others", path: "/api/v1/har", data: har, status: 200},
		{name: "form under the HAR limit", path: "/har", data: har, form: true, status: 200},
		{name: "API with Content-Length", path: "/api/v1/har", data: big, status: 413},
		{name: "API chunked", path: "/api/v1/har", data: big, chunked: true, status: 413},
		{name: "form chunked", path: "/har", data: big, form: true, chunked: true, status: 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tc.data)
			ctype := "application/json"
			if tc.form {
				body, ctype = form(tc.data)
			}
			if tc.chunked {
				body = io.MultiReader(body)
			}
			req, _ := http.NewRequest("POST", srv.URL+tc.path, body)
			req.Header.Set("Content-Type", ctype)
			if tc.chunked {
				req.ContentLength = -1
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %.300s", resp.StatusCode, tc.status, b)
			}
			if tc.status != 413 {
				return
			}
			if strings.HasPrefix(tc.path, "/api/") {
				var e struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != "har_too_large" || !strings.Contains(e.Error.Message, "HAR file is larger than") {
					t.Errorf("413 body = %s", b)
				}
			} else if !strings.Contains(string(b), "HAR file is larger than") {
				t.Errorf("413 page does not say it is about the HAR: %.500s", b)
			}
		})
	}
}

// slowBody sends its first half, waits until the server's ReadTimeout has
// surely passed, then sends the rest.
type slowBody struct {
	data  []byte
	sent  int
	pause time.Duration
}

func (b *slowBody) Read(p []byte) (int, error) {
	half := len(b.data) / 2
	switch {
	case b.sent >= len(b.data):
		return 0, io.EOF
	case b.sent == half:
		time.Sleep(b.pause)
	}
	end := len(b.data)
	if b.sent < half {
		end = half
	}
	n := copy(p, b.data[b.sent:end])
	b.sent += n
	return n, nil
}

// TestHARSlowUpload: a HAR upload may take longer than the server's
// ReadTimeout (a 50 MB file over a slow link). The pause is a lower
// bound (the upload takes at least that long), so load cannot make the
// test pass wrongly, only take longer.
func TestHARSlowUpload(t *testing.T) {
	har, err := os.ReadFile("../harimport/testdata/chromium.har")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(NewServer(slog.New(slog.DiscardHandler), Config{}, proberFunc(nil), newMemStore()))
	srv.Config.ReadTimeout = 100 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/har", &slowBody{data: har, pause: 400 * time.Millisecond})
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("a slow HAR upload was cut: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
}
