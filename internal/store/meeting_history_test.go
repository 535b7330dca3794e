package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestRecordMeetingHistory: a year of organizational life for a committee, a branch and a
// group: the meetings each kind holds, closed; attendance only from each meeting's roster (the
// org's registered members and those of the orgs right under it, a committee's post holders),
// about the asked share, the same for the same seed; attendee counts and points agree with the
// rows; the compliance view shows nothing overdue; only the system may write it.
func TestRecordMeetingHistory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		committee := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", tr.community, 0)
		branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", tr.grid, committee)
		group := storetest.PartyOrg(t, st, "building_group", "", "1栋党小组", tr.building, branch)
		inBranch := map[int64]bool{}
		inGroup := map[int64]bool{}
		for i := range 30 {
			id := storetest.PartyMember(t, st, fmt.Sprint("组员", i), group, 0)
			inGroup[id], inBranch[id] = true, true
		}
		for i := range 10 {
			inBranch[storetest.PartyMember(t, st, fmt.Sprint("支部党员", i), branch, 0)] = true
		}
		secretary := storetest.PartyMember(t, st, "王书记", branch, 0)
		inBranch[secretary] = true
		storetest.PartyPost(t, st, committee, secretary, "secretary")
		storetest.Exec(t, st, `INSERT INTO party_members (list, name, org_id, path, community_id, status, category, reporting_kind, created_at, updated_at)
			SELECT 'reporting', '报到党员', id, path, community_id, 'full', 'in_work', 'in_work', ?, ? FROM party_orgs WHERE id = ? RETURNING id`,
			time.Now().UTC(), time.Now().UTC(), group)

		if err := st.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.RecordMeetingHistory(ctx, authz.ForUser(&model.User{ID: 1, Role: model.RoleCommunityAdmin, ScopeID: tr.community.ID, ScopePath: tr.community.Path}), time.Now(), 80, 1)
			return err
		}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("a community admin writes history: %v", err)
		}
		var h store.MeetingHistory
		if err := st.Tx(ctx, func(tx *store.Tx) (err error) {
			h, err = tx.RecordMeetingHistory(ctx, sys, time.Now(), 80, 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if h.Meetings != 12+(12+4)+(12+4+4) {
			t.Errorf("%d meetings, want the group's 12, the committee's 12 and 4 lectures, the branch's 12 committee meetings, 4 assemblies and 4 lectures", h.Meetings)
		}
		type row struct {
			meeting, member, org int64
			typ                  string
		}
		var rows []row
		rs, err := st.DB().QueryContext(ctx, `SELECT a.meeting_id, a.member_id, m.org_id, m.type FROM party_meeting_attendance a JOIN party_meetings m ON m.id = a.meeting_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.meeting, &r.member, &r.org, &r.typ); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
		rs.Close()
		if int64(len(rows)) != h.Attendance {
			t.Errorf("%d attendance rows, reported %d", len(rows), h.Attendance)
		}
		for _, r := range rows {
			ok := false
			switch {
			case r.typ == "committee_meeting":
				ok = r.member == secretary && r.org == committee
			case r.org == committee: // its lectures: the members of the branches right under it
				ok = inBranch[r.member] && !inGroup[r.member]
			case r.org == group:
				ok = inGroup[r.member]
			case r.org == branch:
				ok = inBranch[r.member]
			}
			if !ok {
				t.Errorf("member %d at a %s of org %d is not on its roster", r.member, r.typ, r.org)
			}
		}
		roster := 12*len(inGroup) + 8*len(inBranch) + 12 + 4*(len(inBranch)-len(inGroup)) // the branch committee has no post holders
		if share := float64(len(rows)) / float64(roster); share < 0.7 || share > 0.9 {
			t.Errorf("attendance %d of %d possible (%.2f), want about 0.8", len(rows), roster, share)
		}
		var bad, points, closed int64
		for q, dst := range map[string]*int64{
			`SELECT COUNT(*) FROM party_meetings m WHERE attendees <> (SELECT COUNT(*) FROM party_meeting_attendance a WHERE a.meeting_id = m.id)`: &bad,
			`SELECT COUNT(*) FROM party_points_entries WHERE source = 'meeting'`:                                                                   &points,
			`SELECT COUNT(*) FROM party_meetings WHERE status = 'closed' AND ends_at < CURRENT_TIMESTAMP`:                                          &closed,
		} {
			if err := st.DB().QueryRowContext(ctx, q).Scan(dst); err != nil {
				t.Fatal(err)
			}
		}
		if bad != 0 || points != h.Attendance || h.Points != points || closed != h.Meetings {
			t.Errorf("meetings with a wrong attendee count %d; points rows %d (reported %d) for %d attendances; %d of %d meetings closed and past",
				bad, points, h.Points, h.Attendance, closed, h.Meetings)
		}
		cs, err := st.Compliance(ctx, sys, tr.community.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Overdue || c.HeldInYear == 0 {
				t.Errorf("compliance after a year of meetings: %+v", c)
			}
		}
	})
}
