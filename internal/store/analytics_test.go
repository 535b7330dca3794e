package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// analyticsSnapshot reads party_member_counts, rows with n = 0 left out.
func analyticsSnapshot(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), `SELECT path, dim, value, n FROM party_member_counts WHERE n <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var p, d, v string
		var n int64
		if err := rows.Scan(&p, &d, &v, &n); err != nil {
			t.Fatal(err)
		}
		out[p+" "+d+"="+v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func analyticsScan(t *testing.T, st *store.Store, q string, args ...any) int64 {
	t.Helper()
	if st.Engine() == "postgres" {
		for i := 1; i <= len(args); i++ {
			q = replaceFirst(q, "?", fmt.Sprintf("$%d", i))
		}
	}
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func replaceFirst(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// TestMemberAnalyticsMaintained: after random member writes (create on both lists, update,
// convert, a Bulk, a merge of two groups) the maintained counts equal a count from scratch, and
// the analytics of the community, the branch's org and the whole scope agree with SQL scans of
// party_members; a functional org is refused, an org outside the scope is not found.
func TestMemberAnalyticsMaintained(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustMemberFixture(t, st)
		sys := authz.System()
		group2 := storetest.MustOrg(t, st, "building_group", "2单元党小组", f.tr.stairwell.ID, f.branch)
		orgs := []int64{f.committee, f.branch, f.group, group2, f.otherCommittee}
		r := rand.New(rand.NewPCG(1, 2))
		var ids []int64
		for i := range 40 {
			in := model.MemberInput{Name: fmt.Sprintf("党员%d", i), Gender: model.Gender([]string{"male", "female"}[r.IntN(2)]),
				BirthDate: fmt.Sprintf("%d-05-01", 1940+r.IntN(45)), OrgID: orgs[r.IntN(len(orgs))], Status: model.MemberFull,
				JoinedOn: "2005-07-01", FullOn: "2006-07-01", Category: model.MemberCategories[r.IntN(len(model.MemberCategories))],
				Education: model.Educations[r.IntN(len(model.Educations))]}
			if r.IntN(5) == 0 {
				in.Status, in.FullOn, in.JoinedOn = model.MemberProbationary, "", time.Now().AddDate(0, -3, 0).Format(time.DateOnly)
			}
			if in.Category != model.CategoryRetired && r.IntN(3) == 0 {
				in.Mobility = model.MobilityOutflow
			}
			if i%7 == 3 {
				in.List, in.ReportingKind, in.HomeOrg, in.Category, in.Mobility = model.ListReporting, model.ReportingInWork, "市税务局机关党支部", model.CategoryInWork, model.MobilityNone
				if r.IntN(2) == 0 {
					in.ReportedOn = "2025-03-01"
				}
			}
			m, err := st.CreateMember(ctx, sys, in)
			if err != nil {
				t.Fatalf("member %d: %v", i, err)
			}
			ids = append(ids, m.ID)
		}
		for range 30 {
			id := ids[r.IntN(len(ids))]
			cat := model.MemberCategories[r.IntN(len(model.MemberCategories))]
			mob := model.Mobilities[r.IntN(len(model.Mobilities))]
			edu := model.Educations[r.IntN(len(model.Educations))]
			if _, err := st.UpdateMember(ctx, sys, id, model.MemberPatch{Category: &cat, Mobility: &mob, Education: &edu}); err != nil {
				// Some patches are refused by the rules (e.g. a reporting member's category): nothing changed then.
				continue
			}
		}
		for _, id := range ids {
			if m, err := st.Member(ctx, sys, id); err == nil && m.Status == model.MemberProbationary && r.IntN(2) == 0 {
				// Too early by the one-year rule: refused, nothing changes.
				_, _ = st.ConvertMember(ctx, sys, id, time.Now().Format(time.DateOnly))
			}
		}
		err := st.Bulk(ctx, func(b *store.Bulk) error {
			for i := range 10 {
				m := store.BulkMember{In: model.MemberInput{Name: fmt.Sprintf("批量%d", i), Gender: model.GenderFemale, BirthDate: "1950-01-01",
					OrgID: orgs[i%4], Status: model.MemberFull, JoinedOn: "1980-07-01", FullOn: "1981-07-01", Category: model.CategoryRetired,
					Education: model.EduSenior}}
				if err := b.AddMember(&m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.MergeOrg(ctx, sys, group2, f.group); err != nil {
			t.Fatalf("merge: %v", err)
		}

		maintained := analyticsSnapshot(t, st)
		if err := st.RebuildMemberCounts(ctx); err != nil {
			t.Fatal(err)
		}
		scratch := analyticsSnapshot(t, st)
		if len(scratch) == 0 {
			t.Fatal("no counts")
		}
		for k, n := range scratch {
			if maintained[k] != n {
				t.Errorf("%s: maintained %d, counted afresh %d", k, maintained[k], n)
			}
		}
		for k, n := range maintained {
			if _, ok := scratch[k]; !ok {
				t.Errorf("%s: maintained %d, counted afresh 0", k, n)
			}
		}

		// The analytics agree with scans of the roster.
		lo, hi := authz.PathRange(f.tr.community.Path)
		a, err := st.MemberAnalytics(ctx, sys, 0, f.tr.community.ID)
		if err != nil {
			t.Fatal(err)
		}
		cur := `FROM party_members WHERE left_on IS NULL AND path >= ? AND path < ?`
		if want := analyticsScan(t, st, `SELECT COUNT(*) `+cur+` AND list = 'registered'`, lo, hi); a.Registered != want || want == 0 {
			t.Errorf("community: %d registered, scan %d", a.Registered, want)
		}
		retired := analyticsScan(t, st, `SELECT COUNT(*) `+cur+` AND list = 'registered' AND category = 'retired'`, lo, hi)
		if got := a.RetiredShare * float64(a.Registered); int64(got+0.5) != retired {
			t.Errorf("retired share %.3f of %d, scan %d", a.RetiredShare, a.Registered, retired)
		}
		outflow := analyticsScan(t, st, `SELECT COUNT(*) `+cur+` AND list = 'registered' AND mobility = 'outflow'`, lo, hi)
		if got := a.OutflowShare * float64(a.Registered); int64(got+0.5) != outflow {
			t.Errorf("outflow share %.3f of %d, scan %d", a.OutflowShare, a.Registered, outflow)
		}
		reported := analyticsScan(t, st, `SELECT COUNT(*) `+cur+` AND list = 'reporting' AND reporting_kind = 'in_work' AND reported_on IS NOT NULL`, lo, hi)
		notYet := analyticsScan(t, st, `SELECT COUNT(*) `+cur+` AND list = 'reporting' AND reporting_kind = 'in_work' AND reported_on IS NULL`, lo, hi)
		if a.Reported != reported || a.NotReported != notYet || reported+notYet == 0 {
			t.Errorf("reporting %d/%d, scan %d/%d", a.Reported, a.NotReported, reported, notYet)
		}
		var bands int64
		for _, b := range a.AgeBands {
			bands += b.N
		}
		if bands != a.Registered {
			t.Errorf("age bands sum to %d, want %d", bands, a.Registered)
		}

		glo, ghi := authz.PathRange(f.tr.grid.Path)
		b, err := st.MemberAnalytics(ctx, sys, f.branch, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := analyticsScan(t, st, `SELECT COUNT(*) `+cur+` AND list = 'registered'`, glo, ghi); b.Registered != want || b.Name != "第一网格党支部" {
			t.Errorf("branch %q: %d registered, scan %d", b.Name, b.Registered, want)
		}
		all, err := st.MemberAnalytics(ctx, sys, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := analyticsScan(t, st, `SELECT COUNT(*) FROM party_members WHERE left_on IS NULL AND list = 'registered'`); all.Registered != want {
			t.Errorf("whole scope: %d registered, scan %d", all.Registered, want)
		}

		if _, err := st.MemberAnalytics(ctx, sys, f.functional, 0); fieldsOf(err) != "org_id" {
			t.Errorf("functional org: %v, want an error on org_id", err)
		}
		other := authz.Scope{Role: model.RoleCommunityAdmin, Path: f.tr.community2.Path, UserID: 1}
		if _, err := st.MemberAnalytics(ctx, other, f.branch, 0); err != model.ErrNotFound {
			t.Errorf("an org outside the scope: %v, want not found", err)
		}
		if _, err := st.MemberAnalytics(ctx, other, 0, f.tr.community.ID); err != model.ErrNotFound {
			t.Errorf("a node outside the scope: %v, want not found", err)
		}
	})
}

// TestLifeComplianceAnalytics: the analytics' meeting compliance counts an org overdue exactly
// when the compliance view shows one of its types overdue (the same rule), follows a change of
// the community's frequency, and counts a meeting scheduled ahead once it has begun (the
// maintained row moves on when read), a cancelled one never.
func TestLifeComplianceAnalytics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 1)
		now := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
		at(st, now.AddDate(0, -2, 0))
		for _, x := range []struct {
			org int64
			typ model.MeetingType
		}{{w.group, model.GroupMeeting}, {w.branch, model.BranchAssembly}, {w.branch, model.PartyLecture}, {w.committee, model.PartyLecture}} {
			mustSchedule(t, st, w.staff, model.MeetingInput{OrgID: x.org, Type: x.typ, Title: "例会", StartsAt: now.AddDate(0, -2, 0).Add(time.Hour), EndsAt: now.AddDate(0, -2, 0).Add(2 * time.Hour)})
		}
		at(st, now)
		// Ahead: the committee meets tomorrow, the group the day after (then cancelled).
		mustSchedule(t, st, w.staff, model.MeetingInput{OrgID: w.committee, Type: model.CommitteeMeeting, Title: "委员会", StartsAt: now.AddDate(0, 0, 1), EndsAt: now.AddDate(0, 0, 1).Add(time.Hour)})
		g := mustSchedule(t, st, w.staff, model.MeetingInput{OrgID: w.group, Type: model.GroupMeeting, Title: "小组会", StartsAt: now.AddDate(0, 0, 2), EndsAt: now.AddDate(0, 0, 2).Add(time.Hour)})[0]
		if _, err := st.SetMeetingStatus(ctx, w.staff, g.ID, model.MeetingCancelled); err != nil {
			t.Fatal(err)
		}
		check := func(when string, wantOverdue int64) {
			t.Helper()
			rows, err := st.Compliance(ctx, w.staff, 0)
			if err != nil {
				t.Fatal(err)
			}
			orgs := map[int64]bool{}
			byType := map[model.MeetingType]int64{}
			for _, r := range rows {
				orgs[r.OrgID] = orgs[r.OrgID] || r.Overdue
				if r.Overdue {
					byType[r.Type]++
				}
			}
			var overdue int64
			for _, o := range orgs {
				if o {
					overdue++
				}
			}
			a, err := st.MemberAnalytics(ctx, w.staff, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			l := a.Life
			if l.Orgs != int64(len(orgs)) || l.Overdue != overdue || l.OnTime != l.Orgs-overdue || overdue != wantOverdue {
				t.Errorf("%s: analytics %d orgs, %d overdue, %d on time; view %d orgs, %d overdue; want %d overdue", when, l.Orgs, l.Overdue, l.OnTime, len(orgs), overdue, wantOverdue)
			}
			for _, bt := range l.ByType {
				if bt.Overdue != byType[bt.Type] {
					t.Errorf("%s: %s overdue %d, view %d", when, bt.Type, bt.Overdue, byType[bt.Type])
				}
			}
		}
		// The group met two months ago (monthly: overdue); the branch held its quarterly ones
		// (on time); the committee's monthly meeting is still ahead (overdue).
		// The branch is expected to hold committee meetings too (monthly: overdue).
		check("now", 3)
		at(st, now.AddDate(0, 0, 3))
		check("after the committee met", 2)
		// The community asks for branch assemblies monthly: the branch is overdue too.
		if err := st.SetMeetingFrequency(ctx, w.staff, w.tr.community.ID, model.BranchAssembly, 1); err != nil {
			t.Fatal(err)
		}
		check("monthly assemblies", 2)
		a, err := st.MemberAnalytics(ctx, w.staff, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, bt := range a.Life.ByType {
			if bt.Type == model.BranchAssembly && (bt.Orgs != 1 || bt.Overdue != 1) {
				t.Errorf("branch assemblies monthly: %+v, want the branch overdue", bt)
			}
		}
		if a, err := st.MemberAnalytics(ctx, w.staff, w.group, 0); err != nil || a.Life.Orgs != 1 || a.Life.Overdue != 1 {
			t.Errorf("the group's own compliance = %+v, %v", a.Life, err)
		}
	})
}

// TestLifeComplianceConcurrentWrites: twenty meetings of one org scheduled at the same moment
// all land, and the org keeps one compliance row per type of meeting. Each write refreshes the
// org's rows (delete, insert); on PostgreSQL two refreshes side by side inserted the same key
// (the matrix's parallel closes hit it) until they queued on the org's row.
func TestLifeComplianceConcurrentWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustLifeWorld(t, st, 1)
		start := time.Now().UTC().Truncate(time.Minute).AddDate(0, 0, -3)
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := start.Add(time.Duration(i) * time.Hour)
				_, errs[i] = st.ScheduleMeetings(context.Background(), w.staff, model.MeetingInput{OrgID: w.branch, Type: model.BranchAssembly,
					Title: fmt.Sprintf("支部党员大会%d", i), StartsAt: at, EndsAt: at.Add(30 * time.Minute)})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("meeting %d: %v", i, err)
			}
		}
		if got := lifeCount(t, st, `SELECT COUNT(*) FROM party_meetings WHERE org_id = ?`, w.branch); got != n {
			t.Errorf("meetings = %d, want %d", got, n)
		}
		if got := lifeCount(t, st, `SELECT COUNT(*) FROM party_org_life WHERE org_id = ? AND type = ?`, w.branch, string(model.BranchAssembly)); got != 1 {
			t.Errorf("compliance rows of the branch's assemblies = %d, want 1", got)
		}
	})
}

// TestStudyCompletionAnalytics: courses assigned to an org reach the registered members under
// it once per member and course (a second assignment of the same course to a member already
// reached adds nothing), completions are counted as they happen and follow a member to
// another org.
func TestStudyCompletionAnalytics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustStudyFixture(t, st)
		co, err := st.CreateCourse(ctx, f.admin1, sampleCourse(f.tr.community.ID))
		if err != nil {
			t.Fatal(err)
		}
		due := time.Now().In(model.Shanghai).AddDate(0, 0, 3).Format(time.DateOnly)
		if _, err := st.AssignCourse(ctx, f.admin1, model.AssignmentInput{CourseID: co.ID, OrgID: f.committee, DueOn: due}); err != nil {
			t.Fatal(err)
		}
		if err := st.RebuildMemberCounts(ctx); err != nil { // the fixture's members are written raw
			t.Fatal(err)
		}
		study := func() model.StudyCompletion {
			t.Helper()
			a, err := st.MemberAnalytics(ctx, f.admin1, f.committee, 0)
			if err != nil {
				t.Fatal(err)
			}
			return a.Study
		}
		if s := study(); s.Assigned != 2 || s.Completed != 0 {
			t.Fatalf("assigned to the committee: %+v, want 2 assigned", s)
		}
		me, err := st.MyMember(ctx, f.memberSc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AssignCourse(ctx, f.admin1, model.AssignmentInput{CourseID: co.ID, MemberID: me, DueOn: due}); err != nil {
			t.Fatal(err)
		}
		got, _, err := st.MyCourse(ctx, f.memberSc, co.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range got.Lessons {
			if _, err := st.ReadLesson(ctx, f.memberSc, co.ID, l.ID); err != nil {
				t.Fatal(err)
			}
		}
		if r, err := st.SubmitQuiz(ctx, f.memberSc, co.ID, rightAnswers(t, st, co)); err != nil || !r.Completed {
			t.Fatalf("quiz: %+v, %v", r, err)
		}
		if s := study(); s.Assigned != 2 || s.Completed != 1 || s.Rate != 0.5 {
			t.Errorf("after one completion: %+v, want 1 of 2", s)
		}
		before := analyticsSnapshot(t, st)
		if err := st.RebuildMemberCounts(ctx); err != nil {
			t.Fatal(err)
		}
		if after := analyticsSnapshot(t, st); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("maintained counts %v, counted afresh %v", before, after)
		}
	})
}
