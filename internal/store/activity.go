package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Party–resident activities (党群活动): published by staff to a territory subtree; members and
// residents living there sign up (the limit decided by a conditional UPDATE of the counter) and
// check in by the activity's QR code; a member's check-in earns points.

const activityCols = `a.id, a.territory_id, t.name, a.path, a.community_id, a.org_id, a.title, a.description, a.place, a.starts_at, a.ends_at,
	a.closes_at, a.signup_limit, a.signups, (SELECT COUNT(*) FROM party_activity_signups s WHERE s.activity_id = a.id AND s.checked_in_at IS NOT NULL),
	a.status, a.service, a.created_by, a.created_at`

const activityFrom = ` FROM party_activities a JOIN territories t ON t.id = a.territory_id`

func scanActivity(r rowScanner) (*model.Activity, error) {
	a := &model.Activity{}
	var community, org, by sql.NullInt64
	err := r.Scan(&a.ID, &a.TerritoryID, &a.TerritoryName, &a.Path, &community, &org, &a.Title, &a.Description, &a.Place, &a.StartsAt, &a.EndsAt,
		&a.ClosesAt, &a.Limit, &a.Signups, &a.CheckedIn, &a.Status, &a.Service, &by, &a.CreatedAt)
	a.CommunityID, a.OrgID, a.CreatedBy = community.Int64, org.Int64, by.Int64
	a.StartsAt, a.EndsAt, a.ClosesAt = a.StartsAt.UTC(), a.EndsAt.UTC(), a.ClosesAt.UTC()
	return a, err
}

// activityVisible reports whether an activity published at path is for sc: staff see what
// lies in their scope; everyone sees what was published to a node above them (their community,
// their grid).
func activityVisible(sc authz.Scope, path string) bool {
	return sc.Contains(path) || sc.Path != "" && strings.HasPrefix(sc.Path, path)
}

// nodeAndAncestorPaths returns the paths of p's node and of every node above it ("/1/5/" → "/1/", "/1/5/").
func nodeAndAncestorPaths(p string) []any {
	var out []any
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i+1])
		}
	}
	return out
}

// Activity returns one activity visible to sc (see activityVisible), with sc's own sign-up in
// Mine; model.ErrNotFound otherwise.
func (s *Store) Activity(ctx context.Context, sc authz.Scope, id int64) (*model.Activity, error) {
	return s.reader().activity(ctx, sc, id)
}

func (c conn) activity(ctx context.Context, sc authz.Scope, id int64) (*model.Activity, error) {
	a, err := queryOne(ctx, c, `SELECT `+activityCols+activityFrom+` WHERE a.id = ?`, []any{id}, scanActivity)
	if err != nil {
		return nil, err
	}
	if !activityVisible(sc, a.Path) {
		return nil, model.ErrNotFound
	}
	if sc.UserID != 0 {
		su, err := queryOne(ctx, c, `SELECT s.activity_id, s.user_id, u.username, s.member_id, s.signed_at, s.checked_in_at FROM party_activity_signups s
			JOIN users u ON u.id = s.user_id WHERE s.activity_id = ? AND s.user_id = ?`, []any{id, sc.UserID}, scanSignup)
		switch {
		case err == nil:
			a.Mine = su
		case !isNotFound(err):
			return nil, err
		}
	}
	return a, nil
}

func scanSignup(r rowScanner) (*model.ActivitySignup, error) {
	s := &model.ActivitySignup{}
	var member sql.NullInt64
	var at sql.NullTime
	err := r.Scan(&s.ActivityID, &s.UserID, &s.Name, &member, &s.SignedAt, &at)
	s.MemberID = member.Int64
	if at.Valid {
		t := at.Time.UTC()
		s.CheckedInAt = &t
	}
	return s, err
}

