package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints on SQLite. In WAL mode a commit appends the pages it changed to the -wal file, and
// a checkpoint copies them back into the database file and syncs it. By default SQLite runs one
// inside the commit that takes the WAL past 1,000 pages, on the committing connection — here
// the one writer every transaction queues for: every few batches of orders it stopped to copy
// pages and wait for fsync, and everyone waited with it. A connection of its own checkpoints
// instead, in PASSIVE mode (beside the writer and the readers, never waiting for either): after
// a transaction commits, at most once every checkpointEvery, and never while nothing was written
// (a test process holds hundreds of idle stores). The writer still checkpoints when the WAL
// passes walBackstopPages: when this one falls behind, and for writes outside transactions.

// checkpointEvery is how often at most the checkpointer copies the WAL into the database file.
const checkpointEvery = 200 * time.Millisecond

// walBackstopPages is the writer's own wal_autocheckpoint (64 MiB of 4 KiB pages).
const walBackstopPages = 16384

// checkpointer checkpoints one SQLite database on a connection of its own until closed.
type checkpointer struct {
	db       *sql.DB
	written  chan struct{} // a transaction committed since the last checkpoint
	runs     atomic.Int64  // checkpoints begun (tests)
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// startCheckpointer opens a connection to the database at uri and starts checkpointing.
func startCheckpointer(uri string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, written: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// committed tells the checkpointer that a transaction committed; it never waits.
func (c *checkpointer) committed() {
	select {
	case c.written <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTimer(checkpointEvery)
	t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.written:
		}
		// Counted before it runs: once its pages reach the file, a test has counted it.
		c.runs.Add(1)
		// A checkpoint that fails (the disk full, the file locked by another process) is tried
		// again after the next commit; the writer's backstop bounds the WAL meanwhile.
		_, _ = c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		t.Reset(checkpointEvery)
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// close stops checkpointing and closes the connection; again, it does nothing.
func (c *checkpointer) close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
	return c.db.Close()
}

// truncateWAL copies the whole WAL into the database file and empties it: after a VACUUM that
// sealed personal data no page of the plaintext may stay in the -wal file. SQLite answers such
// a checkpoint busy at once (a result row, not an error) while another connection checkpoints
// — the checkpointer, every checkpointEvery at most —, so it is tried again until done, for a
// minute at most.
func (s *Store) truncateWAL(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		var busy, frames, copied int64
		if err := s.writer().queryRow(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`, nil, &busy, &frames, &copied); err != nil {
			return err
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("emptying the WAL: another connection kept it busy for a minute")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
