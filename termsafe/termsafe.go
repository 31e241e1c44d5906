// Package termsafe makes text from untrusted sources safe to print on a
// terminal. A target's status reason, header values and error texts reach
// the CLI report and the server logs byte for byte; escape sequences in them
// could clear the screen, retitle the window, recolour or hide text, and
// bidi overrides could make a value read as something it is not.
//
// It is its own package so that the CLI text report and the log handler
// share one cleaner: whatever one of them shows safely, the other does too.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// String returns s with every character that a terminal would act on, or
// that would reorder or hide the text around it, replaced by a visible
// escape:
//
//   - C0 controls other than tab, ESC among them, and DEL: \x1b, \x0d, \x7f
//   - C1 controls U+0080–U+009F (CSI, OSC, NEL…): \u009b
//   - bidi controls U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069,
//     and the line and paragraph separators U+2028, U+2029: \u202e
//   - bytes that are not UTF-8 (a lone 0x9b is CSI on some terminals): \x9b
//
// Everything else, tab and other printable Unicode included, is kept. A
// string with nothing to replace is returned as is, without allocating.
func String(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeEscape(&b, `\x`, uint32(s[i]), 2)
		case r < 0x20 && r != '\t', r == 0x7f:
			writeEscape(&b, `\x`, uint32(r), 2)
		case unsafeRune(r):
			writeEscape(&b, `\u`, uint32(r), 4)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Safe reports whether String(s) would return s unchanged.
func Safe(s string) bool { return firstUnsafe(s) < 0 }

// firstUnsafe returns the index of the first byte String must replace, or
// -1. ASCII is checked byte by byte; only non-ASCII text is decoded.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t') || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports the non-ASCII characters String escapes.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x2028 && r <= 0x202e: // LS, PS, LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

func writeEscape(b *strings.Builder, prefix string, v uint32, digits int) {
	b.WriteString(prefix)
	h := strconv.FormatUint(uint64(v), 16)
	for n := len(h); n < digits; n++ {
		b.WriteByte('0')
	}
	b.WriteString(h)
}
