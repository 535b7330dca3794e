package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"

	"gongzhi/internal/model"
)

// txBatch is group commit on SQLite's one write connection. Transactions that arrive while
// another holds the writer queue here instead of in database/sql's pool; when the writer is
// free, the first of them leads: it begins one SQLite transaction and runs each queued
// transaction's function in a savepoint of its own, in arrival order, then commits once for
// all of them. A function that fails (or whose flushes fail) is rolled back to its savepoint
// alone: the others keep what they wrote. Nobody learns the outcome before the commit: a
// transaction reported committed is in the database file's WAL like any other (the same
// synchronous setting), and when the commit or a rollback to a savepoint fails, every
// transaction of the batch reports the error and none took effect.
//
// The transactions of a batch are serial as before (each sees what the ones before it wrote,
// as if they had committed one after the other), so every guard of a write — a conditional
// UPDATE, a unique key, a count read in the transaction — works as it did; they share the
// commit's WAL writes and the pages they all touch (the statistics rows, the tails of the
// indexes, the audit chain's last page), which is most of a small transaction's cost.
//
// A queued transaction's function runs on the leader's goroutine, and its statements run
// without their contexts' cancellation (conn.detach: a statement interrupted inside a
// transaction can roll the whole SQLite transaction back, the other callers' writes with it);
// a caller whose context ended before its turn is not run; once it runs, its statements run to
// their end even if the caller goes away (a function may still look at its context between
// them, as the importer does between chunks).
type txBatch struct {
	s     *Store
	mu    sync.Mutex
	busy  bool        // a leader holds the writer
	queue []*txWaiter // waiting for the writer, in arrival order
	// commits and runs count the batches committed and the transactions they carried.
	commits, runs atomic.Int64
}

// txBatchMax bounds the transactions one commit carries: the first of a batch waits for the
// last to run before it learns its outcome.
const txBatchMax = 16

type txWaiter struct {
	s   *Store // the Store the caller called Tx on (AsOf makes copies with clocks of their own)
	ctx context.Context
	fn  func(tx *Tx) error
	// done receives the outcome once the batch committed or failed, or lead when the waiter
	// is to lead the next batch.
	done chan txOutcome
	out  txOutcome
}

type txOutcome struct {
	lead      bool
	err       error
	panicked  any
	conflicts []queuedConflict
	created   map[int64]bool
	published []int64
	accounts  bool // it may have changed what a token resolves to
	committed bool
}

// run runs fn as one transaction of a batch.
func (b *txBatch) run(s *Store, ctx context.Context, fn func(tx *Tx) error) error {
	w := &txWaiter{s: s, ctx: ctx, fn: fn, done: make(chan txOutcome, 1)}
	b.mu.Lock()
	if b.busy {
		b.queue = append(b.queue, w)
		b.mu.Unlock()
		if out := <-w.done; !out.lead {
			return w.finish(ctx, out)
		}
	} else {
		b.busy = true
		b.mu.Unlock()
	}
	b.lead(w)
	return w.finish(ctx, w.out)
}

// finish is what a transaction's caller does after the batch: a panic of its function is
// raised again in its own goroutine, refused ID-number registrations are still recorded, and
// the followers of what it published are woken.
func (w *txWaiter) finish(ctx context.Context, out txOutcome) error {
	if out.panicked != nil {
		panic(out.panicked)
	}
	if out.committed {
		if len(out.published) > 0 {
			w.s.events.wake(out.published)
		}
		return nil
	}
	if out.err != nil && len(out.conflicts) > 0 {
		if kerr := w.s.keepConflicts(ctx, out.conflicts, out.created); kerr != nil {
			return kerr
		}
	}
	return out.err
}

// lead runs a batch of first and the transactions queued behind it, delivers their outcomes
// (first's in first.out) and hands the writer to the next waiter, if any.
func (b *txBatch) lead(first *txWaiter) {
	batch := []*txWaiter{first}
	b.commitBatch(&batch)
	for _, w := range batch[1:] {
		w.done <- w.out
	}
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.busy = false
		b.mu.Unlock()
		return
	}
	next := b.queue[0]
	b.queue = b.queue[1:]
	b.mu.Unlock()
	next.done <- txOutcome{lead: true}
}

// queued is how many transactions wait for the writer (tests).
func (b *txBatch) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// take moves queued transactions into the batch, up to txBatchMax.
func (b *txBatch) take(batch *[]*txWaiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(txBatchMax-len(*batch), len(b.queue))
	if n <= 0 {
		return
	}
	*batch = append(*batch, b.queue[:n]...)
	b.queue = append([]*txWaiter(nil), b.queue[n:]...)
}

