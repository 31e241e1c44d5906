package handlers

import (
	"net/url"

	"corsdoctor/templates"
)

// presets are the "start from" examples: common request shapes, each
// chosen because it triggers a different part of CORS.
var presets = []templates.PresetView{
	{ID: "simple-get", Label: "Simple GET", Method: "GET", Credentials: "same-origin",
		Description: "A GET with no custom headers: no preflight, only Access-Control-Allow-Origin matters."},
	{ID: "json-bearer", Label: "JSON POST with a bearer token", Method: "POST", Credentials: "same-origin",
		Headers:     "Content-Type: application/json\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.token",
		Body:        `{"name": "example"}`,
		Description: "The classic API call: Content-Type: application/json and Authorization both need a preflight."},
	{ID: "form-post", Label: "Form POST", Method: "POST", Credentials: "same-origin",
		Headers:     "Content-Type: application/x-www-form-urlencoded",
		Body:        "name=example",
		Description: "A CORS-safelisted content type: no preflight."},
	{ID: "cookies", Label: "GET with cookies", Method: "GET", Credentials: "include",
		Description: "credentials: 'include' needs an exact Access-Control-Allow-Origin and Access-Control-Allow-Credentials: true."},
	{ID: "put-custom", Label: "PUT with a custom header", Method: "PUT", Credentials: "same-origin",
		Headers:     "Content-Type: application/json\nX-Request-ID: 42",
		Body:        `{"done": true}`,
		Description: "A non-safelisted method and a custom header: the preflight must allow both."},
	{ID: "delete-credentials", Label: "DELETE with credentials", Method: "DELETE", Credentials: "include",
		Description: "A preflighted method with cookies: no wildcards allowed anywhere."},
}

func init() {
	for i := range presets {
		presets[i].Href = "/?preset=" + url.QueryEscape(presets[i].ID)
	}
}

func findPreset(id string) (templates.PresetView, bool) {
	for _, p := range presets {
		if p.ID == id {
			return p, true
		}
	}
	return templates.PresetView{}, false
}

// commonMethods are suggested in the method field; any token may be typed.
var commonMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
