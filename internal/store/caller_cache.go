package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// callerCache remembers for a moment what orderCaller read of an account besides its taker:
// its own household, the name the orders' history records for it and the paths it dispatches
// by a secretary's post — two of the three reads every order request made before it wrote
// (the taker is read each time: every claim and done order writes order_takers).
//
// Like tokenCache, whose generation it shares, it never outlives a change this Store made: an
// entry holds for callerCacheTTL and only while no transaction of the Store committed a write
// to tokenTables since it was read (they hold the users, residents and party posts these reads
// read). A change committed through another instance reaches this one within callerCacheTTL; a
// write made outside the Store's transactions waits for it too, unless followed by
// ForgetAccounts.
type callerCache struct {
	gen *atomic.Uint64 // the token cache's
	mu  sync.Mutex
	m   map[callerKey]callerEntry
}

// callerKey is an account, and whether its posts were read (a dispatcher by role reads none).
type callerKey struct {
	user  int64
	posts bool
}

type callerEntry struct {
	own    int64
	name   string
	posts  []string
	gen    uint64    // the generation it was read in
	cached time.Time // when (monotonic wall clock)
}

const (
	callerCacheTTL = time.Second
	callerCacheMax = 10_000 // entries; past it the cache starts over
)

func newCallerCache(gen *atomic.Uint64) *callerCache {
	return &callerCache{gen: gen, m: map[callerKey]callerEntry{}}
}

// get returns k's entry if it still holds. A nil cache holds nothing.
func (c *callerCache) get(k callerKey) (callerEntry, bool) {
	if c == nil {
		return callerEntry{}, false
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || e.gen != c.gen.Load() || time.Since(e.cached) >= callerCacheTTL {
		return callerEntry{}, false
	}
	return e, true
}

// generation is the generation to read an entry in, loaded before its reads.
func (c *callerCache) generation() uint64 {
	if c == nil {
		return 0
	}
	return c.gen.Load()
}

// put remembers e for k, read in e.gen.
func (c *callerCache) put(k callerKey, e callerEntry) {
	if c == nil {
		return
	}
	e.cached = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= callerCacheMax {
		c.m = map[callerKey]callerEntry{}
	}
	c.m[k] = e
}