// commitBatch begins the SQLite transaction, runs each transaction of the batch (taking more
// from the queue while there is room) and commits, setting each waiter's out.
func (b *txBatch) commitBatch(batch *[]*txWaiter) {
	s := b.s
	// fail ends the batch uncommitted: those whose own function failed keep that error, the
	// rest get err.
	fail := func(err error) {
		for _, w := range *batch {
			if w.out.err == nil && w.out.panicked == nil {
				w.out.err = err
			}
		}
	}
	ctx := context.WithoutCancel((*batch)[0].ctx)
	s.txStmts.prepareWanted(ctx)
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		fail(s.d.mapErr(err))
		return
	}
	kept := &batchWrites{stats: orderStatsBatch{}}
	for i := 0; i < len(*batch); i++ {
		w := (*batch)[i]
		if err := b.runOne(sqlTx, w, kept); err != nil {
			// The SQLite transaction itself is gone or unusable: nothing of it commits.
			_ = sqlTx.Rollback()
			fail(err)
			return
		}
		if i == len(*batch)-1 {
			b.take(batch)
		}
	}
	if err := kept.write(ctx, newTx(s, sqlTx)); err != nil {
		_ = sqlTx.Rollback()
		fail(s.d.mapErr(err))
		return
	}
	if err := sqlTx.Commit(); err != nil {
		fail(s.d.mapErr(err))
		return
	}
	b.commits.Add(1)
	if s.checkpoints != nil {
		s.checkpoints.committed()
	}
	for _, w := range *batch {
		if w.out.err == nil && w.out.panicked == nil {
			w.out.committed = true
			b.runs.Add(1)
			if w.out.accounts {
				s.tokens.invalidate()
			}
		}
	}
}

// batchWrites are what the transactions of a batch that were kept (released) leave for the
// batch to write once, before its commit: their audit records, their order statistics'
// adjustments, summed, and their events, in the order of the transactions — a statement or
// more each transaction otherwise. Only what no transaction reads waits for the batch's end:
// the transactions of a batch see each other's writes (the statistics are read from the orders
// inside a transaction only by a recount, which replaces what the batch held); audit records
// of the actions the lookup allowance counts are appended by their own transaction
// (flushAudit).
type batchWrites struct {
	audits []*model.AuditRecord
	stats  orderStatsBatch
	events []eventRow
}

// take keeps what tx, released, left for the batch.
func (k *batchWrites) take(tx *Tx) {
	k.audits = append(k.audits, tx.auditsLeft...)
	k.stats.take(tx)
	k.events = append(k.events, tx.events...)
}

// write writes it in tx, the batch's transaction.
func (k *batchWrites) write(ctx context.Context, tx *Tx) error {
	if len(k.audits) > 0 {
		if err := tx.appendAudit(ctx, k.audits); err != nil {
			return err
		}
	}
	if err := tx.writeOrderStatsOf(ctx, k.stats); err != nil {
		return err
	}
	return tx.insertEvents(ctx, k.events, true)
}

// runOne runs w's function in a savepoint of sqlTx with the flushes Store.runTx makes before
// a commit, releasing the savepoint when all succeed and rolling back to it otherwise; w.out
// says how it ended. What a released one leaves for the batch to write goes to kept. An
// error returned means the savepoint could not be released or rolled back: the transaction as
// a whole is unusable.
func (b *txBatch) runOne(sqlTx *sql.Tx, w *txWaiter, kept *batchWrites) (txErr error) {
	s := b.s
	if err := w.ctx.Err(); err != nil {
		w.out.err = err
		return nil
	}
	ctx := context.WithoutCancel(w.ctx)
	if _, err := sqlTx.ExecContext(ctx, `SAVEPOINT gc`); err != nil {
		return s.d.mapErr(err)
	}
	tx := newTx(w.s, sqlTx)
	tx.batched, tx.detached = true, true
	rollback := func() error {
		if _, err := sqlTx.ExecContext(ctx, `ROLLBACK TO gc`); err != nil {
			return fmt.Errorf("group commit: rolling back a failed transaction: %w", s.d.mapErr(err))
		}
		if _, err := sqlTx.ExecContext(ctx, `RELEASE gc`); err != nil {
			return fmt.Errorf("group commit: releasing a failed transaction: %w", s.d.mapErr(err))
		}
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			w.out.panicked = p
			txErr = rollback()
		}
	}()
	fnFailed, err := tx.runFlushed(ctx, w.fn)
	if err != nil {
		w.out.err = err
		if fnFailed {
			w.out.conflicts, w.out.created = tx.conflicts, tx.created
		}
		return rollback()
	}
	if _, err := sqlTx.ExecContext(ctx, `RELEASE gc`); err != nil {
		return s.d.mapErr(err)
	}
	kept.take(tx)
	w.out.published = tx.publishedKeys()
	w.out.accounts = *tx.accounts
	return nil
}
