package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The points ledger (积分): append-only per member (triggers refuse UPDATE and DELETE on both
// engines), fed by attendance, activities, study and later service orders and duty, by rules
// each community sets. Corrections are new entries.

// AwardPoints appends to the ledger of member the points that source awards in the member's
// community (its rule, or model.DefaultPoints), for the event sourceID, inside tx: the caller's
// transaction, so the points stand or fall with the event that earned them. One event awards
// once: a second call for the same (member, source, sourceID) adds nothing and returns 0, as
// does a rule of 0 points. by is the account that caused it (0: the system). It returns the
// points added. This is the one entry point other parts (study, orders, duty) call.
func (tx *Tx) AwardPoints(ctx context.Context, memberID int64, source model.PointsSource, sourceID int64, reason string, by int64) (int, error) {
	return tx.awardPoints(ctx, memberID, source, sourceID, 0, reason, by)
}

// awardPoints is AwardPoints with the event's own value: points > 0 (a course's points, set by
// its author) instead of the community's rule; 0 takes the rule.
func (tx *Tx) awardPoints(ctx context.Context, memberID int64, source model.PointsSource, sourceID int64, own int, reason string, by int64) (int, error) {
	if !source.Valid() || source == model.PointsCorrection || sourceID <= 0 {
		return 0, &model.ValidationError{Fields: []model.FieldError{{Field: "source", Message: "积分来源无效"}}}
	}
	var path string
	var community sql.NullInt64
	if err := tx.queryRow(ctx, `SELECT path, community_id FROM party_members WHERE id = ?`, []any{memberID}, &path, &community); err != nil {
		return 0, err
	}
	points := own
	if points <= 0 {
		var err error
		if points, err = tx.pointsFor(ctx, community.Int64, source); err != nil || points == 0 {
			return 0, err
		}
	}
	res, err := tx.exec(ctx, `INSERT INTO party_points_entries (member_id, community_id, path, points, reason, source, source_id, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, memberID, community, path, points, clip(reason, 200), source, sourceID, nullID(by), tx.s.now())
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, nil
	}
	return points, nil
}

// pointsFor is the points source awards in community.
func (c conn) pointsFor(ctx context.Context, community int64, source model.PointsSource) (int, error) {
	var p int
	err := c.queryRow(ctx, `SELECT points FROM party_points_rules WHERE community_id = ? AND source = ?`, []any{community, source}, &p)
	if isNotFound(err) {
		return model.DefaultPoints[source], nil
	}
	return p, err
}

func isNotFound(err error) bool { return errors.Is(err, model.ErrNotFound) }

// PointsRules returns the rules of community (a community node in sc), defaults included.
func (s *Store) PointsRules(ctx context.Context, sc authz.Scope, community int64) ([]model.PointsRule, error) {
	c := s.reader()
	if _, err := c.communityNode(ctx, sc, community); err != nil {
		return nil, err
	}
	out := make([]model.PointsRule, 0, len(model.PointsRuleSources))
	for _, src := range model.PointsRuleSources {
		var p int
		err := c.queryRow(ctx, `SELECT points FROM party_points_rules WHERE community_id = ? AND source = ?`, []any{community, src}, &p)
		switch {
		case isNotFound(err):
			out = append(out, model.PointsRule{CommunityID: community, Source: src, Points: model.DefaultPoints[src], Default: true})
		case err != nil:
			return nil, err
		default:
			out = append(out, model.PointsRule{CommunityID: community, Source: src, Points: p})
		}
	}
	return out, nil
}

func (c conn) communityNode(ctx context.Context, sc authz.Scope, id int64) (*model.Territory, error) {
	t, err := c.territory(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if t.Kind != model.KindCommunity {
		return nil, &model.ValidationError{Fields: []model.FieldError{{Field: "community_id", Message: "积分规则按社区设置，请选择一个社区"}}}
	}
	return t, nil
}

// SetPointsRule sets the points source awards in community from now on (0–1000; entries
// already in the ledger stay as they are).
func (s *Store) SetPointsRule(ctx context.Context, sc authz.Scope, community int64, source model.PointsSource, points int) error {
	err := s.SetPointsRules(ctx, sc, community, map[model.PointsSource]int{source: points})
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		for i, f := range ve.Fields {
			if f.Field == "points_"+string(source) {
				ve.Fields[i].Field = "points"
			}
		}
	}
	return err
}

// SetPointsRules sets several sources' points in community at once, in one transaction: all
// or nothing. A bad value is a field error on points_<source>; an unknown source on source.
func (s *Store) SetPointsRules(ctx context.Context, sc authz.Scope, community int64, rules map[model.PointsSource]int) error {
	ve := &model.ValidationError{}
	for _, src := range sortedPointsSources(rules) {
		points := rules[src]
		if !src.Valid() || src == model.PointsCorrection {
			ve.Add("source", "积分来源应为 meeting、activity、course、order 或 duty")
			continue
		}
		if points < 0 || points > 1000 {
			ve.Add("points_"+string(src), src.Label()+"的分值应在 0 到 1000 之间")
		}
	}
	if err := ve.Err(); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.communityNode(ctx, sc, community); err != nil {
			return err
		}
		if !authz.Allowed(sc.Role, authz.PartyPointsWrite) {
			return model.ErrForbidden
		}
		for _, src := range sortedPointsSources(rules) {
			points := rules[src]
			if _, err := tx.exec(ctx, `INSERT INTO party_points_rules (community_id, source, points, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (community_id, source) DO UPDATE SET points = excluded.points, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				community, src, points, nullID(sc.UserID), s.now()); err != nil {
				return err
			}
			tx.audit(sc, "party.points.rule", "territory", []int64{community}, string(src)+"="+strconv.Itoa(points))
		}
		return nil
	})
}

