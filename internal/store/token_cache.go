package store

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gongzhi/internal/model"
)

// tokenCache remembers for a moment whom a session or API token resolved to, so that the
// requests of one client in the same second cost one account query instead of one each (the
// lookup was half of the server's own work on a point read; docs/benchmarks.md).
//
// It never widens what a token may do: a hit needs the entry younger than tokenCacheTTL, made
// since the last write to the accounts this Store committed (a Tx that wrote to tokenTables: a
// logout, a revoked token, a changed role, a disabled account, a moved territory all do),
// before the token's expiry, and within LastSeenEvery of the token's last recorded use, so
// that last_seen_at and the idle limit keep working as without a cache. A change committed through another instance reaches this one within
// tokenCacheTTL.
type tokenCache struct {
	gen atomic.Uint64 // bumped by every committed write of the Store to tokenTables
	mu  sync.Mutex
	m   map[string]tokenEntry // token hash → entry
}

type tokenEntry struct {
	u       model.User
	gen     uint64    // the generation the account was read in
	cached  time.Time // when it was read (monotonic wall clock)
	expires time.Time // the token's expiry (accounts' clock)
	seen    time.Time // its last recorded use, after the lookup (accounts' clock)
}

const (
	tokenCacheTTL = time.Second
	tokenCacheMax = 10_000 // entries; past it the cache starts over
)

func newTokenCache() *tokenCache { return &tokenCache{m: map[string]tokenEntry{}} }

// tokenTables are the tables whose rows decide what a token resolves to (UserByToken reads
// them; no trigger or cascade writes them from another table but users.resident_id, which it
// does not read).
var tokenTables = map[string]bool{"users": true, "sessions": true, "api_tokens": true, "territories": true}

// tokenWrite reports whether query may change what a token resolves to: an INSERT, UPDATE,
// DELETE or REPLACE into one of tokenTables, and any statement that is none of these nor a
// SELECT (DDL, WITH, anything else: assumed to). A SELECT writes nothing (INSERT … SELECT FROM
// users writes the table it inserts into).
func tokenWrite(query string) bool {
	// The first five words decide it (INSERT OR REPLACE INTO table is the longest prefix); the
	// statements of an order's transactions ran strings.Fields over their whole text, 3% of the
	// single writer's time.
	var words [5]string
	f := words[:0]
	for w := range strings.FieldsSeq(query) {
		if f = append(f, w); len(f) == 5 {
			break
		}
	}
	if len(f) == 0 {
		return false
	}
	word := func(i int) string {
		if i < len(f) {
			return strings.ToUpper(f[i])
		}
		return ""
	}
	i := 1
	switch word(0) {
	case "SELECT":
		return false
	case "INSERT", "REPLACE":
		if word(i) == "OR" {
			i += 2
		}
		if word(i) != "INTO" {
			return true
		}
		i++
	case "UPDATE":
		if word(i) == "OR" {
			i += 2
		}
	case "DELETE":
		if word(i) != "FROM" {
			return true
		}
		i++
	default:
		return true
	}
	if i >= len(f) {
		return true
	}
	table := f[i]
	if j := strings.IndexAny(table, "("); j >= 0 {
		table = table[:j]
	}
	table = strings.ToLower(strings.Trim(table, `"`+"`"))
	if j := strings.LastIndexByte(table, '.'); j >= 0 {
		table = strings.Trim(table[j+1:], `"`)
	}
	return table == "" || tokenTables[table]
}

// invalidate ends every entry: something that decides who a token is may have changed.
func (c *tokenCache) invalidate() { c.gen.Add(1) }

// get returns a copy of the account token hash resolved to, if the entry still holds at ts.
func (c *tokenCache) get(hash string, ts time.Time) (*model.User, bool) {
	c.mu.Lock()
	e, ok := c.m[hash]
	c.mu.Unlock()
	if !ok || e.gen != c.gen.Load() || time.Since(e.cached) >= tokenCacheTTL ||
		!ts.Before(e.expires) || ts.Before(e.seen) || ts.Sub(e.seen) >= LastSeenEvery {
		return nil, false
	}
	u := e.u
	return &u, true
}

// put remembers u for hash, read in generation gen.
func (c *tokenCache) put(hash string, u *model.User, gen uint64, expires, seen time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= tokenCacheMax {
		c.m = map[string]tokenEntry{}
	}
	c.m[hash] = tokenEntry{u: *u, gen: gen, cached: time.Now(), expires: expires, seen: seen}
}
