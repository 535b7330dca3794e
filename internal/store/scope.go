package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The scope of people. A scope is a set of households the store narrows to: a territory subtree
// (Scope.Path), and for a unit leader exactly the households of its unit (Scope.UnitBound). Every
// read and write of households, residents and their history goes through the helpers here, so a
// list, a count, a search or a single read cannot forget either half.

// scopedHousehold is scopedOne for a row that belongs to a household: placeOf gives the row's
// path and its household's unit (0: in none). A row outside sc, by territory or by unit, is
// model.ErrNotFound, exactly like a missing one.
func scopedHousehold[T any](ctx context.Context, c conn, sc authz.Scope, query string, args []any, scan func(rowScanner) (T, error), placeOf func(T) (string, int64)) (T, error) {
	v, err := queryOne(ctx, c, query, args, scan)
	if err != nil {
		return v, err
	}
	if p, unit := placeOf(v); !sc.ContainsHousehold(p, unit) {
		var zero T
		return zero, model.ErrNotFound
	}
	return v, nil
}

// unitCond is the condition that narrows rows by their household (householdCol: the column
// holding the household's id; "id" on households itself) to sc's unit: "" when sc is not
// unit-bound, a condition that holds for no row when its unit is 0.
func unitCond(sc authz.Scope, householdCol string) (cond string, args []any) {
	switch {
	case !sc.UnitBound():
		return "", nil
	case sc.Unit == 0:
		return "1 = 0", nil
	case householdCol == "id":
		return "unit_id = ?", []any{sc.Unit}
	}
	return householdCol + " IN (SELECT id FROM households WHERE unit_id = ?)", []any{sc.Unit}
}

// narrowToUnit adds unitCond to f.
func (f *filter) narrowToUnit(sc authz.Scope, householdCol string) {
	if cond, args := unitCond(sc, householdCol); cond != "" {
		f.add(cond, args...)
	}
}

// householdsUnder is the filter of a list of households: under prefix (from subtree) and in
// sc's unit for a unit-bound scope.
func householdsUnder(sc authz.Scope, prefix string) filter {
	w := underPath(prefix)
	w.narrowToUnit(sc, "id")
	return w
}

// residentsUnder is the filter of a list of residents: under prefix and, for a unit-bound
// scope, in a household of its unit.
func residentsUnder(sc authz.Scope, prefix string) filter {
	w := underPath(prefix)
	w.narrowToUnit(sc, "household_id")
	return w
}

