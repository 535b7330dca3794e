package store_test

import (
	"context"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOwningBody: a handed-down task belongs to the residents' committee and a meeting to the
// Party organization unless the input says otherwise (rows older than the column too); lists
// filter by the owning body; the committee's meetings do not count as the Party
// organization's organizational life; the bodies page counts what the committee owns.
func TestOwningBody(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustBurdenWorld(t, st)
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		task := func(body model.OwnerBody) (*model.BurdenTask, error) {
			return st.CreateBurdenTask(ctx, w.staff, model.BurdenTaskInput{CommunityID: w.community.ID, DepartmentID: w.dept.ID, DutyID: w.duty.ID, Body: body,
				Title: "低保复核" + string(body), ReceivedOn: today, DueOn: today})
		}
		if tk, err := task(""); err != nil || tk.Body != model.OwnerCommittee {
			t.Errorf("a task saying no body: %v %v", tk, err)
		}
		if tk, err := task(model.OwnerParty); err != nil || tk.Body != model.OwnerParty {
			t.Errorf("a Party organization's task: %v %v", tk, err)
		}
		if _, err := task("street"); firstField(err) != "body" {
			t.Errorf("an unknown body: %v", err)
		}
		// A row written before the column existed reads as the committee's.
		old := storetest.Exec(t, st, `INSERT INTO burden_tasks (community_id, path, department_id, title, received_on, due_on, status, created_at)
			SELECT id, path, ?, '旧任务', ?, ?, 'received', CURRENT_TIMESTAMP FROM territories WHERE id = ? RETURNING id`, w.dept.ID, today, today, w.community.ID)
		if tk, err := st.BurdenTask(ctx, w.staff, old); err != nil || tk.Body != model.OwnerCommittee {
			t.Errorf("an old task: %v %v", tk, err)
		}
		for body, want := range map[model.OwnerBody]int64{"": 3, model.OwnerCommittee: 2, model.OwnerParty: 1} {
			p, err := st.BurdenTasks(ctx, w.staff, store.BurdenTaskFilter{Body: body})
			if err != nil || p.Total != want || int64(len(p.Items)) != want {
				t.Errorf("tasks of %q: %v %v, want %d", body, p, err, want)
			}
		}
		if _, err := st.BurdenTasks(ctx, w.staff, store.BurdenTaskFilter{Body: "x"}); firstField(err) != "body" {
			t.Errorf("a bad task filter: %v", err)
		}

		committee := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", w.community, 0)
		start := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Minute)
		meet := func(body model.OwnerBody) ([]*model.Meeting, error) {
			typ := model.CommitteeMeeting
			if body == model.OwnerCommittee {
				typ = model.ResidentsCommittee
			}
			return st.ScheduleMeetings(ctx, w.staff, model.MeetingInput{OrgID: committee, Type: typ, Body: body, Title: "例会" + string(body),
				StartsAt: start, EndsAt: start.Add(time.Hour)})
		}
		if ms, err := meet(""); err != nil || ms[0].Body != model.OwnerParty {
			t.Errorf("a meeting saying no body: %v %v", ms, err)
		}
		if ms, err := meet(model.OwnerCommittee); err != nil || ms[0].Body != model.OwnerCommittee {
			t.Errorf("a committee's meeting: %v %v", ms, err)
		}
		if _, err := meet("x"); firstField(err) != "body" {
			t.Errorf("an unknown body: %v", err)
		}
		storetest.Exec(t, st, `INSERT INTO party_meetings (org_id, path, community_id, type, title, starts_at, ends_at, closes_at, created_at, updated_at)
			SELECT id, path, community_id, 'committee_meeting', '旧会议', ?, ?, ?, ?, ? FROM party_orgs WHERE id = ? RETURNING id`,
			start, start.Add(time.Hour), start.Add(2*time.Hour), start, start, committee)
		for body, want := range map[model.OwnerBody]int64{"": 3, model.OwnerCommittee: 1, model.OwnerParty: 2} {
			p, err := st.Meetings(ctx, w.staff, store.MeetingFilter{Body: body})
			if err != nil || p.Total != want {
				t.Errorf("meetings of %q: %v %v, want %d", body, p, err, want)
			}
		}
		if _, err := st.Meetings(ctx, w.staff, store.MeetingFilter{Body: "x"}); firstField(err) != "body" {
			t.Errorf("a bad meeting filter: %v", err)
		}

		// Organizational life counts the Party organization's meetings only: the new one and the
		// old one, not the committee's.
		comp, err := st.Compliance(ctx, w.staff, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range comp {
			if c.OrgID == committee && c.Type == model.CommitteeMeeting && c.HeldInYear != 2 {
				t.Errorf("the Party committee's meetings in the year: %d, want 2", c.HeldInYear)
			}
		}

		got, err := st.BodyOwned(ctx, w.staff, w.community.ID)
		if want := (model.BodyOwned{Tasks: 2, Meetings: 1}); err != nil || got != want {
			t.Errorf("BodyOwned = %+v %v, want %+v", got, err, want)
		}
		if _, err := st.BodyOwned(ctx, w.other, w.community.ID); err == nil {
			t.Error("BodyOwned of another community's staff: no error")
		}
	})
}
