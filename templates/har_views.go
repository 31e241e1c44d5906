package templates

// The IDs of the HAR pages' regions.
const (
	HARFormID    = "har-form"
	HARResultsID = "har-results"
)

// HARUploadView is the HAR upload page (GET /har, and POST /har when the
// file cannot be read).
type HARUploadView struct {
	// MaxMB is the largest upload accepted, in MB.
	MaxMB int
	// MaxLinks is how many share links one upload gets at most.
	MaxLinks int
	// Error, when set, says why the last upload could not be read.
	Error string
}

// HARResultsView is the table of a judged HAR (POST /har).
type HARResultsView struct {
	FileName string
	// Browser names the browser whose format the HAR has ("Chromium"), or
	// is empty when unknown.
	Browser string
	Creator string
	// Entries is how many entries the file has, NotCORS how many are not
	// CORS requests at all (navigations, images, scripts).
	Entries, NotCORS         int
	Judged, Blocked, Skipped int
	Rows                     []HARRowView
	// Unlinked counts judged fetches that got no share link because the
	// upload reached MaxLinks.
	Unlinked int
	MaxLinks int
	// Redacted names the headers whose values were redacted.
	Redacted []string
}

// HARRowView is one fetch of the HAR.
type HARRowView struct {
	// Entries lists its entries' numbers in the file, from 1 ("#2, #3").
	Entries string
	Method  string
	URL     string
	Origin  string
	// OriginNote says where the origin was inferred from, when it was.
	OriginNote string
	// Steps is the chain, e.g. "preflight → actual → actual (redirect hop 1)".
	Steps string
	// Status is "blocked", "allowed" or "skipped".
	Status   string
	Firefox  string
	Chromium string
	// Reason is the first error's reason ID and Title its title, when
	// blocked; ReasonURL explains it.
	Reason    string
	Title     string
	ReasonURL string
	// Link is the fetch's share link; empty when skipped or over the
	// limit of links.
	Link string
	// Skip says why it was not judged.
	Skip string
	// Credentials says how the credentials mode was inferred.
	Credentials string
}

// recordedText says that the results come from a recording, and whose.
func recordedText(v HARResultsView) string {
	s := "Judged from a recording: corsdoctor sent nothing. Every verdict below comes from the exchanges the browser recorded"
	if v.Browser != "" {
		s += " (" + v.Browser + " format"
		if v.Creator != "" {
			s += ", written by " + v.Creator
		}
		s += ")"
	}
	return s + "."
}
