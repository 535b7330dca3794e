package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestMeetingTypesOfBody: the committee's meetings have the committee's types and the Party
// organization's the Party's; a type of the other body is refused on type, a type alone says
// whose meeting it is, and a village names the committee's meetings 村民…; a committee type
// has no frequency.
func TestMeetingTypesOfBody(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBurdenWorld(t, st)
		committee := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", w.community, 0)
		start := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Minute)
		meet := func(org int64, body model.OwnerBody, typ model.MeetingType) ([]*model.Meeting, error) {
			return st.ScheduleMeetings(ctx, w.staff, model.MeetingInput{OrgID: org, Type: typ, Body: body, Title: "会议", StartsAt: start, EndsAt: start.Add(time.Hour)})
		}
		for _, c := range []struct {
			body model.OwnerBody
			typ  model.MeetingType
		}{{model.OwnerCommittee, model.CommitteeMeeting}, {model.OwnerCommittee, model.PartyLecture}, {model.OwnerParty, model.ResidentsAssembly},
			{model.OwnerParty, ""}, {model.OwnerCommittee, ""}, {model.OwnerCommittee, "town_hall"}} {
			if _, err := meet(committee, c.body, c.typ); firstField(err) != "type" {
				t.Errorf("%s meeting of type %q: %v, want an error on type", c.body, c.typ, err)
			}
		}
		if ms, err := meet(committee, "", model.ResidentsRepresentatives); err != nil || ms[0].Body != model.OwnerCommittee || ms[0].TypeLabel() != "居民代表会议" {
			t.Fatalf("a representatives' meeting saying no body: %v %v", ms, err)
		}
		// No meeting was written by the refused ones.
		if p, err := st.Meetings(ctx, w.staff, store.MeetingFilter{}); err != nil || p.Total != 1 {
			t.Errorf("meetings: %v %v, want 1", p, err)
		}

		village, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: w.tree.street.ID, Kind: model.KindCommunity, Name: "青莲村", Code: "510781006201"})
		if err != nil {
			t.Fatal(err)
		}
		vorg := storetest.PartyOrg(t, st, "community_committee", "", "青莲村党委", village, 0)
		ms, err := st.ScheduleMeetings(ctx, w.street, model.MeetingInput{OrgID: vorg, Type: model.ResidentsAssembly, Body: model.OwnerCommittee, Title: "村民会议",
			StartsAt: start, EndsAt: start.Add(time.Hour)})
		if err != nil || ms[0].TypeLabel() != "村民会议" || ms[0].TypeKey() != "residents_assembly_village" {
			t.Errorf("a village's assembly: %v %v", ms, err)
		}
		if err := st.SetMeetingFrequency(ctx, w.staff, w.community.ID, model.ResidentsCommittee, 1); firstField(err) != "type" {
			t.Errorf("a frequency for the committee's meetings: %v", err)
		}
	})
}

