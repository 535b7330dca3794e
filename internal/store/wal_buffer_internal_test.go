package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWALBufferCommitsInOneWrite: the store's SQLite connections open their databases with
// walVFS; a commit's WAL frames — two writes each without it — reach the file in one write,
// or a few for a transaction larger than walKeepMax; every reader sees each commit as soon as
// it is reported; and SQLite opening the file without walVFS reads it whole. Not parallel:
// walWrites counts the writes of the whole process.
func TestWALBufferCommitsInOneWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	st, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if !walReady {
		t.Fatal("walVFS was not registered")
	}
	if _, err := st.write.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("页", 2000) // 6 KB a row: pages of its own
	insert := func(from, n int) {
		t.Helper()
		if err := st.Tx(ctx, func(tx *Tx) error {
			for id := from; id < from+n; id++ {
				if _, err := tx.exec(ctx, `INSERT INTO t (id, body) VALUES (?, ?)`, id, fmt.Sprint(id, body)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(from, n int) {
		t.Helper()
		var got int
		if err := st.read.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE id >= ? AND id < ? AND body LIKE '%页'`, from, from+n).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Fatalf("right after its commit a reader sees %d of the %d rows from %d", got, n, from)
		}
	}
	// Each commit changes 10 pages or more (two a row, the table's and its root), 20 writes
	// or more without walVFS. A commit that begins a new WAL (after the checkpointer reset it)
	// takes a second: SQLite syncs the new WAL's header before its frames.
	all := walWrites.Load()
	for i := range 40 {
		writes := walWrites.Load()
		insert(i*5+1, 5)
		if got := walWrites.Load() - writes; got < 1 || got > 2 {
			t.Fatalf("commit %d took %d writes, want 1 (2 with a new WAL's header)", i, got)
		}
		seen(i*5+1, 5)
	}
	if got := walWrites.Load() - all; got > 50 {
		t.Errorf("40 commits took %d writes", got)
	}
	// Larger than walKeepMax: written as it fills, all there.
	writes := walWrites.Load()
	insert(1000, 1000)
	if got := walWrites.Load() - writes; got < 2 || got > 100 {
		t.Errorf("a 6 MB commit took %d writes", got)
	}
	seen(1000, 1000)
	// A transaction that fails keeps nothing, and the next commits as before.
	if err := st.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO t (id, body) VALUES (?, ?)`, 5000, body); err != nil {
			return err
		}
		return fmt.Errorf("given up")
	}); err == nil {
		t.Fatal("a failed transaction reported committed")
	}
	insert(6000, 3)
	seen(6000, 3)
	// The database and its WAL as they are now, as a crash would leave them, read by SQLite
	// without walVFS (no -shm: it recovers the WAL's index from the WAL itself).
	copied := filepath.Join(t.TempDir(), "copy.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(copied+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	plain, err := sql.Open("sqlite", "file:"+copied)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var check string
	var rows int
	if err := plain.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check without walVFS: %q, %v", check, err)
	}
	if err := plain.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&rows); err != nil || rows != 1203 {
		t.Fatalf("without walVFS: %d rows, %v; want 1203", rows, err)
	}
}
