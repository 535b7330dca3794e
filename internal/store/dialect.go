package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"gongzhi/internal/model"
)

// dialect is everything that differs between the two engines. Keep it small.
type dialect struct {
	name string
	// rebind turns ? placeholders into the engine's own.
	rebind func(string) string
}

var sqliteDialect = dialect{name: "sqlite", rebind: func(q string) string { return q }}

var postgresDialect = dialect{name: "postgres", rebind: rebindDollar}

// rebindDollar turns ? into $1, $2, … (our SQL has no ? inside string literals).
func rebindDollar(q string) string {
	n := strings.Count(q, "?")
	if n == 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + n*2)
	i := 0
	for _, c := range q {
		if c == '?' {
			i++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mapErr turns driver errors into model sentinels; it is the one place that knows driver codes.
func (d dialect) mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return model.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "23P01") {
		return &conflictErr{cause: err}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &conflictErr{cause: err}
		}
	}
	return err
}

// conflictErr is a unique violation: errors.Is(err, model.ErrConflict) holds, the cause is kept.
type conflictErr struct{ cause error }

func isConflict(err error) bool {
	_, ok := err.(*conflictErr)
	return ok
}

func (e *conflictErr) Error() string { return "conflict: " + e.cause.Error() }
func (e *conflictErr) Unwrap() []error {
	return []error{model.ErrConflict, e.cause}
}

// syncSequences moves PostgreSQL's identity sequences past ids that Bulk assigned itself;
// SQLite's INTEGER PRIMARY KEY needs nothing.
func (d dialect) syncSequences(ctx context.Context, c conn) error {
	if d.name != "postgres" {
		return nil
	}
	for _, t := range []string{"territories", "households", "residents", "party_members"} {
		if _, err := c.exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`); err != nil {
			return err
		}
	}
	return nil
}

// lockForBulk keeps other writers out of the tables Bulk numbers rows in, until the transaction
// ends; readers go on. A load (BulkLoad) drops indexes and foreign keys, which needs ACCESS
// EXCLUSIVE locks on the tables they belong to and those they reference: it takes them all here,
// in one statement, rather than upgrading its locks one by one while readers hold theirs.
// SQLite's single write connection already serializes writers.
func (d dialect) lockForBulk(ctx context.Context, c conn, load bool) error {
	if d.name != "postgres" {
		return nil
	}
	q := `LOCK TABLE territories, households, residents IN EXCLUSIVE MODE`
	if load {
		q = `LOCK TABLE territories, households, household_events, residents IN ACCESS EXCLUSIVE MODE`
	}
	_, err := c.exec(ctx, q)
	return err
}

// lockMembersForBulk keeps other writers out of party_members while Bulk numbers members from
// MAX(id)+1 (Bulk.AddMember); readers go on.
func (d dialect) lockMembersForBulk(ctx context.Context, c conn) error {
	if d.name != "postgres" {
		return nil
	}
	_, err := c.exec(ctx, `LOCK TABLE party_members IN EXCLUSIVE MODE`)
	return err
}

// Analyze refreshes the planner's statistics after a bulk load. Without it PostgreSQL plans a
// freshly loaded table as nearly empty and sorts a whole subtree for a first page. On
// PostgreSQL the tables whose counts the analytics read from covering indexes are also
// vacuumed, which marks their pages all-visible: until then an index-only scan fetches every
// row from the table anyway (autovacuum would get there, later). With tables named, only
// those are analyzed (a bulk load into a few tables of a large city).
func (s *Store) Analyze(ctx context.Context, tables ...string) error {
	q := []string{`ANALYZE`}
	if len(tables) > 0 {
		q = q[:0]
		for _, t := range tables {
			q = append(q, `ANALYZE `+pgx.Identifier{t}.Sanitize())
		}
	} else if s.d.name == "postgres" {
		if _, err := s.writer().exec(ctx, `VACUUM (ANALYZE) party_orgs, party_org_life, party_members, party_member_counts, party_posts`); err != nil {
			return s.d.mapErr(err)
		}
		// Every table of the schema: a list of chosen tables left out the units' (units,
		// unit_duty, unit_counts), and on the 1M city a unit's feed then took 119 ms a request
		// and a community's coverage 34 ms, planned from no statistics (docs/benchmarks.md).
		tables, err := queryAll(ctx, s.writer(), `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`, nil,
			func(r rowScanner) (string, error) {
				var t string
				return t, r.Scan(&t)
			})
		if err != nil {
			return s.d.mapErr(err)
		}
		for i, t := range tables {
			tables[i] = pgx.Identifier{t}.Sanitize()
		}
		q = []string{`ANALYZE ` + strings.Join(tables, ", ")}
	}
	var err error
	for _, stmt := range q {
		if _, err = s.writer().exec(ctx, stmt); err != nil {
			break
		}
	}
	if err == nil && s.d.name == "sqlite" {
		// SQLite keeps the per-index counts (sqlite_stat1), which choose every plan we have,
		// and drops the samples (sqlite_stat4): with samples, each statement whose scope
		// range ("path >= ? AND path < ?") could use them is compiled again at every
		// execution, for a plan that is the same; a household page paid that four times.
		// (A build without SQLITE_ENABLE_STAT4 has no such table.)
		var n int
		if err = s.writer().queryRow(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat4'`, nil, &n); err == nil && n > 0 {
			if _, err = s.writer().exec(ctx, `DELETE FROM sqlite_stat4`); err == nil {
				_, err = s.writer().exec(ctx, `ANALYZE sqlite_schema`)
			}
		}
		// A connection reads sqlite_stat1 when it reads the schema, and ANALYZE leaves the
		// schema's version as it was: the readers (and the statements they keep prepared)
		// would plan with the statistics they read first until they were closed (after an
		// import, say; docs/benchmarks.md, issue 10's ninth pass). A schema change
		// that leaves nothing behind moves the version, so every connection reads the schema,
		// and with it the statistics, again at its next statement (TestAnalyzeReachesReaders).
		if err == nil {
			return s.Tx(ctx, func(tx *Tx) error {
				// Straight to the driver: a text run once a bulk load is no statement to keep.
				_, err := tx.tx.ExecContext(ctx, `CREATE VIEW gongzhi_analyzed AS SELECT 1; DROP VIEW gongzhi_analyzed`)
				return err
			})
		}
	}
	return s.d.mapErr(err)
}
