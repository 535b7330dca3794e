package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// ElectDemoLeaders gives every active unit without a leader an elected one, for the demo city:
// the head of its household with the highest id (deterministic), method elected, a term of
// model.DefaultTermMonths from since. Set-based, in batches of unit ids, so that a city of a
// million households (~66,000 units) takes a few dozen statements, never one per unit. It
// returns how many units got a leader. The coverage counters (units with a leader) are
// rebuilt once at the end, as after any bulk load (RebuildUnitCounts).
func (s *Store) ElectDemoLeaders(ctx context.Context, since time.Time) (int64, error) {
	since = day(since)
	until := model.TermEnd(since, model.DefaultTermMonths)
	var lo, hi int64
	if err := s.reader().queryRow(ctx, `SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM units`, nil, &lo, &hi); err != nil {
		return 0, err
	}
	const batch = 5000
	var total int64
	for from := lo; from <= hi && hi > 0; from += batch {
		err := s.Tx(ctx, func(tx *Tx) error {
			res, err := tx.exec(ctx, `UPDATE units SET leader_household_id = (SELECT MAX(h.id) FROM households h
				WHERE h.unit_id = units.id AND h.moved_out_at IS NULL AND h.head_name <> ''),
				leader_method = ?, leader_since = ?, leader_until = ?, leader_reason = '', updated_at = ?
				WHERE id >= ? AND id < ? AND status = 'active' AND leader_household_id IS NULL
				AND EXISTS (SELECT 1 FROM households h WHERE h.unit_id = units.id AND h.moved_out_at IS NULL AND h.head_name <> '')`,
				string(model.LeaderElected), since, until, now(), from, from+batch)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
			_, err = tx.exec(ctx, `UPDATE units SET leader_resident_id = (SELECT MIN(r.id) FROM residents r
				WHERE r.household_id = units.leader_household_id AND r.relation = ?)
				WHERE id >= ? AND id < ? AND leader_household_id IS NOT NULL AND leader_resident_id IS NULL`,
				string(model.RelationHead), from, from+batch)
			return err
		})
		if err != nil {
			return total, err
		}
	}
	if total == 0 {
		return 0, nil
	}
	return total, s.RebuildUnitCounts(ctx)
}

// AsOf returns a view of the store whose clock reads clock: the demo holds its past elections
// through the real election functions (OpenUnitElection, CloseUnitElection, CastDemoVote) at
// the times they took place, so their records, terms and events carry those times. The view
// shares the database; it is for seeding, not serving (its sessions and TOTP follow the clock
// too).
func (s *Store) AsOf(clock func() time.Time) *Store {
	v := *s
	v.clock = clock
	return &v
}

// CastDemoVote casts the vote of household (a current household of the election's unit) for
// candidate in election id as Vote does — the turnout, the voters' row whose key refuses a
// second vote, every tally in one statement, no link between the household and its choice —
// for a demo household that has no account; proxy records it as cast by staff. Errors as Vote.
func (s *Store) CastDemoVote(ctx context.Context, id, household, candidate int64, proxy bool) error {
	return s.Tx(ctx, func(tx *Tx) error {
		e, err := tx.election(ctx, authz.System(), id)
		if err != nil {
			return err
		}
		var unit sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ? AND moved_out_at IS NULL`, []any{household}, &unit); err != nil {
			return err
		}
		if unit.Int64 != e.UnitID {
			return fieldErr("household_id", "只有本联建单元的住户可以投票")
		}
		return tx.castVote(ctx, authz.System(), e, household, candidate, proxy)
	})
}

// AccountUnit returns the resident linked to account userID, that resident's household and
// the household's current unit (zeros for what it lacks), for the demo's accounts.
func (s *Store) AccountUnit(ctx context.Context, userID int64) (resident, household, unit int64, err error) {
	var r, h, u sql.NullInt64
	err = s.reader().queryRow(ctx, `SELECT u.resident_id, r.household_id, h.unit_id FROM users u
		LEFT JOIN residents r ON r.id = u.resident_id LEFT JOIN households h ON h.id = r.household_id AND h.moved_out_at IS NULL
		WHERE u.id = ?`, []any{userID}, &r, &h, &u)
	if errors.Is(err, model.ErrNotFound) {
		return 0, 0, 0, nil
	}
	return r.Int64, h.Int64, u.Int64, err
}

// LinkedResidents returns the residents linked to an account.
func (s *Store) LinkedResidents(ctx context.Context) (map[int64]bool, error) {
	out := map[int64]bool{}
	err := eachRow(ctx, s.reader(), `SELECT resident_id FROM users WHERE resident_id IS NOT NULL`, nil, func(r rowScanner) error {
		var id int64
		err := r.Scan(&id)
		out[id] = true
		return err
	})
	return out, err
}
