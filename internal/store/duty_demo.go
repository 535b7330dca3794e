package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// DutyDemoStats is what SeedDutyDemo wrote.
type DutyDemoStats struct {
	Units, Months, Exemptions, Swaps, Ticks int64
}

// SeedDutyDemo gives every active unit of the demo a rotation, set-based so that a city of
// 66,000 units takes seconds: a few households exempt (every 40th unit's last household, the
// reason by the unit's id) before the months are generated, so the rule skips them; the
// rotation from three months back through eleven ahead; in a few units two households swapped
// a month (accepted requests, both months changed) and one request still waiting; and the
// checklist of the past months ticked off by their duty households, most items, as they would
// be, and the current month's first item in every third unit. Only the system scope; now is
// the demo's clock.
func (s *Store) SeedDutyDemo(ctx context.Context, sc authz.Scope, now time.Time) (DutyDemoStats, error) {
	var st DutyDemoStats
	if !sc.All {
		return st, &model.ForbiddenError{Message: "只有系统可以批量生成演示轮值"}
	}
	cur := model.ThisMonth(now)
	err := s.Tx(ctx, func(tx *Tx) error {
		ts := now.UTC().Truncate(time.Microsecond)
		reasons := []string{string(model.DutyElderlyAlone), string(model.DutyIllness), string(model.DutyAway)}
		notes := []string{"独居老人，子女在外地", "住院治疗中", "外出务工，年底回来"}
		for i := range reasons {
			until := ""
			if i == 2 {
				until = (cur + 6).String()
			}
			r, err := tx.exec(ctx, `INSERT INTO duty_exemptions (unit_id, household_id, community_id, reason, note, from_month, until_month, created_at)
				SELECT u.id, (SELECT MAX(h.id) FROM households h WHERE h.unit_id = u.id AND h.moved_out_at IS NULL), u.community_id, ?, ?, ?, ?, ?
				FROM units u WHERE u.status = 'active' AND u.households > 3 AND u.id % 40 = 7 AND u.id % 3 = ?
				AND NOT EXISTS (SELECT 1 FROM duty_exemptions e WHERE e.unit_id = u.id)`,
				reasons[i], notes[i], (cur - 3).String(), until, ts, i)
			if err != nil {
				return err
			}
			k, _ := r.RowsAffected()
			st.Exemptions += k
		}
		for _, from := range []model.Month{cur - 3, cur} {
			n, err := tx.extendRotations(ctx, `u.path >= ?`, []any{"/"}, from)
			if err != nil {
				return err
			}
			st.Units = max(st.Units, int64(n.units))
			st.Months += int64(n.months)
		}
		// Swaps in a few units: the households of the next two months exchanged them.
		a, b := (cur + 1).String(), (cur + 2).String()
		type pair struct {
			unit, community, ha, hb int64
		}
		pairs, err := queryAll(ctx, tx.conn, `SELECT u.id, u.community_id, da.household_id, db.household_id FROM units u
			JOIN unit_duty da ON da.unit_id = u.id AND da.month = ? JOIN unit_duty db ON db.unit_id = u.id AND db.month = ?
			WHERE u.status = 'active' AND u.id % 97 = 5 AND da.household_id <> db.household_id
			AND NOT EXISTS (SELECT 1 FROM duty_swaps s WHERE s.unit_id = u.id) ORDER BY u.id LIMIT 200`, []any{a, b},
			func(r rowScanner) (pair, error) {
				var p pair
				err := r.Scan(&p.unit, &p.community, &p.ha, &p.hb)
				return p, err
			})
		if err != nil {
			return err
		}
		for i, p := range pairs {
			status := model.SwapAccepted
			if i%4 == 3 {
				status = model.SwapPending
			}
			var decided any
			if status == model.SwapAccepted {
				decided = ts
				if _, err := tx.exec(ctx, `UPDATE unit_duty SET planned_household_id = COALESCE(planned_household_id, household_id),
					household_id = CASE WHEN month = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END, version = version + 1, updated_at = ?
					WHERE unit_id = ? AND month IN (?, ?)`, a, p.hb, p.ha, ts, p.unit, a, b); err != nil {
					return err
				}
			}
			if _, err := tx.exec(ctx, `INSERT INTO duty_swaps (unit_id, community_id, from_household, from_month, to_household, to_month, status, note, created_at, decided_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.unit, p.community, p.ha, a, p.hb, b, string(status), "那个月要去外地看孩子，麻烦换一下", ts.Add(-48*time.Hour), decided); err != nil {
				return err
			}
			st.Swaps++
		}
		// Ticks: the past months' duty households ticked most items; this month, every third
		// unit's household the first item.
		var values []string
		var args []any
		for i, it := range model.DefaultDutyChecklist {
			values = append(values, "SELECT CAST(? AS TEXT) AS item, CAST(? AS BIGINT) AS pos")
			args = append(args, it, i)
		}
		items := strings.Join(values, " UNION ALL ")
		r, err := tx.exec(ctx, `INSERT INTO duty_ticks (unit_id, month, item, household_id, community_id, by_name, ticked_at)
			SELECT d.unit_id, d.month, it.item, d.household_id, d.community_id, '轮值户', ?
			FROM unit_duty d CROSS JOIN (`+items+`) it
			WHERE d.month >= ? AND d.month < ? AND (d.unit_id + it.pos) % 5 <> 0
			ON CONFLICT (unit_id, month, item) DO NOTHING`,
			append(append([]any{ts}, args...), (cur-2).String(), cur.String())...)
		if err != nil {
			return err
		}
		k, _ := r.RowsAffected()
		st.Ticks += k
		r, err = tx.exec(ctx, `INSERT INTO duty_ticks (unit_id, month, item, household_id, community_id, by_name, ticked_at)
			SELECT d.unit_id, d.month, ?, d.household_id, d.community_id, '轮值户', ? FROM unit_duty d WHERE d.month = ? AND d.unit_id % 3 = 0
			ON CONFLICT (unit_id, month, item) DO NOTHING`,
			model.DefaultDutyChecklist[0], ts, cur.String())
		if err != nil {
			return err
		}
		k, _ = r.RowsAffected()
		st.Ticks += k
		if st.Units > 0 {
			tx.audit(sc, "unit.duty.demo", "unit", nil, fmt.Sprintf("%d units, %d months", st.Units, st.Months))
		}
		return nil
	})
	return st, err
}
