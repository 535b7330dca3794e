package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Visits (走访, issue 12 item 3; model/visit.go). Staff and grid leaders log and read visits at
// the places of their territory (visit.read, visit.write): a visit's path is its node's, so the
// scope is the one territory mechanism. A visit records the compound and building above its
// place when it is logged, so "places nobody has visited for N days" (UnvisitedPlaces) is one
// probe per place into visits_building or visits_compound, and a community's visit time per
// month (CommunityVisitMonths) one range of visits_community.

const visitColumns = `v.id, v.community_id, c.name, v.territory_id, t.kind, t.name, COALESCE(v.household_id, 0), COALESCE(h.address, ''), v.path,
	COALESCE(v.visitor_id, 0), v.visitor_name, COALESCE(v.worker_id, 0), v.visited_at, v.minutes, v.findings, v.follow_up, v.follow_status,
	v.follow_done_at, v.follow_done_by, v.created_at`

const visitFrom = ` FROM visits v JOIN territories t ON t.id = v.territory_id JOIN territories c ON c.id = v.community_id
	LEFT JOIN households h ON h.id = v.household_id`

func scanVisit(rs rowScanner) (*model.Visit, error) {
	var v model.Visit
	var address string
	var done sql.NullTime
	if err := rs.Scan(&v.ID, &v.CommunityID, &v.CommunityName, &v.TerritoryID, &v.PlaceKind, &v.PlaceName, &v.HouseholdID, &address, &v.Path,
		&v.VisitorID, &v.VisitorName, &v.WorkerID, &v.VisitedAt, &v.Minutes, &v.Findings, &v.FollowUp, &v.FollowStatus,
		&done, &v.FollowDoneBy, &v.CreatedAt); err != nil {
		return nil, err
	}
	if address != "" {
		v.PlaceName += " " + address
	}
	v.VisitedAt, v.CreatedAt, v.FollowDoneAt = v.VisitedAt.UTC(), v.CreatedAt.UTC(), timePtr(done)
	return &v, nil
}

func visitReadable(sc authz.Scope) bool { return sc.All || authz.Allowed(sc.Role, authz.VisitRead) }

// Visit returns visit id; model.ErrNotFound when it does not exist or its place lies outside sc.
func (s *Store) Visit(ctx context.Context, sc authz.Scope, id int64) (*model.Visit, error) {
	if !visitReadable(sc) {
		return nil, model.ErrNotFound
	}
	return scopedOne(ctx, s.reader(), sc, `SELECT `+visitColumns+visitFrom+` WHERE v.id = ?`, []any{id}, scanVisit,
		func(v *model.Visit) string { return v.Path })
}

// VisitFilter narrows a list of visits.
type VisitFilter struct {
	Territory int64              // visits at that node or under it
	Follow    model.FollowStatus // "": all
	Mine      bool               // the caller's own visits
	WorkerID  int64              // the visits of one worker of the roster
	Limit     int
	Cursor    string
}

