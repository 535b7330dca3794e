package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Changes of formed units (issue 9): a household moves from one unit to another, two units
// merge, a unit splits, a unit is dissolved, a household that moved in later joins a unit.
// Every change of a household's unit goes through setUnitHouseholds; each change writes the
// units' history (unit_events) and an audit record in the same transaction. A unit never
// comes to cross a resident group or a compound: when a household from outside a unit's
// anchor joins it, the anchor rises to the lowest node holding both, and that node may not
// lie above a resident group or compound either of them is in.

// activeUnit reads a unit in the scope that is still in use; an ended one is a ConflictError.
func (tx *Tx) activeUnit(ctx context.Context, sc authz.Scope, id int64) (*model.Unit, error) {
	u, err := tx.unit(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !u.Active() {
		return nil, &model.ConflictError{Message: fmt.Sprintf("联建单元「%s」%s，不能再调整", u.Name, u.Status.Label())}
	}
	return u, nil
}

// joinedAnchor returns the node a unit at anchorPath lies at once the households at paths
// join it, or a field error (field) when that would cross a community, resident group or
// compound.
func (tx *Tx) joinedAnchor(ctx context.Context, field, anchorPath string, paths ...string) (*model.Territory, error) {
	all := append([]string{anchorPath}, paths...)
	joined := commonPathOf(all)
	seen := map[int64]bool{}
	var ids []any
	for _, p := range all {
		for _, id := range model.PathIDs(p) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	blocks, err := queryAll(ctx, tx.conn, `SELECT kind, name, path FROM territories WHERE kind IN ('community', 'resident_group', 'compound') AND id IN (`+inList(len(ids))+`)`,
		ids, func(r rowScanner) ([3]string, error) {
			var x [3]string
			err := r.Scan(&x[0], &x[1], &x[2])
			return x, err
		})
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if !strings.HasPrefix(joined, b[2]) {
			return nil, fieldErr(field, fmt.Sprintf("联建单元不能跨%s：%s之外的住户不能加入", model.TerritoryKind(b[0]).Label(), b[1]))
		}
	}
	ids2 := model.PathIDs(joined)
	return tx.territory(ctx, authz.System(), ids2[len(ids2)-1])
}

// setUnitAnchor moves a unit to the anchor node when it changed, and its leaders' accounts with
// it: a unit leader is scoped to its unit's anchor (CreateUser, UpdateUser), so a household that
// joins from another stairwell is theirs to read, and their scope narrows when the unit's does.
func (tx *Tx) setUnitAnchor(ctx context.Context, u *model.Unit, anchor *model.Territory) error {
	if anchor.ID == u.TerritoryID {
		return nil
	}
	return tx.unitCountsChange(ctx, []int64{u.ID}, func() error {
		if _, err := tx.exec(ctx, `UPDATE units SET territory_id = ?, path = ?, updated_at = ? WHERE id = ?`, anchor.ID, anchor.Path, now(), u.ID); err != nil {
			return err
		}
		r, err := tx.exec(ctx, `UPDATE users SET scope_id = ? WHERE unit_id = ? AND role = 'unit_leader' AND scope_id <> ?`, anchor.ID, u.ID, anchor.ID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n > 0 {
			tx.touchesAccounts()
		}
		return nil
	})
}

// MoveHouseholdToUnit moves a household out of its unit into another active unit of the same
// community. Errors: model.ErrNotFound (household or unit missing or outside the scope); a
// field error household_id when it is in no unit or already in that one, unit_id when the move
// would cross a resident group or compound; a ConflictError when either unit has ended or the
// household changed units meanwhile.
func (s *Store) MoveHouseholdToUnit(ctx context.Context, sc authz.Scope, householdID, unitID int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockUnitWrites(ctx); err != nil {
			return err
		}
		h, err := tx.household(ctx, sc, householdID)
		if err != nil {
			return err
		}
		if err := tx.lockHouseholds(ctx, []int64{householdID}); err != nil {
			return err
		}
		from, err := tx.unitOf(ctx, householdID)
		if err != nil {
			return err
		}
		if from == 0 {
			return fieldErr("household_id", "该住户不在任何联建单元中，请用“加入联建单元”")
		}
		if from == unitID {
			return fieldErr("household_id", "该住户已在这个联建单元中")
		}
		src, err := tx.activeUnit(ctx, sc, from)
		if err != nil {
			return err
		}
		dst, err := tx.activeUnit(ctx, sc, unitID)
		if err != nil {
			return err
		}
		anchor, err := tx.joinedAnchor(ctx, "unit_id", dst.Path, h.Path)
		if err != nil {
			return err
		}
		if err := tx.setUnitHouseholds(ctx, sc, src.ID, nil, []int64{householdID}, "moved"); err != nil {
			return err
		}
		if err := tx.setUnitHouseholds(ctx, sc, dst.ID, []int64{householdID}, nil, "moved"); err != nil {
			return err
		}
		if err := tx.setUnitAnchor(ctx, dst, anchor); err != nil {
			return err
		}
		if err := tx.unitEvent(ctx, sc, src.ID, "household_removed", fmt.Sprintf("%s 调往「%s」", h.Address, dst.Name)); err != nil {
			return err
		}
		if err := tx.unitEvent(ctx, sc, dst.ID, "household_added", fmt.Sprintf("%s 由「%s」调入", h.Address, src.Name)); err != nil {
			return err
		}
		tx.auditAt(sc, dst.Path, "unit.move_household", "unit", []int64{src.ID, dst.ID}, fmt.Sprintf("住户 %d：%s → %s", householdID, src.Name, dst.Name))
		return nil
	})
}

