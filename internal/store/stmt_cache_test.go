package store_test

import (
	"context"
	"fmt"
	"testing"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestReadStatementsKept: on both engines a read's text is prepared the second time it runs,
// not the first, and the cache holds at most StmtCacheMax texts. Full, SQLite's evicts the
// text used longest ago for a new one; PostgreSQL's keeps what it has (closing a statement
// there deallocates it on every pooled connection under database/sql's lock, and pgx caches
// per connection what runs unprepared).
func TestReadStatementsKept(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		run := func(q string, times int) {
			t.Helper()
			for range times {
				if _, err := st.TestReadInt(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		const first = `SELECT 6 * 7`
		run(first, 1)
		if _, kept := st.ReadStatements(first); kept {
			t.Fatal("a text run once was prepared")
		}
		run(first, 1)
		if _, kept := st.ReadStatements(first); !kept {
			t.Fatal("a text run twice was not prepared")
		}
		for i := range store.StmtCacheMax + 10 {
			run(fmt.Sprintf("SELECT %d + 1000", i), 2)
		}
		const late = `SELECT 7 * 6`
		run(late, 2)
		n, kept := st.ReadStatements(late)
		if n > store.StmtCacheMax {
			t.Errorf("%d texts kept, more than %d", n, store.StmtCacheMax)
		}
		if sqlite := st.Engine() == "sqlite"; kept != sqlite {
			t.Errorf("%s: a text first run when the cache was full: kept %v", st.Engine(), kept)
		}
	})
}
