package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Composition analytics (issue 8 item 10). party_member_counts holds, for every node path above a
// current member (and the root "/"), how many members have each value of each dimension; every
// write of party_members adjusts it in the same transaction (memberCountsApply: the rows as they
// were, subtracted, before a change; as they are, added, after), so reading a subtree's
// composition is the rows of one path. The adjustments of one statement are summed in Go and
// upserted in key order (one lock order for concurrent writers; the database adds, so two
// transactions counting the same key both count).

// memberCountKey is one row of party_member_counts.
type memberCountKey struct{ path, dim, value string }

// memberCountsSelect reads what the counts need of a member row.
const memberCountsSelect = `SELECT path, list, reporting_kind, left_on IS NOT NULL, category, mobility, gender, education, status,
	birth_date, joined_on, reported_on IS NOT NULL,
	(SELECT COUNT(*) FROM party_course_results r WHERE r.member_id = party_members.id AND r.completed_at IS NOT NULL) FROM party_members WHERE `

// memberCountsAncestors are path and the paths above it, and "/".
func memberCountsAncestors(path string) []string {
	out := []string{"/"}
	p := "/"
	for _, id := range model.PathIDs(path) {
		p = model.ChildPath(p, id)
		out = append(out, p)
	}
	return out
}

// memberCountsRows sums, into agg, sign for every (ancestor path, dim, value) of the member rows
// the filter where selects; with to set, the rows count at to instead of their own path.
func (c conn) memberCountsRows(ctx context.Context, agg map[memberCountKey]int64, sign int64, to string, where string, args ...any) error {
	if sign < 0 && to == "" && c.d.name == "postgres" {
		// The rows as they are before a change, locked first in a statement of their own (in
		// id order): a writer beside us changing the same member waits, and the read below,
		// a new statement, then sees what it wrote, the member's completed courses included
		// (a locking read would see the locked row's new version but the courses as they were
		// when it began). NO KEY UPDATE, as an UPDATE of the row takes: it does not wait for
		// the key-share locks that inserting a row referencing the member (a lesson read, a
		// quiz attempt, points) holds, which deadlocked a study write against another.
		if _, err := c.exec(ctx, `SELECT id FROM party_members WHERE `+where+` ORDER BY id FOR NO KEY UPDATE`, args...); err != nil {
			return err
		}
	}
	rows, err := c.query(ctx, memberCountsSelect+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var path, list, kind, category, mobility, gender, education, status string
		var left, reported bool
		var birth, joined sql.NullTime
		var completed int64
		if err := rows.Scan(&path, &list, &kind, &left, &category, &mobility, &gender, &education, &status, &birth, &joined, &reported, &completed); err != nil {
			return err
		}
		if left {
			continue
		}
		if to != "" {
			path = to
		}
		var dims [][2]string
		switch {
		case list == string(model.ListRegistered):
			dims = [][2]string{{"total", ""}, {"category", category}, {"mobility", mobility}, {"gender", gender}, {"education", education},
				{"status", status}, {"birth_year", memberCountsYear(birth)}, {"joined_year", memberCountsYear(joined)}}
		case kind == string(model.ReportingInWork):
			v := "not_reported"
			if reported {
				v = "reported"
			}
			dims = [][2]string{{"reporting_in_work", v}}
		}
		for _, p := range memberCountsAncestors(path) {
			for _, d := range dims {
				agg[memberCountKey{p, d[0], d[1]}] += sign
			}
			if completed != 0 && list == string(model.ListRegistered) {
				agg[memberCountKey{p, "study_completed", ""}] += sign * completed
			}
		}
	}
	return rows.Err()
}

func memberCountsYear(t sql.NullTime) string {
	if !t.Valid {
		return ""
	}
	return strconv.Itoa(t.Time.Year())
}

// memberCountsApply adds sign × the members the filter where selects to the counts (sign -1
// before a change, +1 after it).
func (tx *Tx) memberCountsApply(ctx context.Context, sign int64, where string, args ...any) error {
	agg := map[memberCountKey]int64{}
	if err := tx.memberCountsRows(ctx, agg, sign, "", where, args...); err != nil {
		return err
	}
	return tx.memberCountsWrite(ctx, agg)
}

