package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Organizational life (三会一课): meetings scheduled per org, attendance by QR check-in or ticked
// by staff, minutes, and the compliance of each org against the expected frequency.

// lifeOrg is what organizational life needs of a party org.
type lifeOrg struct {
	ID          int64
	Name        string
	Kind        string
	Level       string
	Path        string
	CommunityID sql.NullInt64
	Status      string
}

func (c conn) lifeOrg(ctx context.Context, sc authz.Scope, id int64) (*lifeOrg, error) {
	return scopedOne(ctx, c, sc, `SELECT id, name, kind, level, path, community_id, status FROM party_orgs WHERE id = ?`, []any{id},
		func(r rowScanner) (*lifeOrg, error) {
			o := &lifeOrg{}
			return o, r.Scan(&o.ID, &o.Name, &o.Kind, &o.Level, &o.Path, &o.CommunityID, &o.Status)
		}, func(o *lifeOrg) string { return o.Path })
}

// errNotManager refuses a change to an org the caller does not manage.
var errNotManager = &model.ForbiddenError{Message: "您不是该党组织的书记或辖区管理人员，不能安排它的组织生活"}

// managedOrg returns the org when sc manages it (ManagesOrg: staff whose scope holds it, or its
// secretary by post): model.ErrNotFound when it is missing or outside the scope, errNotManager
// when the caller sees it but does not manage it.
func (c conn) managedOrg(ctx context.Context, sc authz.Scope, id int64) (*lifeOrg, error) {
	o, err := c.lifeOrg(ctx, authz.System(), id)
	if err != nil {
		return nil, err
	}
	ok, err := c.managesOrg(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		if sc.Contains(o.Path) && !postScoped(sc) {
			return nil, errNotManager
		}
		return nil, model.ErrNotFound // a member reads only the orgs it manages: this one does not exist for it
	}
	return o, nil
}

// postScoped reports whether sc's organizational life is that of its posts rather than of its
// territory: a member account sees and manages the meetings of the orgs it is secretary or
// deputy secretary of (and the orgs under them), wherever they lie, and no other.
func postScoped(sc authz.Scope) bool { return !sc.All && sc.Role == model.RoleMember }

// MeetingOrgs returns the active orgs sc may schedule meetings for, in tree order: staff those
// of their scope (as OrgTree), a member the orgs it manages by post, wherever they lie.
func (s *Store) MeetingOrgs(ctx context.Context, sc authz.Scope) ([]*model.Org, error) {
	cond, args := lifeOrgsOf(sc, "id")
	if cond == "" {
		orgs, _, err := s.OrgTree(ctx, sc, 0)
		return orgs, err
	}
	return queryAll(ctx, s.reader(), `SELECT `+orgColumns+` FROM party_orgs WHERE status = 'active' AND `+cond+` ORDER BY path, id LIMIT `+strconv.Itoa(OrgTreeLimit), args, scanOrg)
}

