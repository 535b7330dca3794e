package securitytest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gongzhi/internal/store"
)

// journal records every row written to the world's database: a trigger on every table appends
// (table, operation) to zz_journal for each row inserted, updated or deleted. A test reads the
// last entry before a request and the entries after it to prove the request changed nothing.
// The audit log and the sessions are left out: a denied request is audited by design, and every
// request with a session touches it. The triggers exist only in the test's own database.
type journal struct {
	st  *store.Store
	arg string // the engine's placeholder
}

// journalExempt are the tables a denied request may write.
func journalExempt(table string) bool {
	return strings.HasPrefix(table, "audit") || table == "sessions" || table == "zz_journal"
}

func newJournal(tb testing.TB, st *store.Store) *journal {
	tb.Helper()
	ctx := context.Background()
	db := st.DB()
	postgres := st.Engine() == "postgres"
	listTables := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	stmts := []string{`CREATE TABLE zz_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL)`}
	if postgres {
		listTables = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`
		stmts = []string{
			`CREATE TABLE zz_journal (seq BIGSERIAL PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL)`,
			`CREATE FUNCTION zz_journal_row() RETURNS trigger LANGUAGE plpgsql AS $$
			 BEGIN INSERT INTO zz_journal (tbl, op) VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$`,
		}
	}
	rows, err := db.QueryContext(ctx, listTables)
	if err != nil {
		tb.Fatalf("journal: list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			tb.Fatal(err)
		}
		if !journalExempt(name) {
			tables = append(tables, name)
		}
	}
	rows.Close()
	if len(tables) < 5 {
		tb.Fatalf("journal: only %d tables (%v)", len(tables), tables)
	}
	for _, t := range tables {
		if postgres {
			stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER zz_journal_%s AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION zz_journal_row()`, t, t))
			continue
		}
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER zz_journal_%s_%s AFTER %s ON %s BEGIN INSERT INTO zz_journal (tbl, op) VALUES ('%s', '%s'); END`,
				t, strings.ToLower(op), op, t, t, op))
		}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			tb.Fatalf("journal: %s: %v", s, err)
		}
	}
	j := &journal{st: st, arg: "?"}
	if postgres {
		j.arg = "$1"
	}
	// Self-check: a write that changes no value is still a write, and the journal sees it.
	mark := j.mark(tb)
	if _, err := db.ExecContext(ctx, `UPDATE users SET display_name = display_name`); err != nil {
		tb.Fatal(err)
	}
	if j.since(tb, mark) == "" {
		tb.Fatal("journal: a planted UPDATE of users left no entry")
	}
	return j
}

// mark is the last entry of the journal.
func (j *journal) mark(tb testing.TB) int64 {
	tb.Helper()
	var n int64
	if err := j.st.DB().QueryRowContext(context.Background(), `SELECT COALESCE(MAX(seq), 0) FROM zz_journal`).Scan(&n); err != nil {
		tb.Fatalf("journal: %v", err)
	}
	return n
}

// since lists the rows written after mark as "table operation ×n", empty when nothing was.
func (j *journal) since(tb testing.TB, mark int64) string {
	tb.Helper()
	rows, err := j.st.DB().QueryContext(context.Background(), `SELECT tbl, op, COUNT(*) FROM zz_journal WHERE seq > `+j.arg+` GROUP BY tbl, op ORDER BY 1, 2`, mark)
	if err != nil {
		tb.Fatalf("journal: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var tbl, op string
		var n int
		if err := rows.Scan(&tbl, &op, &n); err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s ×%d", tbl, strings.ToLower(op), n))
	}
	return strings.Join(out, ", ")
}
