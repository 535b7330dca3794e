package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestGroupCommit: SQLite's transactions queued for the writer commit in groups, and each
// keeps its own outcome — one that fails or panics leaves nothing, the others of its group
// keep everything, and a caller whose context ended while it waited is not run.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	tr := mustTree(t, st)
	const workers, each = 12, 15
	errFail := errors.New("refused on purpose")
	var wg sync.WaitGroup
	var mu sync.Mutex
	kept := map[string]bool{}
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("组提交测试-%d-%d", w, i)
				var err error
				panicked := func() (p any) {
					defer func() { p = recover() }()
					err = st.Tx(ctx, func(tx *store.Tx) error {
						if err := tx.TestExec(ctx, `INSERT INTO order_categories (community_id, name, created_at) VALUES (?, ?, ?)`, tr.community.ID, name, time.Now().UTC()); err != nil {
							return err
						}
						time.Sleep(200 * time.Microsecond) // the others queue meanwhile
						switch (w + i) % 5 {
						case 1:
							return errFail
						case 2:
							panic("a panic on purpose")
						case 3:
							// A statement that fails inside the transaction, its error returned.
							return tx.TestExec(ctx, `INSERT INTO order_categories (community_id, name, created_at) VALUES (?, ?, ?)`, tr.community.ID, name, time.Now().UTC())
						}
						return nil
					})
					return nil
				}()
				want := (w+i)%5 == 0 || (w+i)%5 == 4
				switch {
				case want && (err != nil || panicked != nil):
					t.Errorf("%s: %v, panic %v", name, err, panicked)
				case (w+i)%5 == 1 && !errors.Is(err, errFail), (w+i)%5 == 2 && panicked == nil, (w+i)%5 == 3 && err == nil:
					t.Errorf("%s: %v, panic %v: not the failure it was given", name, err, panicked)
				}
				if want {
					mu.Lock()
					kept[name] = true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	rows, err := st.ReadDB().QueryContext(ctx, `SELECT name FROM order_categories WHERE name LIKE '组提交测试-%'`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got[n] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for n := range kept {
		if !got[n] {
			t.Errorf("%s committed but not in the database", n)
		}
	}
	for n := range got {
		if !kept[n] {
			t.Errorf("%s failed but is in the database", n)
		}
	}
	commits, txs := st.GroupCommits()
	if txs < int64(len(kept)) || commits >= txs {
		t.Errorf("%d transactions in %d commits: no group carried two", txs, commits)
	}
	t.Logf("%d transactions kept of %d, %d in %d commits", len(kept), workers*each, txs, commits)

	// A caller that gives up while queued: its function never runs.
	hold := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_ = st.Tx(ctx, func(tx *store.Tx) error { close(started); <-hold; return nil })
	}()
	<-started
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	ran := false
	go func() {
		done <- st.Tx(cctx, func(tx *store.Tx) error { ran = true; return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	close(hold)
	if err := <-done; !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled while queued: %v, ran %v", err, ran)
	}
}

// TestGroupCommitKeepsCallersStore: a transaction queued behind another runs for the Store it
// was called on — a copy with a clock of its own (AsOf) stamps its writes with that clock, not
// with the clock of the Store that leads the group (closing a vote "later" failed so).
func TestGroupCommitKeepsCallersStore(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	later := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	asOf := st.AsOf(func() time.Time { return later })
	hold, started := make(chan struct{}), make(chan struct{})
	go func() {
		_ = st.Tx(ctx, func(tx *store.Tx) error { close(started); <-hold; return nil })
	}()
	<-started
	got := make(chan time.Time, 1)
	done := make(chan error, 1)
	go func() {
		done <- asOf.Tx(ctx, func(tx *store.Tx) error { got <- tx.TestNow(); return nil })
	}()
	time.Sleep(20 * time.Millisecond) // queued behind the first
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if at := <-got; !at.Equal(later) {
		t.Errorf("the queued transaction of an AsOf store ran at %v, want %v", at, later)
	}
}
