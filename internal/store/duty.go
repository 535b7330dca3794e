package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The duty rotation of joint-building units (联建轮值, issue 9 item 3): unit_duty holds one duty
// household per unit and month as served (household_id) and as planned (planned_household_id,
// NULL when the same: only a consented swap makes them differ); model.PlanRotation decides the
// plan from the plan so far (see its package comment for the property it keeps), and the
// writes here keep what it decided. Who may see a unit's rotation: staff and grid leaders in
// whose territory the unit lies, the unit's own leader (Scope.Unit), and the accounts linked to
// a resident of one of its households (users.resident_id), who see their own unit only.

// DutyMonth is one month of a unit's rotation.
type DutyMonth struct {
	Month       string
	HouseholdID int64
	Address     string
	Version     int64 // 1 when assigned, +1 at every change (the feed's SEQUENCE)
	UpdatedAt   time.Time
}

// UnitDuty is a unit's rotation as the caller sees it.
type UnitDuty struct {
	Unit *model.Unit
	// Months are the unit's months from a year before the current month through the last
	// generated one, oldest first.
	Months     []DutyMonth
	Exemptions []model.DutyExemption // open exemptions (reason and note withheld from households)
	Current    string                // the current month, YYYY-MM
	// Own is the caller's own household when the caller is one of the unit's households, 0
	// otherwise.
	Own int64
	// Checklist is the community's monthly checklist (the defaults where it defined none).
	Checklist []string
}

// Month returns the month m (YYYY-MM) of d, nil when none is assigned.
func (d *UnitDuty) Month(m string) *DutyMonth {
	for i := range d.Months {
		if d.Months[i].Month == m {
			return &d.Months[i]
		}
	}
	return nil
}

// ownHousehold is the household of the resident linked to the caller's account, 0 when none.
func (c conn) ownHousehold(ctx context.Context, sc authz.Scope) (int64, error) {
	if sc.UserID == 0 {
		return 0, nil
	}
	var h sql.NullInt64
	err := c.queryRow(ctx, `SELECT r.household_id FROM users u JOIN residents r ON r.id = u.resident_id WHERE u.id = ?`, []any{sc.UserID}, &h)
	if errors.Is(err, model.ErrNotFound) {
		return 0, nil
	}
	return h.Int64, err
}

// householdRole reports whether the role reads the rotation as a household (by its link).
func householdRole(r model.Role) bool { return r == model.RoleResident || r == model.RoleMember }

