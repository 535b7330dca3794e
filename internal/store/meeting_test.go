package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// lifeWorld is a community committee with a grid branch and a building group under it, a
// second community's branch, members with accounts, and staff of the first community.
type lifeWorld struct {
	tr                       tree
	committee, branch, group int64
	otherBranch              int64
	staff, staff2            authz.Scope // community staff of community and community2
	members                  []int64     // of the group (the first is the branch secretary)
	memberScopes             []authz.Scope
	outsider                 authz.Scope // a member of the other community's branch
	outsiderMember           int64
	resident                 authz.Scope
}

func mustLifeWorld(t *testing.T, st *store.Store, n int) lifeWorld {
	t.Helper()
	w := lifeWorld{tr: mustTree(t, st)}
	w.committee = storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", w.tr.community, 0)
	w.branch = storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", w.tr.grid, w.committee)
	w.group = storetest.PartyOrg(t, st, "building_group", "", "1栋党小组", w.tr.building, w.branch)
	w.otherBranch = storetest.PartyOrg(t, st, "grid_branch", "", "东胜党支部", w.tr.community2, 0)
	w.staff = authz.ForUser(storetest.RawUser(t, st, "staff", model.RoleCommunityStaff, w.tr.community))
	w.staff2 = authz.ForUser(storetest.RawUser(t, st, "staff2", model.RoleCommunityStaff, w.tr.community2))
	for i := range n {
		u := storetest.RawUser(t, st, fmt.Sprintf("m%03d", i), model.RoleMember, w.tr.stairwell)
		id := storetest.PartyMember(t, st, fmt.Sprintf("党员%03d", i), w.group, u.ID)
		w.members = append(w.members, id)
		w.memberScopes = append(w.memberScopes, authz.ForUser(u))
	}
	storetest.PartyPost(t, st, w.branch, w.members[0], "secretary")
	u := storetest.RawUser(t, st, "outsider", model.RoleMember, w.tr.stairwell2)
	w.outsiderMember = storetest.PartyMember(t, st, "外社区党员", w.otherBranch, u.ID)
	w.outsider = authz.ForUser(u)
	w.resident = authz.ForUser(storetest.RawUser(t, st, "resident", model.RoleResident, w.tr.stairwell))
	return w
}

// at fixes the store's clock.
func at(st *store.Store, t time.Time) { st.SetNow(func() time.Time { return t }) }

func mustSchedule(t *testing.T, st *store.Store, sc authz.Scope, in model.MeetingInput) []*model.Meeting {
	t.Helper()
	ms, err := st.ScheduleMeetings(context.Background(), sc, in)
	if err != nil {
		t.Fatalf("ScheduleMeetings: %v", err)
	}
	return ms
}

