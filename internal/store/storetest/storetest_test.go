package storetest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// pgExists reports whether the test server has a database of that name.
func pgExists(t *testing.T, name string) bool {
	t.Helper()
	admin, err := pgAdmin()
	if err != nil {
		pgUnreachable(t, err)
	}
	var ok bool
	if err := admin.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestDropLaterBatches: a test's database outlives its test until a batch is full, and then
// the whole batch is dropped.
func TestDropLaterBatches(t *testing.T) {
	defer func(n int) { dropBatch = n }(dropBatch)
	dropMu.Lock()
	dropBatch = len(dropPending) + 3 // what other tests left pending stays in the batch
	dropMu.Unlock()
	var names []string
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			u, err := url.Parse(pgDatabase(t, ""))
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, strings.TrimPrefix(u.Path, "/"))
		})
		for j, n := range names {
			if got, want := pgExists(t, n), i < 2; got != want {
				t.Fatalf("after test %d ended: database %d (%s) exists %v, want %v", i, j, n, got, want)
			}
		}
	}
}

// TestSweepDropsExitedOwners: the sweep drops the test databases of an owner whose lock is
// free and keeps those of an owner whose lock is held.
func TestSweepDropsExitedOwners(t *testing.T) {
	ctx := context.Background()
	admin, err := pgAdmin()
	if err != nil {
		pgUnreachable(t, err)
	}
	me, err := pgOwner()
	if err != nil {
		t.Fatal(err)
	}
	live, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	liveKey, goneKey := int32(-0x5eed0001), int32(0x5eed0002)
	if _, err := live.ExecContext(ctx, `SELECT pg_advisory_lock($1, $2)`, pgOwnerClass, liveKey); err != nil {
		t.Fatal(err)
	}
	liveDB := fmt.Sprintf("gz_t_%08x_%s", uint32(liveKey), randomHex(6))
	goneDB := fmt.Sprintf("gz_t_%08x_%s", uint32(goneKey), randomHex(6))
	for _, n := range []string{liveDB, goneDB} {
		if _, err := admin.Exec(`CREATE DATABASE ` + n); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + n + ` WITH (FORCE)`) })
	}
	if err := sweepPGDatabases(ctx, me.conn, me.key); err != nil {
		t.Fatal(err)
	}
	if !pgExists(t, liveDB) || pgExists(t, goneDB) {
		t.Fatalf("after a sweep: live owner's database exists %v (want true), exited owner's %v (want false)", pgExists(t, liveDB), pgExists(t, goneDB))
	}
	if _, err := live.ExecContext(ctx, `SELECT pg_advisory_unlock($1, $2)`, pgOwnerClass, liveKey); err != nil {
		t.Fatal(err)
	}
	if err := sweepPGDatabases(ctx, me.conn, me.key); err != nil {
		t.Fatal(err)
	}
	if pgExists(t, liveDB) {
		t.Fatal("the sweep kept the database of an owner whose lock was released")
	}
}
