package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

const householdColumns = `id, territory_id, path, address, head_name, members, elderly_alone, hardship, disability, mobile, moved_in_at, moved_out_at, created_at, updated_at, COALESCE(unit_id, 0)`

func scanHousehold(sc rowScanner) (*model.Household, error) {
	var h model.Household
	var in, out sql.NullTime
	if err := sc.Scan(&h.ID, &h.TerritoryID, &h.Path, &h.Address, &h.HeadName, &h.Members,
		&h.Flags.ElderlyAlone, &h.Flags.Hardship, &h.Flags.Disability, &h.Flags.Mobile, &in, &out, &h.CreatedAt, &h.UpdatedAt, &h.UnitID); err != nil {
		return nil, err
	}
	if in.Valid {
		h.MovedInAt = &in.Time
	}
	if out.Valid {
		h.MovedOutAt = &out.Time
	}
	return &h, nil
}

// Household returns the household with id, or model.ErrNotFound when it does not exist or lies
// outside the scope.
func (s *Store) Household(ctx context.Context, sc authz.Scope, id int64) (*model.Household, error) {
	h, err := s.reader().household(ctx, sc, id)
	sc.RedactHousehold(h) // the field-level policy: what the role may not see never leaves the store
	return h, err
}

func (c conn) household(ctx context.Context, sc authz.Scope, id int64) (*model.Household, error) {
	return scopedHousehold(ctx, c, sc, `SELECT `+householdColumns+` FROM households WHERE id = ?`, []any{id}, scanHousehold,
		func(h *model.Household) (string, int64) { return h.Path, h.UnitID })
}

// HouseholdFilter selects households. Under is a subtree root (0: the whole scope).
type HouseholdFilter struct {
	Under    int64
	Flag     string // elderly_alone | hardship | disability | mobile
	Q        string // address or head name contains
	MovedOut bool   // list households that moved away instead of current ones
	Limit    int
	Cursor   string
}

var householdFlags = map[string]bool{"elderly_alone": true, "hardship": true, "disability": true, "mobile": true}

// ValidHouseholdFlag reports whether f names a household flag.
func ValidHouseholdFlag(f string) bool { return householdFlags[f] }

// Households lists households in the scope matching f, ordered by (path, id): grouped by
// stairwell. Total is the maintained count when no other filter applies and the scope is a
// subtree, else a COUNT (always for a unit leader: the subtree's count is not its to know).
func (s *Store) Households(ctx context.Context, sc authz.Scope, f HouseholdFilter) (*Page[*model.Household], error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Household]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w := householdsUnder(sc, prefix)
	if f.MovedOut {
		w.add("moved_out_at IS NOT NULL")
	} else {
		w.add("moved_out_at IS NULL")
	}
	filtered := f.MovedOut || sc.UnitBound()
	if f.Flag != "" {
		if !householdFlags[f.Flag] {
			return nil, fieldErr("flag", "标记应为 elderly_alone、hardship、disability 或 mobile")
		}
		if f.Flag == "hardship" && !sc.CanSee(authz.FieldHardship) {
			// Filtering by a field the role may not see would reveal it.
			return nil, model.ErrForbidden
		}
		w.add(f.Flag+" = ?", true)
		filtered = true
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + escapeLike(q) + "%"
		w.add(`(address LIKE ? ESCAPE '\' OR head_name LIKE ? ESCAPE '\')`, like, like)
		filtered = true
	}
	count := w.clone()
	w.afterPath(cur)
	page, err := fetchPage(ctx, c, `SELECT `+householdColumns+` FROM households WHERE `+w.sql()+` ORDER BY path, id`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Household, cursor, error) {
			h, err := scanHousehold(r)
			if err != nil {
				return nil, cursor{}, err
			}
			sc.RedactHousehold(h)
			return h, cursor{key: h.Path, id: h.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if filtered {
		err = c.queryRow(ctx, `SELECT COUNT(*) FROM households WHERE `+count.sql(), count.args, &page.Total)
	} else {
		page.Total, err = c.subtreeCount(ctx, prefix, "households")
	}
	return page, err
}

// subtreeCount reads a maintained count for the subtree at prefix ("" = every root).
func (c conn) subtreeCount(ctx context.Context, prefix, column string) (int64, error) {
	var n int64
	if prefix == "" {
		err := c.queryRow(ctx, `SELECT COALESCE(SUM(`+column+`), 0) FROM territories WHERE parent_id IS NULL`, nil, &n)
		return n, err
	}
	ids := model.PathIDs(prefix)
	err := c.queryRow(ctx, `SELECT `+column+` FROM territories WHERE id = ?`, []any{ids[len(ids)-1]}, &n)
	return n, err
}

// SubtreeCounts returns the maintained household and resident counts of a node's subtree.
func (s *Store) SubtreeCounts(ctx context.Context, sc authz.Scope, id int64) (households, residents int64, err error) {
	t, err := s.Territory(ctx, sc, id)
	if err != nil {
		return 0, 0, err
	}
	return t.Households, t.Residents, nil
}

// dateArg is the argument for a DATE column: nil for "", else midnight UTC of the date. Dates
// go in as time.Time on both engines so that SQLite stores them in the one layout its driver
// parses first (a plain "YYYY-MM-DD" costs six failed layouts on every read).
func dateArg(s string) any {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s // the caller validated it; let the database reject what slipped through
	}
	return d
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CreateHousehold adds a household to a node in the scope.
func (s *Store) CreateHousehold(ctx context.Context, sc authz.Scope, in model.HouseholdInput) (*model.Household, error) {
	var h *model.Household
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		h, err = tx.CreateHousehold(ctx, sc, in)
		return err
	})
	return h, err
}

