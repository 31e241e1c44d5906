package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/harimport"
	"corsdoctor/store"
)

// MaxHARLinks is how many share links (stored diagnoses) one HAR upload
// gets at most: each is a durable write, and a HAR of 10,000 polling
// requests should not fill the database. Identical fetches with the same
// verdict share one link and count once.
const MaxHARLinks = 200

// harUploadTime is how long a HAR upload may take to arrive and be
// judged: the server's ReadTimeout (30 s) would cut a 50 MB upload over
// a link slower than about 2 MB/s. The per-client limits on running
// diagnoses bound how many such slow uploads one client holds.
const harUploadTime = 5 * time.Minute

// allowSlowUpload extends the connection's read and write deadlines for
// a HAR upload; a ResponseWriter without deadlines (a test recorder) is
// left as it is.
func allowSlowUpload(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(harUploadTime)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline.Add(time.Minute))
}

// recordedNote is what the page of a diagnosis judged from a HAR says.
const recordedNote = "Judged from a recording: these exchanges come from an uploaded HAR file, as the browser recorded them. corsdoctor sent nothing."

// HARTooLarge is the answer to a HAR upload over limit bytes (413).
func HARTooLarge(limit int64) error {
	return &clientError{status: http.StatusRequestEntityTooLarge, code: "har_too_large",
		title:   "HAR file too large",
		message: fmt.Sprintf("The HAR file is larger than %d MB, the most corsdoctor accepts in one upload.", limit>>20),
		hint:    "Filter the Network panel to Fetch/XHR before exporting, or judge it on your own machine with corsdoctor har FILE, which has no limit."}
}

// harInputError is the answer to an upload that holds no HAR corsdoctor
// can read (400, field "har").
func harInputError(message string) error {
	return &clientError{status: http.StatusBadRequest, code: "invalid_har", field: "har",
		title: "Not a readable HAR file", message: message,
		hint: "Export the HAR again from the browser's Network panel and upload the .har file."}
}

// recorded is the Prober create is given for a fetch of a HAR: it hands
// back the report harimport judged from the recording, so that a HAR's
// diagnoses are validated and stored by the same path as probed ones,
// and nothing is sent.
type recorded struct{ rep *diagnose.Report }

func (p recorded) Probe(context.Context, diagnose.Request) (*diagnose.Report, error) {
	return p.rep, nil
}

// harRow is one fetch of a judged HAR: the API's "results" element and
// the source of the results table's row.
type harRow struct {
	// Entries are the fetch's positions in log.entries, from 0.
	Entries []int  `json:"entries"`
	Method  string `json:"method"`
	URL     string `json:"url"`
	Origin  string `json:"origin"`
	// OriginFrom says where the origin was inferred from when the
	// recording has no Origin header.
	OriginFrom string `json:"origin_inferred_from,omitempty"`
	// Credentials says how the credentials mode was inferred.
	Credentials string          `json:"credentials_inferred,omitempty"`
	Steps       []diagnose.Step `json:"steps"`
	// Status is "allowed", "blocked" or "skipped".
	Status  string             `json:"status"`
	Skip    string             `json:"skip_reason,omitempty"`
	Verdict *diagnose.Verdicts `json:"verdict,omitempty"`
	// Reason and Title are the first error's, when blocked.
	Reason string `json:"reason,omitempty"`
	Title  string `json:"title,omitempty"`
	// ID and Link name the stored diagnosis; Unlinked is set when the
	// upload reached MaxHARLinks before this fetch.
	ID       string `json:"id,omitempty"`
	Link     string `json:"diagnosis_url,omitempty"`
	Unlinked bool   `json:"unlinked,omitempty"`
}

// harOutcome is a judged HAR.
type harOutcome struct {
	harimport.Summary
	Redacted []string `json:"redacted"`
	Unlinked int      `json:"unlinked"`
	Results  []harRow `json:"results"`
}

