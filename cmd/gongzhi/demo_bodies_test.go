package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoBodies: after `gongzhi demo` (twice), every community of the demo street with a Party
// committee has one term of its residents' committee, with seven members, cross appointments
// found from the Party committee's posts, and the term's meetings and decisions.
func TestDemoBodies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	sys := authz.System()
	orgs, err := st.Orgs(ctx, sys, store.OrgFilter{Kind: model.OrgCommunityCommittee, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	withTerm, cross, committeeTasks := 0, 0, 0
	for _, o := range orgs.Items {
		terms, err := st.BodyTerms(ctx, sys, o.TerritoryID)
		if err != nil {
			t.Fatal(err)
		}
		if len(terms) == 0 {
			continue
		}
		withTerm++
		if len(terms) != 1 || len(terms[0].Members) != 7 {
			t.Errorf("%s: %d terms, %d members", o.Name, len(terms), len(terms[0].Members))
		}
		cross += terms[0].CrossAppointed()
		ds, err := st.BodyDecisions(ctx, sys, terms[0].ID, 10)
		if err != nil || len(ds) != 4 {
			t.Errorf("%s: decisions %v %d", o.Name, err, len(ds))
		}
		// The committee's own meetings (three monthly and the representatives' meeting on
		// parking), and tasks owned by each body.
		owned, err := st.BodyOwned(ctx, sys, o.TerritoryID)
		if err != nil || owned.Meetings != 4 || owned.Decisions != 4 {
			t.Errorf("%s: the committee owns %+v %v", o.Name, owned, err)
		}
		if owned.Tasks > 0 {
			committeeTasks++
		}
	}
	if withTerm == 0 || cross == 0 || committeeTasks == 0 {
		t.Errorf("%d communities with a term, %d cross appointments, %d with the committee's tasks", withTerm, cross, committeeTasks)
	}
	party, err := st.BurdenTasks(ctx, sys, store.BurdenTaskFilter{Body: model.OwnerParty, Limit: 1})
	if err != nil || party.Total == 0 {
		t.Errorf("the Party organizations' tasks: %v %v", party, err)
	}
}
