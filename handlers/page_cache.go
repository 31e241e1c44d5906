package handlers

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// pageCache keeps rendered diagnosis pages, least recently used out
// first, within a byte budget. A stored diagnosis never changes, so
// neither does its page: the only request-dependent input is the host in
// the absolute share link, which is part of the key. Caching turns the
// hot path of a shared link (a team opening it at once) from a database
// read, a JSON decode and a render into a map lookup.
type pageCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // front: most recently used
	byKey map[string]*list.Element
}

type cachedPage struct {
	key     string
	body    []byte
	gzipped []byte // body, gzip-compressed once when cached
	etag    string
	created time.Time // of the diagnosis, for retention
}

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

func newCachedPage(key string, body []byte, created time.Time) *cachedPage {
	sum := sha256.Sum256(body)
	// Pages are immutable, so compressing once pays for every later
	// request; a results page shrinks about five times.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	return &cachedPage{key: key, body: body, gzipped: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, created: created}
}

// size is what the page costs the cache.
func (p *cachedPage) size() int { return len(p.body) + len(p.gzipped) }

func (c *pageCache) get(key string) (*cachedPage, bool) {
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

func (c *pageCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.size -= e.Value.(*cachedPage).size()
		c.order.Remove(e)
		delete(c.byKey, key)
	}
}
