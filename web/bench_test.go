package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// The two benchmarks below are the performance bar of the dashboard:
// serving a stored diagnosis (GET /d/{id}: SQLite, view model, templ,
// all middleware) must sustain at least half the request rate of a chi
// "hello world" handler under the same load. Both run behind a real
// loopback HTTP server and are driven by the same keep-alive client from
// GOMAXPROCS goroutines, so ns/op is the inverse of the request rate:
//
//	go test ./web -run '^$' -bench 'RenderDiagnosis|HelloChi' -benchtime 3s
//
// scripts/render-bench makes the same comparison with wrk against the
// real binary; this Go client costs more per request than wrk, so wrk
// shows the server's share more sharply.

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0, DisableCompression: true}}
}

func drive(b *testing.B, url string) {
	b.Helper()
	client := benchClient()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || n == 0 {
				b.Errorf("status %d, %d bytes", resp.StatusCode, n)
				return
			}
		}
	})
}

// seedDiagnosis stores a realistic blocked diagnosis in a real SQLite store.
func seedDiagnosis(b *testing.B) (*store.Store, string) {
	b.Helper()
	st, err := store.Open(context.Background(), b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	d := store.Diagnosis{Report: *benchReport(b)}
	if err := st.Create(context.Background(), &d, nil); err != nil {
		b.Fatal(err)
	}
	return st, d.ID
}

func benchReport(b testing.TB) *diagnose.Report {
	u := "https://api.example.com/v1/items"
	req := diagnose.Request{URL: u, Origin: "https://app.example.com", Method: "PUT", Credentials: "include",
		Headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer x"}, {Name: "X-Request-ID", Value: "42"}},
		Body:    `{"done": true}`}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{{
		Step:    diagnose.Step{Kind: diagnose.StepPreflight, URL: u},
		Request: diagnose.SentRequest{Method: "OPTIONS", URL: u, Proto: "HTTP/1.1", Headers: []diagnose.Header{{Name: "Host", Value: "api.example.com"}, {Name: "Origin", Value: "https://app.example.com"}, {Name: "Access-Control-Request-Method", Value: "PUT"}}},
		Response: &diagnose.Response{Proto: "HTTP/1.1", Status: 204, StatusText: "No Content", Headers: []diagnose.Header{
			{Name: "Access-Control-Allow-Origin", Value: "*"},
			{Name: "Access-Control-Allow-Methods", Value: "GET, POST"},
			{Name: "Access-Control-Allow-Headers", Value: "content-type"},
			{Name: "Date", Value: "Tue, 24 Nov 2026 20:52:17 GMT"},
			{Name: "Server", Value: "nginx"},
		}},
		RemoteAddr: "203.0.113.7:443",
		Started:    time.Now(),
		DurationMS: 48.2,
	}})
	if err != nil {
		b.Fatal(err)
	}
	return rep
}

func BenchmarkRenderDiagnosis(b *testing.B) {
	st, id := seedDiagnosis(b)
	// Wired as serve wires it (one write per page, see coalesce.go).
	srv := httptest.NewUnstartedServer(NewServer(slog.New(slog.DiscardHandler), Config{}, proberFunc(nil), st))
	srv.Listener = CoalescingListener(srv.Listener)
	srv.Config.ConnContext = ConnContext
	srv.Start()
	defer srv.Close()
	drive(b, srv.URL+"/d/"+id)
}

func BenchmarkHelloChi(b *testing.B) {
	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello world")) })
	srv := httptest.NewServer(r)
	defer srv.Close()
	drive(b, srv.URL+"/")
}

// BenchmarkRenderDiagnosisInProcess is the handler alone, without the
// network: what one page costs in CPU.
func BenchmarkRenderDiagnosisInProcess(b *testing.B) {
	st, id := seedDiagnosis(b)
	h := NewServer(slog.New(slog.DiscardHandler), Config{}, proberFunc(nil), st)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/d/"+id, nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkCreateDiagnosis measures what corsdoctor adds to a target's
// own response time: each iteration times one plain request to a loopback
// target on a fresh connection (what the prober does for each exchange)
// and one POST /api/v1/diagnoses of the same simple GET (validate, probe,
// judge, redact, store in SQLite, encode). overhead-ms/op is the
// difference; the bar is under 2 ms.
func BenchmarkCreateDiagnosis(b *testing.B) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer target.Close()
	st, err := store.Open(context.Background(), b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true})
	srv := httptest.NewServer(NewServer(slog.New(slog.DiscardHandler), Config{}, prober, st))
	defer srv.Close()

	direct := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	api := benchClient()
	body := `{"url":"` + target.URL + `/x","origin":"https://app.example.com"}`
	var targetTime, diagnoseTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		resp, err := direct.Get(target.URL + "/x")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t1 := time.Now()
		resp, err = api.Post(srv.URL+"/api/v1/diagnoses", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
		targetTime += t1.Sub(t0)
		diagnoseTime += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(targetTime.Microseconds())/1000/n, "target-ms/op")
	b.ReportMetric(float64(diagnoseTime.Microseconds())/1000/n, "diagnose-ms/op")
	b.ReportMetric(float64((diagnoseTime-targetTime).Microseconds())/1000/n, "overhead-ms/op")
}