// PublishActivity publishes an activity to the subtree of in.TerritoryID (in sc; staff only).
func (s *Store) PublishActivity(ctx context.Context, sc authz.Scope, in model.ActivityInput) (*model.Activity, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *model.Activity
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, in.TerritoryID)
		if err != nil {
			if isNotFound(err) {
				return &model.ValidationError{Fields: []model.FieldError{{Field: "territory_id", Message: "没有找到这个发布范围，或它不在您的管辖范围内"}}}
			}
			return err
		}
		if !authz.Allowed(sc.Role, authz.PartyActivityWrite) {
			return model.ErrForbidden
		}
		if in.OrgID != 0 {
			if _, err := tx.lifeOrg(ctx, sc, in.OrgID); err != nil {
				return &model.ValidationError{Fields: []model.FieldError{{Field: "org_id", Message: "没有找到这个党组织，或它不在您的管辖范围内"}}}
			}
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
			return err
		}
		now := s.now()
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO party_activities (territory_id, path, community_id, org_id, title, description, place, starts_at, ends_at,
			closes_at, signup_limit, status, service, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'published', ?, ?, ?, ?) RETURNING id`,
			[]any{t.ID, t.Path, community, nullID(in.OrgID), in.Title, in.Description, in.Place, in.StartsAt.UTC(), in.EndsAt.UTC(),
				in.EndsAt.UTC().Add(model.CheckinGrace), in.Limit, in.Service, nullID(sc.UserID), now, now}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "party.activity.publish", "party_activity", []int64{id}, "")
		out, err = tx.activity(ctx, sc, id)
		return err
	})
	return out, err
}

// ActivityFilter narrows Activities.
type ActivityFilter struct {
	Under    int64 // staff: activities published in this node's subtree
	Status   model.ActivityStatus
	Upcoming bool // only those not yet ended
	Limit    int
	Cursor   string
}

// Activities lists the activities visible to sc, latest start first. Staff see those published
// in their scope; members and residents those published to the nodes above them.
func (s *Store) Activities(ctx context.Context, sc authz.Scope, f ActivityFilter) (*Page[*model.Activity], error) {
	c := s.reader()
	var fl filter
	if f.Under != 0 || authz.Allowed(sc.Role, authz.PartyActivityWrite) {
		prefix, ok, err := c.subtree(ctx, sc, f.Under)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &Page[*model.Activity]{}, nil
		}
		lo, hi := authz.PathRange(prefix)
		fl.add("a.path >= ? AND a.path < ?", lo, hi)
	} else {
		if sc.Path == "" && !sc.All {
			return &Page[*model.Activity]{}, nil
		}
		anc := nodeAndAncestorPaths(sc.Path)
		lo, hi := authz.PathRange(sc.Path)
		fl.add("(a.path IN ("+inList(len(anc))+") OR a.path >= ? AND a.path < ?)", append(anc, lo, hi)...)
	}
	if f.Status != "" {
		fl.add("a.status = ?", f.Status)
	}
	if f.Upcoming {
		fl.add("a.ends_at > ?", s.now())
	}
	count := fl.clone()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	if cur.key != "" {
		at, err := time.Parse(time.RFC3339Nano, cur.key)
		if err != nil {
			return nil, ErrBadCursor
		}
		fl.add("(a.starts_at < ? OR (a.starts_at = ? AND a.id < ?))", at, at, cur.id)
	}
	p, err := fetchPage(ctx, c, `SELECT `+activityCols+activityFrom+` WHERE `+fl.sql()+` ORDER BY a.starts_at DESC, a.id DESC`, fl.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Activity, cursor, error) {
			a, err := scanActivity(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return a, cursor{key: a.StartsAt.Format(time.RFC3339Nano), id: a.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM party_activities a WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	if sc.UserID != 0 && len(p.Items) > 0 {
		args := []any{sc.UserID}
		for _, a := range p.Items {
			args = append(args, a.ID)
		}
		mine, err := queryAll(ctx, c, `SELECT s.activity_id, s.user_id, '', s.member_id, s.signed_at, s.checked_in_at FROM party_activity_signups s
			WHERE s.user_id = ? AND s.activity_id IN (`+inList(len(p.Items))+`)`, args, scanSignup)
		if err != nil {
			return nil, err
		}
		by := map[int64]*model.ActivitySignup{}
		for _, su := range mine {
			by[su.ActivityID] = su
		}
		for _, a := range p.Items {
			a.Mine = by[a.ID]
		}
	}
	return p, nil
}

// errActivityFull refuses a sign-up over the limit.
var errActivityFull = &model.ConflictError{Message: "报名人数已满，未能报名"}

// signUp inserts the sign-up of sc to a (unique per account) and takes one place by a
// conditional UPDATE of the counter, so that however many sign up at once, no more than the
// limit succeed. It reports false when sc was already signed up.
func (tx *Tx) signUp(ctx context.Context, sc authz.Scope, a *model.Activity, t time.Time) (bool, int64, error) {
	var memberID int64
	if me, err := tx.memberOfUser(ctx, sc.UserID); err == nil {
		memberID = me.ID
	} else if err != ErrNotMember {
		return false, 0, err
	}
	res, err := tx.exec(ctx, `INSERT INTO party_activity_signups (activity_id, user_id, member_id, community_id, signed_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, a.ID, sc.UserID, nullID(memberID), nullID(a.CommunityID), t)
	if err != nil {
		return false, 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, memberID, nil
	}
	res, err = tx.exec(ctx, `UPDATE party_activities SET signups = signups + 1 WHERE id = ? AND (signup_limit = 0 OR signups < signup_limit)`, a.ID)
	if err != nil {
		return false, 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, 0, errActivityFull
	}
	tx.auditAt(sc, a.Path, "party.activity.signup", "party_activity", []int64{a.ID}, "")
	return true, memberID, nil
}

