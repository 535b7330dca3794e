package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The monthly duty checklist: each community defines its items (model.DefaultDutyChecklist
// where it defined none); the duty household of a month ticks them off, or staff and the unit's
// leader for it. A tick names who ticked and when; unticking removes it.

// DutyChecklist returns a community's checklist and whether the community defined it (false:
// the defaults). The community must lie in the scope, or hold the caller's unit or household.
func (s *Store) DutyChecklist(ctx context.Context, sc authz.Scope, communityID int64) ([]string, bool, error) {
	c := s.reader()
	if _, err := c.territory(ctx, sc, communityID); err != nil {
		return nil, false, err
	}
	return c.dutyChecklist(ctx, communityID)
}

func (c conn) dutyChecklist(ctx context.Context, communityID int64) ([]string, bool, error) {
	items, err := queryAll(ctx, c, `SELECT item FROM duty_checklists WHERE community_id = ? ORDER BY position`, []any{communityID},
		func(r rowScanner) (string, error) {
			var s string
			err := r.Scan(&s)
			return s, err
		})
	if err != nil || len(items) > 0 {
		return items, len(items) > 0, err
	}
	return slices.Clone(model.DefaultDutyChecklist), false, nil
}

// SetDutyChecklist replaces a community's checklist (staff whose scope holds the community);
// no items restores the defaults. Ticks already made keep their item's words.
func (s *Store) SetDutyChecklist(ctx context.Context, sc authz.Scope, communityID int64, items []string) ([]string, error) {
	var out []string
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, communityID)
		if err != nil {
			return err
		}
		if t.Kind != model.KindCommunity {
			return fieldErr("community_id", "轮值清单按社区设置，所选节点是"+t.Kind.Label())
		}
		if len(items) > 0 {
			if out, err = model.ValidateChecklist(items); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM duty_checklists WHERE community_id = ?`, communityID); err != nil {
			return err
		}
		ts := now()
		for i, it := range out {
			if _, err := tx.exec(ctx, `INSERT INTO duty_checklists (community_id, position, item, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)`,
				communityID, i+1, it, nullID(sc.UserID), ts); err != nil {
				return err
			}
		}
		if len(out) == 0 {
			out = slices.Clone(model.DefaultDutyChecklist)
		}
		tx.auditAt(sc, t.Path, "unit.duty.checklist", "territory", []int64{communityID}, strings.Join(out, "、"))
		return nil
	})
	return out, err
}

// ChecklistEntry is one item of a month's checklist with its tick (nil: not done).
type ChecklistEntry struct {
	Item string
	Tick *model.DutyTick
}

// MonthChecklist is a unit's checklist for one month.
type MonthChecklist struct {
	UnitID      int64
	Month       string
	HouseholdID int64 // the month's duty household, 0 when none
	Address     string
	Entries     []ChecklistEntry
	// CanTick: the caller may tick this month (its household's month, or staff or the unit's
	// leader, for a month that has begun).
	CanTick bool
}

// DutyMonthChecklist returns unit's checklist for month (YYYY-MM) with its ticks, for those who
// may read the unit's rotation.
func (s *Store) DutyMonthChecklist(ctx context.Context, sc authz.Scope, unitID int64, month string) (*MonthChecklist, error) {
	c := s.reader()
	u, own, err := c.dutyUnit(ctx, sc, unitID)
	if err != nil {
		return nil, err
	}
	m, err := model.ParseMonth(month)
	if err != nil {
		return nil, fieldErr("month", err.Error())
	}
	return c.monthChecklist(ctx, sc, u, own, m, model.ThisMonth(s.now()))
}

func (c conn) monthChecklist(ctx context.Context, sc authz.Scope, u *model.Unit, own int64, m, cur model.Month) (*MonthChecklist, error) {
	mc := &MonthChecklist{UnitID: u.ID, Month: m.String()}
	err := c.queryRow(ctx, `SELECT d.household_id, h.address FROM unit_duty d JOIN households h ON h.id = d.household_id WHERE d.unit_id = ? AND d.month = ?`,
		[]any{u.ID, m.String()}, &mc.HouseholdID, &mc.Address)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, err
	}
	items, _, err := c.dutyChecklist(ctx, u.CommunityID)
	if err != nil {
		return nil, err
	}
	ticks := map[string]*model.DutyTick{}
	if err := eachRow(ctx, c, `SELECT item, by_name, ticked_at, COALESCE(household_id, 0) FROM duty_ticks WHERE unit_id = ? AND month = ?`, []any{u.ID, m.String()},
		func(r rowScanner) error {
			var t model.DutyTick
			var h int64
			if err := r.Scan(&t.Item, &t.TickedBy, &t.TickedAt, &h); err != nil {
				return err
			}
			t.ByDutyHome = h != 0 && h == mc.HouseholdID
			ticks[t.Item] = &t
			return nil
		}); err != nil {
		return nil, err
	}
	for _, it := range items {
		mc.Entries = append(mc.Entries, ChecklistEntry{Item: it, Tick: ticks[it]})
		delete(ticks, it)
	}
	// Ticks of items the community has since reworded or dropped stay visible.
	var rest []string
	for it := range ticks {
		rest = append(rest, it)
	}
	slices.Sort(rest)
	for _, it := range rest {
		mc.Entries = append(mc.Entries, ChecklistEntry{Item: it, Tick: ticks[it]})
	}
	mc.CanTick = m <= cur && mc.HouseholdID != 0 && (own != 0 && own == mc.HouseholdID || !householdRole(sc.Role))
	return mc, nil
}

// TickDuty ticks (done) or unticks item of unit's checklist for month. Only the month's duty
// household (an account linked to one of its residents), staff in scope or the unit's leader
// may, and only for a month that has begun and has a duty household; the item must be on the
// community's checklist. Ticking a ticked item keeps the first tick. Refusals change nothing:
// a household ticking another's month is ErrForbidden with the reason.
func (s *Store) TickDuty(ctx context.Context, sc authz.Scope, unitID int64, month, item string, done bool) (*MonthChecklist, error) {
	var out *MonthChecklist
	err := s.Tx(ctx, func(tx *Tx) error {
		u, own, err := tx.dutyUnit(ctx, sc, unitID)
		if err != nil {
			return err
		}
		m, err := model.ParseMonth(month)
		if err != nil {
			return fieldErr("month", err.Error())
		}
		cur := model.ThisMonth(tx.s.now())
		mc, err := tx.monthChecklist(ctx, sc, u, own, m, cur)
		if err != nil {
			return err
		}
		switch {
		case mc.HouseholdID == 0:
			return fieldErr("month", m.Label()+"没有排轮值户")
		case m > cur:
			return fieldErr("month", m.Label()+"还没到，到了轮值月份再打勾")
		case householdRole(sc.Role) && own != mc.HouseholdID:
			return &model.ForbiddenError{Message: m.Label() + "不是您家的轮值月份，只有当月的轮值户可以打勾"}
		}
		if !slices.ContainsFunc(mc.Entries, func(e ChecklistEntry) bool { return e.Item == item }) {
			return fieldErr("item", "“"+item+"”不在本社区的轮值清单中")
		}
		if done {
			var name string
			if err := tx.queryRow(ctx, `SELECT COALESCE(NULLIF(display_name, ''), username) FROM users WHERE id = ?`, []any{sc.UserID}, &name); err != nil && !errors.Is(err, model.ErrNotFound) {
				return err
			}
			var h any
			if own != 0 {
				h = own
			}
			if _, err := tx.exec(ctx, `INSERT INTO duty_ticks (unit_id, month, item, household_id, community_id, ticked_by, by_name, ticked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (unit_id, month, item) DO NOTHING`, unitID, m.String(), item, h, u.CommunityID, nullID(sc.UserID), name, now()); err != nil {
				return err
			}
		} else if _, err := tx.exec(ctx, `DELETE FROM duty_ticks WHERE unit_id = ? AND month = ? AND item = ?`, unitID, m.String(), item); err != nil {
			return err
		}
		verb := "tick"
		if !done {
			verb = "untick"
		}
		tx.auditAt(sc, u.Path, "unit.duty."+verb, "unit", []int64{unitID}, fmt.Sprintf("%s %s", m, item))
		out, err = tx.monthChecklist(ctx, sc, u, own, m, cur)
		return err
	})
	return out, err
}

// DutyTicked counts, per month, the ticked items of unit from month from on (for the staff table).
func (s *Store) DutyTicked(ctx context.Context, sc authz.Scope, unitID int64, from string) (map[string]int, error) {
	c := s.reader()
	if _, _, err := c.dutyUnit(ctx, sc, unitID); err != nil {
		return nil, err
	}
	out := map[string]int{}
	err := eachRow(ctx, c, `SELECT month, COUNT(*) FROM duty_ticks WHERE unit_id = ? AND month >= ? GROUP BY month`, []any{unitID, from}, func(r rowScanner) error {
		var m string
		var n sql.NullInt64
		if err := r.Scan(&m, &n); err != nil {
			return err
		}
		out[m] = int(n.Int64)
		return nil
	})
	return out, err
}
