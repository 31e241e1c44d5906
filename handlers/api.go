package handlers

import (
	"net/http"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// apiDiagnosis is the JSON form of a stored diagnosis in the API.
type apiDiagnosis struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	HARURL    string    `json:"har_url"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Redacted names the request headers whose values were not stored.
	Redacted []string `json:"redacted"`
	// Source is "har" when the report was judged from an uploaded
	// recording and nothing was sent; absent for a probe.
	Source string          `json:"source,omitempty"`
	Report diagnose.Report `json:"report"`
}

func newAPIDiagnosis(r *http.Request, set Settings, d *store.Diagnosis) apiDiagnosis {
	redacted := d.Redacted
	if redacted == nil {
		redacted = []string{}
	}
	return apiDiagnosis{
		ID:        d.ID,
		URL:       absoluteURL(r, set, "/d/"+d.ID),
		HARURL:    absoluteURL(r, set, "/d/"+d.ID+"/har"),
		CreatedAt: d.CreatedAt.UTC(),
		ExpiresAt: d.CreatedAt.Add(set.Retention).UTC(),
		Redacted:  redacted,
		Source:    d.Source,
		Report:    d.Report,
	}
}