// Visits lists the visits at the places of sc, newest first. An unknown follow-up state is a
// *model.ValidationError; a node outside sc is model.ErrNotFound.
func (s *Store) Visits(ctx context.Context, sc authz.Scope, f VisitFilter) (*Page[*model.Visit], error) {
	if !visitReadable(sc) {
		return nil, model.ErrForbidden
	}
	if f.Follow != "" && !f.Follow.Valid() {
		return nil, fieldErr("follow", "跟进状态应为 none、open 或 done")
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	prefix, ok, err := c.subtree(ctx, sc, f.Territory)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Visit]{}, nil
	}
	lo, hi := authz.PathRange(prefix)
	w := filter{where: []string{"v.path >= ?", "v.path < ?"}, args: []any{lo, hi}}
	if f.Follow != "" {
		w.add("v.follow_status = ?", string(f.Follow))
	}
	if f.Mine {
		w.add("v.visitor_id = ?", sc.UserID)
	}
	if f.WorkerID != 0 {
		w.add("v.worker_id = ?", f.WorkerID)
	}
	count := w.clone()
	if cur.key != "" {
		at, err := time.Parse(time.RFC3339Nano, cur.key)
		if err != nil {
			return nil, ErrBadCursor
		}
		w.add("(v.visited_at < ? OR (v.visited_at = ? AND v.id < ?))", at, at, cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+visitColumns+visitFrom+` WHERE `+w.sql()+` ORDER BY v.visited_at DESC, v.id DESC`, w.args, clampLimit(f.Limit),
		func(rs rowScanner) (*model.Visit, cursor, error) {
			v, err := scanVisit(rs)
			if err != nil {
				return nil, cursor{}, err
			}
			return v, cursor{key: v.VisitedAt.Format(time.RFC3339Nano), id: v.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM visits v WHERE `+count.sql(), count.args, &page.Total); err != nil {
		return nil, err
	}
	return page, nil
}

// LogVisit records a visit by the caller (staff or a grid leader) to a place of its territory
// below the community, or to a household there. A place outside sc reads like a missing one:
// a field error naming territory_id or household_id.
func (s *Store) LogVisit(ctx context.Context, sc authz.Scope, in model.VisitInput) (*model.Visit, error) {
	if !sc.All && !authz.Allowed(sc.Role, authz.VisitWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		var household any
		tid := in.TerritoryID
		if in.HouseholdID != 0 {
			h, err := tx.household(ctx, sc, in.HouseholdID)
			if errors.Is(err, model.ErrNotFound) {
				return fieldErr("household_id", "住户不存在或不在您的管辖范围内")
			} else if err != nil {
				return err
			}
			household, tid = h.ID, h.TerritoryID
		}
		t, err := tx.territory(ctx, sc, tid)
		switch {
		case errors.Is(err, model.ErrNotFound):
			return fieldErr("territory_id", "地点不存在或不在您的管辖范围内")
		case err != nil:
			return err
		case !model.VisitablePlace(t.Kind):
			return fieldErr("territory_id", "请选择社区以下的网格、小区、楼栋或单元")
		}
		// The community, compound and building at or above the place.
		ids := model.PathIDs(t.Path)
		args := make([]any, len(ids))
		for i, x := range ids {
			args[i] = x
		}
		var community, compound, building any
		rows, err := queryAll(ctx, tx.conn, `SELECT id, kind FROM territories WHERE id IN (`+inList(len(ids))+`) AND kind IN ('community', 'compound', 'building')`, args,
			func(rs rowScanner) (model.TerritoryRef, error) {
				var r model.TerritoryRef
				return r, rs.Scan(&r.ID, &r.Kind)
			})
		if err != nil {
			return err
		}
		for _, r := range rows {
			switch r.Kind {
			case model.KindCommunity:
				community = r.ID
			case model.KindCompound:
				compound = r.ID
			case model.KindBuilding:
				building = r.ID
			}
		}
		if community == nil {
			return fieldErr("territory_id", "该地点不在任何社区之下")
		}
		var visitor, worker any
		name := "系统"
		if sc.UserID != 0 {
			visitor = sc.UserID
			if err := tx.queryRow(ctx, `SELECT COALESCE(NULLIF(display_name, ''), username) FROM users WHERE id = ?`, []any{sc.UserID}, &name); err != nil {
				return err
			}
			var wid int64
			err := tx.queryRow(ctx, `SELECT id FROM community_workers WHERE user_id = ?`, []any{sc.UserID}, &wid)
			if err == nil {
				worker = wid
			} else if !errors.Is(err, model.ErrNotFound) {
				return err
			}
		}
		follow := model.FollowNone
		if in.FollowUp != "" {
			follow = model.FollowOpen
		}
		err = tx.queryRow(ctx, `INSERT INTO visits (community_id, territory_id, household_id, compound_id, building_id, path, visitor_id, visitor_name, worker_id,
			visited_at, minutes, findings, follow_up, follow_status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{community, t.ID, household, compound, building, t.Path, visitor, name, worker, in.VisitedAt.UTC(), in.Minutes, in.Findings, in.FollowUp,
				string(follow), s.now()}, &id)
		if err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "visit.create", "visit", []int64{id}, string(follow))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Visit(ctx, sc, id)
}

// CloseVisitFollowUp marks visit id's follow-up done (staff or a grid leader of its place).
// A follow-up not open is a *model.ConflictError: the conditional UPDATE decides, so of two
// closing at once one wins.
func (s *Store) CloseVisitFollowUp(ctx context.Context, sc authz.Scope, id int64) (*model.Visit, error) {
	if !sc.All && !authz.Allowed(sc.Role, authz.VisitWrite) {
		return nil, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		var path string
		if err := tx.queryRow(ctx, `SELECT path FROM visits WHERE id = ?`, []any{id}, &path); err != nil {
			return err
		}
		if !sc.Contains(path) {
			return model.ErrNotFound
		}
		name := "系统"
		if sc.UserID != 0 {
			if err := tx.queryRow(ctx, `SELECT COALESCE(NULLIF(display_name, ''), username) FROM users WHERE id = ?`, []any{sc.UserID}, &name); err != nil {
				return err
			}
		}
		res, err := tx.exec(ctx, `UPDATE visits SET follow_status = 'done', follow_done_at = ?, follow_done_by = ? WHERE id = ? AND follow_status = 'open'`,
			s.now(), name, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "这次走访没有待跟进的事项（可能已被他人办结）"}
		}
		tx.auditAt(sc, path, "visit.follow_done", "visit", []int64{id}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Visit(ctx, sc, id)
}

// UnvisitedFilter asks for the places nobody has visited for Days days.
type UnvisitedFilter struct {
	Territory int64               // places at that node or under it (0: the caller's territory)
	Days      int                 // 1–3650
	Kind      model.TerritoryKind // compound, building, or "" for both
	Limit     int
	Cursor    string
}

// UnvisitedPlaces lists the compounds and buildings of sc that nobody has visited in the last
// f.Days days (a visit to a household, stairwell or the place itself counts), in tree order,
// with the last visit before that. Each place costs one probe of visits_building or
// visits_compound, and the page stops at its limit: a street's thousands of buildings are read
// a page at a time, not counted visit by visit.
func (s *Store) UnvisitedPlaces(ctx context.Context, sc authz.Scope, f UnvisitedFilter) (*Page[*model.UnvisitedPlace], error) {
	if !visitReadable(sc) {
		return nil, model.ErrForbidden
	}
	if f.Days < 1 || f.Days > 3650 {
		return nil, fieldErr("days", "天数应为 1–3650 的整数")
	}
	kinds := []any{string(model.KindCompound), string(model.KindBuilding)}
	switch f.Kind {
	case "":
	case model.KindCompound, model.KindBuilding:
		kinds = []any{string(f.Kind)}
	default:
		return nil, fieldErr("kind", "地点类型应为 compound（小区）或 building（楼栋）")
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	prefix, ok, err := c.subtree(ctx, sc, f.Territory)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.UnvisitedPlace]{}, nil
	}
	since := s.now().AddDate(0, 0, -f.Days)
	w := underPath(prefix)
	w.add("kind IN ("+inList(len(kinds))+")", kinds...)
	w.add("archived_at IS NULL")
	// Two probes, each on its own index (a place's id is in one of the two columns only).
	w.add(`NOT EXISTS (SELECT 1 FROM visits v WHERE v.building_id = territories.id AND v.visited_at >= ?)`, since)
	w.add(`NOT EXISTS (SELECT 1 FROM visits v WHERE v.compound_id = territories.id AND v.visited_at >= ?)`, since)
	count := w.clone()
	w.afterPath(cur)
	page, err := fetchPage(ctx, c, `SELECT id, kind, name, path, households,
		CASE kind WHEN 'building' THEN (SELECT MAX(v.visited_at) FROM visits v WHERE v.building_id = territories.id)
		ELSE (SELECT MAX(v.visited_at) FROM visits v WHERE v.compound_id = territories.id) END
		FROM territories WHERE `+w.sql()+` ORDER BY path, id`, w.args, clampLimit(f.Limit),
		func(rs rowScanner) (*model.UnvisitedPlace, cursor, error) {
			var p model.UnvisitedPlace
			var last sqlTime
			if err := rs.Scan(&p.ID, &p.Kind, &p.Name, &p.Path, &p.Households, &last); err != nil {
				return nil, cursor{}, err
			}
			if !last.Time.IsZero() {
				t := last.Time
				p.LastVisitAt = &t
			}
			return &p, cursor{key: p.Path, id: p.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM territories WHERE `+count.sql(), count.args, &page.Total); err != nil {
		return nil, err
	}
	return page, nil
}

// CommunityVisitMonths returns community id's visits per month (Asia/Shanghai) from the month
// of from up to the month before to: the count and the minutes logged, every month present
// (zero when no visit). It is the visits' part of the burden view's "hours serving residents".
// A community outside sc (or a node that is not a community) is model.ErrNotFound.
func (s *Store) CommunityVisitMonths(ctx context.Context, sc authz.Scope, communityID int64, from, to time.Time) ([]model.VisitMonth, error) {
	if !visitReadable(sc) {
		return nil, model.ErrForbidden
	}
	c := s.reader()
	t, err := c.territory(ctx, sc, communityID)
	if err != nil {
		return nil, err
	}
	if t.Kind != model.KindCommunity {
		return nil, model.ErrNotFound
	}
	start := monthStart(from)
	end := monthStart(to)
	if !end.After(start) {
		return nil, nil
	}
	var out []model.VisitMonth
	index := map[string]int{}
	for m := start; m.Before(end); m = m.AddDate(0, 1, 0) {
		index[m.Format("2006-01")] = len(out)
		out = append(out, model.VisitMonth{Month: m.Format("2006-01")})
	}
	rows, err := c.query(ctx, `SELECT visited_at, minutes FROM visits WHERE community_id = ? AND visited_at >= ? AND visited_at < ?`, communityID, start.UTC(), end.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var at time.Time
		var minutes int64
		if err := rows.Scan(&at, &minutes); err != nil {
			return nil, err
		}
		if i, ok := index[at.In(model.Shanghai).Format("2006-01")]; ok {
			out[i].Visits++
			out[i].Minutes += minutes
		}
	}
	return out, rows.Err()
}

// monthStart is the first instant of t's month in Asia/Shanghai.
func monthStart(t time.Time) time.Time {
	y, m, _ := t.In(model.Shanghai).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, model.Shanghai)
}