// unitOf is the household's current unit id, 0 for none.
func (c conn) unitOf(ctx context.Context, householdID int64) (int64, error) {
	var id *int64
	if err := c.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ?`, []any{householdID}, &id); err != nil {
		return 0, err
	}
	if id == nil {
		return 0, nil
	}
	return *id, nil
}

// unitHouseholdIDs lists the current households of a unit.
func (c conn) unitHouseholdIDs(ctx context.Context, unitID int64) ([]int64, error) {
	return queryAll(ctx, c, `SELECT id FROM households WHERE unit_id = ? ORDER BY id`, []any{unitID}, func(r rowScanner) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	})
}

// unitWriteLock is the PostgreSQL advisory lock every transaction that changes which unit a
// household is in takes first.
const unitWriteLock = 0x756e6974 // "unit"

// lockUnitWrites serializes, on PostgreSQL, the transactions that change units' households:
// each adjusts the maintained counts of the households' and the units' ancestors (the root
// among them) in two passes whose order differs between a form (units, then households) and a
// split (households, then a form), so two at once could deadlock. Forming and changing units
// is staff's occasional work; waiting in line costs nothing. SQLite has one writer.
func (tx *Tx) lockUnitWrites(ctx context.Context) error {
	if tx.d.name != "postgres" {
		return nil
	}
	_, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(unitWriteLock))
	return err
}

// lockUnits takes, on PostgreSQL, the row locks of the units in ascending id order before a
// write that changes several (a merge), so that two such writes wait instead of deadlocking.
func (tx *Tx) lockUnits(ctx context.Context, ids ...int64) error {
	if tx.d.name != "postgres" || len(ids) == 0 {
		return nil
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	args := make([]any, len(sorted))
	for i, id := range sorted {
		args[i] = id
	}
	rows, err := tx.query(ctx, `SELECT id FROM units WHERE id IN (`+inList(len(args))+`) ORDER BY id FOR UPDATE`, args...)
	if err != nil {
		return err
	}
	return rows.Close()
}

// endUnit marks an active unit ended (merged or dissolved), only if it is still
// active: the database decides two changes racing on one unit.
func (tx *Tx) endUnit(ctx context.Context, u *model.Unit, status model.UnitStatus, successor int64) error {
	ts := now()
	// The unit's counts (unit_count.go) go with it: an ended unit counts nowhere.
	return tx.unitCountsChange(ctx, []int64{u.ID}, func() error {
		r, err := tx.exec(ctx, `UPDATE units SET status = ?, successor_id = ?, ended_at = ?, updated_at = ? WHERE id = ? AND status = ?`,
			string(status), nullID(successor), ts, ts, u.ID, string(model.UnitActive))
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return &model.ConflictError{Message: fmt.Sprintf("联建单元「%s」已被他人调整，请刷新后再试", u.Name)}
		}
		return nil
	})
}

// MergeUnits merges unit a into unit b: a's households join b, a ends as merged with b as its
// successor. Errors as MoveHouseholdToUnit (field b_id for a merge across a resident group or
// compound, or of a unit with itself).
func (s *Store) MergeUnits(ctx context.Context, sc authz.Scope, a, b int64) (*model.Unit, error) {
	var out *model.Unit
	err := s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockUnitWrites(ctx); err != nil {
			return err
		}
		if a == b {
			return fieldErr("b_id", "不能把联建单元并入它自己")
		}
		ua, err := tx.activeUnit(ctx, sc, a)
		if err != nil {
			return err
		}
		ub, err := tx.activeUnit(ctx, sc, b)
		if err != nil {
			return err
		}
		if ua.CommunityID != ub.CommunityID {
			return fieldErr("b_id", "只能合并同一个社区的联建单元")
		}
		anchor, err := tx.joinedAnchor(ctx, "b_id", ub.Path, ua.Path)
		if err != nil {
			return err
		}
		hs, err := tx.unitHouseholdIDs(ctx, a)
		if err != nil {
			return err
		}
		if err := tx.lockUnits(ctx, a, b); err != nil {
			return err
		}
		if err := tx.lockHouseholds(ctx, hs); err != nil {
			return err
		}
		if err := tx.setUnitHouseholds(ctx, sc, a, nil, hs, "merged"); err != nil {
			return err
		}
		if err := tx.setUnitHouseholds(ctx, sc, b, hs, nil, "merged"); err != nil {
			return err
		}
		if err := tx.endUnit(ctx, ua, model.UnitMerged, b); err != nil {
			return err
		}
		if err := tx.setUnitAnchor(ctx, ub, anchor); err != nil {
			return err
		}
		if err := tx.unitEventLinked(ctx, sc, a, "merged", fmt.Sprintf("并入「%s」，%d户", ub.Name, len(hs)), b); err != nil {
			return err
		}
		if err := tx.unitEventLinked(ctx, sc, b, "merged_in", fmt.Sprintf("「%s」并入，%d户", ua.Name, len(hs)), a); err != nil {
			return err
		}
		tx.auditAt(sc, anchor.Path, "unit.merge", "unit", []int64{a, b}, ua.Name+" → "+ub.Name)
		out, err = tx.unit(ctx, authz.System(), b)
		return err
	})
	return out, err
}

// UnitSplitInput names the households that leave a unit to form a new one.
type UnitSplitInput struct {
	Name       string
	Households []int64
	// OverrideReason confirms a new unit outside the rules (see FormUnits).
	OverrideReason string
}

// SplitUnit moves in.Households out of unit id into a new unit (checked like every formed
// unit: within the bounds, one whole building or stairwell, or with an override reason). A
// split ends nothing, unlike a merge or a dissolution: the unit stays active with the rest of
// its households, its id, leader, rotation and history, and records a split event linking the
// new unit, whose history begins formed, split_from linking back. Errors as
// MoveHouseholdToUnit and FormUnits (fields name, households, override_reason).
func (s *Store) SplitUnit(ctx context.Context, sc authz.Scope, id int64, in UnitSplitInput) (*model.Unit, error) {
	var out *model.Unit
	err := s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockUnitWrites(ctx); err != nil {
			return err
		}
		u, err := tx.activeUnit(ctx, sc, id)
		if err != nil {
			return err
		}
		current, err := tx.unitHouseholdIDs(ctx, id)
		if err != nil {
			return err
		}
		if len(in.Households) == 0 {
			return fieldErr("households", "请选择要分出去的住户")
		}
		for _, h := range in.Households {
			if !slices.Contains(current, h) {
				return fieldErr("households", fmt.Sprintf("住户 %d 不在联建单元「%s」中", h, u.Name))
			}
		}
		if len(in.Households) >= len(current) {
			return fieldErr("households", "拆分后原联建单元至少要留一户")
		}
		name := strings.TrimSpace(in.Name)
		if name == "" {
			name = u.Name
			if utf8.RuneCountInString(name) > 56 {
				name = string([]rune(name)[:56])
			}
			name += "（二）"
		}
		d := model.UnitDraft{Name: name, Basis: model.UnitGrouped, Households: in.Households}
		if r := strings.TrimSpace(in.OverrideReason); r != "" {
			d.Basis, d.Override, d.OverrideReason = model.UnitOverride, true, r
		}
		if err := tx.lockHouseholds(ctx, current); err != nil {
			return err
		}
		if err := tx.setUnitHouseholds(ctx, sc, id, nil, in.Households, "split"); err != nil {
			return err
		}
		formed, err := tx.FormUnits(ctx, sc, []model.UnitDraft{d})
		if err != nil {
			return unprefixFields(err, "units[0].")
		}
		out = formed[0]
		if err := tx.unitEventLinked(ctx, sc, id, "split", fmt.Sprintf("%d户分出，组成「%s」", len(in.Households), out.Name), out.ID); err != nil {
			return err
		}
		if err := tx.unitEventLinked(ctx, sc, out.ID, "split_from", fmt.Sprintf("由「%s」拆分而来", u.Name), id); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.split", "unit", []int64{id, out.ID}, u.Name+" → "+out.Name)
		return nil
	})
	return out, err
}

// unprefixFields drops prefix from the field names of a validation error.
func unprefixFields(err error, prefix string) error {
	v, ok := err.(*model.ValidationError)
	if !ok {
		return err
	}
	out := &model.ValidationError{}
	for _, f := range v.Fields {
		out.Add(strings.TrimPrefix(f.Field, prefix), f.Message)
	}
	return out
}

// DissolveUnit ends a unit: its households leave it (they are in no unit after) and it stays,
// dissolved, with its history and the reason. Errors: model.ErrNotFound; a field error reason
// when none is given; a ConflictError when it has ended already.
func (s *Store) DissolveUnit(ctx context.Context, sc authz.Scope, id int64, reason string) error {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return fieldErr("reason", "请写明解散联建单元的原因")
	case n > 200:
		return fieldErr("reason", "原因不能超过 200 个字")
	}
	return s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockUnitWrites(ctx); err != nil {
			return err
		}
		u, err := tx.activeUnit(ctx, sc, id)
		if err != nil {
			return err
		}
		hs, err := tx.unitHouseholdIDs(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.lockHouseholds(ctx, hs); err != nil {
			return err
		}
		if err := tx.setUnitHouseholds(ctx, sc, id, nil, hs, "dissolved"); err != nil {
			return err
		}
		if err := tx.endUnit(ctx, u, model.UnitDissolved, 0); err != nil {
			return err
		}
		if err := tx.unitEvent(ctx, sc, id, "dissolved", fmt.Sprintf("解散，%d户退出：%s", len(hs), reason)); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.dissolve", "unit", []int64{id}, u.Name+"："+reason)
		return nil
	})
}

// UnitSuggestion is an active unit with room that a household in no unit may join.
type UnitSuggestion struct {
	Unit *model.Unit
	// Near says how close it is: 同一单元(楼道), 同一栋楼, 同一小区, 同一网格 or 同一社区.
	Near string
}

// UnitSuggestions returns up to five active units with room (fewer households than the
// community's maximum) that the household, in no unit, may join without a unit crossing a
// resident group or compound: the nearest first (same stairwell, building, compound, grid),
// then the ones with fewer households. Errors: model.ErrNotFound; a field error household_id
// when it is in a unit already or moved out.
func (s *Store) UnitSuggestions(ctx context.Context, sc authz.Scope, householdID int64) ([]UnitSuggestion, error) {
	c := s.reader()
	h, err := c.household(ctx, sc, householdID)
	if err != nil {
		return nil, err
	}
	if h.MovedOutAt != nil {
		return nil, fieldErr("household_id", "该住户已迁出")
	}
	if id, err := c.unitOf(ctx, householdID); err != nil {
		return nil, err
	} else if id != 0 {
		return nil, fieldErr("household_id", "该住户已在联建单元中")
	}
	// The household's nodes, deepest first: a candidate lies under the deepest resident group
	// or compound above it, or under its community.
	ids := model.PathIDs(h.Path)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	nodes, err := queryAll(ctx, c, `SELECT id, kind, path FROM territories WHERE id IN (`+inList(len(ids))+`)`, args,
		func(r rowScanner) (model.TerritoryRef, error) {
			var t model.TerritoryRef
			err := r.Scan(&t.ID, &t.Kind, &t.Path)
			return t, err
		})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(nodes, func(a, b model.TerritoryRef) int { return len(b.Path) - len(a.Path) })
	var block string
	var community int64
	for _, n := range nodes {
		if block == "" && (n.Kind == model.KindCompound || n.Kind == model.KindResidentGroup || n.Kind == model.KindCommunity) {
			block = n.Path
		}
		if n.Kind == model.KindCommunity {
			community = n.ID
		}
	}
	if block == "" {
		return nil, nil
	}
	bounds, err := c.unitBounds(ctx, community)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(block)
	cands, err := queryAll(ctx, c, `SELECT `+unitColumns+` FROM units WHERE path >= ? AND path < ? AND status = ? AND households < ? ORDER BY path, id LIMIT 500`,
		[]any{lo, hi, string(model.UnitActive), bounds.Max}, scanUnit)
	if err != nil {
		return nil, err
	}
	// A candidate must not come to cross a resident group or compound below block: every one
	// above the unit must hold the household too.
	inner, err := queryAll(ctx, c, `SELECT path FROM territories WHERE path > ? AND path < ? AND kind IN ('resident_group', 'compound')`,
		[]any{block, hi}, func(r rowScanner) (string, error) {
			var p string
			err := r.Scan(&p)
			return p, err
		})
	if err != nil {
		return nil, err
	}
	kindAt := map[int]model.TerritoryKind{}
	for _, n := range nodes {
		kindAt[len(n.Path)] = n.Kind
	}
	type scored struct {
		u     *model.Unit
		depth int
	}
	var out []scored
next:
	for _, u := range cands {
		if !sc.Contains(u.Path) {
			continue
		}
		joined := commonPath(u.Path, h.Path)
		for _, p := range inner {
			if strings.HasPrefix(u.Path, p) && !strings.HasPrefix(joined, p) {
				continue next
			}
		}
		out = append(out, scored{u, len(joined)})
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if a.depth != b.depth {
			return b.depth - a.depth
		}
		if a.u.Households != b.u.Households {
			return a.u.Households - b.u.Households
		}
		return int(a.u.ID - b.u.ID)
	})
	if len(out) > 5 {
		out = out[:5]
	}
	res := make([]UnitSuggestion, len(out))
	us := make([]*model.Unit, len(out))
	for i, x := range out {
		near := "同一社区"
		switch kindAt[x.depth] {
		case model.KindStairwell:
			near = "同一单元(楼道)"
		case model.KindBuilding:
			near = "同一栋楼"
		case model.KindCompound:
			near = "同一小区"
		case model.KindGrid:
			near = "同一网格"
		case model.KindResidentGroup:
			near = "同一居民小组"
		}
		res[i] = UnitSuggestion{Unit: x.u, Near: near}
		us[i] = x.u
	}
	return res, c.fillUnitLeaders(ctx, us)
}

// AddHouseholdToUnit puts a household that is in no unit (one that moved in later) into an
// active unit. Errors as MoveHouseholdToUnit.
func (s *Store) AddHouseholdToUnit(ctx context.Context, sc authz.Scope, householdID, unitID int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockUnitWrites(ctx); err != nil {
			return err
		}
		h, err := tx.household(ctx, sc, householdID)
		if err != nil {
			return err
		}
		u, err := tx.activeUnit(ctx, sc, unitID)
		if err != nil {
			return err
		}
		anchor, err := tx.joinedAnchor(ctx, "unit_id", u.Path, h.Path)
		if err != nil {
			return err
		}
		if err := tx.setUnitHouseholds(ctx, sc, unitID, []int64{householdID}, nil, "joined"); err != nil {
			return err
		}
		if err := tx.setUnitAnchor(ctx, u, anchor); err != nil {
			return err
		}
		if err := tx.unitEvent(ctx, sc, unitID, "household_added", h.Address+" 加入"); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.add_household", "unit", []int64{unitID}, fmt.Sprintf("住户 %d 加入%s", householdID, u.Name))
		return nil
	})
}
