package store

import (
	"context"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Coverage of the units (issue 9 item 6): how many households are in units, how many units
// have a leader and a current rotation, how many activities they ran, for a territory node and
// each of its children, read from the counters of unit_count.go (a few rows a node, whatever
// the size of the subtree), never from the units or the households themselves.

// UnitCoverage returns the coverage of the node territory (0: the root of the scope) and of each
// of its children, in the month of now. model.ErrNotFound when the node is missing or outside
// the scope.
func (s *Store) UnitCoverage(ctx context.Context, sc authz.Scope, territory int64) (*model.UnitCoverage, []*model.UnitCoverage, error) {
	c := s.reader()
	if territory == 0 && !sc.All {
		ids := model.PathIDs(sc.Path)
		if len(ids) == 0 {
			return nil, nil, model.ErrNotFound
		}
		territory = ids[len(ids)-1]
	}
	var nodes []*model.Territory
	var top *model.UnitCoverage
	if territory == 0 {
		// The whole deployment (a system account): the roots are the children of "/".
		roots, err := queryAll(ctx, c, `SELECT `+territoryColumns+` FROM territories WHERE parent_id IS NULL AND archived_at IS NULL ORDER BY id`, nil, scanTerritory)
		if err != nil {
			return nil, nil, err
		}
		var households int64
		for _, r := range roots {
			households += r.Households
		}
		top = &model.UnitCoverage{TerritoryName: "全部", Kind: "", Households: households}
		nodes = append([]*model.Territory{{Path: "/"}}, roots...)
	} else {
		t, err := c.territory(ctx, sc, territory)
		if err != nil {
			return nil, nil, err
		}
		children, err := queryAll(ctx, c, `SELECT `+territoryColumns+` FROM territories WHERE parent_id = ? AND archived_at IS NULL ORDER BY path`, []any{t.ID}, scanTerritory)
		if err != nil {
			return nil, nil, err
		}
		top = &model.UnitCoverage{TerritoryID: t.ID, TerritoryName: t.Name, Kind: string(t.Kind), Households: t.Households}
		nodes = append([]*model.Territory{t}, children...)
	}
	paths := make([]string, len(nodes))
	for i, n := range nodes {
		paths[i] = n.Path
	}
	month := model.CurrentMonth(s.now())
	last := model.ShiftMonth(month, -1)
	counts, err := c.unitCountsOf(ctx, paths)
	if err != nil {
		return nil, nil, err
	}
	acts, err := c.activityCountsOf(ctx, paths, []string{month, last})
	if err != nil {
		return nil, nil, err
	}
	fill := func(cv *model.UnitCoverage, path string) {
		cv.Month = month
		dims := counts[path]
		cv.InUnits = dims["households"][""]
		cv.Units = dims["units"][""]
		cv.WithLeader = dims["leader"][""]
		cv.NoLeader = cv.Units - cv.WithLeader
		ahead := model.ShiftMonth(month, model.RotationAhead)
		for v, n := range dims["rotation"] {
			if v >= ahead {
				cv.RotationCurrent += n
			}
		}
		cv.RotationLapsing = cv.Units - cv.RotationCurrent
		for v, n := range dims["last_activity"] {
			if v < last {
				cv.Inactive += n
			}
		}
		cv.ByCategory = map[string]int64{}
		for _, cat := range model.ActivityCategories {
			n := acts[path][month][cat]
			cv.ByCategory[string(cat)] = n
			cv.ActivitiesThisMonth += n
			cv.ActivitiesLastMonth += acts[path][last][cat]
		}
	}
	fill(top, nodes[0].Path)
	out := make([]*model.UnitCoverage, 0, len(nodes)-1)
	for _, n := range nodes[1:] {
		cv := &model.UnitCoverage{TerritoryID: n.ID, TerritoryName: n.Name, Kind: string(n.Kind), Households: n.Households}
		fill(cv, n.Path)
		out = append(out, cv)
	}
	return top, out, nil
}

// UnitAttention is a unit that needs attention and why.
type UnitAttention struct {
	Unit            *model.Unit
	NoLeader        bool
	RotationLapsing bool // its rotation does not reach past the current month
	Inactive        bool // no activity in the current or the last month
}

// UnitsNeedingAttention lists the active units under the node under (0: the scope) that have no
// leader, whose rotation lapses within a month, or that recorded no activity in the current and
// the last month, in tree order. The page carries no total (Total -1): the counts per reason are
// UnitCoverage's.
func (s *Store) UnitsNeedingAttention(ctx context.Context, sc authz.Scope, under int64, limit int, cur string) (*Page[*UnitAttention], error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*UnitAttention]{Total: 0}, nil
	}
	k, err := decodeCursor(cur)
	if err != nil {
		return nil, err
	}
	month := model.CurrentMonth(s.now())
	ahead := model.ShiftMonth(month, model.RotationAhead)
	last := model.ShiftMonth(month, -1)
	w := underPath(prefix)
	w.add("status = ?", string(model.UnitActive))
	w.add("(leader_household_id IS NULL OR rotation_until < ? OR last_activity_month < ?)", ahead, last)
	w.afterPath(k)
	page, err := fetchPage(ctx, c, `SELECT `+unitColumns+` FROM units WHERE `+w.sql()+` ORDER BY path, id`, w.args, clampLimit(limit),
		func(r rowScanner) (*UnitAttention, cursor, error) {
			u, err := scanUnit(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return &UnitAttention{Unit: u, NoLeader: u.Leader == nil, RotationLapsing: u.RotationUntil < ahead, Inactive: u.LastActivityMonth < last},
				cursor{key: u.Path, id: u.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	page.Total = -1
	us := make([]*model.Unit, len(page.Items))
	for i, a := range page.Items {
		us[i] = a.Unit
	}
	return page, c.fillUnitLeaders(ctx, us)
}