func lifeCount(t *testing.T, st *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if st.Engine() == "postgres" {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	if err := st.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestMeetingCheckin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 3)
		start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
		at(st, start.Add(-2*time.Hour))
		ms := mustSchedule(t, st, w.staff, model.MeetingInput{OrgID: w.branch, Type: model.BranchAssembly, Title: "学习党的二十届四中全会精神",
			StartsAt: start, EndsAt: start.Add(90 * time.Minute), Place: "社区党群服务中心"})
		m := ms[0]

		// Not yet open: an hour before the start.
		_, code, _, err := st.MeetingCode(ctx, w.staff, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ce *model.ConflictError
		if _, err := st.CheckIn(ctx, w.memberScopes[1], code); !errors.As(err, &ce) {
			t.Fatalf("check-in two hours early = %v, want a conflict", err)
		}

		at(st, start.Add(5*time.Minute))
		_, code, exp, err := st.MeetingCode(ctx, w.staff, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := exp.Sub(start.Add(5 * time.Minute)); d <= time.Minute || d > 2*time.Minute {
			t.Errorf("code lives %v, want between 1 and 2 minutes", d)
		}
		res, err := st.CheckIn(ctx, w.memberScopes[1], code)
		if err != nil || res.Already || res.Points != model.DefaultPoints[model.PointsMeeting] {
			t.Fatalf("CheckIn = %+v, %v; want recorded with %d points", res, err, model.DefaultPoints[model.PointsMeeting])
		}
		// The same member again: nothing new.
		if res, err := st.CheckIn(ctx, w.memberScopes[1], code); err != nil || !res.Already || res.Points != 0 {
			t.Fatalf("second CheckIn = %+v, %v; want Already", res, err)
		}

		// Bad codes record nothing.
		forged := []byte(code)
		forged[len(forged)-3] ^= 1
		for name, c := range map[string]string{"forged": string(forged), "garbage": "abc", "empty": "", "other key": code[:len(code)-4] + "AAAA"} {
			if _, err := st.CheckIn(ctx, w.memberScopes[2], c); !errors.Is(err, store.ErrCheckinForged) {
				t.Errorf("%s code: %v, want ErrCheckinForged", name, err)
			}
		}
		at(st, start.Add(8*time.Minute))
		if _, err := st.CheckIn(ctx, w.memberScopes[2], code); !errors.Is(err, store.ErrCheckinExpired) {
			t.Errorf("expired code: %v, want ErrCheckinExpired", err)
		}
		// A member of another community's branch with a fresh code: not entitled.
		_, code, _, _ = st.MeetingCode(ctx, w.staff, m.ID)
		if _, err := st.CheckIn(ctx, w.outsider, code); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("outsider check-in: %v, want forbidden", err)
		}
		// A resident without a member record.
		if _, err := st.CheckIn(ctx, w.resident, code); !errors.Is(err, store.ErrNotMember) {
			t.Errorf("resident check-in: %v, want ErrNotMember", err)
		}
		if n := lifeCount(t, st, `SELECT COUNT(*) FROM party_meeting_attendance WHERE meeting_id = ?`, m.ID); n != 1 {
			t.Fatalf("attendance rows = %d, want 1", n)
		}

		// Closed: the code passed on afterwards records nothing, even while it has not expired.
		if _, err := st.SetMeetingStatus(ctx, w.staff, m.ID, model.MeetingClosed); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CheckIn(ctx, w.memberScopes[2], code); !errors.As(err, &ce) {
			t.Errorf("check-in after close: %v, want a conflict", err)
		}
		if _, err := st.SetMeetingStatus(ctx, w.staff, m.ID, model.MeetingClosed); !errors.As(err, &ce) {
			t.Errorf("closing twice: %v, want a conflict", err)
		}
		// Staff tick the member who came without a phone; a stranger in the list records nobody.
		if _, err := st.MarkAttendance(ctx, w.staff, m.ID, []int64{w.members[2], w.outsiderMember}); !errors.As(err, new(*model.ValidationError)) {
			t.Errorf("ticking a stranger: %v, want a validation error", err)
		}
		if n, err := st.MarkAttendance(ctx, w.staff, m.ID, []int64{w.members[2], w.members[1]}); err != nil || n != 1 {
			t.Errorf("MarkAttendance = %d, %v; want 1 new", n, err)
		}
		got, roster, err := st.MeetingRoster(ctx, w.staff, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		present := 0
		for _, a := range roster {
			if a.Present {
				present++
			}
		}
		if len(roster) != 3 || present != 2 || got.Attendees != 2 {
			t.Errorf("roster %d, present %d, attendees %d; want 3, 2, 2", len(roster), present, got.Attendees)
		}
		// Another community's staff cannot see or manage it.
		if _, err := st.Meeting(ctx, w.staff2, m.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("other community's staff read: %v, want not found", err)
		}
		if _, err := st.MarkAttendance(ctx, w.staff2, m.ID, []int64{w.members[0]}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("other community's staff tick: %v, want not found", err)
		}
		// Ledger: two entries of 2 points; append-only on both engines.
		my, err := st.MyPoints(ctx, w.memberScopes[1])
		if err != nil || my.Profile.Points != 2 || len(my.Entries) != 1 {
			t.Fatalf("MyPoints = %+v, %v", my, err)
		}
		for _, q := range []string{`UPDATE party_points_entries SET points = 100`, `DELETE FROM party_points_entries`} {
			if _, err := st.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want refused as append-only", q, err)
			}
		}
		// A correction is a new entry.
		if _, err := st.CorrectPoints(ctx, w.staff, 0, my.Entries[0].ID, -2, "重复登记"); err != nil {
			t.Fatal(err)
		}
		if my, _ = st.MyPoints(ctx, w.memberScopes[1]); my.Profile.Points != 0 || len(my.Entries) != 2 {
			t.Errorf("after correction: %+v", my.Profile)
		}
		if _, err := st.CorrectPoints(ctx, w.staff2, 0, my.Entries[0].ID, 5, "x"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("correction by other community's staff: %v, want not found", err)
		}

		// The residents' committee's meeting records attendance but earns no Party points, by a
		// check-in or by staff.
		cm := mustSchedule(t, st, w.staff, model.MeetingInput{OrgID: w.branch, Type: model.ResidentsCommittee, Title: "居委会月度例会",
			StartsAt: start.Add(24 * time.Hour), EndsAt: start.Add(25 * time.Hour)})[0]
		at(st, start.Add(24*time.Hour))
		_, code, _, err = st.MeetingCode(ctx, w.staff, cm.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := st.CheckIn(ctx, w.memberScopes[1], code); err != nil || res.Already || res.Points != 0 {
			t.Errorf("committee meeting CheckIn = %+v, %v; want recorded with no points", res, err)
		}
		if n, err := st.MarkAttendance(ctx, w.staff, cm.ID, []int64{w.members[2]}); err != nil || n != 1 {
			t.Errorf("committee meeting MarkAttendance = %d, %v; want 1 new", n, err)
		}
		if n := lifeCount(t, st, `SELECT COUNT(*) FROM party_points_entries WHERE source = 'meeting' AND source_id = ?`, cm.ID); n != 0 {
			t.Errorf("%d points entries for the committee's meeting, want none", n)
		}
	})
}

func TestScheduleMeetingRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 2)
		start := time.Date(2027, 1, 10, 11, 0, 0, 0, time.UTC)
		in := model.MeetingInput{OrgID: w.otherBranch, Type: model.BranchAssembly, Title: "会", StartsAt: start, EndsAt: start.Add(time.Hour)}
		var ve *model.ValidationError
		if _, err := st.ScheduleMeetings(ctx, w.staff, in); !errors.As(err, &ve) || ve.Fields[0].Field != "org_id" {
			t.Errorf("org outside scope: %v, want org_id error", err)
		}
		in.OrgID = w.branch
		if _, err := st.ScheduleMeetings(ctx, w.memberScopes[1], in); !errors.As(err, &ve) {
			t.Errorf("member without a post: %v, want refused", err)
		}
		bad := in
		bad.EndsAt = start.Add(-time.Hour)
		bad.Type = "picnic"
		if _, err := st.ScheduleMeetings(ctx, w.staff, bad); !errors.As(err, &ve) || len(ve.Fields) != 2 {
			t.Errorf("bad input: %v, want two field errors", err)
		}
		if n := lifeCount(t, st, `SELECT COUNT(*) FROM party_meetings`); n != 0 {
			t.Fatalf("refusals wrote %d meetings", n)
		}
		in.Repeat, in.Count = model.RepeatMonthly, 12
		ms := mustSchedule(t, st, w.staff, in)
		if len(ms) != 12 || ms[11].StartsAt.In(model.Shanghai).Month() != time.December || ms[5].SeriesID != ms[0].ID {
			t.Errorf("series: %d meetings, last %v", len(ms), ms[len(ms)-1].StartsAt)
		}
		p, err := st.Meetings(ctx, w.staff, store.MeetingFilter{OrgID: w.branch, Limit: 5})
		if err != nil || p.Total != 12 || len(p.Items) != 5 || p.Next == "" {
			t.Fatalf("Meetings = %+v, %v", p, err)
		}
		p2, err := st.Meetings(ctx, w.staff, store.MeetingFilter{OrgID: w.branch, Limit: 5, Cursor: p.Next})
		if err != nil || len(p2.Items) != 5 || !p2.Items[0].StartsAt.Before(p.Items[4].StartsAt) {
			t.Fatalf("second page = %+v, %v", p2, err)
		}
		if p, _ := st.Meetings(ctx, w.staff2, store.MeetingFilter{}); p.Total != 0 {
			t.Errorf("other community's staff see %d meetings", p.Total)
		}
	})
}

