package diagnose

import "corsdoctor/remedy"

// RootCause is the first thing a user reads: why the browsers refuse the
// request, which layer of the server refused it, and the one change that
// makes them allow it. Its JSON form is the documented `root_cause` object.
type RootCause struct {
	// Summary is the root cause in one sentence, naming the layer.
	Summary string `json:"summary"`
	// Layer is the part of the system that refused: cors-middleware,
	// reverse-proxy, authentication, router, cdn-storage, client (the
	// page's own request), network, or none (nothing refused; a warning).
	Layer string `json:"layer"`
	// Problem selects the fix's shape; see remedy.Problem, plus "client"
	// for a fix in the page's request and "network" for an unreachable
	// server.
	Problem string `json:"problem"`
	// Evidence lists the observations the root cause rests on.
	Evidence []string `json:"evidence"`
	// Step is the exchange where the root cause shows.
	Step Step `json:"step"`
	// Collapses is true when the refusing layer does not speak CORS at
	// all (an authentication 401, a router 404): every failed check at
	// Step follows from the root cause, so reports fold them under it.
	Collapses bool       `json:"collapses,omitempty"`
	Stack     StackGuess `json:"stack"`
	Fix       Fix        `json:"fix"`
}

// The layers a root cause can name.
const (
	LayerCORS      = "cors-middleware"
	LayerProxy     = "reverse-proxy"
	LayerAuth      = "authentication"
	LayerRouter    = "router"
	LayerCDN       = "cdn-storage"
	LayerClient    = "client"
	LayerNetwork   = "network"
	LayerFramework = "framework"
	LayerNone      = "none"
)

// StackGuess is the server stack detected from the evidence, or the one
// the user chose.
type StackGuess struct {
	ID   remedy.StackID `json:"id"`
	Name string         `json:"name"`
	// Confidence is high, medium, low, or none (nothing recognisable).
	Confidence string `json:"confidence"`
	// Evidence lists what the detection rests on.
	Evidence []string `json:"evidence"`
	// Chosen is true when the user picked the stack instead of detection.
	Chosen bool `json:"chosen,omitempty"`
	// Detected is what detection found, kept when the user chose another.
	Detected remedy.StackID `json:"detected,omitempty"`
	// Verified is true when corsdoctor's real-server suite proves this
	// stack's snippets in real browsers; false means "unverified".
	Verified bool `json:"verified"`
}

// Fix is the change to make.
type Fix struct {
	// Where is "server" or "client".
	Where  string        `json:"where"`
	Policy remedy.Policy `json:"policy"`
	Steps  []string      `json:"steps"`
	// Notes are the stack's traps and version notes that apply here.
	Notes   []string       `json:"notes,omitempty"`
	Snippet remedy.Snippet `json:"snippet"`
	// Request is the page's fetch() after a client-side fix.
	Request *Request `json:"request,omitempty"`
}