// sortedPointsSources are the keys of rules in page order (unknown ones last, by name).
func sortedPointsSources(rules map[model.PointsSource]int) []model.PointsSource {
	out := make([]model.PointsSource, 0, len(rules))
	for _, src := range model.PointsRuleSources {
		if _, ok := rules[src]; ok {
			out = append(out, src)
		}
	}
	var rest []model.PointsSource
	for src := range rules {
		if !slices.Contains(model.PointsRuleSources, src) {
			rest = append(rest, src)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// CorrectPoints appends a correction of entry (an entry of a member in sc; of memberID when
// not 0, else a 422 on entry_id) to the member's ledger: points (non-zero, ±1000 at most) with a reason. The entry itself never changes.
func (s *Store) CorrectPoints(ctx context.Context, sc authz.Scope, memberID, entryID int64, points int, reason string) (*model.PointsEntry, error) {
	reason = strings.TrimSpace(reason)
	ve := &model.ValidationError{}
	if points == 0 || points < -1000 || points > 1000 {
		ve.Add("points", "更正分值应为 -1000 到 1000 之间的非零整数")
	}
	if reason == "" {
		ve.Add("reason", "请写明更正原因")
	} else if utf8.RuneCountInString(reason) > 200 {
		ve.Add("reason", "更正原因最多 200 字")
	}
	if err := ve.Err(); err != nil {
		return nil, err
	}
	var out *scopedEntry
	err := s.Tx(ctx, func(tx *Tx) error {
		e, err := tx.pointsEntry(ctx, sc, entryID)
		if err != nil {
			return err
		}
		if memberID != 0 && e.MemberID != memberID {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "entry_id", Message: "这条积分记录不属于该党员"}}}
		}
		if !authz.Allowed(sc.Role, authz.PartyPointsWrite) {
			return model.ErrForbidden
		}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO party_points_entries (member_id, community_id, path, points, reason, source, corrects_id, created_by, created_at)
			SELECT member_id, community_id, path, ?, ?, 'correction', id, ?, ? FROM party_points_entries WHERE id = ? RETURNING id`,
			[]any{points, reason, nullID(sc.UserID), s.now(), e.ID}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, e.path, "party.points.correct", "party_points_entry", []int64{id, e.ID}, strconv.Itoa(points))
		out, err = tx.pointsEntry(ctx, sc, id)
		return err
	})
	if out != nil {
		return &out.PointsEntry, err
	}
	return nil, err
}

type scopedEntry struct {
	model.PointsEntry
	path string
}

const pointsEntryCols = `e.id, e.member_id, pm.name, e.points, e.reason, e.source, e.source_id, e.corrects_id, e.created_by, e.created_at, e.path`

func scanPointsEntry(r rowScanner) (*scopedEntry, error) {
	e := &scopedEntry{}
	var src, corr, by sql.NullInt64
	err := r.Scan(&e.ID, &e.MemberID, &e.MemberName, &e.Points, &e.Reason, &e.Source, &src, &corr, &by, &e.CreatedAt, &e.path)
	e.SourceID, e.CorrectsID, e.CreatedBy = src.Int64, corr.Int64, by.Int64
	return e, err
}

func (c conn) pointsEntry(ctx context.Context, sc authz.Scope, id int64) (*scopedEntry, error) {
	return scopedOne(ctx, c, sc, `SELECT `+pointsEntryCols+` FROM party_points_entries e JOIN party_members pm ON pm.id = e.member_id WHERE e.id = ?`,
		[]any{id}, scanPointsEntry, func(e *scopedEntry) string { return e.path })
}

// MemberLedger returns the latest entries (at most limit) of a member's ledger and the total.
func (c conn) memberLedger(ctx context.Context, memberID int64, limit int) ([]model.PointsEntry, int, error) {
	rows, err := queryAll(ctx, c, `SELECT `+pointsEntryCols+` FROM party_points_entries e JOIN party_members pm ON pm.id = e.member_id
		WHERE e.member_id = ? ORDER BY e.id DESC LIMIT `+strconv.Itoa(clampLimit(limit)), []any{memberID}, scanPointsEntry)
	if err != nil {
		return nil, 0, err
	}
	out := make([]model.PointsEntry, len(rows))
	for i, r := range rows {
		out[i] = r.PointsEntry
	}
	var total int
	err = c.queryRow(ctx, `SELECT COALESCE(SUM(points), 0) FROM party_points_entries WHERE member_id = ?`, []any{memberID}, &total)
	return out, total, err
}

// MemberLedger returns a member's (in sc) latest ledger entries and points total.
func (s *Store) MemberLedger(ctx context.Context, sc authz.Scope, memberID int64, limit int) ([]model.PointsEntry, int, error) {
	c := s.reader()
	var path string
	if err := c.queryRow(ctx, `SELECT path FROM party_members WHERE id = ?`, []any{memberID}, &path); err != nil {
		return nil, 0, err
	}
	if !sc.Contains(path) {
		return nil, 0, model.ErrNotFound
	}
	return c.memberLedger(ctx, memberID, limit)
}

// LeaderboardFilter narrows a leaderboard: one org (its members), or the members of a
// territory subtree (Under; 0 the whole scope).
type LeaderboardFilter struct {
	OrgID int64
	Under int64
	Limit int
}

// Leaderboard ranks the current members in sc by their points total, highest first (ties by
// name), at most Limit (default 50). Only public-profile fields are returned (亮身份).
func (s *Store) Leaderboard(ctx context.Context, sc authz.Scope, f LeaderboardFilter) ([]model.PointsStanding, error) {
	c := s.reader()
	var fl filter
	if f.OrgID != 0 {
		o, err := c.lifeOrg(ctx, sc, f.OrgID)
		if err != nil {
			return nil, err
		}
		fl.add("pm.org_id = ?", o.ID)
	} else {
		prefix, ok, err := c.subtree(ctx, sc, f.Under)
		if err != nil || !ok {
			return nil, err
		}
		lo, hi := authz.PathRange(prefix)
		fl.add("pm.path >= ? AND pm.path < ?", lo, hi)
	}
	return c.leaderboard(ctx, fl, f.Limit)
}

func (c conn) leaderboard(ctx context.Context, fl filter, limit int) ([]model.PointsStanding, error) {
	fl.add("pm.left_on IS NULL")
	rows, err := queryAll(ctx, c, `SELECT pm.id, pm.name, pm.org_id, o.name, pm.service_post, COALESCE(SUM(e.points), 0) AS total
		FROM party_members pm JOIN party_orgs o ON o.id = pm.org_id LEFT JOIN party_points_entries e ON e.member_id = pm.id
		WHERE `+fl.sql()+` GROUP BY pm.id, pm.name, pm.org_id, o.name, pm.service_post ORDER BY total DESC, pm.name, pm.id LIMIT `+strconv.Itoa(clampLimit(limit)),
		fl.args, func(r rowScanner) (model.PointsStanding, error) {
			var p model.PointsStanding
			return p, r.Scan(&p.MemberID, &p.Name, &p.OrgID, &p.OrgName, &p.ServicePost, &p.Points)
		})
	for i := range rows {
		rows[i].Rank = i + 1
		if i > 0 && rows[i].Points == rows[i-1].Points {
			rows[i].Rank = rows[i-1].Rank
		}
	}
	return rows, err
}

// MyParty is what a member's "my branch" page shows of points: the member's public profile
// with total, the latest ledger entries, and the branch's and community's leaderboards.
type MyParty struct {
	Profile   model.PointsStanding
	Entries   []model.PointsEntry
	Branch    []model.PointsStanding
	Community []model.PointsStanding
}

// MyPoints returns the points of the member whose account is sc.UserID: ErrNotMember when
// the account is linked to no current member.
func (s *Store) MyPoints(ctx context.Context, sc authz.Scope) (*MyParty, error) {
	c := s.reader()
	me, err := c.memberOfUser(ctx, sc.UserID)
	if err != nil {
		return nil, err
	}
	out := &MyParty{}
	if out.Entries, out.Profile.Points, err = c.memberLedger(ctx, me.ID, 20); err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT pm.id, pm.name, pm.org_id, o.name, pm.service_post FROM party_members pm JOIN party_orgs o ON o.id = pm.org_id WHERE pm.id = ?`,
		[]any{me.ID}, &out.Profile.MemberID, &out.Profile.Name, &out.Profile.OrgID, &out.Profile.OrgName, &out.Profile.ServicePost); err != nil {
		return nil, err
	}
	var byOrg filter
	byOrg.add("pm.org_id = ?", me.OrgID)
	if out.Branch, err = c.leaderboard(ctx, byOrg, 10); err != nil {
		return nil, err
	}
	if me.CommunityID.Valid {
		var byCommunity filter
		byCommunity.add("pm.community_id = ?", me.CommunityID.Int64)
		if out.Community, err = c.leaderboard(ctx, byCommunity, 10); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pointsBranchOf is the SQL of the branch an org (alias o) belongs to: a group's parent, else
// (a branch, a committee, a group without a parent) the org itself.
func pointsBranchOf(o string) string {
	return `(CASE WHEN ` + o + `.kind = 'building_group' OR (` + o + `.kind = 'functional_group' AND ` + o + `.level = 'group') THEN COALESCE(` + o + `.parent_id, ` + o + `.id) ELSE ` + o + `.id END)`
}

// MemberProfile is a member's public profile (亮身份) for anyone allowed to read points in the
// member's area: branch, service post, points; model.ErrNotFound outside sc.
func (s *Store) MemberProfile(ctx context.Context, sc authz.Scope, memberID int64) (*model.PointsStanding, error) {
	c := s.reader()
	var path string
	if err := c.queryRow(ctx, `SELECT path FROM party_members WHERE id = ? AND left_on IS NULL`, []any{memberID}, &path); err != nil {
		return nil, err
	}
	if sc.Role == model.RoleMember || !sc.Contains(path) {
		// A member sees the public profiles of the members of their own branch (the branch
		// itself and the groups under it), wherever its account's scope lies.
		if _, err := c.memberOfUser(ctx, sc.UserID); err != nil {
			return nil, model.ErrNotFound
		}
		var same int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM party_members pm JOIN party_orgs o ON o.id = pm.org_id
			WHERE pm.id = ? AND EXISTS (SELECT 1 FROM party_members me JOIN party_orgs mo ON mo.id = me.org_id
				WHERE me.user_id = ? AND me.left_on IS NULL AND `+pointsBranchOf("mo")+` = `+pointsBranchOf("o")+`)`, []any{memberID, sc.UserID}, &same); err != nil {
			return nil, err
		}
		if same == 0 {
			return nil, model.ErrNotFound
		}
	}
	var byID filter
	byID.add("pm.id = ?", memberID)
	rows, err := c.leaderboard(ctx, byID, 1)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, model.ErrNotFound
	}
	rows[0].Rank = 0
	return &rows[0], nil
}