func TestCompliance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 1)
		now := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
		at(st, now.AddDate(0, -2, 0))
		// The group met two months ago (monthly expected: overdue); the branch held an assembly
		// two months ago (quarterly: fine).
		for _, x := range []struct {
			org int64
			typ model.MeetingType
		}{{w.group, model.GroupMeeting}, {w.branch, model.BranchAssembly}} {
			m := mustSchedule(t, st, w.staff, model.MeetingInput{OrgID: x.org, Type: x.typ, Title: "例会", StartsAt: now.AddDate(0, -2, 0), EndsAt: now.AddDate(0, -2, 0).Add(time.Hour)})[0]
			if _, err := st.SetMeetingStatus(ctx, w.staff, m.ID, model.MeetingClosed); err != nil {
				t.Fatal(err)
			}
		}
		at(st, now)
		rows, err := st.Compliance(ctx, w.staff, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range rows {
			got[fmt.Sprintf("%d/%s", r.OrgID, r.Type)] = r.Overdue
		}
		want := map[string]bool{
			fmt.Sprintf("%d/group_meeting", w.group):         true,
			fmt.Sprintf("%d/branch_assembly", w.branch):      false,
			fmt.Sprintf("%d/party_lecture", w.branch):        true,
			fmt.Sprintf("%d/committee_meeting", w.committee): true,
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("%s overdue = %v (present %v), want %v", k, g, ok, v)
			}
		}
		if _, ok := got[fmt.Sprintf("%d/branch_assembly", w.otherBranch)]; ok {
			t.Error("compliance shows another community's branch")
		}
		// The community asks for branch assemblies monthly: now overdue.
		if err := st.SetMeetingFrequency(ctx, w.staff, w.tr.community.ID, model.BranchAssembly, 1); err != nil {
			t.Fatal(err)
		}
		rows, _ = st.Compliance(ctx, w.staff, 0)
		for _, r := range rows {
			if r.OrgID == w.branch && r.Type == model.BranchAssembly && (!r.Overdue || r.Months != 1) {
				t.Errorf("after monthly rule: %+v", r)
			}
		}
	})
}

// TestCheckin200 is issue 8's figure: 200 members checking in to one meeting within the same
// second (each twice) are all recorded, once.
func TestCheckin200(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const n = 200
		w := mustLifeWorld(t, st, n)
		start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
		at(st, start)
		m := mustSchedule(t, st, w.staff, model.MeetingInput{OrgID: w.branch, Type: model.PartyLecture, Title: "专题党课", StartsAt: start, EndsAt: start.Add(time.Hour)})[0]
		_, code, _, err := st.MeetingCode(ctx, w.staff, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		fresh := 0
		gate := make(chan struct{})
		began := time.Now()
		for i := range 2 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				res, err := st.CheckIn(ctx, w.memberScopes[i%n], code)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				} else if !res.Already {
					fresh++
				}
			}()
		}
		close(gate)
		wg.Wait()
		t.Logf("%s: %d check-ins (%d members, each twice) in %v", st.Engine(), 2*n, n, time.Since(began))
		if len(errs) > 0 {
			t.Fatalf("%d check-ins failed, first: %v", len(errs), errs[0])
		}
		if fresh != n {
			t.Errorf("%d check-ins recorded fresh, want %d", fresh, n)
		}
		if c := lifeCount(t, st, `SELECT COUNT(*) FROM party_meeting_attendance WHERE meeting_id = ?`, m.ID); c != n {
			t.Errorf("attendance rows = %d, want %d", c, n)
		}
		if c := lifeCount(t, st, `SELECT COUNT(*) FROM party_points_entries WHERE source = 'meeting' AND source_id = ?`, m.ID); c != n {
			t.Errorf("points entries = %d, want %d", c, n)
		}
		if got, _ := st.Meeting(ctx, w.staff, m.ID); got.Attendees != n {
			t.Errorf("attendees = %d, want %d", got.Attendees, n)
		}
	})
}

func TestActivitySignupLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const n, limit = 30, 5
		w := mustLifeWorld(t, st, n)
		start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
		at(st, start.Add(-24*time.Hour))
		a, err := st.PublishActivity(ctx, w.staff, model.ActivityInput{TerritoryID: w.tr.community.ID, Title: "敬老院志愿服务", Place: "天宝敬老院",
			StartsAt: start, EndsAt: start.Add(3 * time.Hour), Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		// Members and a resident of the community see it; another community does not.
		if _, err := st.Activity(ctx, w.resident, a.ID); err != nil {
			t.Errorf("resident of the community: %v", err)
		}
		if _, err := st.Activity(ctx, w.outsider, a.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's member: %v, want not found", err)
		}
		if p, err := st.Activities(ctx, w.resident, store.ActivityFilter{}); err != nil || p.Total != 1 {
			t.Errorf("resident's list = %+v, %v", p, err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, full := 0, 0
		gate := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				_, err := st.SignUp(ctx, w.memberScopes[i], a.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, model.ErrConflict):
					full++
				default:
					t.Errorf("SignUp: %v", err)
				}
			}()
		}
		close(gate)
		wg.Wait()
		if ok != limit || full != n-limit {
			t.Errorf("%d signed up, %d refused; want %d, %d", ok, full, limit, n-limit)
		}
		if c := lifeCount(t, st, `SELECT COUNT(*) FROM party_activity_signups WHERE activity_id = ?`, a.ID); c != limit {
			t.Errorf("sign-up rows = %d, want %d", c, limit)
		}
		// Check-in by QR: a signed-up member gets points; someone not signed up finds it full.
		at(st, start.Add(10*time.Minute))
		_, code, _, err := st.ActivityCode(ctx, w.staff, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var signed authz.Scope
		var unsigned authz.Scope
		for i := range n {
			got, _ := st.Activity(ctx, w.memberScopes[i], a.ID)
			if got.Mine != nil && signed.UserID == 0 {
				signed = w.memberScopes[i]
			}
			if got.Mine == nil && unsigned.UserID == 0 {
				unsigned = w.memberScopes[i]
			}
		}
		res, err := st.CheckIn(ctx, signed, code)
		if err != nil || res.Activity == nil || res.Points != model.DefaultPoints[model.PointsActivity] {
			t.Fatalf("activity check-in = %+v, %v", res, err)
		}
		if res, err := st.CheckIn(ctx, signed, code); err != nil || !res.Already {
			t.Errorf("second activity check-in = %+v, %v", res, err)
		}
		if _, err := st.CheckIn(ctx, unsigned, code); !errors.Is(err, model.ErrConflict) {
			t.Errorf("walk-in over the limit: %v, want conflict", err)
		}
		if _, err := st.CheckIn(ctx, w.outsider, code); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("another community's member: %v, want forbidden", err)
		}
		board, err := st.Leaderboard(ctx, w.staff, store.LeaderboardFilter{OrgID: w.group, Limit: 3})
		if err != nil || len(board) != 3 || board[0].Points != model.DefaultPoints[model.PointsActivity] || board[0].Rank != 1 {
			t.Errorf("leaderboard = %+v, %v", board, err)
		}
	})
}