// dutyUnit returns the unit id as sc may read its rotation (see the file comment), with the
// caller's own household in it (0 when none); model.ErrNotFound otherwise.
func (c conn) dutyUnit(ctx context.Context, sc authz.Scope, id int64) (*model.Unit, int64, error) {
	own, err := c.ownHousehold(ctx, sc)
	if err != nil {
		return nil, 0, err
	}
	var ownUnit int64
	if own != 0 {
		var u sql.NullInt64
		if err := c.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ?`, []any{own}, &u); err != nil {
			return nil, 0, err
		}
		ownUnit = u.Int64
	}
	switch {
	case householdRole(sc.Role):
		if own == 0 || ownUnit != id {
			return nil, 0, model.ErrNotFound
		}
		u, err := c.unit(ctx, authz.System(), id)
		return u, own, err
	case sc.Role == model.RoleUnitLeader && sc.Unit != id:
		return nil, 0, model.ErrNotFound
	}
	u, err := c.unit(ctx, sc, id)
	if err != nil {
		return nil, 0, err
	}
	if ownUnit != id {
		own = 0
	}
	return u, own, nil
}

// dutyWritable returns the unit id as sc may change its rotation: staff whose territory holds
// it, or its own leader; model.ErrNotFound for a unit out of reach, ErrForbidden for a household.
func (c conn) dutyWritable(ctx context.Context, sc authz.Scope, id int64) (*model.Unit, error) {
	if householdRole(sc.Role) {
		return nil, model.ErrForbidden
	}
	if sc.Role == model.RoleUnitLeader && sc.Unit != id {
		return nil, model.ErrNotFound
	}
	u, err := c.unit(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !u.Active() {
		return nil, &model.ConflictError{Message: "该联建单元已" + u.Status.Label() + "，不再排轮值"}
	}
	return u, nil
}

// UnitDuty returns the rotation of unit id: its months from a year ago through the last
// generated month, its open exemptions, and the caller's own household in it. ErrNotFound when
// the caller may not read it (see the file comment).
func (s *Store) UnitDuty(ctx context.Context, sc authz.Scope, id int64) (*UnitDuty, error) {
	c := s.reader()
	u, own, err := c.dutyUnit(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if err := c.fillUnitLeaders(ctx, []*model.Unit{u}); err != nil {
		return nil, err
	}
	cur := model.ThisMonth(s.now())
	d := &UnitDuty{Unit: u, Current: cur.String(), Own: own}
	if d.Months, err = c.dutyMonths(ctx, id, (cur - 12).String()); err != nil {
		return nil, err
	}
	if d.Exemptions, err = c.openExemptions(ctx, id); err != nil {
		return nil, err
	}
	if d.Checklist, _, err = c.dutyChecklist(ctx, u.CommunityID); err != nil {
		return nil, err
	}
	if householdRole(sc.Role) || sc.Role == model.RoleUnitLeader {
		// Why a neighbour is exempt (an illness) is not for the neighbours to read.
		for i := range d.Exemptions {
			if d.Exemptions[i].HouseholdID != own || sc.Role == model.RoleUnitLeader {
				d.Exemptions[i].Note = ""
			}
			if d.Exemptions[i].HouseholdID != own && householdRole(sc.Role) {
				d.Exemptions[i].Reason = ""
			}
		}
	}
	return d, nil
}

func (c conn) dutyMonths(ctx context.Context, unitID int64, from string) ([]DutyMonth, error) {
	return queryAll(ctx, c, `SELECT d.month, d.household_id, h.address, d.version, d.updated_at FROM unit_duty d
		JOIN households h ON h.id = d.household_id WHERE d.unit_id = ? AND d.month >= ? ORDER BY d.month`, []any{unitID, from},
		func(r rowScanner) (DutyMonth, error) {
			var m DutyMonth
			err := r.Scan(&m.Month, &m.HouseholdID, &m.Address, &m.Version, &m.UpdatedAt)
			return m, err
		})
}

const exemptionColumns = `id, unit_id, household_id, reason, note, from_month, until_month, created_at`

func scanExemption(r rowScanner) (model.DutyExemption, error) {
	var e model.DutyExemption
	var from, until string
	if err := r.Scan(&e.ID, &e.UnitID, &e.HouseholdID, &e.Reason, &e.Note, &from, &until, &e.CreatedAt); err != nil {
		return e, err
	}
	e.From, _ = model.ParseMonth(from)
	if until != "" {
		e.Until, _ = model.ParseMonth(until)
	}
	return e, nil
}

func (c conn) openExemptions(ctx context.Context, unitID int64) ([]model.DutyExemption, error) {
	return queryAll(ctx, c, `SELECT `+exemptionColumns+` FROM duty_exemptions WHERE unit_id = ? AND lifted_at IS NULL ORDER BY id`, []any{unitID}, scanExemption)
}

// OwnDuty returns the unit and household of the caller's linked resident (for "我家轮值"):
// ErrNotLinked when the account has none, ErrNotFound when its household is in no unit.
func (s *Store) OwnDuty(ctx context.Context, sc authz.Scope) (*UnitDuty, error) {
	c := s.reader()
	own, err := c.ownHousehold(ctx, sc)
	if err != nil {
		return nil, err
	}
	if own == 0 {
		return nil, ErrNotLinked
	}
	var u sql.NullInt64
	if err := c.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ?`, []any{own}, &u); err != nil {
		return nil, err
	}
	if !u.Valid {
		return nil, model.ErrNotFound
	}
	return s.UnitDuty(ctx, sc, u.Int64)
}

// HouseholdDuty returns the rotation of the unit of household id for its feed, with Own set to
// that household. Staff see households in their territory, a unit leader those of its unit,
// a household its own; ErrNotFound otherwise or when the household is in no unit.
func (s *Store) HouseholdDuty(ctx context.Context, sc authz.Scope, id int64) (*UnitDuty, error) {
	c := s.reader()
	var unit sql.NullInt64
	var path string
	if err := c.queryRow(ctx, `SELECT unit_id, path FROM households WHERE id = ?`, []any{id}, &unit, &path); err != nil {
		return nil, err
	}
	if !unit.Valid {
		return nil, model.ErrNotFound
	}
	if householdRole(sc.Role) {
		own, err := c.ownHousehold(ctx, sc)
		if err != nil {
			return nil, err
		}
		if own != id {
			return nil, model.ErrNotFound
		}
	} else if !sc.Contains(path) && sc.Role != model.RoleUnitLeader {
		return nil, model.ErrNotFound
	}
	d, err := s.UnitDuty(ctx, sc, unit.Int64)
	if err != nil {
		return nil, err
	}
	d.Own = id
	return d, nil
}

