package handlers

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"corsdoctor/remedy"
)

// pageCache keeps rendered diagnosis pages, least recently used out
// first, within a byte budget. A stored diagnosis never changes, so
// neither does its page: the only request-dependent inputs are the host in
// the absolute share link and the stack the fix is written for (?stack=),
// which are part of the key. Caching turns the
// hot path of a shared link (a team opening it at once) from a database
// read, a JSON decode and a render into a map lookup.
type pageCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // front: most recently used
	byKey map[pageKey]*list.Element
}

// pageKey names one rendering of a diagnosis: the page embeds its own
// absolute share link, so the host it was asked for (and whether over
// TLS) is part of it, and so is the stack its fix is written for. A
// struct rather than a joined string keeps the hot path of a cache hit
// free of allocations.
type pageKey struct {
	id   string
	host string // empty when the dashboard has a fixed --base-url
	tls  bool
	// stack is the ?stack= asked for, canonical (remedy.ParseStackID), or
	// "" for the stack stored with the diagnosis. Only valid IDs reach
	// the cache, so a stranger cannot fill it with made-up variants.
	stack remedy.StackID
}

type cachedPage struct {
	key     pageKey
	created time.Time // of the diagnosis, for retention
	// The two encodings of the page, each with its own ETag (RFC 9110
	// §8.8.3).
	identity, gzipped encodedPage
}

// encodedPage is one encoding of a page with its response header values
// precomputed: they are the same for every request, and sharing them
// (each a one-element slice at full capacity, so a later Add copies
// instead of writing into it) saves allocations on every hit.
type encodedPage struct {
	body          []byte
	etag          string
	etagValue     []string
	contentLength []string
}

func newEncodedPage(body []byte, etag string) encodedPage {
	return encodedPage{body: body, etag: etag, etagValue: []string{etag}, contentLength: []string{strconv.Itoa(len(body))}}
}

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{max: maxBytes, order: list.New(), byKey: map[pageKey]*list.Element{}}
}

func newCachedPage(key pageKey, body []byte, created time.Time) *cachedPage {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	// Pages are immutable, so compressing once pays for every later
	// request; a results page shrinks about five times.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	return &cachedPage{
		key:      key,
		created:  created,
		identity: newEncodedPage(body, `"`+tag+`"`),
		gzipped:  newEncodedPage(gz.Bytes(), `"`+tag+`-gzip"`),
	}
}

// size is what the page costs the cache.
func (p *cachedPage) size() int { return len(p.identity.body) + len(p.gzipped.body) }

func (c *pageCache) get(key pageKey) (*cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cachedPage), true
}

func (c *pageCache) put(p *cachedPage) {
	if p.size() > c.max/4 {
		return // one huge page must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[p.key]; ok {
		c.size -= e.Value.(*cachedPage).size()
		c.order.Remove(e)
	}
	c.byKey[p.key] = c.order.PushFront(p)
	c.size += p.size()
	for c.size > c.max {
		last := c.order.Back()
		old := last.Value.(*cachedPage)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.size -= old.size()
	}
}

func (c *pageCache) remove(key pageKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.size -= e.Value.(*cachedPage).size()
		c.order.Remove(e)
		delete(c.byKey, key)
	}
}
