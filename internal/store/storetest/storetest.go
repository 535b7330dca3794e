// Package storetest opens fresh, migrated stores on every engine for tests in any package:
// a SQLite file in t.TempDir() and a PostgreSQL database of its own, dropped after the test
// (in batches: dropLater).
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
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
// PostgreSQL that is a new database on the test server; when the server does not answer the test
// is skipped, unless CI=true, where it fails.
func DSN(tb testing.TB, engine string) string {
	tb.Helper()
	switch engine {
	case "sqlite":
		return "sqlite:" + tb.TempDir() + "/test.db"
	case "postgres":
		return pgDatabase(tb, "")
	}
	tb.Fatalf("unknown engine %q", engine)
	return ""
}

// Unmigrated returns a store on a fresh, empty database of engine, closed at the end of the
// test, with the test keyring: for a migration's test, which migrates it to the version before
// the migration (MigrateTo), writes what an earlier binary left, and migrates on.
func Unmigrated(tb testing.TB, engine string) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), DSN(tb, engine), store.WithKeys(Keyring(tb)))
	if err != nil {
		tb.Fatalf("open %s: %v", engine, err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Open returns a migrated store on a fresh database of engine, closed at the end of the test,
// with the test keyring and opts. It starts as a copy of a database migrated once (see
// sqliteTemplate and pgTemplate); Migrate then finds nothing pending.
func Open(tb testing.TB, engine string, opts ...store.Option) *store.Store {
	tb.Helper()
	var dsn string
	switch engine {
	case "sqlite":
		dsn = DSN(tb, engine)
		b, err := sqliteTemplate()
		if err != nil {
			tb.Fatalf("migrated sqlite template: %v", err)
		}
		if err := os.WriteFile(strings.TrimPrefix(dsn, "sqlite:"), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	case "postgres":
		tmpl, err := pgTemplate()
		if err != nil {
			pgUnreachable(tb, err)
		}
		dsn = pgDatabase(tb, tmpl)
	default:
		tb.Fatalf("unknown engine %q", engine)
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

// pgAdmin is the process's one pool on the test server's own database, which creates and drops
// the tests' databases.
var pgAdmin = sync.OnceValues(func() (*sql.DB, error) {
	db, err := sql.Open("pgx", PostgresDSN())
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
})

// pgUnreachable skips the test, or fails it when CI=true, because the test server does not answer.
func pgUnreachable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL at %s does not answer and CI=true: %v", PostgresDSN(), err)
	}
	tb.Skipf("PostgreSQL at %s does not answer (set CI=true to make this fail): %v", PostgresDSN(), err)
}

// pgDatabase creates a database of its own for the test on the test server, a copy of the
// database template or, when template is "", an empty one; drops it at the end of the test; and
// returns its DSN. A database rather than a schema: copying a migrated database takes some 60 ms
// where migrating a schema took 1.3 s, dropping one takes no lock per table (dropping schemas
// of 60 tables side by side ran the server out of lock slots), and LISTEN/NOTIFY channels,
// which are per database, stay apart between tests.
func pgDatabase(tb testing.TB, template string) string {
	tb.Helper()
	admin, err := pgAdmin()
	if err != nil {
		pgUnreachable(tb, err)
	}
	owner, err := pgOwner()
	if err != nil {
		tb.Fatalf("test databases: %v", err)
	}
	name := owner.prefix + randomHex(6)
	create := `CREATE DATABASE ` + name // #nosec G202 -- identifiers cannot be parameters; name is gz_t_ and random hex, made here
	if template != "" {
		create += ` TEMPLATE ` + template
	}
	if _, err := admin.Exec(create); err != nil {
		if template == "" || !strings.Contains(err.Error(), "3D000") {
			tb.Fatalf("create database: %v", err)
		}
		// Another build's run dropped the template (makePGTemplate drops those of other
		// migration sets): make it again.
		if template, err = makePGTemplate(); err == nil {
			_, err = admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + template)
		}
		if err != nil {
			tb.Fatalf("create database: %v", err)
		}
	}
	tb.Cleanup(func() { dropLater(admin, name) })
	return pgDSN(name)
}

// Test databases are dropped in batches, not each at the end of its test: PostgreSQL 15
// checkpoints on every DROP DATABASE, and a checkpoint writes every dirty buffer of every
// database on the server (the pages another test's CREATE DATABASE … TEMPLATE just copied
// among them). One drop a test made `make test` checkpoint 375 times in 30 minutes and write
// 3.2 GB (2026-12-05); the drops of a batch run back to back, so that only the first of them
// finds much to write. What a process leaves pending when it exits is dropped by the next
// process that makes a test database (sweepPGDatabases): the names carry their process's
// owner key, which that process holds as an advisory lock for as long as it lives.
var (
	dropBatch   = 16
	dropMu      sync.Mutex
	dropPending []string
)

// dropLater queues the test database name and drops the queue once it holds dropBatch names.
func dropLater(admin *sql.DB, name string) {
	dropMu.Lock()
	dropPending = append(dropPending, name)
	var names []string
	if len(dropPending) >= dropBatch {
		names, dropPending = dropPending, nil
	}
	dropMu.Unlock()
	for _, n := range names {
		_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + n + ` WITH (FORCE)`)
	}
}

// pgOwnerClass is the first key of the advisory locks that mark a live process's test
// databases (the second is the process's owner key).
const pgOwnerClass = 0x677a74 // "gzt"

type owner struct {
	key    int32
	prefix string // of the process's test databases: gz_t_, the key in hex, _
	conn   *sql.Conn
}

// pgOwner is this process's owner key, locked on a connection of its own that stays open until
// the process exits; the first call also drops the databases of processes that have exited.
var pgOwner = sync.OnceValues(func() (*owner, error) {
	admin, err := pgAdmin()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return nil, err
	}
	for {
		var b [4]byte
		_, _ = rand.Read(b[:])
		key := int32(binary.BigEndian.Uint32(b[:])) // #nosec G115 -- any 32 bits will do
		var locked bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, pgOwnerClass, key).Scan(&locked); err != nil {
			conn.Close()
			return nil, err
		}
		if locked {
			if err := sweepPGDatabases(ctx, conn, key); err != nil {
				conn.Close() // and the lock with it
				return nil, err
			}
			return &owner{key: key, prefix: fmt.Sprintf("gz_t_%08x_", uint32(key)), conn: conn}, nil // #nosec G115 -- the same bits, shown unsigned
		}
	}
})

