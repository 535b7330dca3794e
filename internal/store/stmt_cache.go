package store

import (
	"context"
	"database/sql"
	"slices"
	"sync"
)

// The prepared statements the store keeps by query text: stmtCache for the read pool (and
// PostgreSQL's one pool), txStmtCache for the transactions of SQLite's one write connection.
// A text is prepared the second time it is run (a text run once — an IN list of a length seen
// once — would cost a prepare and a close for nothing), and each cache holds up to
// stmtCacheMax texts. On SQLite a new text past that evicts the one used longest ago. Until
// 2026-12-04 a full cache kept what it had and ran every new text unprepared: a process that
// had generated the 1M-household bench city filled the write connection's cache with the
// generation's statements, and then parsed every statement of every order again (a third more
// of the single writer's time, 722–798 orders/s where a fresh process made 1,020–1,070) — and
// so would a server that had seen 512 texts. PostgreSQL's full cache still keeps what it has:
// closing a statement there deallocates it on every connection of the pool while
// database/sql holds the pool's lock, and pgx keeps a cache of its own on each connection for
// what runs unprepared here.

// stmtCacheMax is how many texts each cache keeps prepared.
const stmtCacheMax = 512

// stmtSeenMax bounds the texts a cache remembers having run once (forgotten all at once when
// full: a hot text is seen again soon after).
const stmtSeenMax = 4 * stmtCacheMax

// stmtEntry is a kept statement: when it was last taken (the eviction's order), and how many
// callers hold it between taking it and their call. Once a call has begun it keeps the
// statement open by itself (database/sql closes a statement when its last Rows or transaction
// copy is done), so an evicted statement is closed as soon as no caller holds it.
type stmtEntry struct {
	st      *sql.Stmt // nil: the text does not prepare (txStmtCache)
	used    uint64
	holders int
	evicted bool
}

// stmtLRU is the texts and statements of a cache; its owner's mutex guards it. Its methods
// return the statements to close, closed by the owner after unlocking (closing waits for the
// connections that prepared them).
type stmtLRU struct {
	m    map[string]*stmtEntry
	seen map[string]struct{} // texts run once, not kept
	tick uint64
}

func newStmtLRU() stmtLRU { return stmtLRU{m: map[string]*stmtEntry{}, seen: map[string]struct{}{}} }

// second reports whether q is run the second time (it was seen before and is not kept): the
// time to prepare it. The first time it is only remembered.
func (l *stmtLRU) second(q string) bool {
	if _, ok := l.seen[q]; ok {
		delete(l.seen, q)
		return true
	}
	if len(l.seen) >= stmtSeenMax {
		clear(l.seen)
	}
	l.seen[q] = struct{}{}
	return false
}

// take is q's entry, marked used and held by the caller (nil when q is not kept).
func (l *stmtLRU) take(q string) *stmtEntry {
	e := l.m[q]
	if e != nil {
		l.tick++
		e.used = l.tick
		e.holders++
	}
	return e
}

// add keeps st for q, held by the caller, evicting the text used longest ago when full (a scan:
// it runs once for each new text, which costs more to prepare).
func (l *stmtLRU) add(q string, st *sql.Stmt) (e *stmtEntry, toClose *sql.Stmt) {
	if len(l.m) >= stmtCacheMax {
		var oldest string
		for t, c := range l.m {
			if oldest == "" || c.used < l.m[oldest].used {
				oldest = t
			}
		}
		old := l.m[oldest]
		delete(l.m, oldest)
		old.evicted = true
		if old.holders == 0 {
			toClose = old.st
		}
	}
	l.tick++
	e = &stmtEntry{st: st, used: l.tick, holders: 1}
	l.m[q] = e
	return e, toClose
}

// release lets go of e; it returns e's statement when it was evicted and no one holds it now.
func (l *stmtLRU) release(e *stmtEntry) *sql.Stmt {
	e.holders--
	if e.evicted && e.holders == 0 {
		return e.st
	}
	return nil
}

// letGo releases e, guarded by mu, and closes its statement after unlocking when that was the
// last hold of an evicted one.
func (l *stmtLRU) letGo(mu *sync.Mutex, e *stmtEntry) {
	mu.Lock()
	st := l.release(e)
	mu.Unlock()
	closeStmt(st)
}

// closeAll empties l, guarded by mu, and closes its statements after unlocking.
func (l *stmtLRU) closeAll(mu *sync.Mutex) {
	mu.Lock()
	var sts []*sql.Stmt
	for _, e := range l.m {
		sts = append(sts, e.st)
	}
	l.m = map[string]*stmtEntry{}
	mu.Unlock()
	for _, st := range sts {
		closeStmt(st)
	}
}

// closeStmt closes st if there is one.
func closeStmt(st *sql.Stmt) {
	if st != nil {
		_ = st.Close()
	}
}

// stmtCache keeps prepared statements of the read pool by query text, so hot reads skip SQL
// parsing and planning.
type stmtCache struct {
	db    *sql.DB
	evict bool // a full cache evicts (SQLite) or keeps what it has (PostgreSQL)
	mu    sync.Mutex
	lru   stmtLRU
}

