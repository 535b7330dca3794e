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
	birth_date, joined_on, reported_on IS NOT NULL FROM party_members WHERE `

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
	q := memberCountsSelect + where
	if sign < 0 && to == "" && c.d.name == "postgres" {
		// The rows as they are before a change, locked: a writer beside us changing the same
		// member waits, and then reads what we wrote, not what was there before.
		q += " FOR UPDATE"
	}
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var path, list, kind, category, mobility, gender, education, status string
		var left, reported bool
		var birth, joined sql.NullTime
		if err := rows.Scan(&path, &list, &kind, &left, &category, &mobility, &gender, &education, &status, &birth, &joined, &reported); err != nil {
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
	return a, nil
}
