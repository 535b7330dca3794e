package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoBurden: after `gongzhi demo` (twice), the demo street keeps a department register and
// a duty list; the demo community has a year of tasks, on and off the list, some approved by
// the street account, some refused, some pending, most done with hours; the street's burden
// view compares three communities and has hours serving residents; nothing twice.
func TestDemoBurden(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	acc, err := st.UserByUsername(ctx, "street")
	if err != nil {
		t.Fatal(err)
	}
	sc := authz.ForUser(acc)
	depts, err := st.BurdenDepartments(ctx, sc, store.BurdenCatalogFilter{})
	if err != nil || len(depts) != 12 {
		t.Fatalf("departments: %d, %v", len(depts), err)
	}
	duties, err := st.BurdenDuties(ctx, sc, store.BurdenCatalogFilter{})
	if err != nil || len(duties) != 13 {
		t.Fatalf("duties: %d, %v", len(duties), err)
	}
	p, err := st.BurdenTasks(ctx, sc, store.BurdenTaskFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	states := map[model.BurdenTaskStatus]int{}
	off, decidedByStreet := 0, 0
	for _, x := range p.Items {
		states[x.Status]++
		if !x.OnList() {
			off++
		}
		if x.DecidedAt != nil && x.DecidedByName == acc.DisplayName {
			decidedByStreet++
		}
	}
	if p.Total != 64 || off < 15 || states[model.TaskDone] < 30 || states[model.TaskRefused] < 3 || states[model.TaskPending] < 1 || decidedByStreet < 5 {
		t.Errorf("tasks: %d, %d off the list, by state %v, %d decided by the street account", p.Total, off, states, decidedByStreet)
	}
	street := acc.ScopeID
	v, err := st.BurdenView(ctx, sc, street, st.Now().In(model.Shanghai).Year())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Communities) < 3 || v.TaskMinutes == 0 || v.ServeMinutes == 0 || len(v.Departments) < 5 {
		t.Errorf("view: %d communities, %d task minutes, %d serving, %d senders", len(v.Communities), v.TaskMinutes, v.ServeMinutes, len(v.Departments))
	}
}

// TestDemoStandards: after `gongzhi demo` (twice), the demo street keeps a standards catalogue of
// automatic and reported items, and its communities' compliance has items met, not met and
// (a metric without data) none, once each item.
func TestDemoStandards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t)
	acc, err := st.UserByUsername(ctx, "street")
	if err != nil {
		t.Fatal(err)
	}
	sc := authz.ForUser(acc)
	items, err := st.StandardItems(ctx, sc, store.BurdenCatalogFilter{})
	if err != nil || len(items) != 7 {
		t.Fatalf("items: %d, %v", len(items), err)
	}
	rows, err := st.StandardCompliance(ctx, sc, acc.ScopeID, st.Now().In(model.Shanghai).Year())
	if err != nil {
		t.Fatal(err)
	}
	met, unmet, withItems := 0, 0, 0
	for _, r := range rows {
		met += r.Met
		unmet += r.Unmet
		if len(r.Results) == 7 {
			withItems++
		}
	}
	if withItems < 3 || met < 5 || unmet < 3 {
		t.Errorf("compliance: %d communities with every item, %d met, %d not met", withItems, met, unmet)
	}
}
