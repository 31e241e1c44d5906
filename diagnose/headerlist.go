package diagnose

import "strings"

// parseTokenList runs in one pass, linear in the header's size, whatever a
// hostile server sends. It splits a comma-separated list header (Access-Control-Allow-
// Methods, -Allow-Headers, -Expose-Headers) as Gecko and Chromium do: split
// on commas, trim whitespace, skip empty members. It returns the members and
// the first member that is not an RFC 9110 token ("" when all are valid),
// which both browsers treat as a parse failure of the whole header.
func parseTokenList(raw string) (tokens []string, invalid string) {
	for len(raw) > 0 {
		var item string
		if i := strings.IndexByte(raw, ','); i >= 0 {
			item, raw = raw[:i], raw[i+1:]
		} else {
			item, raw = raw, ""
		}
		// Only HTTP whitespace: a \v or \f makes the item invalid, as in
		// both browsers.
		item = strings.Trim(item, " \t")
		if item == "" {
			continue
		}
		if !isToken(item) {
			if invalid == "" {
				invalid = item
			}
			continue
		}
		// No cap on the count: dropping members would change the verdict,
		// and the response head limit already bounds the list's size.
		tokens = append(tokens, item)
	}
	return tokens, invalid
}
