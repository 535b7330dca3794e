package store

import (
	"context"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// A past year of organizational life, written set-based: what the demo city and the benchmark
// need for every org at once (a million-household city has thousands of orgs and tens of
// thousands of meetings, which ScheduleMeetings and MarkAttendance would write row by row).
// The rows are the ones those two write: meetings closed after they ended, attendance by QR
// code or by staff, and the points each attendance earns by the community's rule.

// MeetingHistory is what RecordMeetingHistory wrote.
type MeetingHistory struct {
	Meetings, Attendance, Points int64
}

// meetingPlan is one kind of meeting of the year: which orgs hold it (as meetingTypesOf
// expects) and in which months (counted back from the latest, 0 the latest).
type meetingPlan struct {
	typ    model.MeetingType
	orgs   string // SQL condition on party_orgs
	every  int    // months between two meetings
	offset int    // months before the latest month the series lands on
	title  string // fmt pattern with the year and the month
	place  string
	hour   int // local start time
}

const (
	planCommittees = `kind IN ('street_committee', 'community_committee')`
	planBranches   = `(kind = 'grid_branch' OR kind = 'functional_group' AND level <> 'group')`
	planGroups     = `(kind = 'building_group' OR kind = 'functional_group' AND level = 'group')`
)

var meetingPlans = []meetingPlan{
	{model.GroupMeeting, planGroups, 1, 0, "%d年%d月党小组会：学习交流", "楼院党员活动室", 19},
	{model.CommitteeMeeting, planCommittees, 1, 0, "%d年%d月党委会议：研究重点工作", "党群服务中心", 15},
	{model.PartyLecture, planCommittees, 3, 2, "%d年%d月党课：学习党的创新理论", "党群服务中心", 9},
	{model.CommitteeMeeting, planBranches, 1, 0, "%d年%d月支委会", "网格党群服务站", 19},
	{model.BranchAssembly, planBranches, 3, 1, "%d年%d月支部党员大会", "社区党群服务中心", 19},
	{model.PartyLecture, planBranches, 3, 2, "%d年%d月党课：学习党章党规", "社区党群服务中心", 9},
}

// RecordMeetingHistory writes the twelve months of organizational life before asOf for every
// active org, the meetings its kind is expected to hold (committees: a committee meeting a month
// and a lecture a quarter; branches: a committee meeting a month, an assembly and a lecture a
// quarter; groups: a group meeting a month), closed, with attendance: of each meeting's
// roster (the org's registered members and those of the orgs right under it; a committee
// meeting, the holders of its posts) about percent in a hundred, picked by a hash of the
// meeting, the member and seed, so that the same seed gives the same year. Points for each
// attendance by the community's rule for meetings. Only the system scope may call it.
func (tx *Tx) RecordMeetingHistory(ctx context.Context, sc authz.Scope, asOf time.Time, percent int, seed int64) (MeetingHistory, error) {
	var h MeetingHistory
	if !sc.All {
		return h, &model.ForbiddenError{Message: "只有系统可以写入历史组织生活"}
	}
	if percent < 0 || percent > 100 {
		return h, fmt.Errorf("store: attendance percent %d outside 0..100", percent)
	}
	var first int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM party_meetings`, nil, &first); err != nil {
		return h, err
	}
	local := asOf.In(model.Shanghai)
	latest := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, model.Shanghai).AddDate(0, -1, 0)
	for _, p := range meetingPlans {
		for back := p.offset; back < 12; back += p.every {
			month := latest.AddDate(0, -back, 0)
			// Four start days a month, by org id, so that a community's meetings do not all fall
			// on one evening.
			for variant := range 4 {
				start := time.Date(month.Year(), month.Month(), 6+variant*5, p.hour, 30, 0, 0, model.Shanghai).UTC()
				end := start.Add(90 * time.Minute)
				// In org order, so that the meetings' ids, and with them the attendance the
				// hash picks, are the same on every run (PostgreSQL's heap order is not).
				res, err := tx.exec(ctx, `INSERT INTO party_meetings (org_id, path, community_id, type, title, starts_at, ends_at, closes_at, place,
					minutes, status, created_at, updated_at)
					SELECT id, path, community_id, ?, ?, ?, ?, ?, ?, ?, 'closed', ?, ?
					FROM party_orgs WHERE status = 'active' AND `+p.orgs+` AND id % 4 = ? ORDER BY id`,
					string(p.typ), fmt.Sprintf(p.title, month.Year(), int(month.Month())), start, end, end.Add(model.CheckinGrace), p.place,
					"会议按计划召开，传达学习了上级精神，讨论了本月为民服务事项。", start.Add(-7*24*time.Hour), end, variant)
				if err != nil {
					return h, err
				}
				n, _ := res.RowsAffected()
				h.Meetings += n
			}
		}
	}
	// Attendance: members of the org and of the orgs right under it; committee meetings, the
	// current post holders who are members.
	hash := `(m.id * 7919 + pm.id * 104729 + ?) % 100 < ?`
	// The org's own members, then those of the orgs right under it: two joins on indexes (one
	// join with "o.id = m.org_id OR o.parent_id = m.org_id" is a nested scan on PostgreSQL).
	for _, members := range []string{
		`JOIN party_members pm ON pm.org_id = m.org_id`,
		`JOIN party_orgs o ON o.parent_id = m.org_id JOIN party_members pm ON pm.org_id = o.id`,
	} {
		res, err := tx.exec(ctx, `INSERT INTO party_meeting_attendance (meeting_id, member_id, community_id, method, checked_in_at)
			SELECT m.id, pm.id, m.community_id, CASE WHEN pm.id % 4 = 0 THEN 'staff' ELSE 'qr' END, m.starts_at
			FROM party_meetings m `+members+`
			WHERE m.id > ? AND m.type <> 'committee_meeting' AND pm.list = 'registered' AND pm.left_on IS NULL AND `+hash+` ON CONFLICT DO NOTHING`,
			first, seed%100, percent)
		if err != nil {
			return h, err
		}
		n, _ := res.RowsAffected()
		h.Attendance += n
	}
	res, err := tx.exec(ctx, `INSERT INTO party_meeting_attendance (meeting_id, member_id, community_id, method, checked_in_at)
		SELECT DISTINCT m.id, pm.id, m.community_id, 'staff', m.starts_at
		FROM party_meetings m JOIN party_posts p ON p.org_id = m.org_id AND p.ended_at IS NULL
		JOIN party_members pm ON pm.id = p.member_id
		WHERE m.id > ? AND m.type = 'committee_meeting' AND `+hash+` ON CONFLICT DO NOTHING`, first, seed%100, percent)
	if err != nil {
		return h, err
	}
	n, _ := res.RowsAffected()
	h.Attendance += n
	if _, err := tx.exec(ctx, `UPDATE party_meetings SET attendees = (SELECT COUNT(*) FROM party_meeting_attendance a WHERE a.meeting_id = party_meetings.id)
		WHERE id > ?`, first); err != nil {
		return h, err
	}
	res, err = tx.exec(ctx, `INSERT INTO party_points_entries (member_id, community_id, path, points, reason, source, source_id, created_at)
		SELECT a.member_id, pm.community_id, pm.path,
			COALESCE((SELECT r.points FROM party_points_rules r WHERE r.community_id = pm.community_id AND r.source = 'meeting'), ?),
			CASE m.type WHEN 'group_meeting' THEN ? WHEN 'committee_meeting' THEN ? WHEN 'branch_assembly' THEN ? ELSE ? END || '：' || m.title,
			'meeting', a.meeting_id, a.checked_in_at
		FROM party_meeting_attendance a JOIN party_meetings m ON m.id = a.meeting_id JOIN party_members pm ON pm.id = a.member_id
		WHERE a.meeting_id > ? AND COALESCE((SELECT r.points FROM party_points_rules r WHERE r.community_id = pm.community_id AND r.source = 'meeting'), ?) <> 0
		ON CONFLICT DO NOTHING`,
		model.DefaultPoints[model.PointsMeeting], model.GroupMeeting.Label(), model.CommitteeMeeting.Label(), model.BranchAssembly.Label(),
		model.PartyLecture.Label(), first, model.DefaultPoints[model.PointsMeeting])
	if err != nil {
		return h, err
	}
	h.Points, _ = res.RowsAffected()
	if err := tx.refreshOrgLifeOf(ctx, asOf, `SELECT DISTINCT org_id FROM party_meetings WHERE id > ?`, first); err != nil {
		return h, err
	}
	tx.auditAt(sc, "", "party.meeting.history", "party_meeting", nil, fmt.Sprintf("meetings=%d attendance=%d", h.Meetings, h.Attendance))
	return h, nil
}