// GenerateRotation extends the rotation of unit id through the 12 months from the current one
// (months already assigned keep their household) and returns it. Staff in scope or the unit's
// leader; a unit with no household eligible gets no months.
func (s *Store) GenerateRotation(ctx context.Context, sc authz.Scope, id int64) (*UnitDuty, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		u, err := tx.dutyWritable(ctx, sc, id)
		if err != nil {
			return err
		}
		n, err := tx.extendRotations(ctx, `u.id = ?`, []any{id}, model.ThisMonth(tx.s.now()))
		if err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.duty.generate", "unit", []int64{id}, fmt.Sprintf("排出 %d 个月", n.months))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.UnitDuty(ctx, sc, id)
}

// RotationStats is what ExtendRotations did.
type RotationStats struct {
	Units  int // units whose rotation was read
	Months int // months assigned
}

type rotationCount struct{ units, months int }

// ExtendRotations extends the rotation of every active unit under the territory node under
// (0: the whole scope) through the 12 months from the current one, set-based: the households,
// queue places, exemptions and assigned months of all those units are read in one query each,
// the rule runs in memory, and the months are written in batches. Staff only.
func (s *Store) ExtendRotations(ctx context.Context, sc authz.Scope, under int64) (RotationStats, error) {
	var st RotationStats
	if sc.Role == model.RoleUnitLeader || householdRole(sc.Role) {
		return st, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		prefix, ok, err := tx.subtree(ctx, sc, under)
		if err != nil {
			return err
		}
		if !ok {
			return model.ErrNotFound
		}
		lo, hi := authz.PathRange(prefix)
		n, err := tx.extendRotations(ctx, `u.path >= ? AND u.path < ?`, []any{lo, hi}, model.ThisMonth(tx.s.now()))
		if err != nil {
			return err
		}
		st = RotationStats{Units: n.units, Months: n.months}
		if n.units > 0 {
			tx.auditAt(sc, prefix, "unit.duty.extend", "territory", []int64{under}, fmt.Sprintf("%d 个联建单元，排出 %d 个月", n.units, n.months))
		}
		return nil
	})
	return st, err
}

