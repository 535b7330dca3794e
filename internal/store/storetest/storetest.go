// Package storetest opens fresh, migrated stores on every engine for tests in any package:
// a SQLite file in t.TempDir() and a PostgreSQL schema of its own, dropped at the end.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
)

// Every test binary that opens stores hashes its accounts' passwords at the test cost: see
// authz.UseTestPasswordCost (the authz package's own tests keep the production cost).
func init() { authz.UseTestPasswordCost() }

// Engines are the names tests iterate over.
var Engines = []string{"sqlite", "postgres"}

// PostgresDSN is the server tests use: GONGZHI_TEST_PG or the local default.
func PostgresDSN() string {
	if dsn := os.Getenv("GONGZHI_TEST_PG"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// DSN returns a DSN for a fresh, empty database on engine and registers its cleanup. For
// PostgreSQL that is a new schema on the test server; when the server does not answer the test
// is skipped, unless CI=true, where it fails.
func DSN(tb testing.TB, engine string) string {
	tb.Helper()
	switch engine {
	case "sqlite":
		return "sqlite:" + tb.TempDir() + "/test.db"
	case "postgres":
		base := PostgresDSN()
		admin, err := sql.Open("pgx", base)
		if err == nil {
			err = admin.PingContext(context.Background())
		}
		if err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("PostgreSQL at %s does not answer and CI=true: %v", base, err)
			}
			tb.Skipf("PostgreSQL at %s does not answer (set CI=true to make this fail): %v", base, err)
		}
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "t_" + hex.EncodeToString(b)
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			tb.Fatalf("create schema: %v", err)
		}
		tb.Cleanup(func() {
			_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			admin.Close()
		})
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatalf("GONGZHI_TEST_PG: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		// A test's database is thrown away: its commits need not wait for the disk (about a
		// third of a store's migration time). Nothing else changes: isolation, locks and
		// constraints are those of every other session.
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		return u.String()
	}
	tb.Fatalf("unknown engine %q", engine)
	return ""
}

// Open returns a migrated store on a fresh database of engine, closed at the end of the test,
// with the test keyring and opts. A SQLite store starts as a copy of a template migrated once per
// test binary (see sqliteTemplate); Migrate then finds nothing pending.
func Open(tb testing.TB, engine string, opts ...store.Option) *store.Store {
	tb.Helper()
	dsn := DSN(tb, engine)
	if engine == "sqlite" {
		b, err := sqliteTemplate()
		if err != nil {
			tb.Fatalf("migrated sqlite template: %v", err)
		}
		if err := os.WriteFile(strings.TrimPrefix(dsn, "sqlite:"), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	st, err := store.Open(context.Background(), dsn, append([]store.Option{store.WithKeys(Keyring(tb))}, opts...)...)
	if err != nil {
		tb.Fatalf("open %s: %v", engine, err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", engine, err)
	}
	return st
}

// sqliteTemplate returns the bytes of a SQLite database on which every migration has run, made
// once per test binary and kept in memory. Migrating costs about 0.2 s a store, but some 7 s
// under the race detector, which instruments the SQL engine itself (modernc.org/sqlite is Go);
// copying the file costs nothing. The template holds no data: on an empty database the
// migrations' Go steps (sealing, the audit anchor) find nothing to do, whatever the keyring.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "gongzhi-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	kr, err := keyring()
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "template.db")
	st, err := store.Open(context.Background(), "sqlite:"+file, store.WithKeys(kr))
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		st.Close()
		return nil, err
	}
	// Closing the last connection checkpoints the WAL into the file and removes it.
	if err := st.Close(); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(file + "-wal"); err == nil && fi.Size() > 0 {
		return nil, errors.New("the template's WAL was not checkpointed on close")
	}
	return os.ReadFile(file) // #nosec G304 -- the file this function just created in its own temporary directory
})

// Keyring is the fixed keyring of tests (current key "t1", an index key and the audit key
// "audit-t", constant bytes): never use it outside tests.
func Keyring(tb testing.TB) *pii.Keyring {
	tb.Helper()
	kr, err := keyring()
	if err != nil {
		tb.Fatal(err)
	}
	return kr
}

func keyring() (*pii.Keyring, error) {
	return pii.New([]pii.Key{
		{ID: "t1", Secret: bytes.Repeat([]byte{0x5a}, pii.KeySize)},
		{ID: pii.IndexKeyID, Secret: bytes.Repeat([]byte{0xa5}, pii.KeySize)},
		{ID: pii.AuditKeyPrefix + "-t", Secret: bytes.Repeat([]byte{0x3c}, pii.KeySize)},
	})
}

// Each runs f as a parallel subtest on every engine, each with its own fresh store: the two
// engines of one test run side by side, so f must not share state between them, and the caller
// must not expect Each to have finished when it returns (it is the last statement of a test).
func Each(t *testing.T, f func(t *testing.T, st *store.Store)) {
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			f(t, Open(t, e))
		})
	}
}
