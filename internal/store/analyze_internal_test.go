package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnalyzeReachesReaders: after Analyze, a reader connection that had already read the
// schema (and a statement it had prepared) plans with the new statistics. SQLite loads
// sqlite_stat1 when a connection reads the schema, and ANALYZE does not change the schema's
// version: before Analyze bumped it, the readers of a running server — and the bench's, which
// generates its orders and then measures them — planned with the statistics they read first
// until they were closed (the street's dispatch board: p99 83 ms right after generating, 13 ms
// on a reopened store, 2026-12-04).
func TestAnalyzeReachesReaders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testSQLite(t)
	// a is almost unique, b has two values: with statistics the planner looks a row up by a.
	// Without, it guesses both equal and takes the one it meets first (scratch_b, the newer).
	if err := st.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `CREATE TABLE scratch (a INTEGER, b INTEGER); CREATE INDEX scratch_a ON scratch (a); CREATE INDEX scratch_b ON scratch (b)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := st.ReadDB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const q = `SELECT a FROM scratch WHERE a = 7 AND b = 1`
	plan := func() string {
		t.Helper()
		var n int
		// The statement itself first: it is what notices a changed schema and reads it again.
		if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+q+`)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		rows, err := c.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	if p := plan(); !strings.Contains(p, "scratch_b") {
		t.Fatalf("without statistics the planner took %q; the test needs scratch_b there to show the change", p)
	}
	if err := st.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
			INSERT INTO scratch (a, b) SELECT i, i % 2 FROM n`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	if p := plan(); !strings.Contains(p, "scratch_a") {
		t.Fatalf("after Analyze a reader planned %q, want the index on a (the statistics did not reach it)", p)
	}
}

// testSQLite opens a store on a new SQLite file of the test's, closed when the test ends.
func testSQLite(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
