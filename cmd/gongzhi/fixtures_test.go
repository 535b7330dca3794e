package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/config"
	"gongzhi/internal/store"
)

// demoEnv is the environment of the shared demo runs: an admin password and second-factor
// secret of the operator's choosing, which TestDemoLoadsOnceAndPrintsAccounts checks.
func demoEnv(k string) string {
	switch k {
	case "GONGZHI_ADMIN_PASSWORD":
		return "the boss's own passphrase"
	case "GONGZHI_ADMIN_TOTP_SECRET":
		return "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
	}
	return ""
}

// demoCity is `gongzhi demo --households 300 --no-serve` run twice on one SQLite file (the
// second run finds the city and gives the accounts fresh passwords, as a user's second start
// does): what the two runs printed, and the directory holding demo.db and its key file.
type demoCity struct {
	dir           string
	first, second string
	err           error
}

// fixtureRoot is the directory of the fixtures the package's tests share (each on a copy of its
// own), made and removed by TestMain.
var fixtureRoot string

// sharedDemo is the demo city, made once per test binary for every test that reads it (each
// on a copy of its own, see mustDemoCopy): generating it under the race detector was most of
// this package's time when each test made its own.
var sharedDemo = sync.OnceValue(func() demoCity {
	dir := filepath.Join(fixtureRoot, "demo")
	c := demoCity{dir: dir}
	if err := os.Mkdir(dir, 0o700); err != nil {
		c.err = err
		return c
	}
	db := "sqlite:" + filepath.Join(dir, "demo.db")
	var outs [2]bytes.Buffer
	for i := range outs {
		var errOut bytes.Buffer
		if err := run(context.Background(), []string{"demo", "--db", db, "--households", "300", "--no-serve"}, demoEnv, &outs[i], &errOut); err != nil {
			c.err = fmt.Errorf("demo run %d: %w\n%s", i+1, err, errOut.String())
			return c
		}
	}
	c.first, c.second = outs[0].String(), outs[1].String()
	return c
})

// mustDemoCopy returns the DSN of a copy of the shared demo city (database and key file) in
// t's temporary directory, and the shared runs' output.
func mustDemoCopy(t *testing.T) (string, demoCity) {
	t.Helper()
	c := sharedDemo()
	if c.err != nil {
		t.Fatal(c.err)
	}
	dir := t.TempDir()
	mustCopyFiles(t, c.dir, dir)
	return "sqlite:" + filepath.Join(dir, "demo.db"), c
}

// mustDemoStore opens a copy of the shared demo city (mustDemoCopy), closed when t ends.
func mustDemoStore(t *testing.T) *store.Store {
	t.Helper()
	db, _ := mustDemoCopy(t)
	st, err := open(context.Background(), config.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// migrated is the directory of a SQLite file g.db on which `gongzhi migrate` ran, with the key
// file g.db.keys it made: migrating costs several seconds a database under the race detector.
var migrated = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(fixtureRoot, "migrated")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "--db", "sqlite:" + filepath.Join(dir, "g.db")}, noenv, &out, &errOut); err != nil {
		return "", fmt.Errorf("migrate: %w\n%s", err, errOut.String())
	}
	return dir, nil
})

// mustMigrate is `gongzhi migrate --db db` for a test's fresh SQLite file named g.db: it copies
// the shared migrated database and its key file there.
func mustMigrate(t *testing.T, db string) {
	t.Helper()
	path := strings.TrimPrefix(db, "sqlite:")
	if filepath.Base(path) != "g.db" {
		t.Fatalf("mustMigrate(%s): the shared database is named g.db", db)
	}
	dir, err := migrated()
	if err != nil {
		t.Fatal(err)
	}
	mustCopyFiles(t, dir, filepath.Dir(path))
}

// mustCopyFiles copies the files of directory from into directory to.
func mustCopyFiles(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name())) // #nosec G304 -- the package's own fixture directory
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gongzhi-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
