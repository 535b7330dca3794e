// Package storetest opens fresh, migrated stores on every engine for tests in any package:
// a SQLite file in t.TempDir() and a PostgreSQL schema of its own, dropped at the end.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"gongzhi/internal/pii"
	"gongzhi/internal/store"
)

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
		u.RawQuery = q.Encode()
		return u.String()
	}
	tb.Fatalf("unknown engine %q", engine)
	return ""
}

// Open returns a migrated store on a fresh database of engine, closed at the end of the test,
// with the test keyring and opts.
func Open(tb testing.TB, engine string, opts ...store.Option) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), DSN(tb, engine), append([]store.Option{store.WithKeys(Keyring(tb))}, opts...)...)
	if err != nil {
		tb.Fatalf("open %s: %v", engine, err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", engine, err)
	}
	return st
}

// Keyring is the fixed keyring of tests (current key "t1", an index key and the audit key
// "audit-t", constant bytes): never use it outside tests.
func Keyring(tb testing.TB) *pii.Keyring {
	tb.Helper()
	kr, err := pii.New([]pii.Key{
		{ID: "t1", Secret: bytes.Repeat([]byte{0x5a}, pii.KeySize)},
		{ID: pii.IndexKeyID, Secret: bytes.Repeat([]byte{0xa5}, pii.KeySize)},
		{ID: pii.AuditKeyPrefix + "-t", Secret: bytes.Repeat([]byte{0x3c}, pii.KeySize)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return kr
}

// Each runs f as a subtest on every engine, each with its own fresh store.
func Each(t *testing.T, f func(t *testing.T, st *store.Store)) {
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) {
			f(t, Open(t, e))
		})
	}
}
