package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/model"
)

// TestGroupCommitOrderStats: a group commit writes the order statistics of its transactions
// once, at its end: those that were kept count, those rolled back to their savepoint (an error
// after their adjustments) do not, and a recount inside a batch replaces what the batch held.
func TestGroupCommitOrderStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	placed := model.OrderStatFacts{Status: model.OrderPlaced, PlacedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	count := func(path string) int64 {
		t.Helper()
		var n int64
		if err := st.reader().queryRow(ctx, `SELECT COALESCE(SUM(placed), 0) FROM order_stats WHERE path = ?`, []any{path}, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	errFail := errors.New("refused on purpose")
	const workers, each = 12, 15
	var wg sync.WaitGroup
	var mu sync.Mutex
	kept := 0
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				err := st.Tx(ctx, func(tx *Tx) error {
					if err := tx.orderStatsAddFacts(ctx, "/1/2/", "跑腿", placed, 1); err != nil {
						return err
					}
					time.Sleep(200 * time.Microsecond) // the others queue meanwhile
					if (w+i)%3 == 1 {
						return errFail
					}
					return nil
				})
				switch {
				case (w+i)%3 == 1 && !errors.Is(err, errFail):
					t.Errorf("%d/%d: %v, want the refusal", w, i, err)
				case (w+i)%3 != 1 && err != nil:
					t.Errorf("%d/%d: %v", w, i, err)
				case err == nil:
					mu.Lock()
					kept++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if c, r := st.batch.commits.Load(), st.batch.runs.Load(); c >= r {
		t.Fatalf("%d commits for %d transactions: no batch formed, nothing tested", c, r)
	}
	// (Nodes 1 and 2 do not exist: the root alone keeps rows.)
	if n := count("/"); n != int64(kept) {
		t.Errorf("placed: %d, want the %d transactions kept", n, kept)
	}

	// A recount (no orders: nothing) between two others in one batch, queued behind a slow
	// one in this order: what came before it is gone, what came after counts.
	add := func(sleep time.Duration) func() {
		return func() {
			if err := st.Tx(ctx, func(tx *Tx) error {
				if err := tx.orderStatsAddFacts(ctx, "/1/2/", "跑腿", placed, 1); err != nil {
					return err
				}
				time.Sleep(sleep)
				return nil
			}); err != nil {
				t.Error(err)
			}
		}
	}
	commits := st.batch.commits.Load()
	wg.Go(func() {
		if err := st.Tx(ctx, func(tx *Tx) error { time.Sleep(100 * time.Millisecond); return nil }); err != nil {
			t.Error(err)
		}
	})
	time.Sleep(20 * time.Millisecond)
	wg.Go(add(0))
	time.Sleep(10 * time.Millisecond)
	wg.Go(func() {
		if err := st.RebuildOrderStats(ctx); err != nil {
			t.Error(err)
		}
	})
	time.Sleep(10 * time.Millisecond)
	wg.Go(add(0))
	wg.Wait()
	if n := count("/"); n != 1 {
		t.Errorf("after a recount %d placed, want the 1 of the transaction after it", n)
	}
	if c := st.batch.commits.Load() - commits; c != 1 {
		t.Logf("the four transactions took %d commits: the recount's place in a batch was not tested", c)
	}
}