// TestSetOwningBody: a meeting moves between the bodies with a type of its new body (audited;
// its Party compliance follows: a committee meeting does not count, a Party one again does);
// a cancelled meeting keeps its body; a task's body changes in any state; bad bodies and types
// and callers outside the territory change nothing.
func TestSetOwningBody(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBurdenWorld(t, st)
		committee := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", w.community, 0)
		start := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Minute)
		ms, err := st.ScheduleMeetings(ctx, w.staff, model.MeetingInput{OrgID: committee, Type: model.CommitteeMeeting, Title: "党委会", StartsAt: start, EndsAt: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		m := ms[0]
		held := func() int {
			t.Helper()
			comp, err := st.Compliance(ctx, w.staff, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range comp {
				if c.OrgID == committee && c.Type == model.CommitteeMeeting {
					return c.HeldInYear
				}
			}
			t.Fatal("no compliance row for the Party committee's meetings")
			return 0
		}
		if n := held(); n != 1 {
			t.Fatalf("held before: %d", n)
		}

		// Bad input: nothing changes.
		for _, in := range []model.MeetingBodyInput{
			{Body: model.OwnerCommittee},                               // the 支委会 type is not the committee's
			{Body: model.OwnerCommittee, Type: model.GroupMeeting},     // nor is 党小组会
			{Body: model.OwnerParty, Type: model.ResidentsCommittee},   // nor is the committee's the Party's
			{Body: "street", Type: model.ResidentsCommittee},           // no such body
			{Body: model.OwnerCommittee, Type: model.MeetingType("x")}, // no such type
		} {
			if _, err := st.SetMeetingBody(ctx, w.staff, m.ID, in); firstField(err) == "" {
				t.Errorf("%+v: %v, want a field error", in, err)
			}
		}
		if _, err := st.SetMeetingBody(ctx, w.other, m.ID, model.MeetingBodyInput{Body: model.OwnerCommittee, Type: model.ResidentsCommittee}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's staff: %v", err)
		}
		if got, _ := st.Meeting(ctx, w.staff, m.ID); got.Body != model.OwnerParty || got.Type != model.CommitteeMeeting {
			t.Fatalf("after refused changes: %s %s", got.Body, got.Type)
		}

		got, err := st.SetMeetingBody(ctx, w.staff, m.ID, model.MeetingBodyInput{Body: model.OwnerCommittee, Type: model.ResidentsCommittee})
		if err != nil || got.Body != model.OwnerCommittee || got.Type != model.ResidentsCommittee {
			t.Fatalf("to the committee: %v %v", got, err)
		}
		if n := held(); n != 0 {
			t.Errorf("the committee's meeting still counts for the Party committee: %d", n)
		}
		if n := auditCount(t, st, "party.meeting.body"); n != 1 {
			t.Errorf("audit entries: %d, want 1", n)
		}
		// Back to the Party organization as 支委会: it counts again.
		if got, err = st.SetMeetingBody(ctx, w.staff, m.ID, model.MeetingBodyInput{Body: model.OwnerParty, Type: model.CommitteeMeeting}); err != nil || got.Body != model.OwnerParty {
			t.Fatalf("back to the Party: %v %v", got, err)
		}
		if n := held(); n != 1 {
			t.Errorf("held after moving back: %d", n)
		}
		// A type of the same body alone may be given with the body; a change to nothing writes nothing.
		if _, err := st.SetMeetingBody(ctx, w.staff, m.ID, model.MeetingBodyInput{Body: model.OwnerParty}); err != nil {
			t.Errorf("no change: %v", err)
		}
		if n := auditCount(t, st, "party.meeting.body"); n != 2 {
			t.Errorf("audit entries: %d, want 2", n)
		}
		if _, err := st.SetMeetingStatus(ctx, w.staff, m.ID, model.MeetingCancelled); err != nil {
			t.Fatal(err)
		}
		var ce *model.ConflictError
		if _, err := st.SetMeetingBody(ctx, w.staff, m.ID, model.MeetingBodyInput{Body: model.OwnerCommittee, Type: model.ResidentsCommittee}); !errors.As(err, &ce) {
			t.Errorf("a cancelled meeting: %v", err)
		}

		// Tasks.
		tk := w.task(t, st, w.duty.ID, "低保复核")
		if tk.Body != model.OwnerCommittee {
			t.Fatalf("task body %q", tk.Body)
		}
		if _, err := st.SetBurdenTaskBody(ctx, w.staff, tk.ID, "x"); firstField(err) != "body" {
			t.Errorf("an unknown body: %v", err)
		}
		if _, err := st.SetBurdenTaskBody(ctx, w.other, tk.ID, model.OwnerParty); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's staff: %v", err)
		}
		if got, err := st.SetBurdenTaskBody(ctx, w.staff, tk.ID, model.OwnerParty); err != nil || got.Body != model.OwnerParty {
			t.Errorf("to the Party: %v %v", got, err)
		}
		if _, err := st.AcceptBurdenTask(ctx, w.staff, tk.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := st.SetBurdenTaskBody(ctx, w.staff, tk.ID, model.OwnerCommittee); err != nil || got.Body != model.OwnerCommittee {
			t.Errorf("an accepted task back to the committee: %v %v", got, err)
		}
		if n := auditCount(t, st, "burden.task.body"); n != 2 {
			t.Errorf("task audit entries: %d, want 2", n)
		}
		if o, err := st.BodyOwned(ctx, w.staff, w.community.ID); err != nil || o.Tasks != 1 || o.Meetings != 0 {
			t.Errorf("BodyOwned: %+v %v", o, err)
		}
	})
}

// auditCount counts the audit entries of action.
func auditCount(t *testing.T, st *store.Store, action string) int64 {
	t.Helper()
	q := `SELECT COUNT(*) FROM audit_log WHERE action = ?`
	if st.Engine() == "postgres" {
		q = `SELECT COUNT(*) FROM audit_log WHERE action = $1`
	}
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), q, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrateCommitteeMeetingTypes: migration 0066 turns the committee's meetings recorded with
// the Party's 支委会 type into 居民委员会会议 and keeps every meeting with its attendance (SQLite
// rebuilds the table its attendance references); afterwards the database refuses a Party type
// on a committee meeting.
func TestMigrateCommitteeMeetingTypes(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Unmigrated(t, e)
			if err := st.MigrateTo(ctx, 64); err != nil {
				t.Fatal(err)
			}
			tr := mustTree(t, st)
			org := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", tr.community, 0)
			member := storetest.PartyMember(t, st, "王芳", org, 0)
			start := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
			meeting := func(body string) int64 {
				return storetest.Exec(t, st, `INSERT INTO party_meetings (org_id, path, community_id, type, body, title, starts_at, ends_at, closes_at, created_at, updated_at)
					SELECT id, path, community_id, 'committee_meeting', ?, '例会', ?, ?, ?, ?, ? FROM party_orgs WHERE id = ? RETURNING id`,
					body, start, start.Add(time.Hour), start.Add(2*time.Hour), start, start, org)
			}
			party, committee := meeting("party"), meeting("committee")
			for _, m := range []int64{party, committee} {
				storetest.Exec(t, st, `INSERT INTO party_meeting_attendance (meeting_id, member_id, community_id, method, checked_in_at) VALUES (?, ?, ?, 'staff', ?)`,
					m, member, tr.community.ID, start)
			}
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[int64]model.MeetingType{party: model.CommitteeMeeting, committee: model.ResidentsCommittee} {
				m, roster, err := st.MeetingRoster(ctx, authz.System(), id)
				if err != nil || m.Type != want {
					t.Fatalf("meeting %d after the migration: %v %v, want type %s", id, m, err, want)
				}
				present := 0
				for _, a := range roster {
					if a.Present {
						present++
					}
				}
				if present != 1 {
					t.Errorf("meeting %d: %d present, want 1", id, present)
				}
			}
			if e == "sqlite" {
				var n int
				if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&n); err != nil || n != 0 {
					t.Errorf("foreign key violations: %d %v", n, err)
				}
			}
			if _, err := st.DB().ExecContext(ctx, rebind(st, `UPDATE party_meetings SET type = 'branch_assembly' WHERE id = ?`), committee); err == nil {
				t.Error("the database took a Party type on a committee meeting")
			}
		})
	}
}
