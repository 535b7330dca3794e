package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// listsWorld is orderWorld with a co-building unit's resource and a staff need in the
// community, and a resource of the other community.
type listsWorld struct {
	*orderWorld
	unit, farUnit    int64
	need             *model.Need
	resource, farRes *model.Resource
}

func mustListsWorld(t *testing.T, st *store.Store) *listsWorld {
	t.Helper()
	ctx := context.Background()
	w := &listsWorld{orderWorld: mustOrderWorld(t, st)}
	w.unit = storetest.MustOrganization(t, st, w.community.ID, "物业维修队")
	w.farUnit = storetest.MustOrganization(t, st, w.community2.ID, "东胜志愿队")
	var err error
	if w.need, err = st.CreateNeed(ctx, w.staff, model.NeedInput{Title: "老旧小区水电维修", Category: "维修", TerritoryID: w.tree.grid.ID, Households: 12}); err != nil {
		t.Fatal(err)
	}
	if w.resource, err = st.CreateResource(ctx, w.staff, model.ResourceInput{Kind: model.ResourceSkill, Title: "水电维修", Tags: "维修，水电", TerritoryID: w.community.ID,
		OrganizationID: w.unit, Availability: "每周六上午"}); err != nil {
		t.Fatal(err)
	}
	if w.farRes, err = st.CreateResource(ctx, w.otherStaff, model.ResourceInput{Kind: model.ResourceFunds, Title: "助老基金", AmountFen: 500000, TerritoryID: w.community2.ID,
		OrganizationID: w.farUnit}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *listsWorld) propose(t *testing.T, st *store.Store) *model.Project {
	t.Helper()
	p, err := st.ProposeProject(context.Background(), w.staff, model.ProjectInput{NeedID: w.need.ID, ResourceID: w.resource.ID, Title: "水电维修进小区", Owner: "王主任", StartsOn: "2026-06-10"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNeedSuggestionsFromRecurringOrders: three orders of one category from a grid's households
// in 90 days suggest a need; two do not; adopting it twice records it once.
func TestNeedSuggestionsFromRecurringOrders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		for _, h := range []int64{w.hh.ID, w.neighbour.ID, w.hh.ID} {
			w.place(t, st, w.staff, h)
		}
		if _, _, err := st.PlaceOrder(ctx, w.staff, model.OrderInput{CategoryID: w.cats[1].ID, HouseholdID: w.hh.ID, Description: "辅导作业"}, nil); err != nil {
			t.Fatal(err)
		}
		ss, err := st.NeedSuggestions(ctx, w.staff, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) != 1 || ss[0].TerritoryID != w.tree.grid.ID || ss[0].OrderCategoryID != w.cats[0].ID || ss[0].Orders != 3 || ss[0].Households != 2 {
			t.Fatalf("suggestions = %+v, want the grid's 3 orders of %s from 2 households", ss, w.cats[0].Name)
		}
		// Out of the window: 91 days later nothing recurs.
		w.advance(91 * 24 * 3600 * 1e9)
		if later, err := st.NeedSuggestions(ctx, w.staff, 0); err != nil || len(later) != 0 {
			t.Fatalf("91 days later: %d suggestions, %v", len(later), err)
		}
		w.advance(-91 * 24 * 3600 * 1e9)
		// Another community's staff sees none of them.
		if other, err := st.NeedSuggestions(ctx, w.otherStaff, 0); err != nil || len(other) != 0 {
			t.Fatalf("other community: %d suggestions, %v", len(other), err)
		}
		n, err := st.CreateNeed(ctx, w.staff, ss[0].Input())
		if err != nil {
			t.Fatal(err)
		}
		if n.Source != model.NeedFromOrders || n.Households != 2 || n.Status != model.NeedOpen || n.RecordedBy == "" {
			t.Errorf("adopted need = %+v", n)
		}
		if _, err := st.CreateNeed(ctx, w.staff, ss[0].Input()); !errors.Is(err, model.ErrConflict) {
			t.Errorf("adopting twice: %v, want a conflict", err)
		}
		if ss, _ := st.NeedSuggestions(ctx, w.staff, 0); len(ss) != 0 {
			t.Errorf("after adopting: %d suggestions, want 0", len(ss))
		}
		if got := mustCount(t, st, `SELECT COUNT(*) FROM list_needs`); got != 1 {
			t.Errorf("%d needs, want 1", got)
		}
	})
}

// TestListsBadInput: every bad field is named, nothing is written.
func TestListsBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustListsWorld(t, st)
		before := mustCount(t, st, `SELECT (SELECT COUNT(*) FROM list_needs) + (SELECT COUNT(*) FROM list_resources) + (SELECT COUNT(*) FROM list_projects)`)
		_, err := st.CreateResource(ctx, w.staff, model.ResourceInput{Kind: model.ResourceFunds, Title: "基金", AmountFen: -100, TerritoryID: w.community.ID, OrganizationID: w.unit})
		if got := listFields(err); len(got) != 1 || got[0] != "amount_fen" {
			t.Errorf("negative amount: %v", err)
		}
		_, err = st.CreateResource(ctx, w.staff, model.ResourceInput{Kind: model.ResourceVenue, Title: "活动室", TerritoryID: w.community2.ID, OrganizationID: w.farUnit})
		if got := listFields(err); len(got) != 2 {
			t.Errorf("another community's node and unit: %v", err)
		}
		_, err = st.CreateNeed(ctx, w.staff, model.NeedInput{Title: "", Category: "维修", TerritoryID: w.building.ID, Households: -1})
		if got := listFields(err); len(got) != 3 {
			t.Errorf("need without title, at a building, negative households: %v", err)
		}
		_, err = st.ProposeProject(ctx, w.staff, model.ProjectInput{NeedID: w.need.ID, ResourceID: w.farRes.ID, Title: "跨社区", Owner: "王主任", StartsOn: "2026-06-10"})
		if got := listFields(err); len(got) != 1 || got[0] != "resource_id" {
			t.Errorf("a resource outside the scope: %v", err)
		}
		// System sees both communities: the need is from another community than the resource.
		_, err = st.ProposeProject(ctx, authz.System(), model.ProjectInput{NeedID: w.need.ID, ResourceID: w.farRes.ID, Title: "跨社区", Owner: "王主任", StartsOn: "2026-06-10"})
		if got := listFields(err); len(got) != 1 || got[0] != "resource_id" {
			t.Errorf("a need of another community: %v", err)
		}
		p := w.propose(t, st)
		_, err = st.AddMilestone(ctx, w.staff, p.ID, model.MilestoneInput{Title: "入户摸排", DueOn: "2026-06-01"})
		if got := listFields(err); len(got) != 1 || got[0] != "due_on" {
			t.Errorf("milestone due before the start: %v", err)
		}
		if _, err := st.TransitionProject(ctx, w.staff, p.ID, model.ProjectTransitionInput{Action: model.ProjectComplete}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("completing a proposed project: %v, want a conflict", err)
		}
		if got := mustCount(t, st, `SELECT (SELECT COUNT(*) FROM list_needs) + (SELECT COUNT(*) FROM list_resources) + (SELECT COUNT(*) FROM list_projects)`); got != before+1 {
			t.Errorf("%d rows after the refusals, want %d (the one project)", got, before+1)
		}
		if got := mustCount(t, st, `SELECT COUNT(*) FROM list_project_milestones`); got != 0 {
			t.Errorf("%d milestones, want 0", got)
		}
	})
}

