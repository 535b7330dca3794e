package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
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

// TestWALKeptWritesEachCommit drives what a WAL file keeps with the writes SQLite makes, into
// a file in memory: the file ends up with the same bytes, nothing of a commit is left kept
// when its page is written — even when the page no longer fits what is kept (the frames
// before it are written first, and the page with them) — a write elsewhere writes what is
// kept first, and a new WAL's header drops what a transaction rolled back had spilled.
func TestWALKeptWritesEachCommit(t *testing.T) {
	t.Parallel()
	tls := libc.NewTLS()
	defer tls.Close()
	src := libc.Xmalloc(tls, 4096)
	defer libc.Xfree(tls, src)
	var file []byte
	calls := 0
	write := func(_ *libc.TLS, _, p uintptr, n int32, off int64) int32 {
		calls++
		if end := off + int64(n); end > int64(len(file)) {
			file = append(file, make([]byte, end-int64(len(file)))...)
		}
		copy(file[off:], cbytes(p, int64(n)))
		return sqlite3.SQLITE_OK
	}
	var want []byte
	put := func(k *walKept, off int64, b []byte) {
		t.Helper()
		copy(cbytes(src, int64(len(b))), b)
		if rc := k.add(tls, 0, src, int32(len(b)), off, write); rc != sqlite3.SQLITE_OK {
			t.Fatalf("add at %d: %d", off, rc)
		}
		if end := off + int64(len(b)); end > int64(len(want)) {
			want = append(want, make([]byte, end-int64(len(want)))...)
		}
		copy(want[off:], b)
	}
	frame := func(k *walKept, off int64, pgno byte, commit bool) int64 {
		hdr := make([]byte, walFrameHeader)
		hdr[3] = pgno
		if commit {
			hdr[7] = 9 // the database's size in pages
		}
		put(k, off, hdr)
		put(k, off+walFrameHeader, bytes.Repeat([]byte{pgno}, 4096))
		return off + walFrameHeader + 4096
	}
	k := &walKept{}
	defer k.free(tls)
	// 1,018 frames fill all but 144 bytes of walKeepMax; the commit frame's header fits, its
	// page does not.
	off := frame(k, 0, 1, false)
	for i := 1; i < 1018; i++ {
		off = frame(k, off, byte(i), false)
	}
	if calls != 0 || k.n != off {
		t.Fatalf("%d writes before the commit, %d bytes kept; want none and %d", calls, k.n, off)
	}
	off = frame(k, off, 7, true)
	if k.n != 0 || !bytes.Equal(file, want) {
		t.Fatalf("after the commit frame %d bytes are still kept (file %d bytes, want %d)", k.n, len(file), len(want))
	}
	// A small commit: one write.
	calls = 0
	off = frame(k, off, 8, false)
	off = frame(k, off, 9, true)
	if calls != 1 || k.n != 0 || !bytes.Equal(file, want) {
		t.Fatalf("a two-frame commit: %d writes, %d bytes kept", calls, k.n)
	}
	// A page written again in place, before the commit: what is kept goes first.
	next := frame(k, off, 10, false)
	put(k, off+walFrameHeader, bytes.Repeat([]byte{11}, 4096))
	if k.n != 4096 || !bytes.Equal(file[:off+walFrameHeader], want[:off+walFrameHeader]) {
		t.Fatalf("a write elsewhere: %d bytes kept, want the page's 4096", k.n)
	}
	next = frame(k, next, 12, true)
	if k.n != 0 || !bytes.Equal(file, want) {
		t.Fatalf("after the rewritten page's commit: %d bytes kept, file differs: %v", k.n, !bytes.Equal(file, want))
	}
	// Spilled frames of a transaction rolled back, then a new WAL: they are not written.
	frame(k, next, 13, false)
	calls, size := 0, len(file)
	put(k, 0, make([]byte, 32)) // the new WAL's header
	frame(k, 32, 14, true)
	if calls != 1 || len(file) != size {
		t.Fatalf("a new WAL after a rolled back spill: %d writes, the file %d bytes from %d", calls, len(file), size)
	}
}
