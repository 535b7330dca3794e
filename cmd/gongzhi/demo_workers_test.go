package main

import (
	"context"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoWorkers: after `gongzhi demo` (twice), the demo community has one roster of workers
// (qualifications, trainings, three recruitment steps each, the grid workers assigned to their
// grids, the grid and staff accounts linked, one who left) and a year of visits with follow-ups,
// the street's other communities' places on the unvisited list, and visit time in most months.
func TestDemoWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	acc, err := st.UserByUsername(ctx, "staff")
	if err != nil {
		t.Fatal(err)
	}
	staff := authz.ForUser(acc)
	p, err := st.Workers(ctx, staff, store.WorkerFilter{Status: "all", Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var left, gridWorkers, linked int
	for _, w := range p.Items {
		if !w.Active() {
			left++
		}
		if w.GridCount > 0 {
			gridWorkers++
		}
		if w.Username != "" {
			linked++
		}
		if w.TrainingMinutes == 0 || w.Phone.IsZero() {
			t.Errorf("worker %s: %d training minutes, phone %q", w.Name, w.TrainingMinutes, w.Phone)
		}
	}
	if len(p.Items) < 7 || left != 1 || gridWorkers == 0 || linked != 2 {
		t.Errorf("roster: %d workers, %d left, %d with grids, %d linked", len(p.Items), left, gridWorkers, linked)
	}
	w, err := st.Worker(ctx, staff, p.Items[0].ID)
	if err != nil || len(w.Recruitments) != 3 {
		t.Errorf("recruitment of %s: %v %v", p.Items[0].Name, err, w)
	}
	vs, err := st.Visits(ctx, staff, store.VisitFilter{Limit: 1})
	if err != nil || vs.Total < 100 {
		t.Fatalf("visits: %v %d", err, vs.Total)
	}
	closed, _ := st.Visits(ctx, staff, store.VisitFilter{Follow: model.FollowDone, Limit: 1})
	if closed.Total == 0 {
		t.Errorf("no follow-up closed")
	}
	// The demo community's one compound is visited every week or two; the street's other
	// communities are not visited at all.
	if un, err := st.UnvisitedPlaces(ctx, staff, store.UnvisitedFilter{Days: 30}); err != nil || un.Total != 0 {
		t.Errorf("places of the demo community not visited for 30 days: %v %d", err, un.Total)
	}
	sacc, err := st.UserByUsername(ctx, "street")
	if err != nil {
		t.Fatal(err)
	}
	if un, err := st.UnvisitedPlaces(ctx, authz.ForUser(sacc), store.UnvisitedFilter{Days: 30}); err != nil || un.Total == 0 {
		t.Errorf("places of the street not visited for 30 days: %v %d", err, un.Total)
	}
	now := time.Now()
	months, err := st.CommunityVisitMonths(ctx, staff, vs.Items[0].CommunityID, now.AddDate(-1, 1, 0), now.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	busy := 0
	for _, m := range months {
		if m.Visits > 0 && m.Minutes > 0 {
			busy++
		}
	}
	if busy < 11 {
		t.Errorf("months with visits: %d of %d", busy, len(months))
	}
}
