package diagnose

import "strings"

// maxListTokens bounds how many list members are kept from one header:
// parsing stays linear in the header's size and memory stays bounded
// whatever a hostile server sends.
const maxListTokens = 4096

// parseTokenList splits a comma-separated list header (Access-Control-Allow-
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
		if len(tokens) < maxListTokens {
			tokens = append(tokens, item)
		}
	}
	return tokens, invalid
}
