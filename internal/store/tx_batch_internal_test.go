package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
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
	kept := len(mixedBatches(t, st, func(tx *Tx, _ string) error {
		return tx.orderStatsAddFacts(ctx, "/1/2/", "跑腿", placed, 1)
	}))
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
	var wg sync.WaitGroup
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

// TestGroupCommitEventsAndAudit: a group commit writes the events and the audit records of its
// transactions once, before its commit, in the order of the transactions; those rolled back
// to their savepoint (an error after publishing and auditing) leave neither events nor audit
// records, and the audit chain holds.
func TestGroupCommitEventsAndAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := auditedSQLite(t)
	user := testAccount(t, st)
	kept := mixedBatches(t, st, func(tx *Tx, name string) error {
		subject := "test:" + name
		for _, e := range []model.EventInput{{UserIDs: []int64{user}, Kind: "test", Subject: subject}, {Path: "/1/", Kind: "test", Subject: subject}} {
			if err := tx.Publish(ctx, e); err != nil {
				return err
			}
		}
		tx.auditAt(authz.System(), "/1/", "test.batch", "test", nil, subject)
		return nil
	})
	for i := range kept {
		kept[i] = "test:" + kept[i]
	}
	// Each kept transaction's two events, one after the other (own row, then path row), and
	// its audit record; nothing of the others.
	events, err := queryAll(ctx, st.reader(), `SELECT subject, COALESCE(path, '') FROM events WHERE kind = 'test' ORDER BY id`, nil,
		func(r rowScanner) ([2]string, error) {
			var e [2]string
			return e, r.Scan(&e[0], &e[1])
		})
	if err != nil {
		t.Fatal(err)
	}
	audited, err := queryAll(ctx, st.reader(), `SELECT detail FROM audit_log WHERE action = 'test.batch' ORDER BY id`, nil,
		func(r rowScanner) (string, error) {
			var d string
			return d, r.Scan(&d)
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2*len(kept) || len(audited) != len(kept) {
		t.Fatalf("%d events and %d audit records for %d transactions kept, want %d and %d", len(events), len(audited), len(kept), 2*len(kept), len(kept))
	}
	for i, subject := range audited {
		if events[2*i] != [2]string{subject, ""} || events[2*i+1] != [2]string{subject, "/1/"} {
			t.Errorf("events %d and %d: %v %v, want the own row and the path row of %s (audited %d-th)", 2*i, 2*i+1, events[2*i], events[2*i+1], subject, i)
		}
	}
	slices.Sort(kept)
	slices.Sort(audited)
	if !slices.Equal(kept, audited) {
		t.Errorf("audited %v, want the transactions kept %v", audited, kept)
	}
	v, err := st.VerifyAudit(ctx, nil)
	if err != nil || v.BrokenAt != 0 {
		t.Fatalf("audit chain: %+v, %v", v, err)
	}
}

// TestGroupCommitCountedAuditAtOnce: the records of an action the lookup allowance counts are
// appended by their own transaction, not left for the batch's end: a later transaction of the
// same batch counts them. Each transaction counts the lookups before it and then records one;
// the counts the kept ones saw are 0, 1, 2 … (a transaction rolled back leaves no record).
func TestGroupCommitCountedAuditAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := auditedSQLite(t)
	var mu sync.Mutex
	seen := map[string]int{}
	kept := mixedBatches(t, st, func(tx *Tx, name string) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, []any{ActionLookup}, &n); err != nil {
			return err
		}
		mu.Lock()
		seen[name] = n
		mu.Unlock()
		tx.auditAt(authz.System(), "/1/", ActionLookup, "resident", nil, name)
		tx.auditAt(authz.System(), "/1/", "test.batch", "test", nil, name)
		return nil
	})
	counts := make([]int, 0, len(kept))
	for _, name := range kept {
		counts = append(counts, seen[name])
	}
	slices.Sort(counts)
	for i, n := range counts {
		if n != i {
			t.Fatalf("the kept transactions counted %v lookups before them, want 0 to %d each once", counts, len(kept)-1)
		}
	}
	v, err := st.VerifyAudit(ctx, nil)
	if err != nil || v.BrokenAt != 0 {
		t.Fatalf("audit chain: %+v, %v", v, err)
	}
}