// sweepPGDatabases drops the test databases of every owner but mine whose lock is free: their
// process has exited (or never released its batch). conn is the session that holds mine.
func sweepPGDatabases(ctx context.Context, conn *sql.Conn, mine int32) error {
	byOwner, err := pgTestDatabases(ctx, conn)
	if err != nil {
		return err
	}
	for key, names := range byOwner {
		if key == mine {
			continue
		}
		var free bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, pgOwnerClass, key).Scan(&free); err != nil {
			return err
		}
		if !free {
			continue // its process is running
		}
		for _, n := range names {
			_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+n+` WITH (FORCE)`)
		}
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1, $2)`, pgOwnerClass, key); err != nil {
			return err
		}
	}
	return nil
}

// pgTestDatabases are the server's test databases by their owner's key.
func pgTestDatabases(ctx context.Context, conn *sql.Conn) (map[int32][]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname ~ '^gz_t_[0-9a-f]{8}_'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byOwner := map[int32][]string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		var k uint32
		if _, err := fmt.Sscanf(name[len("gz_t_"):len("gz_t_")+8], "%08x", &k); err != nil {
			continue
		}
		byOwner[int32(k)] = append(byOwner[int32(k)], name) // #nosec G115 -- the key's bits, read back
	}
	return byOwner, rows.Err()
}

// pgDSN is the DSN of database db on the test server.
func pgDSN(db string) string {
	u, err := url.Parse(PostgresDSN())
	if err != nil {
		panic(fmt.Sprintf("GONGZHI_TEST_PG: %v", err))
	}
	u.Path = "/" + db
	q := u.Query()
	// A test's database is thrown away: its commits need not wait for the disk. Nothing else
	// changes: isolation, locks and constraints are those of every other session.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// pgTemplate is the name of the migrated database the process copies for every PostgreSQL
// store, made by the first test that needs one (makePGTemplate).
var pgTemplate = sync.OnceValues(makePGTemplate)

// makePGTemplate returns the migrated template database of this binary's migrations
// (gz_tmpl_ and the start of store.SchemaDigest), making it when the server lacks it. The test
// binaries of one `go test` run share it: the first makes it under an advisory lock, in a
// database of another name that it renames when the migrations are done, so no process copies a
// half-migrated one. Templates of other migration sets (an older checkout's) are dropped then.
func makePGTemplate() (string, error) {
	ctx := context.Background()
	admin, err := pgAdmin()
	if err != nil {
		return "", err
	}
	digest, err := store.SchemaDigest()
	if err != nil {
		return "", err
	}
	name := "gz_tmpl_" + digest[:16]
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	const lockKey = 0x677a746d706c // "gztmpl"
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return "", err
	}
	defer func() { _, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, lockKey) }()
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil || exists {
		return name, err
	}
	build := name + "_build"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+build+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+build); err != nil {
		return "", err
	}
	kr, err := keyring()
	if err != nil {
		return "", err
	}
	st, err := store.Open(ctx, pgDSN(build), store.WithKeys(kr))
	if err != nil {
		return "", err
	}
	_, err = st.Migrate(ctx)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("migrate the template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+build+` RENAME TO `+name); err != nil {
		return "", err
	}
	old, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'gz\_tmpl\_%' AND datname <> $1 AND datname NOT LIKE '%\_build'`, name)
	if err != nil {
		return "", err
	}
	var stale []string
	for old.Next() {
		var n string
		if err := old.Scan(&n); err != nil {
			old.Close()
			return "", err
		}
		stale = append(stale, n)
	}
	old.Close()
	for _, n := range stale {
		_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+n) // one being copied right now stays
	}
	return name, nil
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
