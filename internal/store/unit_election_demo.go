package store

import (
	"context"
	"time"

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
