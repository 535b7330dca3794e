package store

import (
	"context"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Bounded audit growth (SECURITY.md, "Audit log"): what anyone on the network can cause without
// an account — a request refused for want of a login, a login refused without counting a
// failure (unknown username, disabled or locked account) — is counted in audit_denials per
// minute, client address, route and outcome, and only the first of each such minute becomes an
// audit record. So a flood of anonymous requests adds one record per source, route and minute,
// while every denial of a logged-in user, every wrong password of an existing account (at most
// MaxFailedLogins before the lock) and every lockout is still a record of its own.

// DenialCount is one counter of audit_denials: how many identical refusals of anonymous
// requests came from Source to Route in the minute starting at Minute.
type DenialCount struct {
	Minute  time.Time
	Source  string
	Route   string
	Outcome string
	Action  string
	Count   int64
}

// countDenial counts one aggregated refusal and reports whether it is the first of its minute,
// source, route and outcome (the caller then writes its audit record). The database decides
// that: one INSERT … ON CONFLICT DO UPDATE, so of concurrent requests on any number of instances
// exactly one sees 1.
func (tx *Tx) countDenial(ctx context.Context, route, outcome, action string) (bool, error) {
	minute := tx.s.auditNow().Truncate(time.Minute)
	source := authz.RequestFrom(ctx).Source
	var n int64
	err := tx.queryRow(ctx, `INSERT INTO audit_denials (minute, source, route, outcome, action, count) VALUES (?, ?, ?, ?, ?, 1)
		ON CONFLICT (minute, source, route, outcome) DO UPDATE SET count = audit_denials.count + 1
		RETURNING count`, []any{minute, clip(source, 100), clip(route, 200), clip(outcome, 200), action}, &n)
	if err != nil {
		return false, fmt.Errorf("count denial: %w", err)
	}
	return n == 1, nil
}

// anonymous reports whether sc is a caller without an account (not the operator's System scope).
func anonymous(sc authz.Scope) bool { return sc.UserID == 0 && !sc.All && sc.Role == "" }

// DenialCounts returns the counters of audit_denials whose minute lies in [from, to), oldest
// first; zero times do not bound. Only the unscoped (system admin, operator) may read them:
// anonymous requests belong to no territory. Other scopes get model.ErrForbidden.
func (s *Store) DenialCounts(ctx context.Context, sc authz.Scope, from, to time.Time) ([]DenialCount, error) {
	if !sc.All {
		return nil, model.ErrForbidden
	}
	q := `SELECT minute, source, route, outcome, action, count FROM audit_denials WHERE 1 = 1`
	var args []any
	if !from.IsZero() {
		q, args = q+` AND minute >= ?`, append(args, from.UTC())
	}
	if !to.IsZero() {
		q, args = q+` AND minute < ?`, append(args, to.UTC())
	}
	rows, err := s.reader().query(ctx, q+` ORDER BY minute, source, route, outcome`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DenialCount
	for rows.Next() {
		var c DenialCount
		if err := rows.Scan(&c.Minute, &c.Source, &c.Route, &c.Outcome, &c.Action, &c.Count); err != nil {
			return nil, err
		}
		c.Minute = c.Minute.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