func newStmtCache(db *sql.DB, evict bool) *stmtCache {
	return &stmtCache{db: db, evict: evict, lru: newStmtLRU()}
}

// get returns the prepared statement for q, preparing it the second time q is run, and the
// func to call once the statement's call has begun; nil when c is nil, q is not to be prepared
// (yet) or preparing fails (the caller then runs the query unprepared and sees the error).
func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, func()) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	e := c.lru.take(q)
	if e == nil && (!c.evict && len(c.lru.m) >= stmtCacheMax || !c.lru.second(q)) {
		c.mu.Unlock()
		return nil, nil
	}
	c.mu.Unlock()
	if e == nil {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			return nil, nil
		}
		var toClose *sql.Stmt
		c.mu.Lock()
		if e = c.lru.take(q); e != nil { // prepared meanwhile by another caller
			toClose = st
		} else {
			e, toClose = c.lru.add(q, st)
		}
		c.mu.Unlock()
		closeStmt(toClose)
	}
	return e.st, func() { c.lru.letGo(&c.mu, e) }
}

func (c *stmtCache) close() { c.lru.closeAll(&c.mu) }

// txStmtCache keeps the prepared statements of SQLite's one write connection by query text, for
// the statements of transactions: parsing each statement anew was a third of the CPU time of
// placing, claiming and finishing an order. A statement is prepared on the connection while no
// transaction holds it (preparing through the pool inside one would wait for the connection the
// transaction holds): a query runs unprepared the first time, the next transaction prepares it
// before it begins (prepareWanted: it waits for the connection then anyway), and
// tx.StmtContext finds it prepared on the transaction's connection and does not parse it again.
// Texts longer than txStmtMaxLen (the multi-row INSERTs of bulk loads, long IN lists) are not
// kept.
//
// One text is one SQLite statement for the whole transaction: a query must not be run again
// while rows of the same text are still open in it (SQLite answers "bad parameter or other
// API misuse"); read the rows, close them, then run it again.
type txStmtCache struct {
	db        *sql.DB
	mu        sync.Mutex
	lru       stmtLRU // a nil statement: the text does not prepare
	wanted    []string
	preparing bool
}

// rowRun is how many of n rows a multi-row INSERT takes next: the largest power of two up to
// n and limit (a power of two). A group commit's rows are as many as its transactions made;
// with runs of a few lengths their statements have a few texts, each kept prepared.
func rowRun(n, limit int) int {
	r := 1
	for r*2 <= min(n, limit) {
		r *= 2
	}
	return r
}

// txStmtMaxLen is the longest query text txStmtCache keeps prepared.
const txStmtMaxLen = 4096

// prepareAtOnce is how many wanted texts one transaction prepares before it begins.
const prepareAtOnce = 32

// in is query's statement for transaction tx, nil when it is not prepared yet (it is wanted
// then) or does not prepare.
func (c *txStmtCache) in(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	c.mu.Lock()
	e := c.lru.take(query)
	if e == nil && len(query) <= txStmtMaxLen && len(c.wanted) < stmtCacheMax && !slices.Contains(c.wanted, query) && c.lru.second(query) {
		c.wanted = append(c.wanted, query)
	}
	c.mu.Unlock()
	if e == nil {
		return nil
	}
	var st *sql.Stmt
	if e.st != nil {
		// The transaction's copy keeps the statement open from here on, evicted or not.
		st = tx.StmtContext(ctx, e.st)
	}
	c.lru.letGo(&c.mu, e)
	return st
}

// prepareWanted prepares the statements earlier transactions ran unprepared. It runs before a
// transaction begins, when the caller waits for the write connection anyway: after a commit the
// committed request would wait behind the next writer, and under steady load the connection is
// never free (it goes from one transaction straight to the next), so nothing was prepared. One
// transaction prepares at a time, at most prepareAtOnce texts (its batch waits for them); the
// others go on unprepared meanwhile. What ctx ends before stays wanted; a text that does not
// prepare runs unprepared from then on (until evicted).
func (c *txStmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.wanted) == 0 || c.preparing {
		c.mu.Unlock()
		return
	}
	n := min(len(c.wanted), prepareAtOnce)
	wanted := slices.Clone(c.wanted[:n])
	c.wanted, c.preparing = slices.Delete(c.wanted, 0, n), true
	c.mu.Unlock()
	for i, q := range wanted {
		st, err := c.db.PrepareContext(ctx, q)
		var toClose []*sql.Stmt
		c.mu.Lock()
		_, seen := c.lru.m[q]
		switch {
		case err != nil && ctx.Err() != nil: // the caller gave up: later
			c.wanted = append(c.wanted, wanted[i:]...)
			c.preparing = false
			c.mu.Unlock()
			return
		case seen && err == nil:
			toClose = append(toClose, st)
		case seen:
		default:
			if err != nil {
				st = nil
			}
			e, evicted := c.lru.add(q, st)
			toClose = append(toClose, evicted, c.lru.release(e))
		}
		c.mu.Unlock()
		for _, st := range toClose {
			closeStmt(st)
		}
	}
	c.mu.Lock()
	c.preparing = false
	c.mu.Unlock()
}

func (c *txStmtCache) close() {
	if c == nil {
		return
	}
	c.lru.closeAll(&c.mu)
}