// unitCounts replaces the maintained household and resident counts of the nodes with counts
// of the unit's households under each (a unit-bound scope must not learn how many households
// live around its unit). It does nothing for other scopes. One COUNT per node: a unit
// leader's tree is its unit's anchor and the few nodes below.
func (c conn) unitCounts(ctx context.Context, sc authz.Scope, ts ...*model.Territory) error {
	if !sc.UnitBound() {
		return nil
	}
	for _, t := range ts {
		if t == nil {
			continue
		}
		t.Households, t.Residents = 0, 0
		if sc.Unit == 0 {
			continue
		}
		lo, hi := authz.PathRange(t.Path)
		if err := c.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(members), 0) FROM households
			WHERE unit_id = ? AND moved_out_at IS NULL AND path >= ? AND path < ?`, []any{sc.Unit, lo, hi}, &t.Households, &t.Residents); err != nil {
			return err
		}
	}
	return nil
}

// householder is the caller as the features that reach residents by their own household see
// it (votes, notices: what is held over a territory reaches the households under it): its scope
// and the household of the resident its account is linked to (users.resident_id).
type householder struct {
	sc            authz.Scope
	household     int64
	householdPath string
	resident      int64
}

// householderOf reads the caller's own current household and resident (by its account's link).
func (c conn) householderOf(ctx context.Context, sc authz.Scope) (householder, error) {
	vr := householder{sc: sc}
	if sc.UserID == 0 {
		return vr, nil
	}
	var rid, hid sql.NullInt64
	var path sql.NullString
	err := c.queryRow(ctx, `SELECT r.id, h.id, h.path FROM users u JOIN residents r ON r.id = u.resident_id
		JOIN households h ON h.id = r.household_id AND h.moved_out_at IS NULL WHERE u.id = ?`, []any{sc.UserID}, &rid, &hid, &path)
	if errors.Is(err, model.ErrNotFound) {
		return vr, nil
	}
	vr.resident, vr.household, vr.householdPath = rid.Int64, hid.Int64, path.String
	return vr, err
}

// householderOne reads one row of something held over a territory (scan) and the caller as a
// householder, and returns the row when reads says the caller may see it (model.ErrNotFound
// otherwise); the householder then tells the caller's standing (its household on a roll, its
// read receipt).
func householderOne[T any](ctx context.Context, c conn, sc authz.Scope, query string, args []any, scan func(rowScanner) (T, error), reads func(householder, T) bool) (T, householder, error) {
	var zero T
	v, err := queryOne(ctx, c, query, args, scan)
	if err != nil {
		return zero, householder{}, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return zero, vr, err
	}
	if !reads(vr, v) {
		return zero, vr, model.ErrNotFound
	}
	return v, vr, nil
}

// underTerritory narrows w to what lies at node id and everything under it (col holds the
// path: API.md's territory=ID), when the caller reads what is held there (readsAt); a node it
// does not read is model.ErrNotFound, as any object outside its scope. Id 0 leaves w as it is.
func (c conn) underTerritory(ctx context.Context, vr householder, w *filter, col string, id int64) error {
	if id == 0 {
		return nil
	}
	n, err := c.territory(ctx, authz.System(), id)
	if err != nil {
		return err
	}
	if !vr.readsAt(n.Path) {
		return model.ErrNotFound
	}
	lo, hi := authz.PathRange(n.Path)
	w.add("("+col+" >= ? AND "+col+" < ?)", lo, hi)
	return nil
}

// readsAt reports whether the caller may see what is held over the territory at path: anyone
// whose own household lies under it; staff and grid leaders when it lies in their territory or
// above it (a community's staff and its grid leaders see the street's notices and votes, to
// pass them on to their households).
func (vr householder) readsAt(path string) bool {
	if vr.householdPath != "" && strings.HasPrefix(vr.householdPath, path) {
		return true
	}
	if householdRole(vr.sc.Role) || vr.sc.UnitBound() {
		return false
	}
	return vr.sc.Contains(path) || vr.sc.Path != "" && strings.HasPrefix(vr.sc.Path, path)
}

// reads reports whether the caller may do a of what is held over the territory at path and
// sees it there (readsAt): the read check of every feature held over territories.
func (vr householder) reads(a authz.Action, path string) bool {
	return authz.Allowed(vr.sc.Role, a) && vr.readsAt(path)
}

// manages reports whether the caller may do a over the territory at path as staff whose
// territory holds it.
func (vr householder) manages(a authz.Action, path string) bool {
	return authz.Allowed(vr.sc.Role, a) && vr.sc.Contains(path)
}

// actsFor reports whether the caller may do a (a resident's act: book, propose, read a
// contract of its community) at the territory at path: a household's account or a unit leader
// for its own household under path, staff when they may also do staff over it.
func (vr householder) actsFor(a, staff authz.Action, path string) bool {
	if !authz.Allowed(vr.sc.Role, a) {
		return false
	}
	if householdRole(vr.sc.Role) || vr.sc.Role == model.RoleUnitLeader {
		return vr.householdPath != "" && strings.HasPrefix(vr.householdPath, path)
	}
	return vr.manages(staff, path)
}

// ancestorPaths are the paths of the territories above (and at) the caller's household, and
// for staff and grid leaders above their territory, for "held over me" lists (path IN …).
func (vr householder) ancestorPaths() []string {
	var out []string
	seen := map[string]bool{}
	paths := []string{vr.householdPath}
	if !householdRole(vr.sc.Role) && !vr.sc.UnitBound() {
		paths = append(paths, vr.sc.Path)
	}
	for _, p := range paths {
		prefix := ""
		for _, id := range model.PathIDs(p) {
			prefix = model.ChildPath(prefix, id)
			if !seen[prefix] {
				seen[prefix] = true
				out = append(out, prefix)
			}
		}
	}
	return out
}

// listWhere is the condition of a list of things held over territories (column col holds the
// path) that the caller may see: over its household, and for staff and grid leaders in their
// territory; "" when it may see none.
func (vr householder) listWhere(col string) (string, []any) {
	var or []string
	var args []any
	if above := vr.ancestorPaths(); len(above) > 0 {
		or = append(or, col+" IN ("+inList(len(above))+")")
		for _, p := range above {
			args = append(args, p)
		}
	}
	if !householdRole(vr.sc.Role) && !vr.sc.UnitBound() {
		if vr.sc.All {
			or = append(or, "1 = 1")
		} else if vr.sc.Path != "" {
			lo, hi := authz.PathRange(vr.sc.Path)
			or = append(or, "("+col+" >= ? AND "+col+" < ?)")
			args = append(args, lo, hi)
		}
	}
	if len(or) == 0 {
		return "", nil
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}
