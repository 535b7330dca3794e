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

// Joint-building units (联建单元, issue 9). A unit lies at its anchor, the lowest territory node
// holding all its households, and takes the anchor's path, so territory scope works on units as
// on every other noun. households.unit_id is a household's current unit; every change of it goes
// through setUnitHouseholds, a conditional UPDATE, so that the database decides two forms racing
// for one household.

const unitColumns = `id, community_id, territory_id, path, name, basis, override_reason, status, households,
	leader_household_id, leader_resident_id, leader_method, leader_since, leader_until, leader_reason, COALESCE(leader_election_id, 0), rotation_until, last_activity_month,
	successor_id, formed_at, ended_at, created_at, updated_at`

func scanUnit(r rowScanner) (*model.Unit, error) {
	var u model.Unit
	var lh, lr, succ sql.NullInt64
	var method, reason string
	var election int64
	var since, until sql.NullTime
	var ended sql.NullTime
	if err := r.Scan(&u.ID, &u.CommunityID, &u.TerritoryID, &u.Path, &u.Name, &u.Basis, &u.OverrideReason, &u.Status, &u.Households,
		&lh, &lr, &method, &since, &until, &reason, &election, &u.RotationUntil, &u.LastActivityMonth,
		&succ, &u.FormedAt, &ended, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	if lh.Valid {
		u.Leader = &model.UnitLeader{HouseholdID: lh.Int64, ResidentID: lr.Int64, Method: model.LeaderMethod(method),
			Since: dateString(since.Time), Until: dateString(until.Time), Reason: reason, ElectionID: election}
	}
	u.SuccessorID = succ.Int64
	if ended.Valid {
		u.EndedAt = &ended.Time
	}
	return &u, nil
}

func unitPath(u *model.Unit) string { return u.Path }

// Unit returns the unit with id, or model.ErrNotFound when it does not exist or lies outside the
// scope. The leader's name is filled in.
func (s *Store) Unit(ctx context.Context, sc authz.Scope, id int64) (*model.Unit, error) {
	c := s.reader()
	u, err := c.unit(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	return u, c.fillUnitLeaders(ctx, []*model.Unit{u})
}

func (c conn) unit(ctx context.Context, sc authz.Scope, id int64) (*model.Unit, error) {
	if sc.UnitBound() && id != sc.Unit {
		return nil, model.ErrNotFound // a unit leader's scope is its own unit
	}
	return scopedOne(ctx, c, sc, `SELECT `+unitColumns+` FROM units WHERE id = ?`, []any{id}, scanUnit, unitPath)
}

// fillUnitLeaders reads the names of the units' leaders (one query).
func (c conn) fillUnitLeaders(ctx context.Context, us []*model.Unit) error {
	var ids []any
	byResident := map[int64][]*model.Unit{}
	for _, u := range us {
		if u.Leader != nil && u.Leader.ResidentID != 0 {
			if _, ok := byResident[u.Leader.ResidentID]; !ok {
				ids = append(ids, u.Leader.ResidentID)
			}
			byResident[u.Leader.ResidentID] = append(byResident[u.Leader.ResidentID], u)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := c.query(ctx, `SELECT id, name FROM residents WHERE id IN (`+inList(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		for _, u := range byResident[id] {
			u.Leader.Name = name
		}
	}
	return rows.Err()
}

// UnitFilter selects units. Under is a territory subtree (0: the whole scope).
type UnitFilter struct {
	Under       int64
	CommunityID int64
	// Ended lists merged and dissolved units (a split ends no unit) instead of active ones.
	Ended bool
	// NoLeader keeps the active units without a leader.
	NoLeader bool
	Limit    int
	Cursor   string
}

// Units lists the units in the scope matching f, in tree order (by path, then id), with the
// total.
func (s *Store) Units(ctx context.Context, sc authz.Scope, f UnitFilter) (*Page[*model.Unit], error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Unit]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w := underPath(prefix)
	if sc.UnitBound() {
		w.add("id = ?", sc.Unit) // its own unit only (0: none)
	}
	if f.Ended {
		w.add("status <> ?", string(model.UnitActive))
	} else {
		w.add("status = ?", string(model.UnitActive))
	}
	if f.CommunityID != 0 {
		w.add("community_id = ?", f.CommunityID)
	}
	if f.NoLeader {
		w.add("leader_household_id IS NULL")
	}
	count := w.clone()
	w.afterPath(cur)
	page, err := fetchPage(ctx, c, `SELECT `+unitColumns+` FROM units WHERE `+w.sql()+` ORDER BY path, id`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Unit, cursor, error) {
			u, err := scanUnit(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return u, cursor{key: u.Path, id: u.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM units WHERE `+count.sql(), count.args, &page.Total); err != nil {
		return nil, err
	}
	return page, c.fillUnitLeaders(ctx, page.Items)
}

// UnitHouseholds lists the current households of a unit in the scope, in (path, id) order.
func (s *Store) UnitHouseholds(ctx context.Context, sc authz.Scope, unitID int64) ([]*model.Household, error) {
	c := s.reader()
	if _, err := c.unit(ctx, sc, unitID); err != nil {
		return nil, err
	}
	hs, err := queryAll(ctx, c, `SELECT `+householdColumns+` FROM households WHERE unit_id = ? AND moved_out_at IS NULL ORDER BY path, id`,
		[]any{unitID}, scanHousehold)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		sc.RedactHousehold(h)
	}
	return hs, nil
}

// UnitOfHousehold returns the id of the household's current unit, 0 when it has none.
func (s *Store) UnitOfHousehold(ctx context.Context, sc authz.Scope, householdID int64) (int64, error) {
	c := s.reader()
	if _, err := c.household(ctx, sc, householdID); err != nil {
		return 0, err
	}
	var id sql.NullInt64
	err := c.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ?`, []any{householdID}, &id)
	return id.Int64, err
}

// UnitEvents returns a unit's history, oldest first.
func (s *Store) UnitEvents(ctx context.Context, sc authz.Scope, id int64) ([]model.UnitEvent, error) {
	c := s.reader()
	if _, err := c.unit(ctx, sc, id); err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT id, unit_id, action, detail, COALESCE(related_unit_id, 0), COALESCE(actor_id, 0), at FROM unit_events WHERE unit_id = ? ORDER BY id`,
		[]any{id}, func(r rowScanner) (model.UnitEvent, error) {
			var e model.UnitEvent
			err := r.Scan(&e.ID, &e.UnitID, &e.Action, &e.Detail, &e.RelatedUnitID, &e.ActorID, &e.At)
			return e, err
		})
}

// unitEvent records one entry of a unit's history (the audit record is the caller's).
func (tx *Tx) unitEvent(ctx context.Context, sc authz.Scope, id int64, action, detail string) error {
	return tx.unitEventLinked(ctx, sc, id, action, detail, 0)
}

// unitEventLinked is unitEvent naming the other unit of a merge or split (0 for none).
func (tx *Tx) unitEventLinked(ctx context.Context, sc authz.Scope, id int64, action, detail string, related int64) error {
	var actor any
	if sc.UserID != 0 {
		actor = sc.UserID
	}
	_, err := tx.exec(ctx, `INSERT INTO unit_events (unit_id, action, detail, related_unit_id, actor_id, at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, action, detail, nullID(related), actor, now())
	return err
}

// UnitBounds returns a community's size bounds for grouped units (the defaults when it set none).
func (s *Store) UnitBounds(ctx context.Context, communityID int64) (model.UnitBounds, error) {
	return s.reader().unitBounds(ctx, communityID)
}

func (c conn) unitBounds(ctx context.Context, communityID int64) (model.UnitBounds, error) {
	b := model.DefaultUnitBounds
	err := c.queryRow(ctx, `SELECT min_households, max_households FROM unit_settings WHERE community_id = ?`, []any{communityID}, &b.Min, &b.Max)
	if errors.Is(err, model.ErrNotFound) {
		return model.DefaultUnitBounds, nil
	}
	return b, err
}

// SetUnitBounds sets a community's size bounds for grouped units. The community must lie in the
// scope; existing units are not re-checked.
func (s *Store) SetUnitBounds(ctx context.Context, sc authz.Scope, communityID int64, b model.UnitBounds) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, communityID)
		if err != nil {
			return err
		}
		if t.Kind != model.KindCommunity {
			return fieldErr("community_id", "户数范围按社区设置，所选节点是"+t.Kind.Label())
		}
		ts := now()
		if _, err := tx.exec(ctx, `INSERT INTO unit_settings (community_id, min_households, max_households, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET min_households = excluded.min_households,
			max_households = excluded.max_households, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			communityID, b.Min, b.Max, nullID(sc.UserID), ts); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "unit.bounds", "territory", []int64{communityID}, b.String())
		return nil
	})
}

// FormUnits confirms units: every draft is checked (the households exist in the scope, belong to
// no unit, lie in one community, one resident group and one compound, and the draft is 10–20
// households by the community's bounds, one whole building or stairwell, a part of a building
// staff split within the bounds, or carries an override with its reason) and written in one
// transaction; the first bad draft fails them all, with the draft's index in the field name
// ("units[3].households"). A household taken by another form in the meantime is a ConflictError.
func (s *Store) FormUnits(ctx context.Context, sc authz.Scope, drafts []model.UnitDraft) ([]*model.Unit, error) {
	var out []*model.Unit
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.FormUnits(ctx, sc, drafts)
		return err
	})
	return out, err
}

// FormUnits is Store.FormUnits inside tx.
func (tx *Tx) FormUnits(ctx context.Context, sc authz.Scope, drafts []model.UnitDraft) ([]*model.Unit, error) {
	if len(drafts) == 0 {
		return nil, fieldErr("units", "没有要确认的联建单元")
	}
	seen := map[int64]int{}
	var all []int64
	for i, d := range drafts {
		for _, h := range d.Households {
			if j, ok := seen[h]; ok {
				return nil, fieldErr(fmt.Sprintf("units[%d].households", i), fmt.Sprintf("住户 %d 同时列在第 %d 和第 %d 个联建单元中", h, j+1, i+1))
			}
			seen[h] = i
			all = append(all, h)
		}
	}
	if err := tx.lockUnitWrites(ctx); err != nil {
		return nil, err
	}
	if err := tx.lockHouseholds(ctx, all); err != nil {
		return nil, err
	}
	out := make([]*model.Unit, 0, len(drafts))
	ts := now()
	for i, d := range drafts {
		chk, err := tx.checkDraft(ctx, sc, d)
		if err != nil {
			return nil, prefixFields(err, fmt.Sprintf("units[%d].", i))
		}
		basis, reason := d.Basis, ""
		if d.Override || d.Basis == model.UnitOverride {
			reason = strings.TrimSpace(d.OverrideReason)
		}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO units (community_id, territory_id, path, name, basis, override_reason, status, households, formed_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING id`,
			[]any{chk.communityID, chk.anchor.ID, chk.anchor.Path, strings.TrimSpace(d.Name), string(basis), reason, string(model.UnitActive), ts, nullID(sc.UserID), ts, ts}, &id); err != nil {
			return nil, err
		}
		detail := fmt.Sprintf("组建：%s，%d户（%s）", chk.anchor.Name, len(d.Households), basis.Label())
		if reason != "" {
			detail += "，特批理由：" + reason
		}
		if err := tx.unitEvent(ctx, sc, id, "formed", detail); err != nil {
			return nil, err
		}
		if err := tx.unitCountsAdd(ctx, id); err != nil {
			return nil, err
		}
		if err := tx.setUnitHouseholds(ctx, sc, id, d.Households, nil, "formed"); err != nil {
			return nil, err
		}
		u, err := tx.unit(ctx, authz.System(), id)
		if err != nil {
			return nil, err
		}
		tx.auditAt(sc, u.Path, "unit.form", "unit", []int64{id}, u.Name+" "+detail)
		out = append(out, u)
	}
	return out, nil
}

// prefixFields puts prefix before every field name of a validation error.
func prefixFields(err error, prefix string) error {
	var v *model.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	out := &model.ValidationError{}
	for _, f := range v.Fields {
		out.Add(prefix+f.Field, f.Message)
	}
	return out
}

// draftCheck is what checkDraft learned of a valid draft.
type draftCheck struct {
	communityID int64
	anchor      *model.Territory
}

// checkDraft validates a draft against the database (see FormUnits).
func (tx *Tx) checkDraft(ctx context.Context, sc authz.Scope, d model.UnitDraft) (*draftCheck, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	args := make([]any, len(d.Households))
	for i, h := range d.Households {
		args[i] = h
	}
	type row struct {
		id, community int64
		path          string
		unit          sql.NullInt64
		out           bool
	}
	rows, err := queryAll(ctx, tx.conn, `SELECT id, COALESCE(community_id, 0), path, unit_id, moved_out_at IS NOT NULL FROM households WHERE id IN (`+inList(len(args))+`)`,
		args, func(r rowScanner) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.community, &x.path, &x.unit, &x.out)
			return x, err
		})
	if err != nil {
		return nil, err
	}
	found := map[int64]row{}
	for _, x := range rows {
		if sc.Contains(x.path) {
			found[x.id] = x
		}
	}
	var paths []string
	var community int64
	for _, h := range d.Households {
		x, ok := found[h]
		switch {
		case !ok:
			return nil, fieldErr("households", fmt.Sprintf("住户 %d 不存在或不在您的管辖范围内", h))
		case x.out:
			return nil, fieldErr("households", fmt.Sprintf("住户 %d 已迁出", h))
		case x.unit.Valid:
			return nil, &model.ConflictError{Message: fmt.Sprintf("住户 %d 已在其他联建单元中，一户只能属于一个联建单元", h)}
		case community != 0 && x.community != community:
			return nil, fieldErr("households", "联建单元的住户须在同一个社区")
		}
		community = x.community
		paths = append(paths, x.path)
	}
	anchorPath := commonPathOf(paths)
	anchorIDs := model.PathIDs(anchorPath)
	anchor, err := tx.territory(ctx, authz.System(), anchorIDs[len(anchorIDs)-1])
	if err != nil {
		return nil, err
	}
	// Never across a resident group or a compound: every one either household lies in must
	// hold the anchor too.
	var ids []any
	seenID := map[int64]bool{}
	for _, p := range paths {
		for _, id := range model.PathIDs(p) {
			if !seenID[id] {
				seenID[id] = true
				ids = append(ids, id)
			}
		}
	}
	blocks, err := queryAll(ctx, tx.conn, `SELECT kind, name, path FROM territories WHERE kind IN ('resident_group', 'compound') AND id IN (`+inList(len(ids))+`)`,
		ids, func(r rowScanner) ([3]string, error) {
			var x [3]string
			err := r.Scan(&x[0], &x[1], &x[2])
			return x, err
		})
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if !strings.HasPrefix(anchorPath, b[2]) {
			return nil, fieldErr("households", fmt.Sprintf("联建单元不能跨%s：有住户在%s，有住户不在", model.TerritoryKind(b[0]).Label(), b[1]))
		}
	}
	bounds, err := tx.unitBounds(ctx, community)
	if err != nil {
		return nil, err
	}
	n := len(d.Households)
	if d.Override || d.Basis == model.UnitOverride {
		return &draftCheck{communityID: community, anchor: anchor}, nil
	}
	switch d.Basis {
	case model.UnitBuilding, model.UnitStairwell:
		kind := model.KindBuilding
		if d.Basis == model.UnitStairwell {
			kind = model.KindStairwell
		}
		if anchor.Kind != kind {
			return nil, fieldErr("basis", fmt.Sprintf("这些住户不在同一个%s内（共同的上级是%s%s）", kind.Label(), anchor.Kind.Label(), anchor.Name))
		}
		var all int
		lo, hi := authz.PathRange(anchor.Path)
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM households WHERE path >= ? AND path < ? AND moved_out_at IS NULL`, []any{lo, hi}, &all); err != nil {
			return nil, err
		}
		if all != n {
			return nil, fieldErr("households", fmt.Sprintf("%s%s共有 %d 户，这里只列了 %d 户：整栋或整单元须包括全部住户，否则须在 %s 之间或写明特批理由", anchor.Name, kind.Label(), all, n, bounds))
		}
	case model.UnitSplit:
		if anchor.Kind != model.KindBuilding && anchor.Kind != model.KindStairwell {
			return nil, fieldErr("basis", "拆分只用于同一栋楼或同一单元内的住户")
		}
		fallthrough
	case model.UnitGrouped:
		if !bounds.Within(n) {
			return nil, fieldErr("households", fmt.Sprintf("联建单元有 %d 户，应在 %s 之间；整栋楼或整个单元不受此限，否则须写明特批理由", n, bounds))
		}
	}
	return &draftCheck{communityID: community, anchor: anchor}, nil
}

// commonPathOf is the deepest node path that is a prefix of every path.
func commonPathOf(paths []string) string {
	p := paths[0]
	for _, q := range paths[1:] {
		p = commonPath(p, q)
	}
	return p
}

// lockHouseholds takes, on PostgreSQL, the row locks of the households in ascending id order
// before a write that changes several of them, so that two such writes wait for each other
// instead of deadlocking. SQLite has one writer.
func (tx *Tx) lockHouseholds(ctx context.Context, ids []int64) error {
	if tx.d.name != "postgres" || len(ids) == 0 {
		return nil
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for chunk := range slices.Chunk(sorted, 1000) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.query(ctx, `SELECT id FROM households WHERE id IN (`+inList(len(args))+`) ORDER BY id FOR UPDATE`, args...)
		if err != nil {
			return err
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// setUnitHouseholds moves households into unit (add) and out of it (remove), keeping
// unit_households and the unit's count. Adding is a conditional UPDATE: a household that moved
// out or joined another unit meanwhile is a ConflictError and nothing is written. Every change
// of a household's unit goes through here (forming, moving, merging, splitting, dissolving,
// moving out), so that what is maintained per unit is maintained in one place: the unit's
// count here, and the households-in-units counters of every node above the households
// (unit_count.go). A change of a unit's own row (status, leader, rotation, last activity) goes
// through tx.unitCountsChange.
func (tx *Tx) setUnitHouseholds(ctx context.Context, sc authz.Scope, unitID int64, add, remove []int64, reason string) error {
	ts := now()
	if err := tx.unitHouseholdCounts(ctx, remove, -1); err != nil {
		return err
	}
	for _, h := range remove {
		r, err := tx.exec(ctx, `UPDATE households SET unit_id = NULL, updated_at = ? WHERE id = ? AND unit_id = ?`, ts, h, unitID)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return &model.ConflictError{Message: fmt.Sprintf("住户 %d 已不在该联建单元中", h)}
		}
		if _, err := tx.exec(ctx, `UPDATE unit_households SET left_at = ?, left_reason = ? WHERE unit_id = ? AND household_id = ? AND left_at IS NULL`,
			ts, reason, unitID, h); err != nil {
			return err
		}
	}
	for _, h := range add {
		r, err := tx.exec(ctx, `UPDATE households SET unit_id = ?, updated_at = ? WHERE id = ? AND unit_id IS NULL AND moved_out_at IS NULL`, unitID, ts, h)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return &model.ConflictError{Message: fmt.Sprintf("住户 %d 已在其他联建单元中或已迁出，一户只能属于一个联建单元", h)}
		}
		if _, err := tx.exec(ctx, `INSERT INTO unit_households (unit_id, household_id, joined_at) VALUES (?, ?, ?)`, unitID, h, ts); err != nil {
			return err
		}
	}
	if d := len(add) - len(remove); d != 0 {
		if _, err := tx.exec(ctx, `UPDATE units SET households = households + ?, updated_at = ? WHERE id = ?`, d, ts, unitID); err != nil {
			return err
		}
	}
	if err := tx.unitHouseholdCounts(ctx, add, 1); err != nil {
		return err
	}
	return tx.dutyHouseholdsChanged(ctx, unitID, add, remove)
}
