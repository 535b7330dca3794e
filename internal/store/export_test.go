package store

import (
	"context"
	"time"
)

// SetAuditIDStep spaces the ids audit appends assign (tests leave gaps to forge rows into) and
// returns a function restoring the default.
func SetAuditIDStep(n int64) (restore func()) {
	auditIDStep = n
	return func() { auditIDStep = 1 }
}

// SetAuditClock makes audit appends stamp records with clock() and returns a function restoring
// the store's clock (tests write records dated years ago to purge them).
func SetAuditClock(clock func() time.Time) (restore func()) {
	auditNow = clock
	return func() { auditNow = now }
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
