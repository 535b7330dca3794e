package store

import (
	"context"
	"fmt"
	"time"
)

// SetAuditIDStep spaces the ids this store's audit appends assign (tests leave gaps to forge
// rows into) and returns a function restoring the default. Set it before the store is shared.
func (s *Store) SetAuditIDStep(n int64) (restore func()) {
	s.auditIDStep = n
	return func() { s.auditIDStep = 1 }
}

// SetAuditClock makes this store's audit appends stamp records with clock() and returns a
// function restoring the wall clock (tests write records dated years ago to purge them).
func (s *Store) SetAuditClock(clock func() time.Time) (restore func()) {
	s.auditClock = clock
	return func() { s.auditClock = nil }
}

// MigrateUpTo applies the migrations up to version v only, as an older binary would have.
func (s *Store) MigrateUpTo(ctx context.Context, v int64) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, v)
	return err
}

// MigrateApply applies the one migration v, as a binary built from a branch that had it would have.
func (s *Store) MigrateApply(ctx context.Context, v int64) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	_, err = p.ApplyVersion(ctx, v, true)
	return err
}

// RebuildMemberCounts counts every current member afresh into party_member_counts (the test
// compares what the writes maintained with it).
func (s *Store) RebuildMemberCounts(ctx context.Context) error { return s.rebuildMemberCounts(ctx) }

// TestQueryInt runs a one-row, one-integer query in tx as the store's own SQL runs.
func (tx *Tx) TestQueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, query, args, &n)
	return n, err
}

// TestExec runs a statement in tx as the store's own SQL runs.
func (tx *Tx) TestExec(ctx context.Context, query string, args ...any) error {
	_, err := tx.exec(ctx, query, args...)
	return err
}

// TxStatements counts the write connection's prepared statements and the queries that failed
// to prepare (SQLite; 0, 0 on PostgreSQL).
func (s *Store) TxStatements() (prepared, failed int) {
	if s.txStmts == nil {
		return 0, 0
	}
	s.txStmts.mu.Lock()
	defer s.txStmts.mu.Unlock()
	for _, e := range s.txStmts.lru.m {
		if e.st != nil {
			prepared++
		} else {
			failed++
		}
	}
	return prepared, failed
}

// TestQueryString runs a one-row, one-text query in tx as the store's own SQL runs.
func (tx *Tx) TestQueryString(ctx context.Context, query string, args ...any) (string, error) {
	var s string
	err := tx.queryRow(ctx, query, args, &s)
	return s, err
}

// VotedDecoysQuery is the query of the voters a ballot's transaction rewrites (blurBallot), for
// the engine of s, with its comparison ">=".
func (s *Store) VotedDecoysQuery() string { return s.d.rebind(fmt.Sprintf(votedFrom(s.d), ">=")) }

// GroupCommits counts SQLite's group commits and the transactions they committed (0, 0 on
// PostgreSQL).
func (s *Store) GroupCommits() (commits, transactions int64) {
	if s.batch == nil {
		return 0, 0
	}
	return s.batch.commits.Load(), s.batch.runs.Load()
}

// TokenCacheGeneration is the token cache's generation: a committed write that may change what
// a token resolves to advances it.
func (s *Store) TokenCacheGeneration() uint64 { return s.tokens.gen.Load() }

// TestNow is the time tx stamps its writes with (the clock of the Store it runs for).
func (tx *Tx) TestNow() time.Time { return tx.s.now() }

// StmtCacheMax is how many texts each cache of prepared statements keeps.
const StmtCacheMax = stmtCacheMax

// TestReadInt runs a one-row, one-integer query through the read pool, as the store's reads run.
func (s *Store) TestReadInt(ctx context.Context, query string) (int64, error) {
	var n int64
	err := s.reader().queryRow(ctx, query, nil, &n)
	return n, err
}

// ReadStatements counts the read pool's prepared statements and reports whether query's is one.
func (s *Store) ReadStatements(query string) (n int, kept bool) {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	e := s.stmts.lru.m[s.d.rebind(query)]
	return len(s.stmts.lru.m), e != nil && e.st != nil
}

// SetOrderStatsChunk makes a recount of the order statistics read n orders at a time.
func (s *Store) SetOrderStatsChunk(n int) { s.statsChunk = n }