// auditedSQLite is migratedSQLite with a personal-data and an audit key.
func auditedSQLite(t *testing.T) *Store {
	t.Helper()
	k, err := pii.NewKey("t")
	if err != nil {
		t.Fatal(err)
	}
	ak, err := pii.NewKey(pii.AuditKeyPrefix + "-t")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := pii.New([]pii.Key{k, ak})
	if err != nil {
		t.Fatal(err)
	}
	return migratedSQLite(t, WithKeys(kr))
}

// mixedBatches runs workers × each transactions of fn on st at once, so that they queue into
// batches: transaction i of worker w is refused after fn (an error: rolled back to its
// savepoint) when (w+i)%3 == 1, kept otherwise. It checks each outcome and returns the names
// "w-i" of the transactions kept, failing the test if no batch formed.
func mixedBatches(t *testing.T, st *Store, fn func(tx *Tx, name string) error) []string {
	t.Helper()
	ctx := context.Background()
	errFail := errors.New("refused on purpose")
	const workers, each = 12, 15
	commits, runs := st.batch.commits.Load(), st.batch.runs.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var kept []string
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("%d-%d", w, i)
				err := st.Tx(ctx, func(tx *Tx) error {
					if err := fn(tx, name); err != nil {
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
					t.Errorf("%s: %v, want the refusal", name, err)
				case (w+i)%3 != 1 && err != nil:
					t.Errorf("%s: %v", name, err)
				case err == nil:
					mu.Lock()
					kept = append(kept, name)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if c, r := st.batch.commits.Load()-commits, st.batch.runs.Load()-runs; c >= r {
		t.Fatalf("%d commits for %d transactions: no batch formed, nothing tested", c, r)
	}
	return kept
}

// TestGroupCommitCallerGivesUpMidStatement: a caller whose context ends while its function's
// statement runs inside a group commit does not take the other transactions of its batch with
// it. The pure-Go driver interrupts a statement whose context ends, and SQLite rolls back the
// whole transaction of an interrupted write — before 2026-12-05 the functions' statements ran
// with their callers' request contexts, so one client that went away failed every other
// transaction of its batch.
func TestGroupCommitCallerGivesUpMidStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := migratedSQLite(t)
	if _, err := st.write.ExecContext(ctx, `CREATE TABLE gc_probe (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		// Leads the batch, and holds it until the second has queued behind it.
		first <- st.Tx(ctx, func(tx *Tx) error {
			close(held)
			<-hold
			_, err := tx.exec(ctx, `INSERT INTO gc_probe (n) VALUES (1)`)
			return err
		})
	}()
	<-held
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	running := make(chan struct{})
	second := make(chan error, 1)
	go func() {
		second <- st.Tx(cctx, func(tx *Tx) error {
			close(running)
			// A write long enough to be running when its caller gives up.
			_, err := tx.exec(cctx, `INSERT INTO gc_probe (n) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
				SELECT COUNT(*) FROM c`)
			return err
		})
	}()
	for st.batch.queued() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	<-running
	time.Sleep(5 * time.Millisecond)
	cancel()
	if err := <-first; err != nil {
		t.Fatalf("the first transaction of the batch: %v", err)
	}
	if err := <-second; err != nil {
		t.Errorf("the transaction whose caller gave up mid-statement: %v (it had begun: it runs to its end)", err)
	}
	var n int
	if err := st.reader().queryRow(ctx, `SELECT COUNT(*) FROM gc_probe`, nil, &n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d rows committed, want both transactions'", n)
	}
}