// memberCountsMove moves the counts of the members where selects from their path to path to
// (an org merge moves them), before the rows change.
func (tx *Tx) memberCountsMove(ctx context.Context, to string, where string, args ...any) error {
	agg := map[memberCountKey]int64{}
	if err := tx.memberCountsRows(ctx, agg, -1, "", where, args...); err != nil {
		return err
	}
	if err := tx.memberCountsRows(ctx, agg, 1, to, where, args...); err != nil {
		return err
	}
	return tx.memberCountsWrite(ctx, agg)
}

// memberCountsWrite upserts the non-zero adjustments of agg, in key order, 500 rows a statement.
func (tx *Tx) memberCountsWrite(ctx context.Context, agg map[memberCountKey]int64) error {
	keys := make([]memberCountKey, 0, len(agg))
	for k, n := range agg {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b memberCountKey) int {
		return strings.Compare(a.path+"\x00"+a.dim+"\x00"+a.value, b.path+"\x00"+b.dim+"\x00"+b.value)
	})
	for len(keys) > 0 {
		n := min(len(keys), 500)
		args := make([]any, 0, 4*n)
		for _, k := range keys[:n] {
			args = append(args, k.path, k.dim, k.value, agg[k])
		}
		q := `INSERT INTO party_member_counts (path, dim, value, n) VALUES (?, ?, ?, CAST(? AS BIGINT))` + strings.Repeat(", (?, ?, ?, ?)", n-1) +
			` ON CONFLICT (path, dim, value) DO UPDATE SET n = party_member_counts.n + excluded.n`
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// rebuildMemberCounts counts every current member afresh (after the migration that adds the
// table, and for repair).
func (s *Store) rebuildMemberCounts(ctx context.Context) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM party_member_counts`); err != nil {
			return err
		}
		return tx.memberCountsApply(ctx, 1, "left_on IS NULL")
	})
}

// MemberAnalytics returns the composition of the registered members of org orgID (the subtree
// of its territory node: its branches and groups) or, with orgID 0, of territory node
// territoryID; with both 0, of sc's whole scope. An org or node outside the scope is
// model.ErrNotFound; a functional organization, whose members are gathered from elsewhere, is a
// *model.ValidationError. Nothing is scanned: the counts are read for one path.
func (s *Store) MemberAnalytics(ctx context.Context, sc authz.Scope, orgID, territoryID int64) (*model.PartyAnalytics, error) {
	c := s.reader()
	var path, name string
	switch {
	case orgID != 0:
		o, err := c.memberOrgRef(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if !sc.Contains(o.Path) {
			return nil, model.ErrNotFound
		}
		if o.Kind == "functional_group" {
			return nil, fieldErr("org_id", "功能型党组织的党员来自各支部，构成分析请按所属党组织或区域查看")
		}
		path, name = o.Path, o.Name
	case territoryID != 0:
		t, err := c.territory(ctx, sc, territoryID)
		if err != nil {
			return nil, err
		}
		path, name = t.Path, t.Name
	case sc.All:
		path, name = "/", "全部"
	case sc.Path != "":
		path = sc.Path
		ids := model.PathIDs(sc.Path)
		if len(ids) > 0 {
			if t, err := c.territory(ctx, sc, ids[len(ids)-1]); err == nil {
				name = t.Name
			}
		}
	default:
		return nil, model.ErrNotFound
	}
	counts := map[string]map[string]int64{}
	rows, err := c.query(ctx, `SELECT dim, value, n FROM party_member_counts WHERE path = ?`, path)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var dim, value string
		var n int64
		if err := rows.Scan(&dim, &value, &n); err != nil {
			return nil, err
		}
		if counts[dim] == nil {
			counts[dim] = map[string]int64{}
		}
		counts[dim][value] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	a := model.NewPartyAnalytics(counts, time.Now().In(model.Shanghai))
	a.Path, a.Name = path, name
	if a.Life, err = s.lifeCompliance(ctx, path); err != nil {
		return nil, err
	}
	if a.Study, err = c.studyCompletion(ctx, path, counts["total"][""], counts["study_completed"][""]); err != nil {
		return nil, err
	}
	return a, nil
}

// Meeting compliance. party_org_life holds, for every active org that has held or scheduled a
// meeting, a row per type of meeting expected of it (meetingTypesOf) with the last meeting held
// (begun by the time it was written, not cancelled), the next one scheduled after it and when
// the next one falls due by the community's frequency (model.MeetingDue, lifeMonths), and a row
// for the org (type "") due at the earliest of them, NULL when a type was never held. Every
// write of meetings, of a community's frequencies and of an org's status or path refreshes the
// rows of the orgs it touches in its transaction; a read first moves on the rows whose next
// meeting has begun since. An org or type is overdue at t exactly when model.MeetingOverdue says
// so: due_at before t (or NULL). A subtree's compliance is two counts on indexes: the active orgs
// by kind and level (party_orgs_life), and the rows due at or after t (party_org_life_due).

// orgLifeAll is party_org_life's type for the row of the org as a whole.
const orgLifeAll = ""

// refreshOrgLife recomputes, as of t, the rows of party_org_life of the orgs ids (an org no
// longer active loses its rows).
func (tx *Tx) refreshOrgLife(ctx context.Context, t time.Time, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rules, err := tx.meetingRules(ctx)
	if err != nil {
		return err
	}
	t = t.UTC()
	for len(ids) > 0 {
		n := min(len(ids), 500)
		in := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		type lifeOrgRow struct {
			id, community int64
			kind, level   string
			path          string
		}
		q := `SELECT id, kind, level, path, COALESCE(community_id, 0) FROM party_orgs WHERE status = 'active' AND id IN (` + in + `) ORDER BY id`
		if tx.d.name == "postgres" {
			// Refreshes of the same org queue here: each deletes the org's rows and inserts them
			// anew, and a second one beside it would not see (nor delete) the first one's
			// uncommitted rows, then fail on the primary key at its insert. NO KEY UPDATE, as the
			// meeting the transaction wrote already holds the org's row FOR KEY SHARE (its foreign
			// key): two writers each upgrading that to FOR UPDATE deadlock. SQLite has one writer.
			q += " FOR NO KEY UPDATE"
		}
		orgs, err := queryAll(ctx, tx.conn, q, args,
			func(r rowScanner) (lifeOrgRow, error) {
				var o lifeOrgRow
				return o, r.Scan(&o.id, &o.kind, &o.level, &o.path, &o.community)
			})
		if err != nil {
			return err
		}
		type key struct {
			org int64
			typ model.MeetingType
		}
		type held struct{ last, next sqlTime }
		got := map[key]held{}
		rows, err := queryAll(ctx, tx.conn, `SELECT org_id, type, MAX(CASE WHEN starts_at <= ? THEN starts_at END), MIN(CASE WHEN starts_at > ? THEN starts_at END)
			FROM party_meetings WHERE org_id IN (`+in+`) AND status <> 'cancelled' AND body = 'party' GROUP BY org_id, type`, append([]any{t, t}, args...),
			func(r rowScanner) (struct {
				k key
				h held
			}, error) {
				var x struct {
					k key
					h held
				}
				return x, r.Scan(&x.k.org, &x.k.typ, &x.h.last, &x.h.next)
			})
		if err != nil {
			return err
		}
		for _, r := range rows {
			got[r.k] = r.h
		}
		if _, err := tx.exec(ctx, `DELETE FROM party_org_life WHERE org_id IN (`+in+`)`, args...); err != nil {
			return err
		}
		var vals []any
		for _, o := range orgs {
			var held bool
			var orgDue *time.Time
			never := false
			for _, typ := range meetingTypesOf(o.kind, o.level) {
				h, ok := got[key{o.id, typ}]
				if ok {
					held = true
				}
				var last, next, due any
				if !h.last.Time.IsZero() {
					last = h.last.Time
					d := model.MeetingDue(h.last.Time, lifeMonths(rules, o.community, typ)).UTC()
					due = d
					if orgDue == nil || d.Before(*orgDue) {
						orgDue = &d
					}
				} else {
					never = true
				}
				if !h.next.Time.IsZero() {
					next = h.next.Time
				}
				vals = append(vals, o.id, string(typ), o.path, last, next, due)
			}
			if !held {
				vals = vals[:len(vals)-6*len(meetingTypesOf(o.kind, o.level))] // no meeting: no rows (overdue, as an org without rows)
				continue
			}
			var due any
			if orgDue != nil && !never {
				due = *orgDue
			}
			vals = append(vals, o.id, orgLifeAll, o.path, nil, nil, due)
		}
		for len(vals) > 0 {
			k := min(len(vals)/6, 200)
			if _, err := tx.exec(ctx, `INSERT INTO party_org_life (org_id, type, path, last_at, next_at, due_at) VALUES (?, ?, ?, ?, ?, ?)`+
				strings.Repeat(", (?, ?, ?, ?, ?, ?)", k-1), vals[:6*k]...); err != nil {
				return err
			}
			vals = vals[6*k:]
		}
	}
	return nil
}

// refreshOrgLifeOf refreshes the orgs the query q (selecting org ids) names.
func (tx *Tx) refreshOrgLifeOf(ctx context.Context, t time.Time, q string, args ...any) error {
	ids, err := queryAll(ctx, tx.conn, q, args, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return err
	}
	return tx.refreshOrgLife(ctx, t, ids)
}

// rebuildOrgLife sums every org's meetings afresh (after the migrations of the table).
func (s *Store) rebuildOrgLife(ctx context.Context) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM party_org_life`); err != nil {
			return err
		}
		return tx.refreshOrgLifeOf(ctx, s.now(), `SELECT DISTINCT org_id FROM party_meetings`)
	})
}