// TestProjectFlow: proposed → approved (staff; not a grid leader) → in progress → done, with
// milestones ticked once, the need following, and every change in the history; members see the
// project once approved.
func TestProjectFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustListsWorld(t, st)
		ms, err := func() ([]model.ResourceMatch, error) {
			_, ms, err := st.ResourceMatches(ctx, w.staff, w.need.ID)
			return ms, err
		}()
		if err != nil || len(ms) != 1 || ms[0].Resource.ID != w.resource.ID || ms[0].Why == "" {
			t.Fatalf("matches = %+v, %v: want the community's one resource, explained", ms, err)
		}
		if _, _, err := st.ResourceMatches(ctx, w.otherStaff, w.need.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's staff matching: %v", err)
		}
		p := w.propose(t, st)
		if _, err := st.ProposeProject(ctx, w.staff, model.ProjectInput{NeedID: w.need.ID, ResourceID: w.resource.ID, Title: "再次对接", Owner: "李", StartsOn: "2026-06-10"}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("matching the pair twice: %v, want a conflict", err)
		}
		if _, err := st.Project(ctx, w.member, p.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a member reading a proposal: %v, want not found", err)
		}
		var fe *model.ForbiddenError
		if _, err := st.TransitionProject(ctx, w.grid, p.ID, model.ProjectTransitionInput{Action: model.ProjectApprove}); !errors.As(err, &fe) {
			t.Errorf("a grid leader approving: %v, want forbidden", err)
		}
		if _, err := st.AddMilestone(ctx, w.staff, p.ID, model.MilestoneInput{Title: "入户摸排", DueOn: "2026-06-20"}); err != nil {
			t.Fatal(err)
		}
		got, err := st.TransitionProject(ctx, w.staff, p.ID, model.ProjectTransitionInput{Action: model.ProjectApprove})
		if err != nil || got.Status != model.ProjectApproved || got.ApprovedBy == "" {
			t.Fatalf("approve: %+v, %v", got, err)
		}
		if n, _ := st.Need(ctx, w.staff, w.need.ID); n.Status != model.NeedMatched {
			t.Errorf("need after approval: %s, want matched", n.Status)
		}
		if _, err := st.TransitionProject(ctx, w.staff, p.ID, model.ProjectTransitionInput{Action: model.ProjectApprove}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("approving twice: %v, want a conflict", err)
		}
		if _, err := st.Project(ctx, w.member, p.ID); err != nil {
			t.Errorf("a member reading an approved project: %v", err)
		}
		if pub, err := st.Projects(ctx, w.orderWorld.res, store.ProjectFilter{}); err != nil || pub.Total != 1 {
			t.Errorf("a resident's projects: %v, %v", pub, err)
		}
		mid := got.Milestones[0].ID
		if got, err = st.TickMilestone(ctx, w.grid, p.ID, mid); err != nil || got.MilestonesDone() != 1 {
			t.Fatalf("tick: %v", err)
		}
		if _, err := st.TickMilestone(ctx, w.staff, p.ID, mid); !errors.Is(err, model.ErrConflict) {
			t.Errorf("ticking twice: %v, want a conflict", err)
		}
		for _, a := range []model.ProjectAction{model.ProjectStart, model.ProjectComplete} {
			if got, err = st.TransitionProject(ctx, w.staff, p.ID, model.ProjectTransitionInput{Action: a}); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}
		if got.Status != model.ProjectDone {
			t.Errorf("status %s, want done", got.Status)
		}
		if n, _ := st.Need(ctx, w.staff, w.need.ID); n.Status != model.NeedClosed {
			t.Errorf("need after completion: %s, want closed", n.Status)
		}
		// propose, milestone added, approve, milestone done, start, complete
		if len(got.History) != 6 || got.History[2].Action != "approve" || got.History[2].Actor == "" {
			t.Errorf("history = %+v", got.History)
		}
	})
}

// TestProjectApprovalRace: many approvals of one project at the same moment, on both engines:
// exactly one succeeds, the others are conflicts, one approval in the history.
func TestProjectApprovalRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustListsWorld(t, st)
		p := w.propose(t, st)
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = st.TransitionProject(ctx, w.staff, p.ID, model.ProjectTransitionInput{Action: model.ProjectApprove})
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, model.ErrConflict):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d approvals succeeded, want exactly 1", ok)
		}
		if got := mustCount(t, st, `SELECT COUNT(*) FROM list_project_events WHERE project_id = $1 AND action = 'approve'`, p.ID); got != 1 {
			t.Errorf("%d approvals in the history, want 1", got)
		}
	})
}

// listFields names the bad fields of a validation error, in order.
func listFields(err error) []string {
	if f := fieldsOf(err); f != "" {
		return strings.Split(f, ",")
	}
	return nil
}