// CreateHousehold is Store.CreateHousehold inside tx. Bad fields and a bad territory are
// reported together in one *model.ValidationError, returned before anything is written.
func (tx *Tx) CreateHousehold(ctx context.Context, sc authz.Scope, in model.HouseholdInput) (*model.Household, error) {
	v := validation(in.Validate())
	var t *model.Territory
	if in.TerritoryID > 0 {
		var err error
		t, err = tx.territory(ctx, sc, in.TerritoryID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("territory_id", "所属节点不存在或不在您的管辖范围内")
		case err != nil:
			return nil, err
		case t.ArchivedAt != nil:
			v.Add("territory_id", "所属节点已归档")
		case t.Kind.Rank() <= model.KindStreet.Rank():
			v.Add("territory_id", "住户应登记在社区及以下的节点（通常是单元或楼栋）")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var community sql.NullInt64
	if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
		return nil, err
	}
	ts := now()
	movedIn := dateArg(in.MovedInAt)
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO households (territory_id, community_id, path, address, elderly_alone, hardship, disability, mobile, moved_in_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{t.ID, community, t.Path, in.Address, in.Flags.ElderlyAlone, in.Flags.Hardship, in.Flags.Disability, in.Flags.Mobile, movedIn, ts, ts}, &id)
	if err != nil {
		return nil, err
	}
	if tx.created == nil {
		tx.created = map[int64]bool{}
	}
	tx.created[id] = true
	if err := tx.adjustCounts(ctx, t.Path, 1, 0); err != nil {
		return nil, err
	}
	if err := tx.householdEvent(ctx, sc, id, "moved_in", t.Name+" "+in.Address); err != nil {
		return nil, err
	}
	return tx.household(ctx, sc, id)
}

// UpdateHousehold changes a household's address and flags (not its node: use MoveHousehold).
func (s *Store) UpdateHousehold(ctx context.Context, sc authz.Scope, id int64, in model.HouseholdInput) (*model.Household, error) {
	var h *model.Household
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		h, err = tx.UpdateHousehold(ctx, sc, id, in)
		return err
	})
	return h, err
}

// UpdateHousehold is Store.UpdateHousehold inside tx (a correction of the address is accepted
// through it).
func (tx *Tx) UpdateHousehold(ctx context.Context, sc authz.Scope, id int64, in model.HouseholdInput) (*model.Household, error) {
	old, err := tx.household(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	return tx.updateHousehold(ctx, sc, old, in)
}

// PatchHousehold applies p to the household with id in one transaction: the fields present
// change, validated together with the rest (model.HouseholdInput.Validate), recorded in the
// household's history and the audit log. It returns the household as the scope sees it;
// model.ErrNotFound when it does not exist or lies outside the scope, model.ErrForbidden when p
// sets a field the scope may not see (hardship), a *model.ValidationError for bad fields.
func (s *Store) PatchHousehold(ctx context.Context, sc authz.Scope, id int64, p model.HouseholdPatch) (*model.Household, error) {
	var h *model.Household
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		h, err = tx.PatchHousehold(ctx, sc, id, p)
		return err
	})
	sc.RedactHousehold(h)
	return h, err
}