// postSubtree is subtree for a post-scoped caller: the whole tree when under is 0 (its posts
// narrow it), else the node under when it lies at or below the node of an org it manages, and
// model.ErrNotFound for any other node, as a node outside a territory scope is.
func (c conn) postSubtree(ctx context.Context, sc authz.Scope, under int64) (string, bool, error) {
	if under == 0 {
		return "", true, nil
	}
	t, err := c.territory(ctx, authz.System(), under)
	if err != nil {
		return "", false, err
	}
	var n int64
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM party_orgs WHERE id IN `+orgSubtree(managedOrgsInner)+` AND SUBSTR(?, 1, LENGTH(path)) = path`,
		[]any{sc.UserID, sc.UserID, t.Path}, &n); err != nil {
		return "", false, err
	}
	if n == 0 {
		return "", false, model.ErrNotFound
	}
	return t.Path, true, nil
}

// lifeOrgsOf is the condition on the org id column col that narrows a post-scoped caller to the
// orgs it manages ("" and no arguments for everyone else, whom the territory narrows).
func lifeOrgsOf(sc authz.Scope, col string) (string, []any) {
	if !postScoped(sc) {
		return "", nil
	}
	return col + " IN " + orgSubtree(managedOrgsInner), []any{sc.UserID, sc.UserID}
}

const meetingCols = `m.id, m.org_id, o.name, m.path, m.community_id, m.type, m.body, m.title, m.starts_at, m.ends_at, m.closes_at, m.place,
	m.series_id, m.minutes, m.status, m.attendees, m.created_by, m.created_at, m.updated_at, COALESCE(ct.code, '')`

// meetingFrom joins the org (its name) and the community (its code says whether its body is a
// villagers' committee, which names the committee's meetings 村民…).
const meetingFrom = ` FROM party_meetings m JOIN party_orgs o ON o.id = m.org_id LEFT JOIN territories ct ON ct.id = m.community_id`

func scanMeeting(r rowScanner) (*model.Meeting, error) {
	m := &model.Meeting{}
	var community, series, by sql.NullInt64
	var code string
	err := r.Scan(&m.ID, &m.OrgID, &m.OrgName, &m.Path, &community, &m.Type, &m.Body, &m.Title, &m.StartsAt, &m.EndsAt, &m.ClosesAt, &m.Place,
		&series, &m.Minutes, &m.Status, &m.Attendees, &by, &m.CreatedAt, &m.UpdatedAt, &code)
	m.BodyKind = model.BodyKindOf(code)
	m.CommunityID, m.SeriesID, m.CreatedBy = community.Int64, series.Int64, by.Int64
	m.StartsAt, m.EndsAt, m.ClosesAt = m.StartsAt.UTC(), m.EndsAt.UTC(), m.ClosesAt.UTC()
	return m, err
}

// Meeting returns one meeting in sc; model.ErrNotFound when missing or outside sc.
func (s *Store) Meeting(ctx context.Context, sc authz.Scope, id int64) (*model.Meeting, error) {
	return s.reader().meeting(ctx, sc, id)
}

func (c conn) meeting(ctx context.Context, sc authz.Scope, id int64) (*model.Meeting, error) {
	if cond, args := lifeOrgsOf(sc, "m.org_id"); cond != "" {
		return queryOne(ctx, c, `SELECT `+meetingCols+meetingFrom+` WHERE m.id = ? AND `+cond, append([]any{id}, args...), scanMeeting)
	}
	return scopedOne(ctx, c, sc, `SELECT `+meetingCols+meetingFrom+` WHERE m.id = ?`, []any{id}, scanMeeting,
		func(m *model.Meeting) string { return m.Path })
}

// ScheduleMeetings schedules in.Count meetings of in.OrgID (one, or a monthly or quarterly
// series sharing a series id). The org must lie in sc and be managed by the caller
// (model.ErrNotFound outside the scope, a *model.ForbiddenError otherwise) and be active.
func (s *Store) ScheduleMeetings(ctx context.Context, sc authz.Scope, in model.MeetingInput) ([]*model.Meeting, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out []*model.Meeting
	err := s.Tx(ctx, func(tx *Tx) error {
		o, err := tx.managedOrg(ctx, sc, in.OrgID)
		if err != nil {
			if errors.Is(err, model.ErrNotFound) {
				return &model.ValidationError{Fields: []model.FieldError{{Field: "org_id", Message: "没有找到这个党组织，或它不在您的管辖范围内"}}}
			}
			return err
		}
		if o.Status != "active" {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "org_id", Message: "该党组织已撤销或合并，不能再安排会议"}}}
		}
		t := s.now()
		var series sql.NullInt64
		for i, occ := range in.Occurrences() {
			var id int64
			if err := tx.queryRow(ctx, `INSERT INTO party_meetings (org_id, path, community_id, type, body, title, starts_at, ends_at, closes_at, place,
				series_id, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?) RETURNING id`,
				[]any{o.ID, o.Path, o.CommunityID, in.Type, in.Body, in.Title, occ[0], occ[1], occ[1].Add(model.CheckinGrace), in.Place,
					series, nullID(sc.UserID), t, t}, &id); err != nil {
				return err
			}
			if i == 0 && len(in.Occurrences()) > 1 {
				series = sql.NullInt64{Int64: id, Valid: true}
				if _, err := tx.exec(ctx, `UPDATE party_meetings SET series_id = ? WHERE id = ?`, id, id); err != nil {
					return err
				}
			}
			m, err := tx.meeting(ctx, sc, id)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		ids := make([]int64, len(out))
		for i, m := range out {
			ids[i] = m.ID
		}
		tx.auditAt(sc, o.Path, "party.meeting.schedule", "party_meeting", ids, string(in.Type)+" ×"+strconv.Itoa(len(ids)))
		return tx.refreshOrgLife(ctx, t, []int64{o.ID})
	})
	return out, err
}

// nullID is id as a nullable column (0: NULL).
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// MeetingFilter narrows Meetings.
type MeetingFilter struct {
	OrgID  int64
	Under  int64 // territory node: meetings of orgs anchored in its subtree
	Type   model.MeetingType
	Body   model.OwnerBody // "": either body
	Status model.MeetingStatus
	Limit  int
	Cursor string
}

// Meetings lists the meetings in sc, latest start first, with their total.
func (s *Store) Meetings(ctx context.Context, sc authz.Scope, f MeetingFilter) (*Page[*model.Meeting], error) {
	if f.Body != "" && !f.Body.Valid() {
		return nil, fieldErr("body", "归属主体应为 party（党组织）或 committee（居（村）委会）")
	}
	c := s.reader()
	var fl filter
	var prefix string
	var ok bool
	var err error
	if cond, args := lifeOrgsOf(sc, "m.org_id"); cond != "" {
		fl.add(cond, args...) // the posts narrow it, wherever their orgs lie
		prefix, ok, err = c.postSubtree(ctx, sc, f.Under)
	} else {
		prefix, ok, err = c.subtree(ctx, sc, f.Under)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Meeting]{}, nil
	}
	lo, hi := authz.PathRange(prefix)
	fl.add("m.path >= ? AND m.path < ?", lo, hi)
	if f.OrgID != 0 {
		fl.add("m.org_id = ?", f.OrgID)
	}
	if f.Type != "" {
		fl.add("m.type = ?", f.Type)
	}
	if f.Status != "" {
		fl.add("m.status = ?", f.Status)
	}
	if f.Body != "" {
		fl.add("m.body = ?", f.Body)
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
		fl.add("(m.starts_at < ? OR (m.starts_at = ? AND m.id < ?))", at, at, cur.id)
	}
	limit := clampLimit(f.Limit)
	p, err := fetchPage(ctx, c, `SELECT `+meetingCols+meetingFrom+` WHERE `+fl.sql()+` ORDER BY m.starts_at DESC, m.id DESC`, fl.args, limit,
		func(r rowScanner) (*model.Meeting, cursor, error) {
			m, err := scanMeeting(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return m, cursor{key: m.StartsAt.Format(time.RFC3339Nano), id: m.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM party_meetings m WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	return p, nil
}

// managedMeeting reads meeting id for a change by the caller, who must manage its organization.
func (tx *Tx) managedMeeting(ctx context.Context, sc authz.Scope, id int64) (*model.Meeting, error) {
	m, err := tx.meeting(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.managedOrg(ctx, sc, m.OrgID); err != nil {
		return nil, err
	}
	return m, nil
}

// SetMinutes records the minutes of a meeting the caller manages.
func (s *Store) SetMinutes(ctx context.Context, sc authz.Scope, id int64, minutes string) (*model.Meeting, error) {
	if n := len([]rune(minutes)); n > 20000 {
		return nil, &model.ValidationError{Fields: []model.FieldError{{Field: "minutes", Message: "会议记录最多 20000 字"}}}
	}
	var out *model.Meeting
	err := s.Tx(ctx, func(tx *Tx) error {
		m, err := tx.managedMeeting(ctx, sc, id)
		if err != nil {
			return err
		}
		if m.Status == model.MeetingCancelled {
			return &model.ConflictError{Message: "会议已取消，不能填写会议记录"}
		}
		if _, err := tx.exec(ctx, `UPDATE party_meetings SET minutes = ?, updated_at = ? WHERE id = ?`, minutes, s.now(), id); err != nil {
			return err
		}
		tx.auditAt(sc, m.Path, "party.meeting.minutes", "party_meeting", []int64{id}, "")
		out, err = tx.meeting(ctx, sc, id)
		return err
	})
	return out, err
}

// SetMeetingStatus closes (held: no more check-ins) or cancels a scheduled meeting the caller
// manages; a meeting already closed or cancelled is a *model.ConflictError (the conditional
// UPDATE decides, so two clicks at once change it once).
func (s *Store) SetMeetingStatus(ctx context.Context, sc authz.Scope, id int64, status model.MeetingStatus) (*model.Meeting, error) {
	if status != model.MeetingClosed && status != model.MeetingCancelled {
		return nil, &model.ValidationError{Fields: []model.FieldError{{Field: "status", Message: "状态应为 closed（结束签到）或 cancelled（取消）"}}}
	}
	var out *model.Meeting
	err := s.Tx(ctx, func(tx *Tx) error {
		m, err := tx.managedMeeting(ctx, sc, id)
		if err != nil {
			return err
		}
		t := s.now()
		res, err := tx.exec(ctx, `UPDATE party_meetings SET status = ?, closes_at = CASE WHEN closes_at > ? AND ? >= ends_at THEN ? ELSE closes_at END, updated_at = ?
			WHERE id = ? AND status = 'scheduled'`, status, t, t, t, t, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "会议已" + m.Status.Label() + "，不能再改变"}
		}
		tx.auditAt(sc, m.Path, "party.meeting."+string(status), "party_meeting", []int64{id}, "")
		if err := tx.refreshOrgLife(ctx, t, []int64{m.OrgID}); err != nil {
			return err
		}
		out, err = tx.meeting(ctx, sc, id)
		return err
	})
	return out, err
}

// SetMeetingBody changes which body owns a meeting the caller manages (scheduled or closed; a
// cancelled meeting is a *model.ConflictError) and, with it, its type: in.Type may be left
// empty when the meeting's type is one of the new body's, in.Body when only the type changes.
// A type that is not the body's is a *model.ValidationError on type. The change is audited and
// the org's organizational life refreshed, since only the Party organization's meetings count
// in it (三会一课).
func (s *Store) SetMeetingBody(ctx context.Context, sc authz.Scope, id int64, in model.MeetingBodyInput) (*model.Meeting, error) {
	var out *model.Meeting
	err := s.Tx(ctx, func(tx *Tx) error {
		m, err := tx.managedMeeting(ctx, sc, id)
		if err != nil {
			return err
		}
		if in.Body == "" {
			in.Body = m.Body // a new type alone: the body stays
		}
		if err := in.Validate(m.Type); err != nil {
			return err
		}
		if m.Status == model.MeetingCancelled {
			return &model.ConflictError{Message: "会议已取消，不能更改归属主体"}
		}
		if in.Body == m.Body && in.Type == m.Type {
			out = m
			return nil
		}
		t := s.now()
		if _, err := tx.exec(ctx, `UPDATE party_meetings SET body = ?, type = ?, updated_at = ? WHERE id = ?`, in.Body, in.Type, t, id); err != nil {
			return err
		}
		tx.auditAt(sc, m.Path, "party.meeting.body", "party_meeting", []int64{id},
			string(m.Body)+"/"+string(m.Type)+" → "+string(in.Body)+"/"+string(in.Type))
		if err := tx.refreshOrgLife(ctx, t, []int64{m.OrgID}); err != nil {
			return err
		}
		out, err = tx.meeting(ctx, sc, id)
		return err
	})
	return out, err
}

// MeetingCode returns the QR check-in code of a scheduled meeting the caller manages, for now,
// and when it expires.
func (s *Store) MeetingCode(ctx context.Context, sc authz.Scope, id int64) (*model.Meeting, string, time.Time, error) {
	m, err := s.reader().meeting(ctx, sc, id)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if _, err := s.reader().managedOrg(ctx, sc, m.OrgID); err != nil {
		return nil, "", time.Time{}, err
	}
	if m.Status != model.MeetingScheduled {
		return m, "", time.Time{}, &model.ConflictError{Message: "会议" + m.Status.Label() + "，不再签到"}
	}
	code, exp, err := checkinCode(s.keys, checkinMeeting, m.ID, s.now())
	return m, code, exp, err
}

// partyMember is the member an account is, as check-in and the member's pages need it.
type partyMember struct {
	ID          int64
	Name        string
	OrgID       int64
	Path        string
	CommunityID sql.NullInt64
}

// ErrNotMember answers a member's action from an account linked to no current party member.
var ErrNotMember = &model.ForbiddenError{Message: "您的账号还没有关联党员档案，请联系所在支部书记"}

// memberOfUser returns the current member whose account is userID; ErrNotMember when none.
func (c conn) memberOfUser(ctx context.Context, userID int64) (*partyMember, error) {
	m := &partyMember{}
	err := c.queryRow(ctx, `SELECT id, name, org_id, path, community_id FROM party_members WHERE user_id = ? AND left_on IS NULL ORDER BY id LIMIT 1`,
		[]any{userID}, &m.ID, &m.Name, &m.OrgID, &m.Path, &m.CommunityID)
	if errors.Is(err, model.ErrNotFound) || userID == 0 {
		return nil, ErrNotMember
	}
	return m, err
}

// memberOrgsCTE is a WITH RECURSIVE clause "mine(id)": the member's org and its ancestors, and
// the functional orgs the member belongs to. It takes the member id twice.
const memberOrgsCTE = `WITH RECURSIVE mine(id) AS (
	SELECT org_id FROM party_members WHERE id = ?
	UNION SELECT org_id FROM party_org_members WHERE member_id = ?
	UNION SELECT o.parent_id FROM party_orgs o JOIN mine ON o.id = mine.id WHERE o.parent_id IS NOT NULL) `

// eligible reports whether member may attend meeting m: a committee meeting is for the org's
// post holders; the other types for the members of the org, of the orgs under it and of a
// functional org in it.
func (c conn) eligible(ctx context.Context, memberID int64, m *model.Meeting) (bool, error) {
	var n int
	err := c.queryRow(ctx, memberOrgsCTE+`SELECT CASE WHEN EXISTS (SELECT 1 FROM party_posts p WHERE p.org_id = ? AND p.member_id = ? AND p.ended_at IS NULL)
		OR (? <> 'committee_meeting' AND EXISTS (SELECT 1 FROM mine WHERE mine.id = ?)) THEN 1 ELSE 0 END`,
		[]any{memberID, memberID, m.OrgID, memberID, m.Type, m.OrgID}, &n)
	return n > 0, err
}

// CheckinResult is what a check-in did.
type CheckinResult struct {
	Meeting  *model.Meeting  // set for a meeting
	Activity *model.Activity // set for an activity
	Already  bool            // the account was checked in before; nothing new recorded
	Points   int             // points awarded now
	At       time.Time
}

// errMeetingClosed refuses a check-in after the meeting closed.
func errMeetingClosed(m *model.Meeting) error {
	if m.Status == model.MeetingCancelled {
		return &model.ConflictError{Message: "会议已取消，无需签到"}
	}
	return &model.ConflictError{Message: "会议签到已结束（" + m.ClosesAt.In(model.Shanghai).Format("1月2日 15:04") + "截止），未记录签到；如确实参会，请联系支部书记补登"}
}

// CheckIn records the account of sc as present at the meeting or activity the QR code names.
// The code must be one this deployment signed and not expired (ErrCheckinForged,
// ErrCheckinExpired); the meeting must still take check-ins (a *model.ConflictError once
// closed, cancelled or not yet open) and the account must be a member entitled to attend
// (ErrNotMember, or model.ErrForbidden-wrapping error). A second check-in of the same member
// records nothing and says Already. Points are awarded in the same transaction.
func (s *Store) CheckIn(ctx context.Context, sc authz.Scope, code string) (*CheckinResult, error) {
	t := s.now()
	kind, id, err := parseCheckinCode(s.keys, code, t)
	if err != nil {
		return nil, err
	}
	if kind == checkinActivity {
		return s.checkInActivity(ctx, sc, id, t)
	}
	res := &CheckinResult{At: t}
	err = s.Tx(ctx, func(tx *Tx) error {
		// The code stands for the scope: whoever scanned the screen may check in to its meeting.
		m, err := tx.meeting(ctx, authz.System(), id)
		if err != nil {
			return ErrCheckinForged
		}
		res.Meeting = m
		if m.Status != model.MeetingScheduled || !t.Before(m.ClosesAt) {
			return errMeetingClosed(m)
		}
		if t.Before(m.StartsAt.Add(-model.CheckinLead)) {
			return &model.ConflictError{Message: "会议还没有开始签到：开始前一小时起可以签到"}
		}
		me, err := tx.memberOfUser(ctx, sc.UserID)
		if err != nil {
			return err
		}
		ok, err := tx.eligible(ctx, me.ID, m)
		if err != nil {
			return err
		}
		if !ok {
			return &model.ForbiddenError{Message: "这次会议是「" + m.OrgName + "」的" + m.TypeLabel() + "，您不在参会范围内，未记录签到"}
		}
		added, err := tx.addAttendance(ctx, sc, m, me.ID, "qr", t)
		if err != nil {
			return err
		}
		if !added {
			res.Already = true
			return nil
		}
		res.Points, err = tx.meetingPoints(ctx, sc, m, me.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// meetingPoints awards the member the community's points for attending m, a meeting of the
// Party organization; a meeting of the residents' committee earns no Party points (it is not
// Party life, though the Party members who sit on the committee are on its roster).
func (tx *Tx) meetingPoints(ctx context.Context, sc authz.Scope, m *model.Meeting, memberID int64) (int, error) {
	if m.Type.Body() != model.OwnerParty {
		return 0, nil
	}
	return tx.AwardPoints(ctx, memberID, model.PointsMeeting, m.ID, m.TypeLabel()+"："+m.Title, sc.UserID)
}

// addAttendance inserts one attendance row unless the member has one; the primary key decides,
// so any number of simultaneous check-ins of one member record one. It reports whether it added.
func (tx *Tx) addAttendance(ctx context.Context, sc authz.Scope, m *model.Meeting, memberID int64, method string, t time.Time) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO party_meeting_attendance (meeting_id, member_id, community_id, method, recorded_by, checked_in_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, m.ID, memberID, nullID(m.CommunityID), method, nullID(sc.UserID), t)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.exec(ctx, `UPDATE party_meetings SET attendees = attendees + 1 WHERE id = ?`, m.ID); err != nil {
		return false, err
	}
	tx.auditAt(sc, m.Path, "party.meeting.checkin", "party_meeting", []int64{m.ID, memberID}, method)
	return true, nil
}

// Attendee is a member who may attend a meeting, with whether and how they were recorded.
type Attendee struct {
	MemberID    int64
	Name        string
	OrgName     string
	Present     bool
	Method      string
	CheckedInAt *time.Time
}

// MaxAttendees bounds the roster a meeting page lists.
const MaxAttendees = 1000

// MeetingRoster lists who may attend meeting id (see eligible) and who was recorded present
// (also those recorded who have left the roster since), by name.
func (s *Store) MeetingRoster(ctx context.Context, sc authz.Scope, id int64) (*model.Meeting, []Attendee, error) {
	c := s.reader()
	m, err := c.meeting(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	rows, err := c.roster(ctx, m)
	return m, rows, err
}

func (c conn) roster(ctx context.Context, m *model.Meeting) ([]Attendee, error) {
	q := `WITH RECURSIVE down(id) AS (SELECT CAST(? AS BIGINT) UNION SELECT o.id FROM party_orgs o JOIN down ON o.parent_id = down.id),
	who(id) AS (
		SELECT member_id FROM party_posts WHERE org_id = ? AND member_id IS NOT NULL AND ended_at IS NULL
		UNION SELECT pm.id FROM party_members pm WHERE ? <> 'committee_meeting' AND pm.left_on IS NULL AND pm.org_id IN (SELECT id FROM down)
		UNION SELECT member_id FROM party_org_members WHERE ? <> 'committee_meeting' AND org_id = ?
		UNION SELECT member_id FROM party_meeting_attendance WHERE meeting_id = ?)
	SELECT pm.id, pm.name, o.name, a.method, a.checked_in_at FROM who JOIN party_members pm ON pm.id = who.id JOIN party_orgs o ON o.id = pm.org_id
	LEFT JOIN party_meeting_attendance a ON a.meeting_id = ? AND a.member_id = pm.id
	ORDER BY o.name, pm.name, pm.id LIMIT ` + strconv.Itoa(MaxAttendees)
	return queryAll(ctx, c, q, []any{m.OrgID, m.OrgID, m.Type, m.Type, m.OrgID, m.ID, m.ID}, func(r rowScanner) (Attendee, error) {
		var a Attendee
		var method sql.NullString
		var at sql.NullTime
		err := r.Scan(&a.MemberID, &a.Name, &a.OrgName, &method, &at)
		if at.Valid {
			t := at.Time.UTC()
			a.Present, a.Method, a.CheckedInAt = true, method.String, &t
		}
		return a, err
	})
}

// MarkAttendance records members as present at a meeting the caller manages (staff ticking
// names), awarding points as a check-in does. Every id must be on the meeting's roster, or
// nothing is recorded (a *model.ValidationError naming the first stranger). A cancelled meeting
// is a *model.ConflictError; a closed one may still be completed by staff. It returns how many
// were newly recorded.
func (s *Store) MarkAttendance(ctx context.Context, sc authz.Scope, id int64, memberIDs []int64) (int, error) {
	added := 0
	err := s.Tx(ctx, func(tx *Tx) error {
		m, err := tx.managedMeeting(ctx, sc, id)
		if err != nil {
			return err
		}
		if m.Status == model.MeetingCancelled {
			return &model.ConflictError{Message: "会议已取消，不能登记出席"}
		}
		roster, err := tx.roster(ctx, m)
		if err != nil {
			return err
		}
		on := map[int64]bool{}
		for _, a := range roster {
			on[a.MemberID] = true
		}
		for _, mid := range memberIDs {
			if !on[mid] {
				return &model.ValidationError{Fields: []model.FieldError{{Field: "member_id", Message: "党员 " + strconv.FormatInt(mid, 10) + " 不在这次会议的参会范围内，未登记任何人"}}}
			}
		}
		t := s.now()
		for _, mid := range memberIDs {
			ok, err := tx.addAttendance(ctx, sc, m, mid, "staff", t)
			if err != nil {
				return err
			}
			if ok {
				added++
				if _, err := tx.meetingPoints(ctx, sc, m, mid); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, err
}

// MemberMeetings lists the meetings the member of account userID may attend, from since on,
// earliest first, with Attendees replaced by 1 when the member was recorded present, else 0.
func (s *Store) MemberMeetings(ctx context.Context, userID int64, since time.Time, limit int) ([]*model.Meeting, error) {
	c := s.reader()
	me, err := c.memberOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	q := memberOrgsCTE + `SELECT ` + meetingCols + meetingFrom + `
	WHERE m.starts_at >= ? AND m.status <> 'cancelled' AND (
		(m.type <> 'committee_meeting' AND m.org_id IN (SELECT id FROM mine))
		OR m.org_id IN (SELECT org_id FROM party_posts WHERE member_id = ? AND ended_at IS NULL))
	ORDER BY m.starts_at, m.id LIMIT ` + strconv.Itoa(clampLimit(limit))
	ms, err := queryAll(ctx, c, q, []any{me.ID, me.ID, since, me.ID}, scanMeeting)
	if err != nil || len(ms) == 0 {
		return ms, err
	}
	ids := make([]any, 0, len(ms)+1)
	ids = append(ids, me.ID)
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	present, err := queryAll(ctx, c, `SELECT meeting_id FROM party_meeting_attendance WHERE member_id = ? AND meeting_id IN (`+inList(len(ms))+`)`, ids,
		func(r rowScanner) (int64, error) { var id int64; return id, r.Scan(&id) })
	if err != nil {
		return nil, err
	}
	was := map[int64]bool{}
	for _, id := range present {
		was[id] = true
	}
	for _, m := range ms {
		m.Attendees = 0
		if was[m.ID] {
			m.Attendees = 1
		}
	}
	return ms, nil
}

// meetingTypesOf is the organizational life expected of an org of kind and level.
func meetingTypesOf(kind, level string) []model.MeetingType {
	switch {
	case kind == "street_committee" || kind == "community_committee":
		return []model.MeetingType{model.CommitteeMeeting, model.PartyLecture}
	case kind == "grid_branch" || kind == "functional_group" && level != "group":
		return []model.MeetingType{model.BranchAssembly, model.CommitteeMeeting, model.PartyLecture}
	default:
		return []model.MeetingType{model.GroupMeeting}
	}
}

// MaxComplianceOrgs bounds the orgs one compliance view covers.
const MaxComplianceOrgs = 500

// Compliance returns, for each active org in the subtree of node under (0: the whole scope) and
// each type of meeting it is expected to hold, the last meeting held (begun and not cancelled)
// and whether it is
// overdue by the community's frequency (model.DefaultMeetingMonths unless set), at most
// MaxComplianceOrgs orgs in path order.
func (s *Store) Compliance(ctx context.Context, sc authz.Scope, under int64) ([]model.Compliance, error) {
	c := s.reader()
	orgCond, orgArgs := lifeOrgsOf(sc, "id")
	var prefix string
	var ok bool
	var err error
	if orgCond != "" {
		orgCond = " AND " + orgCond // the posts narrow it (as in Meetings)
		prefix, ok, err = c.postSubtree(ctx, sc, under)
	} else {
		prefix, ok, err = c.subtree(ctx, sc, under)
	}
	if err != nil || !ok {
		return nil, err
	}
	lo, hi := authz.PathRange(prefix)
	orgs, err := queryAll(ctx, c, `SELECT id, name, kind, level, path, community_id, status FROM party_orgs
		WHERE path >= ? AND path < ? AND status = 'active'`+orgCond+` ORDER BY path, id LIMIT `+strconv.Itoa(MaxComplianceOrgs), append([]any{lo, hi}, orgArgs...),
		func(r rowScanner) (lifeOrg, error) {
			var o lifeOrg
			return o, r.Scan(&o.ID, &o.Name, &o.Kind, &o.Level, &o.Path, &o.CommunityID, &o.Status)
		})
	if err != nil || len(orgs) == 0 {
		return nil, err
	}
	t := s.now()
	yearAgo := t.AddDate(-1, 0, 0)
	type key struct {
		org int64
		typ model.MeetingType
	}
	type held struct {
		last time.Time
		n    int
	}
	got := map[key]held{}
	rows, err := queryAll(ctx, c, `SELECT org_id, type, MAX(starts_at), SUM(CASE WHEN starts_at >= ? THEN 1 ELSE 0 END) FROM party_meetings
		WHERE path >= ? AND path < ? AND status <> 'cancelled' AND body = 'party' AND starts_at <= ? GROUP BY org_id, type`, []any{yearAgo, lo, hi, t},
		func(r rowScanner) (struct {
			k key
			h held
		}, error) {
			var v struct {
				k key
				h held
			}
			var last sqlTime
			err := r.Scan(&v.k.org, &v.k.typ, &last, &v.h.n)
			v.h.last = last.Time
			return v, err
		})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		got[r.k] = r.h
	}
	months, err := c.meetingRules(ctx)
	if err != nil {
		return nil, err
	}
	var out []model.Compliance
	for _, o := range orgs {
		for _, typ := range meetingTypesOf(o.Kind, o.Level) {
			every := lifeMonths(months, o.CommunityID.Int64, typ)
			cp := model.Compliance{OrgID: o.ID, OrgName: o.Name, OrgKind: o.Kind, Type: typ, Months: every}
			if h, ok := got[key{o.ID, typ}]; ok {
				last := h.last
				cp.Last, cp.HeldInYear = &last, h.n
			}
			cp.Overdue = model.MeetingOverdue(cp.Last, every, t)
			out = append(out, cp)
		}
	}
	return out, nil
}

// lifeMonths is how often community expects meetings of typ, in months, by its rules (from
// meetingRules) or model.DefaultMeetingMonths.
func lifeMonths(rules map[int64]map[model.MeetingType]int, community int64, typ model.MeetingType) int {
	if n, ok := rules[community][typ]; ok {
		return n
	}
	return model.DefaultMeetingMonths[typ]
}

// meetingRules returns the frequencies communities set: community → type → months.
func (c conn) meetingRules(ctx context.Context) (map[int64]map[model.MeetingType]int, error) {
	type rule struct {
		community int64
		typ       model.MeetingType
		months    int
	}
	rules, err := queryAll(ctx, c, `SELECT community_id, type, months FROM party_meeting_rules`, nil, func(r rowScanner) (rule, error) {
		var x rule
		return x, r.Scan(&x.community, &x.typ, &x.months)
	})
	out := map[int64]map[model.MeetingType]int{}
	for _, r := range rules {
		if out[r.community] == nil {
			out[r.community] = map[model.MeetingType]int{}
		}
		out[r.community][r.typ] = r.months
	}
	return out, err
}

// SetMeetingFrequency sets how often meetings of typ are expected in community (a territory
// node of kind community in sc), in months 1–12.
func (s *Store) SetMeetingFrequency(ctx context.Context, sc authz.Scope, community int64, typ model.MeetingType, months int) error {
	if typ.Body() != model.OwnerParty { // only the Party organization's meetings have a frequency (三会一课)
		return &model.ValidationError{Fields: []model.FieldError{{Field: "type", Message: "会议类型无效：频次只为支部党员大会、支委会、党小组会、党课设置"}}}
	}
	if months < 1 || months > 12 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "months", Message: "频次应为每 1 到 12 个月一次"}}}
	}
	return s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, community)
		if err != nil {
			return err
		}
		if t.Kind != model.KindCommunity {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "community_id", Message: "组织生活频次按社区设置，请选择一个社区"}}}
		}
		if !authz.Allowed(sc.Role, authz.PartyMeetingWrite) {
			return errNotManager
		}
		if _, err := tx.exec(ctx, `INSERT INTO party_meeting_rules (community_id, type, months, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (community_id, type) DO UPDATE SET months = excluded.months, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			community, typ, months, nullID(sc.UserID), s.now()); err != nil {
			return err
		}
		tx.audit(sc, "party.meeting.frequency", "territory", []int64{community}, string(typ)+"="+strconv.Itoa(months))
		// The community's orgs fall due by the new frequency.
		return tx.refreshOrgLifeOf(ctx, s.now(), `SELECT DISTINCT org_id FROM party_meetings WHERE community_id = ?`, community)
	})
}

// PeekCheckin verifies code and names what it checks in to, recording nothing (the page a QR
// code opens shows it before the member confirms): the title and whether it is a meeting.
func (s *Store) PeekCheckin(ctx context.Context, code string) (title string, meeting bool, err error) {
	kind, id, err := parseCheckinCode(s.keys, code, s.now())
	if err != nil {
		return "", false, err
	}
	if kind == checkinMeeting {
		m, err := s.reader().meeting(ctx, authz.System(), id)
		if err != nil {
			return "", false, ErrCheckinForged
		}
		return m.OrgName + " · " + m.TypeLabel() + "：" + m.Title, true, nil
	}
	a, err := s.reader().activity(ctx, authz.System(), id)
	if err != nil {
		return "", false, ErrCheckinForged
	}
	return a.Title, false, nil
}