// SignUp signs the account of sc up for activity id (visible to sc): a *model.ConflictError
// when full, closed or cancelled; signing up twice changes nothing. It returns the activity
// with the caller's sign-up.
func (s *Store) SignUp(ctx context.Context, sc authz.Scope, id int64) (*model.Activity, error) {
	var out *model.Activity
	err := s.Tx(ctx, func(tx *Tx) error {
		a, err := tx.activity(ctx, sc, id)
		if err != nil {
			return err
		}
		t := s.now()
		if a.Status != model.ActivityPublished || !t.Before(a.ClosesAt) {
			return &model.ConflictError{Message: "活动已结束或已取消，不能报名"}
		}
		if _, _, err := tx.signUp(ctx, sc, a, t); err != nil {
			return err
		}
		out, err = tx.activity(ctx, sc, id)
		return err
	})
	return out, err
}

// CancelSignup withdraws the caller's sign-up before check-in, freeing the place.
func (s *Store) CancelSignup(ctx context.Context, sc authz.Scope, id int64) (*model.Activity, error) {
	var out *model.Activity
	err := s.Tx(ctx, func(tx *Tx) error {
		a, err := tx.activity(ctx, sc, id)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM party_activity_signups WHERE activity_id = ? AND user_id = ? AND checked_in_at IS NULL`, id, sc.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "您没有报名，或已签到，不能取消报名"}
		}
		if _, err := tx.exec(ctx, `UPDATE party_activities SET signups = signups - 1 WHERE id = ?`, id); err != nil {
			return err
		}
		tx.auditAt(sc, a.Path, "party.activity.cancel_signup", "party_activity", []int64{id}, "")
		out, err = tx.activity(ctx, sc, id)
		return err
	})
	return out, err
}

// checkInActivity records sc present at activity id (the QR code's): signed up on the spot
// when not yet (within the limit), checked in once; a member earns points.
func (s *Store) checkInActivity(ctx context.Context, sc authz.Scope, id int64, t time.Time) (*CheckinResult, error) {
	res := &CheckinResult{At: t}
	err := s.Tx(ctx, func(tx *Tx) error {
		a, err := tx.activity(ctx, authz.System(), id)
		if err != nil {
			return ErrCheckinForged
		}
		res.Activity = a
		if a.Status != model.ActivityPublished || !t.Before(a.ClosesAt) {
			return &model.ConflictError{Message: "活动签到已结束，未记录签到"}
		}
		if t.Before(a.StartsAt.Add(-model.CheckinLead)) {
			return &model.ConflictError{Message: "活动还没有开始签到：开始前一小时起可以签到"}
		}
		if !activityVisible(sc, a.Path) {
			return &model.ForbiddenError{Message: "这个活动面向「" + a.TerritoryName + "」的党员群众，您不在范围内，未记录签到"}
		}
		if _, _, err := tx.signUp(ctx, sc, a, t); err != nil {
			return err
		}
		r, err := tx.exec(ctx, `UPDATE party_activity_signups SET checked_in_at = ? WHERE activity_id = ? AND user_id = ? AND checked_in_at IS NULL`, t, a.ID, sc.UserID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res.Already = true
			return nil
		}
		tx.auditAt(sc, a.Path, "party.activity.checkin", "party_activity", []int64{a.ID}, "qr")
		var member sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT member_id FROM party_activity_signups WHERE activity_id = ? AND user_id = ?`, []any{a.ID, sc.UserID}, &member); err != nil {
			return err
		}
		if member.Valid {
			res.Points, err = tx.AwardPoints(ctx, member.Int64, model.PointsActivity, a.ID, "党群活动："+a.Title, sc.UserID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ActivitySignups lists the sign-ups of an activity in sc for staff, by sign-up time.
func (s *Store) ActivitySignups(ctx context.Context, sc authz.Scope, id int64) (*model.Activity, []*model.ActivitySignup, error) {
	c := s.reader()
	a, err := c.activity(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	if !sc.Contains(a.Path) || !authz.Allowed(sc.Role, authz.PartyActivityWrite) {
		return nil, nil, model.ErrForbidden
	}
	rows, err := queryAll(ctx, c, `SELECT s.activity_id, s.user_id, COALESCE(pm.name, NULLIF(u.display_name, ''), u.username), s.member_id, s.signed_at, s.checked_in_at
		FROM party_activity_signups s JOIN users u ON u.id = s.user_id LEFT JOIN party_members pm ON pm.id = s.member_id
		WHERE s.activity_id = ? ORDER BY s.signed_at, s.user_id LIMIT 2000`, []any{id}, scanSignup)
	return a, rows, err
}

// ActivityCode returns the QR check-in code of a published activity in sc (staff), and when
// it expires.
func (s *Store) ActivityCode(ctx context.Context, sc authz.Scope, id int64) (*model.Activity, string, time.Time, error) {
	a, err := s.reader().activity(ctx, sc, id)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if !sc.Contains(a.Path) || !authz.Allowed(sc.Role, authz.PartyActivityWrite) {
		return nil, "", time.Time{}, model.ErrForbidden
	}
	if a.Status != model.ActivityPublished {
		return a, "", time.Time{}, &model.ConflictError{Message: "活动" + a.Status.Label() + "，不再签到"}
	}
	code, exp, err := checkinCode(s.keys, checkinActivity, a.ID, s.now())
	return a, code, exp, err
}

// SetActivityStatus closes or cancels a published activity in sc (staff); the conditional
// UPDATE decides, so a second request is a *model.ConflictError.
func (s *Store) SetActivityStatus(ctx context.Context, sc authz.Scope, id int64, status model.ActivityStatus) (*model.Activity, error) {
	if status != model.ActivityClosed && status != model.ActivityCancelled {
		return nil, &model.ValidationError{Fields: []model.FieldError{{Field: "status", Message: "状态应为 closed（结束）或 cancelled（取消）"}}}
	}
	var out *model.Activity
	err := s.Tx(ctx, func(tx *Tx) error {
		a, err := tx.activity(ctx, sc, id)
		if err != nil {
			return err
		}
		if !sc.Contains(a.Path) || !authz.Allowed(sc.Role, authz.PartyActivityWrite) {
			return model.ErrForbidden
		}
		res, err := tx.exec(ctx, `UPDATE party_activities SET status = ?, updated_at = ? WHERE id = ? AND status = 'published'`, status, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "活动已" + a.Status.Label() + "，不能再改变"}
		}
		detail := ""
		if status == model.ActivityClosed && a.Service {
			n, err := tx.bankActivityMinutes(ctx, a, sc.UserID)
			if err != nil {
				return err
			}
			detail = fmt.Sprintf("%d 名志愿者记入服务时长", n)
		}
		tx.auditAt(sc, a.Path, "party.activity."+string(status), "party_activity", []int64{id}, detail)
		out, err = tx.activity(ctx, sc, id)
		return err
	})
	return out, err
}