// PatchHousehold is Store.PatchHousehold inside tx (not redacted).
func (tx *Tx) PatchHousehold(ctx context.Context, sc authz.Scope, id int64, p model.HouseholdPatch) (*model.Household, error) {
	old, err := tx.household(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if p.Flags.Hardship != nil && !sc.CanSee(authz.FieldHardship) {
		// Not offered to the role, so not changed by it either.
		return nil, model.ErrForbidden
	}
	if p.Empty() {
		return old, nil
	}
	in := model.HouseholdInput{TerritoryID: old.TerritoryID, Address: old.Address, Flags: old.Flags}
	if old.MovedInAt != nil {
		in.MovedInAt = old.MovedInAt.Format(time.DateOnly)
	}
	p.Apply(&in)
	return tx.updateHousehold(ctx, sc, old, in)
}

// updateHousehold writes in over old (validated first) with its history entry.
func (tx *Tx) updateHousehold(ctx context.Context, sc authz.Scope, old *model.Household, in model.HouseholdInput) (*model.Household, error) {
	in.TerritoryID = old.TerritoryID
	in.MovedOutAt = old.MovedOutAt
	if err := in.Validate(); err != nil {
		return nil, err
	}
	movedIn := dateArg(in.MovedInAt)
	if _, err := tx.exec(ctx, `UPDATE households SET address = ?, elderly_alone = ?, hardship = ?, disability = ?, mobile = ?, moved_in_at = ?, updated_at = ? WHERE id = ?`,
		in.Address, in.Flags.ElderlyAlone, in.Flags.Hardship, in.Flags.Disability, in.Flags.Mobile, movedIn, now(), old.ID); err != nil {
		return nil, err
	}
	if err := tx.householdEvent(ctx, sc, old.ID, "updated", householdChanges(old, in)); err != nil {
		return nil, err
	}
	return tx.household(ctx, sc, old.ID)
}

// householdChanges is the history entry of a change from old to in: the new address and the
// names of the other fields that changed. Which flag changed is not named: the history is read
// by roles that may not see the hardship flag.
func householdChanges(old *model.Household, in model.HouseholdInput) string {
	var parts []string
	if in.Address != old.Address {
		parts = append(parts, "地址："+old.Address+" → "+in.Address)
	}
	oldIn := ""
	if old.MovedInAt != nil {
		oldIn = old.MovedInAt.Format(time.DateOnly)
	}
	if in.MovedInAt != oldIn {
		parts = append(parts, "迁入日期："+strings.TrimSpace(oldIn+" → "+in.MovedInAt))
	}
	if in.Flags != old.Flags {
		parts = append(parts, "关爱标记")
	}
	if len(parts) == 0 {
		return "未改动"
	}
	return strings.Join(parts, "；")
}

// MoveOutHousehold records that a household moved away (m: the date and a note, checked by
// model.MoveOut.Validate against the stored move-in date). It stays in the history with its
// residents; the maintained counts drop it. A household that already moved out is a
// *model.ConflictError.
func (s *Store) MoveOutHousehold(ctx context.Context, sc authz.Scope, id int64, m model.MoveOut) (*model.Household, error) {
	var h *model.Household
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.household(ctx, sc, id)
		if err != nil {
			return err
		}
		if old.MovedOutAt != nil {
			return &model.ConflictError{Message: "该户已迁出"}
		}
		if err := m.Validate(old.MovedInAt); err != nil {
			return err
		}
		// A household moving away leaves its joint-building unit first (setUnitHouseholds keeps
		// the unit's counts and gives its future duty months to the others).
		var unit sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ?`, []any{id}, &unit); err != nil {
			return err
		}
		if unit.Valid {
			if err := tx.setUnitHouseholds(ctx, sc, unit.Int64, nil, []int64{id}, "moved_out"); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `UPDATE households SET moved_out_at = ?, updated_at = ? WHERE id = ?`, dateArg(m.Date), now(), id); err != nil {
			return err
		}
		if err := tx.adjustCounts(ctx, old.Path, -1, -int64(old.Members)); err != nil {
			return err
		}
		if err := tx.householdEvent(ctx, sc, id, "moved_out", strings.TrimSpace(m.Date+" "+m.Note)); err != nil {
			return err
		}
		h, err = tx.household(ctx, sc, id)
		return err
	})
	sc.RedactHousehold(h)
	return h, err
}

// HouseholdEvents returns a household's history, newest first (at most 200 entries); it
// returns model.ErrNotFound when the household does not exist or lies outside the scope.
func (s *Store) HouseholdEvents(ctx context.Context, sc authz.Scope, id int64) ([]model.HouseholdEvent, error) {
	c := s.reader()
	var out []model.HouseholdEvent
	if sc.UnitBound() {
		// The unit is checked on the household first (a unit leader's history reads are few).
		if _, err := c.household(ctx, sc, id); err != nil {
			return nil, err
		}
	}
	if sc.All || sc.Path != "" {
		// The scope is checked in the same query, on the household's path: one read for the
		// page's history instead of the household again and then its events.
		lo, hi := authz.PathRange(sc.Path)
		rows, err := c.query(ctx, `SELECT e.id, e.household_id, e.action, e.detail, e.at FROM household_events e
			JOIN households h ON h.id = e.household_id
			WHERE e.household_id = ? AND h.path >= ? AND h.path < ? ORDER BY e.id DESC LIMIT 200`, id, lo, hi)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var e model.HouseholdEvent
			if err := rows.Scan(&e.ID, &e.HouseholdID, &e.Action, &e.Detail, &e.At); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		// No history, or no household in the scope: only the latter is an error.
		if _, err := c.household(ctx, sc, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (tx *Tx) householdEvent(ctx context.Context, sc authz.Scope, id int64, action, detail string) error {
	var actor any
	if sc.UserID != 0 {
		actor = sc.UserID
	}
	_, err := tx.exec(ctx, `INSERT INTO household_events (household_id, action, detail, actor_id, at) VALUES (?, ?, ?, ?, ?)`,
		id, action, detail, actor, now())
	// Every household write records its history entry here, and so its audit record too; the
	// detail (an address) stays out of the audit log, which holds no personal values.
	if !strings.HasPrefix(action, "member_") { // the resident's own record says it
		tx.audit(sc, "household."+auditVerb(action), "household", []int64{id}, "")
	}
	return err
}