// lifeCompliance counts the active orgs under path (the root "/": all) meeting their expected
// frequency and those overdue, after moving on the rows whose next meeting has begun.
func (s *Store) lifeCompliance(ctx context.Context, path string) (model.LifeCompliance, error) {
	var out model.LifeCompliance
	t := s.now()
	stale, err := queryAll(ctx, s.reader(), `SELECT DISTINCT org_id FROM party_org_life WHERE next_at <= ? LIMIT 1000`, []any{t.UTC()}, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return out, err
	}
	if len(stale) > 0 {
		if err := s.Tx(ctx, func(tx *Tx) error { return tx.refreshOrgLife(ctx, t, stale) }); err != nil {
			return out, err
		}
	}
	c := s.reader()
	lo, hi := authz.PathRange(path)
	if path == "/" {
		lo, hi = authz.PathRange("")
	}
	expected := map[model.MeetingType]int64{}
	kinds, err := queryAll(ctx, c, `SELECT kind, level, COUNT(*) FROM party_orgs WHERE path >= ? AND path < ? AND status = 'active' GROUP BY kind, level`, []any{lo, hi},
		func(r rowScanner) (struct {
			kind, level string
			n           int64
		}, error) {
			var x struct {
				kind, level string
				n           int64
			}
			return x, r.Scan(&x.kind, &x.level, &x.n)
		})
	if err != nil {
		return out, err
	}
	for _, k := range kinds {
		out.Orgs += k.n
		for _, typ := range meetingTypesOf(k.kind, k.level) {
			expected[typ] += k.n
		}
	}
	onTime := map[string]int64{}
	rows, err := queryAll(ctx, c, `SELECT type, COUNT(*) FROM party_org_life WHERE path >= ? AND path < ? AND due_at >= ? GROUP BY type`, []any{lo, hi, t.UTC()},
		func(r rowScanner) (struct {
			typ string
			n   int64
		}, error) {
			var x struct {
				typ string
				n   int64
			}
			return x, r.Scan(&x.typ, &x.n)
		})
	if err != nil {
		return out, err
	}
	for _, r := range rows {
		onTime[r.typ] = r.n
	}
	for _, typ := range []model.MeetingType{model.BranchAssembly, model.CommitteeMeeting, model.GroupMeeting, model.PartyLecture} {
		out.ByType = append(out.ByType, model.LifeTypeCompliance{Type: typ, Label: typ.Label(), Orgs: expected[typ], Overdue: expected[typ] - onTime[string(typ)]})
	}
	out.OnTime = onTime[orgLifeAll]
	out.Overdue = out.Orgs - out.OnTime
	if out.Orgs > 0 {
		out.Rate = float64(out.OnTime) / float64(out.Orgs)
	}
	return out, nil
}

