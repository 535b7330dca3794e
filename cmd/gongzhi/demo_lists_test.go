package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoLists: after `gongzhi demo` (twice), the demo community's three lists hold needs from
// its recurring orders and from staff, resources of co-building units and of members, and
// projects in every status with milestones, recorded once.
func TestDemoLists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	acc, err := st.UserByUsername(ctx, "staff")
	if err != nil {
		t.Fatal(err)
	}
	sc := authz.ForUser(acc)
	needs, err := st.Needs(ctx, sc, store.NeedFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[model.NeedSource]int{}
	for _, n := range needs.Items {
		sources[n.Source]++
	}
	if sources[model.NeedFromOrders] == 0 || sources[model.NeedFromStaff] != 4 {
		t.Errorf("needs by source %v, want some from orders and 4 from staff", sources)
	}
	resources, err := st.Resources(ctx, sc, store.ResourceFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var units, members int
	for _, r := range resources.Items {
		if r.OrganizationID != 0 {
			units++
		} else {
			members++
		}
	}
	if units == 0 || members == 0 {
		t.Errorf("resources: %d of units, %d of members; want both", units, members)
	}
	projects, err := st.Projects(ctx, sc, store.ProjectFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[model.ProjectStatus]int{}
	for _, p := range projects.Items {
		statuses[p.Status]++
		if len(p.Milestones) == 0 {
			t.Errorf("project %s has no milestones", p.Title)
		}
	}
	for _, s := range model.ProjectStatuses {
		if statuses[s] != 1 {
			t.Errorf("%d projects %s, want 1 (statuses %v)", statuses[s], s, statuses)
		}
	}
}