// extendRotations runs the rule for the active units matching where (on units u) whose
// rotation does not reach cur+11, and writes the months it assigns.
func (tx *Tx) extendRotations(ctx context.Context, where string, args []any, cur model.Month) (rotationCount, error) {
	var n rotationCount
	if err := tx.lockDutyPlans(ctx); err != nil {
		return n, err
	}
	target := cur + model.DutyHorizon - 1
	unitWhere := where + ` AND u.status = 'active' AND u.rotation_until < ?`
	uargs := append(slices.Clone(args), target.String())
	type unitState struct {
		community int64
		// What the coverage counters count of the unit (unit_count.go), as read.
		path, rotation, lastActivity string
		leader                       bool
		members                      []model.DutyMember
		exempt                       []model.DutyExemption
		assigned                     []model.DutyTurn
	}
	units := map[int64]*unitState{}
	var order []int64
	// The units are locked as they are read (as unitCountsRows does when it takes counts out):
	// a concurrent change of one of them (its leader) waits, so the counts taken out below are
	// those of the rows updated.
	lock := ""
	if tx.d.name == "postgres" {
		lock = ` FOR NO KEY UPDATE`
	}
	rows, err := tx.query(ctx, `SELECT u.id, u.community_id, u.path, u.leader_household_id IS NOT NULL, u.rotation_until, u.last_activity_month
		FROM units u WHERE `+unitWhere+` ORDER BY u.id`+lock, uargs...)
	if err != nil {
		return n, err
	}
	for rows.Next() {
		x := &unitState{}
		var id int64
		if err := rows.Scan(&id, &x.community, &x.path, &x.leader, &x.rotation, &x.lastActivity); err != nil {
			rows.Close()
			return n, err
		}
		units[id] = x
		order = append(order, id)
	}
	if err := rows.Close(); err != nil {
		return n, err
	}
	if len(order) == 0 {
		return n, nil
	}
	n.units = len(order)
	// Households in queue order: founding households by address order (path, id), those that
	// joined later by their queue place.
	queued := map[[2]int64]model.Month{}
	if err := eachRow(ctx, tx.conn, `SELECT q.unit_id, q.household_id, q.queued_after FROM unit_duty_queue q JOIN units u ON u.id = q.unit_id WHERE `+unitWhere, uargs,
		func(r rowScanner) error {
			var u, h int64
			var after string
			if err := r.Scan(&u, &h, &after); err != nil {
				return err
			}
			if m, err := model.ParseMonth(after); err == nil {
				queued[[2]int64{u, h}] = m
			}
			return nil
		}); err != nil {
		return n, err
	}
	if err := eachRow(ctx, tx.conn, `SELECT h.unit_id, h.id FROM households h JOIN units u ON u.id = h.unit_id WHERE `+unitWhere+` AND h.moved_out_at IS NULL ORDER BY h.unit_id, h.path, h.id`, uargs,
		func(r rowScanner) error {
			var u, h int64
			if err := r.Scan(&u, &h); err != nil {
				return err
			}
			if x := units[u]; x != nil {
				x.members = append(x.members, model.DutyMember{HouseholdID: h, QueuedAfter: queued[[2]int64{u, h}]})
			}
			return nil
		}); err != nil {
		return n, err
	}
	if err := eachRow(ctx, tx.conn, `SELECT e.unit_id, `+ruleExemptionColumns+` FROM duty_exemptions e JOIN units u ON u.id = e.unit_id
		WHERE `+unitWhere+` AND `+ruleExemptionWhere, append(slices.Clone(uargs), cur.String(), cur.String()),
		func(r rowScanner) error {
			var u int64
			e, err := scanRuleExemption(r, &u)
			if err != nil {
				return err
			}
			if x := units[u]; x != nil {
				x.exempt = append(x.exempt, e)
			}
			return nil
		}); err != nil {
		return n, err
	}
	// History for the queue, as planned: ten years back is far more than any unit's cycle.
	if err := eachRow(ctx, tx.conn, `SELECT d.unit_id, d.month, COALESCE(d.planned_household_id, d.household_id) FROM unit_duty d JOIN units u ON u.id = d.unit_id WHERE `+unitWhere+` AND d.month >= ?`,
		append(slices.Clone(uargs), (cur-120).String()),
		func(r rowScanner) error {
			var u, h int64
			var month string
			if err := r.Scan(&u, &month, &h); err != nil {
				return err
			}
			m, err := model.ParseMonth(month)
			if err != nil {
				return err
			}
			if x := units[u]; x != nil {
				x.assigned = append(x.assigned, model.DutyTurn{Month: m, HouseholdID: h})
			}
			return nil
		}); err != nil {
		return n, err
	}
	// Households that joined after their unit's rotation began queue by their place; the
	// founders keep address order ahead of them.
	ts := now()
	rowsOut := make([]dutyRow, 0, len(order)*model.DutyHorizon)
	until := map[string][]int64{} // new rotation_until → the units whose rotation_until it becomes
	names := map[model.Month]string{}
	name := func(m model.Month) string {
		s, ok := names[m]
		if !ok {
			s = m.String()
			names[m] = s
		}
		return s
	}
	for _, id := range order {
		x := units[id]
		slices.SortStableFunc(x.members, func(a, b model.DutyMember) int { return cmp.Compare(a.QueuedAfter, b.QueuedAfter) })
		turns := model.ExtendRotation(x.members, x.exempt, x.assigned, cur, target)
		last := model.Month(0)
		for _, t := range x.assigned {
			last = max(last, t.Month)
		}
		for _, t := range turns {
			rowsOut = append(rowsOut, dutyRow{unit: id, month: name(t.Month), household: t.HouseholdID, community: x.community})
			last = max(last, t.Month)
		}
		if last != 0 && name(last) != x.rotation {
			until[name(last)] = append(until[name(last)], id)
		}
	}
	if err := tx.insertDuty(ctx, rowsOut, ts); err != nil {
		return n, err
	}
	n.months = len(rowsOut)
	// rotation_until moves, and with it the coverage counters (unit_count.go): each unit's
	// counts as read (and locked) above are taken out and put back with the new month, summed
	// over all of them, written once; the units are updated in one statement per 20,000 on
	// PostgreSQL (unnest of two arrays), per month and 1,000 ids on SQLite.
	agg := map[unitCountKey]int64{}
	for month, ids := range until {
		for _, id := range ids {
			x := units[id]
			addUnitCounts(agg, x.path, -1, x.leader, x.rotation, x.lastActivity)
			addUnitCounts(agg, x.path, 1, x.leader, month, x.lastActivity)
		}
	}
	if err := tx.setRotationUntil(ctx, until); err != nil {
		return n, err
	}
	if err := tx.unitCountsWrite(ctx, agg); err != nil {
		return n, err
	}
	return n, nil
}

