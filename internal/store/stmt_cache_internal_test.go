package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestStmtCachesEvict: both caches of prepared statements, once full, make room for a new text
// by evicting the one used longest ago, so a statement that comes into use late is still
// prepared; a text run only once is not. Before (2026-12-04) a full cache kept what it had:
// after the bench's generation filled the write connection's, every statement of every order
// was parsed again.
func TestStmtCachesEvict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testSQLite(t)
	inTx := func(q string) {
		t.Helper()
		if err := st.Tx(ctx, func(tx *Tx) error {
			var n int
			return tx.queryRow(ctx, q, nil, &n)
		}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(q string) {
		t.Helper()
		var n int
		if err := st.reader().queryRow(ctx, q, nil, &n); err != nil {
			t.Fatal(err)
		}
	}
	const hot = `SELECT 42`
	inTx(hot)
	read(hot)
	for i := range stmtCacheMax + 20 {
		q := fmt.Sprintf("SELECT %d + 1000", i)
		inTx(q)
		read(q)
		if i%50 == 0 { // the hot text stays in use while the others come and go
			inTx(hot)
			read(hot)
		}
	}
	const late = `SELECT 7 * 6`
	for range 3 {
		inTx(late)
		read(late)
	}
	const once = `SELECT 1 + 1 + 1`
	inTx(once)
	read(once)
	kept := func(l *stmtLRU, mu *sync.Mutex, q string) bool {
		mu.Lock()
		defer mu.Unlock()
		e := l.m[q]
		return e != nil && e.st != nil
	}
	for _, c := range []struct {
		name string
		l    *stmtLRU
		mu   *sync.Mutex
	}{{"write", &st.txStmts.lru, &st.txStmts.mu}, {"read", &st.stmts.lru, &st.stmts.mu}} {
		if n := len(c.l.m); n > stmtCacheMax {
			t.Errorf("%s cache: %d texts, more than %d", c.name, n, stmtCacheMax)
		}
		if !kept(c.l, c.mu, late) {
			t.Errorf("%s cache: a text first run when the cache was full is not prepared", c.name)
		}
		if !kept(c.l, c.mu, hot) {
			t.Errorf("%s cache: the text in use throughout was evicted", c.name)
		}
		if kept(c.l, c.mu, once) {
			t.Errorf("%s cache: a text run once was prepared", c.name)
		}
	}
}

// TestStmtCachesEvictConcurrently: statements evicted while other goroutines hold or run them
// are closed only once no one does: many more texts than the caches hold, run at once by
// readers and by transactions, every one answers.
func TestStmtCachesEvictConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testSQLite(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				// Each worker's texts overlap the others' (i % 200): entries shared and evicted.
				q := fmt.Sprintf("SELECT %d", (i*7+w)%(stmtCacheMax+200))
				var n int
				if err := st.reader().queryRow(ctx, q, nil, &n); err != nil {
					errs <- fmt.Errorf("read %q: %w", q, err)
					return
				}
				if i%3 == 0 {
					if err := st.Tx(ctx, func(tx *Tx) error { return tx.queryRow(ctx, q, nil, &n) }); err != nil {
						errs <- fmt.Errorf("transaction %q: %w", q, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
