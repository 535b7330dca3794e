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
	withTerm, cross := 0, 0
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
	}
	if withTerm == 0 || cross == 0 {
		t.Errorf("%d communities with a term, %d cross appointments", withTerm, cross)
	}
}