// dutyPlanLock is the PostgreSQL advisory lock taken first by the transactions that plan
// months from what they read of a unit's rotation (extending, exempting, lifting, swapping):
// an extension planned from a snapshot without an exemption another transaction was adding, or
// a lift computed against a last month an extension was moving, would plan months the
// property (model.PlanRotation) does not cover. They are short and occasional; SQLite has one
// writer. The households' moves (dutyHouseholdsChanged) do not take it: they would wait for it
// while holding unit rows an extension updates. They plan again under the unit's row lock
// instead (lockDutyUnit), which the other planners take after this lock.
const dutyPlanLock = 0x64757479 // "duty"

func (tx *Tx) lockDutyPlans(ctx context.Context) error {
	if tx.d.name != "postgres" {
		return nil
	}
	_, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(dutyPlanLock))
	return err
}

// lockDutyUnit takes, on PostgreSQL, the row lock of unit before a transaction plans its
// months again from what it reads of them (replan): an exemption, a consented swap and a
// household moving away at once would each plan from a snapshot without the other's change,
// and the last to write would win (a household that left kept its months, or the turns came
// apart by more than one). Every statement after the lock reads what the previous holder
// committed. The planners take it after dutyPlanLock; a move takes it with the unit's count,
// and never waits for dutyPlanLock.
func (tx *Tx) lockDutyUnit(ctx context.Context, unitID int64) error {
	if tx.d.name != "postgres" {
		return nil
	}
	_, err := tx.exec(ctx, `SELECT id FROM units WHERE id = ? FOR NO KEY UPDATE`, unitID)
	return err
}

