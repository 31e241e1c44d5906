package harimport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeHAR writes a HAR of n entries, each with a response body of
// bodyBytes, cycling through the shapes of a real page: a preflighted PUT
// (two entries), a simple GET that is blocked, a same-origin fetch and an
// image (not CORS).
func writeHAR(w io.Writer, n, bodyBytes int) error {
	bw := bufio.NewWriter(w)
	body := strings.Repeat("x", bodyBytes)
	fmt.Fprint(bw, `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[{"id":"page_1","title":"https://app.example.com/"}],"entries":[`)
	ent := func(i int, rt, method, url, reqHeaders string, status int, respHeaders string) {
		if i > 0 {
			bw.WriteString(",")
		}
		fmt.Fprintf(bw, `{"pageref":"page_1","startedDateTime":"2026-12-03T10:00:00.%03dZ","time":12.5,"_resourceType":%q,`+
			`"request":{"method":%q,"url":%q,"httpVersion":"http/2.0","headers":[{"name":":authority","value":"api.example.com"},{"name":"accept","value":"*/*"},{"name":"user-agent","value":"Mozilla/5.0 Chrome/131"},{"name":"sec-fetch-mode","value":"cors"}%s],"cookies":[],"queryString":[],"headersSize":-1,"bodySize":0},`+
			`"response":{"status":%d,"statusText":"","httpVersion":"http/2.0","headers":[{"name":"content-type","value":"application/json"}%s],"cookies":[],"content":{"size":%d,"mimeType":"application/json","text":%q},"redirectURL":"","headersSize":-1,"bodySize":-1},`+
			`"cache":{},"timings":{"blocked":1,"dns":-1,"ssl":-1,"connect":-1,"send":0,"wait":10,"receive":1.5}}`,
			i%1000, rt, method, url, reqHeaders, status, respHeaders, len(body), body)
	}
	for i := 0; i < n; {
		id := i
		switch (i / 5) % 4 {
		case 0:
			ent(i, "preflight", "OPTIONS", fmt.Sprintf("https://api.example.com/items/%d", id),
				`,{"name":"origin","value":"https://app.example.com"},{"name":"access-control-request-method","value":"PUT"},{"name":"access-control-request-headers","value":"content-type,authorization"}`,
				204, `,{"name":"access-control-allow-origin","value":"https://app.example.com"},{"name":"access-control-allow-methods","value":"PUT"},{"name":"access-control-allow-headers","value":"content-type"}`)
			i++
			if i < n {
				ent(i, "fetch", "PUT", fmt.Sprintf("https://api.example.com/items/%d", id),
					`,{"name":"origin","value":"https://app.example.com"},{"name":"content-type","value":"application/json"},{"name":"authorization","value":"Bearer t"},{"name":"cookie","value":"s=1"}`,
					0, ``)
				i++
			}
		case 1:
			ent(i, "fetch", "GET", fmt.Sprintf("https://api.example.com/list/%d", id),
				`,{"name":"origin","value":"https://app.example.com"}`, 200, `,{"name":"access-control-allow-origin","value":"*"},{"name":"set-cookie","value":"a=b"}`)
			i++
		case 2:
			ent(i, "fetch", "GET", fmt.Sprintf("https://app.example.com/local/%d", id), ``, 200, ``)
			i++
		default:
			ent(i, "image", "GET", fmt.Sprintf("https://img.example.com/%d.png", id), ``, 200, ``)
			i++
		}
	}
	fmt.Fprint(bw, `]}}`)
	return bw.Flush()
}

// peakHeap samples HeapAlloc until stop is called, and returns the
// highest value seen above the heap at the start.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		if peak < base {
			return 0
		}
		return peak - base
	}
}

// TestLargeHARBoundedMemory streams a generated HAR of 10,000 entries and
// over 50 MB (bodies of 5 KiB) through Each and checks that the heap never
// grew by as much as the file: the file is never held whole. Unmarshalling
// it whole would hold the 50 MB of text and again as much in strings.
func TestLargeHARBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and reads a 50 MB HAR")
	}
	const entries, body = 10_000, 5 << 10
	pr, pw := io.Pipe()
	counted := &countingReader{r: pr}
	go func() { pw.CloseWithError(writeHAR(pw, entries, body)) }()
	// A low GC target keeps HeapAlloc close to the live heap, which is
	// what "bounded" is about, rather than to garbage awaiting collection.
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	stop := peakHeap()
	sum, err := Each(counted, DefaultLimits, func(Result) error { return nil })
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	if counted.n < 50<<20 {
		t.Fatalf("the HAR is %d bytes, want over 50 MB", counted.n)
	}
	if sum.Entries != entries || sum.Judged == 0 || sum.Skipped == 0 || sum.NotCORS == 0 {
		t.Errorf("summary %+v: want %d entries, some judged, some skipped, some not CORS", sum, entries)
	}
	t.Logf("HAR %d MB, %d entries: peak heap growth %d MB", counted.n>>20, sum.Entries, peak>>20)
	if limit := uint64(48 << 20); peak > limit {
		t.Errorf("peak heap growth %d MB for a %d MB HAR, want under %d MB", peak>>20, counted.n>>20, limit>>20)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// BenchmarkJudge1000 reads, groups and judges a HAR of 1,000 entries (1
// KiB bodies): ns/op is the whole judgement of the file, and peak-heap-MB
// the most the heap grew while doing it.
//
//	go test ./harimport -run '^$' -bench Judge1000 -benchmem
func BenchmarkJudge1000(b *testing.B) {
	var buf bytes.Buffer
	if err := writeHAR(&buf, 1000, 1<<10); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	judge := func() Summary {
		sum, err := Each(bytes.NewReader(data), DefaultLimits, func(Result) error { return nil })
		if err != nil || sum.Judged == 0 {
			b.Fatalf("Each: %v, %+v", err, sum)
		}
		return sum
	}
	// One run measured for its peak heap, outside the timed loop (the
	// sampler stops the world).
	stop := peakHeap()
	sum := judge()
	peak := stop()
	for b.Loop() {
		judge()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(sum.Judged), "fetches-judged")
}
