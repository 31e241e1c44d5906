package termsafe

import (
	"context"
	"fmt"
	"log/slog"
)

// NewHandler wraps a slog.Handler so that what it writes is safe to read
// on a terminal (tail -f, journalctl): the message, attribute keys, group
// names, string values, and the text of errors, Stringers and other values
// go through String before next sees them. Records with nothing to clean
// pass through untouched.
//
// slog's JSON handler escapes C0 controls but writes C1 controls and bidi
// overrides raw, and the text handler quotes a value but not a message, so
// neither is enough on its own for a target's bytes.
func NewHandler(next slog.Handler) slog.Handler { return &handler{next: next} }

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	clean := Safe(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		clean = attrSafe(a)
		return clean
	})
	if clean {
		return h.next.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(cleanAttr(a))
		return true
	})
	return h.next.Handle(ctx, nr)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	cleaned := make([]slog.Attr, len(as))
	for i, a := range as {
		cleaned[i] = cleanAttr(a)
	}
	return &handler{next: h.next.WithAttrs(cleaned)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(String(name))}
}

// attrSafe reports whether cleanAttr would leave a unchanged.
func attrSafe(a slog.Attr) bool {
	if !Safe(a.Key) {
		return false
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return Safe(v.String())
	case slog.KindGroup:
		for _, g := range v.Group() {
			if !attrSafe(g) {
				return false
			}
		}
		return true
	case slog.KindAny:
		_, ok := anyText(v.Any())
		return ok
	}
	return true // numbers, bools, times and durations print no control characters
}

func cleanAttr(a slog.Attr) slog.Attr {
	a.Key = String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		cleaned := make([]slog.Attr, len(g))
		for i, ga := range g {
			cleaned[i] = cleanAttr(ga)
		}
		a.Value = slog.GroupValue(cleaned...)
	case slog.KindAny:
		if s, ok := anyText(v.Any()); !ok {
			a.Value = slog.StringValue(String(s))
		} else {
			a.Value = v
		}
	default:
		a.Value = v
	}
	return a
}

// anyText returns the text a handler would print for x and whether it is
// already safe. An unsafe value is then logged as its cleaned text, which
// loses its JSON structure but not its content.
func anyText(x any) (string, bool) {
	var s string
	switch x.(type) {
	case nil:
		return "", true
	case error:
		s = fmt.Sprint(x) // its Error text, as both handlers print it
	default:
		s = fmt.Sprintf("%+v", x)
	}
	return s, Safe(s)
}