// judgeHAR reads the HAR in body, judges every fetch in it and stores
// each judged one through create (identical ones once, at most
// MaxHARLinks). Errors: a *clientError for a file that is no HAR or is
// too large, or create's (storage unavailable, the client gone).
func judgeHAR(r *http.Request, logger *slog.Logger, st Store, set Settings, body io.Reader) (*harOutcome, error) {
	upload := &readErr{r: body}
	out := &harOutcome{Redacted: []string{}, Results: []harRow{}}
	links := map[string]string{} // dedupe key → diagnosis ID
	sum, err := harimport.Each(upload, harimport.DefaultLimits, func(res harimport.Result) error {
		row := harRow{Entries: res.Entries, Method: res.Method, URL: res.URL, Origin: res.Origin,
			OriginFrom: res.OriginFrom, Status: "skipped", Skip: res.Skip, Steps: []diagnose.Step{}}
		for _, ex := range res.Exchanges {
			row.Steps = append(row.Steps, ex.Step)
		}
		for _, n := range res.Redacted {
			out.Redacted = appendName(out.Redacted, n)
		}
		if res.Report == nil {
			out.Results = append(out.Results, row)
			return nil
		}
		rep := res.Report
		row.Credentials = res.CredentialsFrom
		row.Status = "allowed"
		if rep.Blocked() {
			row.Status = "blocked"
		}
		row.Verdict = &rep.Verdict
		for _, f := range rep.Findings {
			if f.Severity == diagnose.SeverityError {
				row.Reason, row.Title = f.Reason, f.Title
				break
			}
		}
		key := fmt.Sprintf("%s\x00%s\x00%s\x00%v\x00%s\x00%v", res.Origin, res.Method, res.URL, rep.Verdict, row.Reason, res.Request.Headers)
		id, ok := links[key]
		switch {
		case ok:
		case len(links) >= MaxHARLinks:
			row.Unlinked = true
			out.Unlinked++
		default:
			d, err := create(r, logger, recorded{rep}, st, set, newDiagnosis{req: res.Request, source: store.SourceHAR, redacted: res.Redacted})
			if ies := diagnose.InputErrors(err); len(ies) > 0 {
				// The inferred request is not one the form takes.
				row.Status, row.Skip, row.Verdict, row.Reason, row.Title = "skipped", harimport.SkipReason(err), nil, "", ""
				out.Results = append(out.Results, row)
				return nil
			}
			if err != nil {
				return err
			}
			id = d.ID
			links[key] = id
		}
		if id != "" {
			row.ID, row.Link = id, absoluteURL(r, set, "/d/"+id)
		}
		out.Results = append(out.Results, row)
		return nil
	})
	var fe *harimport.FormatError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &fe):
		return nil, harInputError(fe.Message)
	case errors.As(err, &mb):
		return nil, HARTooLarge(mb.Limit)
	case err != nil && upload.err != nil && errors.Is(err, upload.err):
		// The upload itself failed (cut short, too slow): the client's
		// doing, not a bug.
		return nil, harInputError("the upload was cut short: " + upload.err.Error())
	case err != nil:
		return nil, err
	}
	// Counted from the rows: create may refuse a fetch Each judged.
	out.Summary = harimport.Summary{Browser: sum.Browser, Creator: sum.Creator, Entries: sum.Entries, NotCORS: sum.NotCORS}
	for _, row := range out.Results {
		switch row.Status {
		case "skipped":
			out.Skipped++
		case "blocked":
			out.Blocked++
			out.Judged++
		default:
			out.Judged++
		}
	}
	return out, nil
}

func appendName(names []string, n string) []string {
	for _, have := range names {
		if strings.EqualFold(have, n) {
			return names
		}
	}
	return append(names, n)
}

// harUpload finds the HAR in a request: the part named "har" of a
// multipart form (the page's form, curl -F har=@file.har), read as a
// stream rather than spooled to disk, or the whole body when it is JSON.
// name is the file's name, for the page.
func harUpload(r *http.Request) (body io.Reader, name string, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json", "application/har+json":
		return r.Body, "HAR", nil
	case "multipart/form-data":
	default:
		return nil, "", errUnsupportedMediaType
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", harInputError("the upload could not be read: " + err.Error())
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", harInputError("no file was uploaded: choose a .har file")
		}
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return nil, "", HARTooLarge(mb.Limit)
			}
			return nil, "", harInputError("the upload could not be read: " + err.Error())
		}
		if part.FormName() == "har" {
			name := part.FileName()
			if name == "" {
				name = "HAR"
			}
			return part, name, nil
		}
	}
}

// readErr remembers the error of the reader it wraps (io.EOF aside), so
// that a failed upload is told from a failed store.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