// TestSecretaryByPost: a member account that holds the branch's secretary post, scoped to the
// stairwell where it lives (below the branch's grid), manages the branch's and its group's
// organizational life and nothing else: it schedules, lists, reads, ticks attendance and sees
// their compliance; the committee above and another community's branch do not exist for it; a
// member without a post reads and schedules nothing.
func TestSecretaryByPost(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 2)
		secretary, plain := w.memberScopes[0], w.memberScopes[1]
		start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
		in := func(org int64, typ model.MeetingType) model.MeetingInput {
			return model.MeetingInput{OrgID: org, Type: typ, Title: "书记排会", StartsAt: start, EndsAt: start.Add(time.Hour)}
		}
		if ok, err := st.ManagesOrg(ctx, secretary, w.branch); !ok || err != nil {
			t.Fatalf("the secretary manages its branch: %v %v", ok, err)
		}
		branchMeeting := mustSchedule(t, st, secretary, in(w.branch, model.BranchAssembly))[0]
		groupMeeting := mustSchedule(t, st, secretary, in(w.group, model.GroupMeeting))[0]
		committeeMeeting := mustSchedule(t, st, w.staff, in(w.committee, model.CommitteeMeeting))[0]
		var ve *model.ValidationError
		for _, org := range []int64{w.committee, w.otherBranch} {
			if _, err := st.ScheduleMeetings(ctx, secretary, in(org, model.CommitteeMeeting)); !errors.As(err, &ve) || ve.Fields[0].Field != "org_id" {
				t.Errorf("the secretary schedules on org %d: %v, want an org_id error", org, err)
			}
			if _, err := st.ScheduleMeetings(ctx, plain, in(org, model.CommitteeMeeting)); !errors.As(err, &ve) {
				t.Errorf("a member without a post schedules on org %d: %v", org, err)
			}
		}
		if _, err := st.ScheduleMeetings(ctx, plain, in(w.branch, model.BranchAssembly)); !errors.As(err, &ve) {
			t.Errorf("a member without a post schedules on the branch: %v", err)
		}
		p, err := st.Meetings(ctx, secretary, store.MeetingFilter{})
		if err != nil || p.Total != 2 || len(p.Items) != 2 {
			t.Fatalf("the secretary's meetings = %+v, %v; want the branch's and the group's", p, err)
		}
		for _, m := range p.Items {
			if m.ID == committeeMeeting.ID {
				t.Error("the secretary lists the committee's meeting")
			}
		}
		if p, err := st.Meetings(ctx, secretary, store.MeetingFilter{Under: w.tr.building.ID}); err != nil || p.Total != 1 {
			t.Errorf("the secretary's meetings under the group's building = %+v, %v; want the group's", p, err)
		}
		if _, err := st.Meetings(ctx, secretary, store.MeetingFilter{Under: w.tr.community.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the secretary narrows to the community above its branch: %v, want not found", err)
		}
		if _, err := st.Meeting(ctx, secretary, committeeMeeting.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the secretary reads the committee's meeting: %v", err)
		}
		if p, err := st.Meetings(ctx, plain, store.MeetingFilter{}); err != nil || p.Total != 0 {
			t.Errorf("a member without a post lists %+v, %v", p, err)
		}
		if _, err := st.Meeting(ctx, plain, branchMeeting.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a member without a post reads the branch's meeting: %v", err)
		}
		if _, err := st.MarkAttendance(ctx, plain, groupMeeting.ID, []int64{w.members[1]}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a member without a post ticks attendance: %v", err)
		}
		if n, err := st.MarkAttendance(ctx, secretary, groupMeeting.ID, []int64{w.members[1]}); err != nil || n != 1 {
			t.Errorf("the secretary ticks attendance: %d, %v", n, err)
		}
		if orgs, err := st.MeetingOrgs(ctx, secretary); err != nil || len(orgs) != 2 || orgs[0].ID != w.branch || orgs[1].ID != w.group {
			t.Errorf("the orgs the secretary schedules for: %v, %v", orgs, err)
		}
		cs, err := st.Compliance(ctx, secretary, 0)
		if err != nil {
			t.Fatal(err)
		}
		orgs := map[int64]bool{}
		for _, c := range cs {
			orgs[c.OrgID] = true
		}
		if len(orgs) != 2 || !orgs[w.branch] || !orgs[w.group] {
			t.Errorf("the secretary's compliance covers orgs %v, want the branch and the group", orgs)
		}
	})
}