// Study completion. The courses the registered members of a subtree completed are in the
// composition counts (dim study_completed: each member row counts its completed courses, kept
// as members move and as courses complete). The courses assigned to them are read from the
// assignments that reach the subtree (those under its path and those of the orgs above it, one
// indexed read each) and the registered members under each assigned org's node (the counts
// again): per course, the members under the highest assigned nodes, the members assigned one
// by one outside them, and the members of assigned functional organizations.

// studyCompletion returns the study completion under path, whose registered members are
// registered and have completed completed courses.
func (c conn) studyCompletion(ctx context.Context, path string, registered, completed int64) (model.StudyCompletion, error) {
	out := model.StudyCompletion{Completed: completed}
	lo, hi := authz.PathRange(path)
	if path == "/" {
		lo, hi = authz.PathRange("")
	}
	above := memberCountsAncestors(path)
	above = above[:len(above)-1] // strictly above path
	where := `(a.path >= ? AND a.path < ?)`
	args := []any{lo, hi}
	if len(above) > 0 {
		where = `(` + where + ` OR a.path IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(above)), ", ") + `))`
		for _, p := range above {
			args = append(args, p)
		}
	}
	type assignment struct {
		course, org, member int64
		path, kind          string
	}
	as, err := queryAll(ctx, c, `SELECT a.course_id, COALESCE(a.org_id, 0), COALESCE(a.member_id, 0), a.path, COALESCE(o.kind, '')
		FROM party_course_assignments a JOIN party_courses co ON co.id = a.course_id AND co.status = 'published'
		LEFT JOIN party_orgs o ON o.id = a.org_id WHERE `+where+` AND (o.id IS NULL OR o.status = 'active')`, args,
		func(r rowScanner) (assignment, error) {
			var x assignment
			return x, r.Scan(&x.course, &x.org, &x.member, &x.path, &x.kind)
		})
	if err != nil {
		return out, err
	}
	byCourse := map[int64][]assignment{}
	for _, a := range as {
		byCourse[a.course] = append(byCourse[a.course], a)
	}
	need := map[string]int64{} // node path → registered members under it
	type courseCover struct {
		whole   bool
		nodes   []string
		members map[int64]string
		orgs    []int64 // functional organizations
	}
	covers := map[int64]*courseCover{}
	for course, list := range byCourse {
		cv := &courseCover{members: map[int64]string{}}
		covers[course] = cv
		var nodes []string
		for _, a := range list {
			switch {
			case a.member != 0:
				if a.path >= lo && a.path < hi {
					cv.members[a.member] = a.path
				}
			case a.kind == string(model.OrgFunctional):
				cv.orgs = append(cv.orgs, a.org)
			case strings.HasPrefix(path, a.path):
				cv.whole = true
			default:
				nodes = append(nodes, a.path)
			}
		}
		if cv.whole {
			continue
		}
		slices.Sort(nodes)
		for _, p := range nodes { // sorted: a node's ancestors come before it
			if len(cv.nodes) > 0 && strings.HasPrefix(p, cv.nodes[len(cv.nodes)-1]) {
				continue
			}
			cv.nodes = append(cv.nodes, p)
			need[p] = 0
		}
	}
	if len(need) > 0 {
		paths := make([]any, 0, len(need))
		for p := range need {
			paths = append(paths, p)
		}
		for len(paths) > 0 {
			n := min(len(paths), 500)
			rows, err := queryAll(ctx, c, `SELECT path, n FROM party_member_counts WHERE dim = 'total' AND value = '' AND path IN (`+
				strings.TrimSuffix(strings.Repeat("?, ", n), ", ")+`)`, paths[:n], func(r rowScanner) (struct {
				p string
				n int64
			}, error) {
				var x struct {
					p string
					n int64
				}
				return x, r.Scan(&x.p, &x.n)
			})
			if err != nil {
				return out, err
			}
			for _, x := range rows {
				need[x.p] = x.n
			}
			paths = paths[n:]
		}
	}
	for _, cv := range covers {
		if cv.whole {
			out.Assigned += registered
			continue
		}
		for _, p := range cv.nodes {
			out.Assigned += need[p]
		}
	member:
		for _, p := range cv.members {
			for _, n := range cv.nodes {
				if strings.HasPrefix(p, n) {
					continue member
				}
			}
			out.Assigned++
		}
		for _, org := range cv.orgs {
			var n int64
			if err := c.queryRow(ctx, `SELECT COUNT(*) FROM party_members m WHERE m.left_on IS NULL AND m.list = 'registered' AND m.path >= ? AND m.path < ?
				AND (m.org_id = ? OR m.id IN (SELECT member_id FROM party_org_members WHERE org_id = ?))`, []any{lo, hi, org, org}, &n); err != nil {
				return out, err
			}
			out.Assigned += n
		}
	}
	out.Completed = min(out.Completed, out.Assigned)
	if out.Assigned > 0 {
		out.Rate = float64(out.Completed) / float64(out.Assigned)
	}
	return out, nil
}
