package store

import (
	"database/sql"
	"sync"
	"time"
)

// Checkpoints on SQLite. In WAL mode a commit appends the pages it changed to the -wal file, and
// a checkpoint copies them back into the database file and syncs it. By default SQLite runs one
// inside the commit that takes the WAL past 1,000 pages, on the committing connection — here
// the one writer every transaction queues for: every few batches of orders it stopped to copy
// pages and wait for fsync, and everyone waited with it. A connection of its own checkpoints
// every checkpointEvery instead, in PASSIVE mode (beside the writer and the readers, never
// waiting for either). The writer still checkpoints when the WAL passes walBackstopPages, which
// only happens when this one falls behind.

// checkpointEvery is how often the checkpointer copies the WAL into the database file.
const checkpointEvery = 200 * time.Millisecond

// walBackstopPages is the writer's own wal_autocheckpoint (64 MiB of 4 KiB pages).
const walBackstopPages = 16384

// checkpointer checkpoints one SQLite database on a connection of its own until closed.
type checkpointer struct {
	db       *sql.DB
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
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// A checkpoint that fails (the disk full, the file locked by another process) is
			// tried again at the next tick; the writer's backstop bounds the WAL meanwhile.
			_, _ = c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// close stops checkpointing and closes the connection; again, it does nothing.
func (c *checkpointer) close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
	return c.db.Close()
}