// setRotationUntil sets units.rotation_until to each month for its units.
func (tx *Tx) setRotationUntil(ctx context.Context, until map[string][]int64) error {
	if tx.d.name == "postgres" {
		var ids []int64
		var months []string
		for month, us := range until {
			for _, id := range us {
				ids = append(ids, id)
				months = append(months, month)
			}
		}
		for lo := 0; lo < len(ids); lo += 20000 {
			hi := min(lo+20000, len(ids))
			if _, err := tx.exec(ctx, `UPDATE units SET rotation_until = x.m FROM unnest(?::bigint[], ?::text[]) AS x(id, m) WHERE units.id = x.id`,
				ids[lo:hi], months[lo:hi]); err != nil {
				return err
			}
		}
		return nil
	}
	for month, ids := range until {
		for chunk := range slices.Chunk(ids, 1000) {
			a := make([]any, 0, len(chunk)+1)
			a = append(a, month)
			for _, id := range chunk {
				a = append(a, id)
			}
			if _, err := tx.exec(ctx, `UPDATE units SET rotation_until = ? WHERE id IN (`+inList(len(chunk))+`)`, a...); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachRow runs query and hands every row to f.
func eachRow(ctx context.Context, c conn, query string, args []any, f func(rowScanner) error) error {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

type dutyRow struct {
	unit      int64
	month     string
	household int64
	community int64
}

// insertDuty writes months in batches: on PostgreSQL one INSERT … SELECT FROM unnest of four
// arrays per 20,000 rows, on SQLite multi-row INSERTs of 5,000 rows (25,000 parameters, below
// its limit of 32,766).
func (tx *Tx) insertDuty(ctx context.Context, rows []dutyRow, ts time.Time) error {
	if tx.d.name == "postgres" {
		for chunk := range slices.Chunk(rows, 20000) {
			units, months, hs, cs := make([]int64, len(chunk)), make([]string, len(chunk)), make([]int64, len(chunk)), make([]int64, len(chunk))
			for i, r := range chunk {
				units[i], months[i], hs[i], cs[i] = r.unit, r.month, r.household, r.community
			}
			if _, err := tx.exec(ctx, `INSERT INTO unit_duty (unit_id, month, household_id, community_id, version, updated_at)
				SELECT u, m, h, c, 1, ? FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[]) AS x(u, m, h, c)`, ts, units, months, hs, cs); err != nil {
				return err
			}
		}
		return nil
	}
	for chunk := range slices.Chunk(rows, 5000) {
		var b strings.Builder
		args := make([]any, 0, len(chunk)*5)
		b.WriteString(`INSERT INTO unit_duty (unit_id, month, household_id, community_id, version, updated_at) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, 1, ?)")
			args = append(args, r.unit, r.month, r.household, r.community, ts)
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// ruleExemptionColumns and ruleExemptionWhere read the exemptions the rule needs for months
// from a given one (its two parameters): open ones and lifted ones through the last month they
// still cover (lifted_until), ending at or after it. An exemption lifted before migration 0042
// has no lifted_until and is ignored, as it was then.
const (
	ruleExemptionColumns = `e.household_id, e.from_month, COALESCE(e.lifted_until, e.until_month)`
	ruleExemptionWhere   = `(e.lifted_at IS NULL AND (e.until_month = '' OR e.until_month >= ?) OR e.lifted_until >= ?)`
)

// scanRuleExemption reads ruleExemptionColumns, after the columns in pre.
func scanRuleExemption(r rowScanner, pre ...any) (model.DutyExemption, error) {
	var e model.DutyExemption
	var from, until string
	if err := r.Scan(append(pre, &e.HouseholdID, &from, &until)...); err != nil {
		return e, err
	}
	e.From, _ = model.ParseMonth(from)
	if until != "" {
		e.Until, _ = model.ParseMonth(until)
	}
	return e, nil
}

// dutyHouseholdsChanged keeps the rotation of unit when households join or leave it; it is
// called by setUnitHouseholds, the one place a household's unit changes. A household that
// joins queues after the month last assigned (months already assigned keep their household);
// one that leaves loses its months from the current one on: every month from the first of
// them is planned again (replan), and its pending swap requests lapse.
func (tx *Tx) dutyHouseholdsChanged(ctx context.Context, unitID int64, added, removed []int64) error {
	if err := tx.lockDutyUnit(ctx, unitID); err != nil {
		return err
	}
	var until string
	if err := tx.queryRow(ctx, `SELECT rotation_until FROM units WHERE id = ?`, []any{unitID}, &until); err != nil {
		return err
	}
	if until == "" {
		return nil // no rotation yet: everyone is a founding household when it is generated
	}
	for _, h := range added {
		if _, err := tx.exec(ctx, `INSERT INTO unit_duty_queue (unit_id, household_id, queued_after) VALUES (?, ?, ?)
			ON CONFLICT (unit_id, household_id) DO UPDATE SET queued_after = excluded.queued_after`, unitID, h, until); err != nil {
			return err
		}
	}
	if len(removed) == 0 {
		return nil
	}
	cur := model.ThisMonth(tx.s.now())
	hs := make([]any, len(removed))
	for i, h := range removed {
		hs[i] = h
	}
	in := inList(len(removed))
	if _, err := tx.exec(ctx, `DELETE FROM unit_duty_queue WHERE unit_id = ? AND household_id IN (`+in+`)`, append([]any{unitID}, hs...)...); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE duty_swaps SET status = 'declined', decided_at = ? WHERE unit_id = ? AND status = 'pending' AND (from_household IN (`+in+`) OR to_household IN (`+in+`))`,
		append(append([]any{now(), unitID}, hs...), hs...)...); err != nil {
		return err
	}
	first, err := tx.firstHeld(ctx, unitID, `household_id IN (`+in+`) OR planned_household_id IN (`+in+`)`, append(slices.Clone(hs), hs...), cur, 0)
	if err != nil || first == 0 {
		return err
	}
	return tx.replan(ctx, unitID, first)
}

// firstHeld is the first month of unit from `from` through until (0: no end) whose row matches
// who (as served or as planned), 0 when none.
func (tx *Tx) firstHeld(ctx context.Context, unitID int64, who string, args []any, from, until model.Month) (model.Month, error) {
	q := `SELECT MIN(month) FROM unit_duty WHERE unit_id = ? AND month >= ? AND (` + who + `)`
	a := append([]any{unitID, from.String()}, args...)
	if until != 0 {
		q += ` AND month <= ?`
		a = append(a, until.String())
	}
	var first sql.NullString
	if err := tx.queryRow(ctx, q, a, &first); err != nil || !first.Valid {
		return 0, err
	}
	return model.ParseMonth(first.String)
}

// replan plans the months of unit from `from` through the last one assigned again
// (model.PlanRotation over the plan before `from`): a month whose household changes is served
// as planned again (a swap of it lapses) with its version raised, a month nobody can take is
// removed; months before `from` keep their household.
func (tx *Tx) replan(ctx context.Context, unitID int64, from model.Month) error {
	members, exempt, assigned, err := tx.rotationOf(ctx, unitID, from)
	if err != nil {
		return err
	}
	type row struct{ served, planned int64 }
	old := map[model.Month]row{}
	var last model.Month
	var history []model.DutyTurn
	for _, t := range assigned {
		if t.Month < from {
			history = append(history, model.DutyTurn{Month: t.Month, HouseholdID: t.planned})
			continue
		}
		old[t.Month] = row{t.served, t.planned}
		last = max(last, t.Month)
	}
	plan := model.PlanRotation(members, exempt, history, from, last)
	got := map[model.Month]int64{}
	for _, t := range plan {
		got[t.Month] = t.HouseholdID
	}
	ts := now()
	for m := from; m <= last; m++ {
		o, had := old[m]
		h, ok := got[m]
		switch {
		case !had && !ok:
		case !ok:
			if _, err := tx.exec(ctx, `DELETE FROM unit_duty WHERE unit_id = ? AND month = ?`, unitID, m.String()); err != nil {
				return err
			}
		case !had:
			// A month vacant in the plan that someone can take now: not reached by the rule's
			// eligibility (a vacant month had nobody eligible), kept for completeness.
			if _, err := tx.exec(ctx, `INSERT INTO unit_duty (unit_id, month, household_id, community_id, version, updated_at)
				SELECT id, ?, ?, community_id, 1, ? FROM units WHERE id = ?`, m.String(), h, ts, unitID); err != nil {
				return err
			}
		case o.served != h || o.planned != h:
			if _, err := tx.exec(ctx, `UPDATE unit_duty SET household_id = ?, planned_household_id = NULL, version = version + 1, updated_at = ? WHERE unit_id = ? AND month = ?`,
				h, ts, unitID, m.String()); err != nil {
				return err
			}
		}
	}
	return nil
}

// dutyRowTurn is a month of a unit as served and as planned.
type dutyRowTurn struct {
	Month           model.Month
	served, planned int64
}

// rotationOf reads what the rule needs of one unit: its current households in queue order,
// the exemptions that matter from month from on, and every assigned month.
func (tx *Tx) rotationOf(ctx context.Context, unitID int64, from model.Month) ([]model.DutyMember, []model.DutyExemption, []dutyRowTurn, error) {
	queued := map[int64]model.Month{}
	if err := eachRow(ctx, tx.conn, `SELECT household_id, queued_after FROM unit_duty_queue WHERE unit_id = ?`, []any{unitID}, func(r rowScanner) error {
		var h int64
		var after string
		if err := r.Scan(&h, &after); err != nil {
			return err
		}
		queued[h], _ = model.ParseMonth(after)
		return nil
	}); err != nil {
		return nil, nil, nil, err
	}
	members, err := queryAll(ctx, tx.conn, `SELECT id FROM households WHERE unit_id = ? AND moved_out_at IS NULL ORDER BY path, id`, []any{unitID},
		func(r rowScanner) (model.DutyMember, error) {
			var m model.DutyMember
			err := r.Scan(&m.HouseholdID)
			m.QueuedAfter = queued[m.HouseholdID]
			return m, err
		})
	if err != nil {
		return nil, nil, nil, err
	}
	slices.SortStableFunc(members, func(a, b model.DutyMember) int { return cmp.Compare(a.QueuedAfter, b.QueuedAfter) })
	exempt, err := queryAll(ctx, tx.conn, `SELECT `+ruleExemptionColumns+` FROM duty_exemptions e WHERE e.unit_id = ? AND `+ruleExemptionWhere,
		[]any{unitID, from.String(), from.String()}, func(r rowScanner) (model.DutyExemption, error) { return scanRuleExemption(r) })
	if err != nil {
		return nil, nil, nil, err
	}
	assigned, err := queryAll(ctx, tx.conn, `SELECT month, household_id, COALESCE(planned_household_id, household_id) FROM unit_duty WHERE unit_id = ?`, []any{unitID},
		func(r rowScanner) (dutyRowTurn, error) {
			var t dutyRowTurn
			var m string
			if err := r.Scan(&m, &t.served, &t.planned); err != nil {
				return t, err
			}
			t.Month, err = model.ParseMonth(m)
			return t, err
		})
	return members, exempt, assigned, err
}

// AddExemption exempts a household of unit from the rotation (staff in scope or the unit's
// leader): months already assigned to it from the current month through the exemption's end
// go to other households. A household with an open exemption already is a ConflictError.
func (s *Store) AddExemption(ctx context.Context, sc authz.Scope, unitID int64, in model.DutyExemptionInput) (*model.DutyExemption, error) {
	var out model.DutyExemption
	err := s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockDutyPlans(ctx); err != nil {
			return err
		}
		u, err := tx.dutyWritable(ctx, sc, unitID)
		if err != nil {
			return err
		}
		if err := tx.lockDutyUnit(ctx, unitID); err != nil {
			return err
		}
		cur := model.ThisMonth(tx.s.now())
		until, err := in.Validate(cur)
		if err != nil {
			return err
		}
		var hu sql.NullInt64
		err = tx.queryRow(ctx, `SELECT unit_id FROM households WHERE id = ? AND moved_out_at IS NULL`, []any{in.HouseholdID}, &hu)
		if errors.Is(err, model.ErrNotFound) || err == nil && hu.Int64 != unitID {
			return fieldErr("household_id", "该住户不在这个联建单元中")
		} else if err != nil {
			return err
		}
		untilS := ""
		if until != 0 {
			untilS = until.String()
		}
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO duty_exemptions (unit_id, household_id, community_id, reason, note, from_month, until_month, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{unitID, in.HouseholdID, u.CommunityID, string(in.Reason), strings.TrimSpace(in.Note), cur.String(), untilS, nullID(sc.UserID), now()}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "该住户已免除轮值，如需修改请先取消原来的免除"}
		} else if err != nil {
			return err
		}
		// Every month from the first one it held within the exemption is planned again.
		first, err := tx.firstHeld(ctx, unitID, `household_id = ? OR planned_household_id = ?`, []any{in.HouseholdID, in.HouseholdID}, cur, until)
		if err != nil {
			return err
		}
		if first != 0 {
			if err := tx.replan(ctx, unitID, first); err != nil {
				return err
			}
		}
		if err := tx.unitEvent(ctx, sc, unitID, "duty_exempt", fmt.Sprintf("住户 %d 免除轮值（%s）", in.HouseholdID, in.Reason.Label())); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.duty.exempt", "household", []int64{in.HouseholdID}, string(in.Reason))
		out, err = queryOne(ctx, tx.conn, `SELECT `+exemptionColumns+` FROM duty_exemptions WHERE id = ?`, []any{id}, scanExemption)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// LiftExemption ends open exemption id (staff whose territory holds its unit, or the unit's
// leader); the household takes turns again from the months generated next, like a household
// moving in: the exemption keeps covering the past and the months already assigned
// (lifted_until: the unit's last assigned month or the last month, whichever is later, never
// beyond the exemption's own end), so no month changes hands. ErrNotFound when there is no such open
// exemption within reach.
func (s *Store) LiftExemption(ctx context.Context, sc authz.Scope, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockDutyPlans(ctx); err != nil {
			return err
		}
		var unitID int64
		var fromS, untilS string
		if err := tx.queryRow(ctx, `SELECT unit_id, from_month, until_month FROM duty_exemptions WHERE id = ? AND lifted_at IS NULL`, []any{id}, &unitID, &fromS, &untilS); err != nil {
			return err
		}
		u, err := tx.dutyWritable(ctx, sc, unitID)
		if err != nil {
			return err
		}
		if err := tx.lockDutyUnit(ctx, unitID); err != nil {
			return err
		}
		var lastS string
		if err := tx.queryRow(ctx, `SELECT rotation_until FROM units WHERE id = ?`, []any{unitID}, &lastS); err != nil {
			return err
		}
		from, err := model.ParseMonth(fromS)
		if err != nil {
			return err
		}
		end := max(from, model.ThisMonth(tx.s.now())) - 1
		if last, err := model.ParseMonth(lastS); err == nil {
			end = max(end, last)
		}
		if until, err := model.ParseMonth(untilS); err == nil {
			end = min(end, until)
		}
		r, err := tx.exec(ctx, `UPDATE duty_exemptions SET lifted_at = ?, lifted_by = ?, lifted_until = ? WHERE id = ? AND lifted_at IS NULL`, now(), nullID(sc.UserID), end.String(), id)
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k != 1 {
			return model.ErrNotFound
		}
		tx.auditAt(sc, u.Path, "unit.duty.exempt_lift", "unit", []int64{unitID}, fmt.Sprintf("exemption %d", id))
		return nil
	})
}
