package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoSurveys: after `gongzhi demo` (twice), the demo street has a year of closed quarterly
// perception rounds and an open one, once; the demo community's trend has an index for each
// past round, by grid too, and the demo resident may answer the open round.
func TestDemoSurveys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	acc, err := st.UserByUsername(ctx, "street")
	if err != nil {
		t.Fatal(err)
	}
	sc := authz.ForUser(acc)
	p, err := st.Surveys(ctx, sc, store.SurveyFilter{Kind: model.SurveyPerception, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[model.SurveyStatus]int{}
	for _, s := range p.Items {
		statuses[s.Status]++
	}
	if statuses[model.SurveyClosed] != demo.PerceptionRounds || statuses[model.SurveyOpen] != 1 {
		t.Errorf("perception rounds by status %v", statuses)
	}
	staff, err := st.UserByUsername(ctx, "staff")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := st.PerceptionTrend(ctx, authz.ForUser(staff), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Periods) != demo.PerceptionRounds+1 || len(tr.Areas) == 0 {
		t.Fatalf("trend: periods %v, %d areas", tr.Periods, len(tr.Areas))
	}
	for _, pt := range tr.Total.Points[:demo.PerceptionRounds] {
		if pt.Index == nil || *pt.Index <= 0 || *pt.Index >= 100 {
			t.Errorf("the community's index in %s: %v (%d responses)", pt.Period, pt.Index, pt.Responses)
		}
	}
	first, last := tr.Total.Points[0], tr.Total.Points[demo.PerceptionRounds-1]
	if *last.Index <= *first.Index {
		t.Errorf("no improvement over the year: %.1f → %.1f", *first.Index, *last.Index)
	}
	res, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	open, err := st.Surveys(ctx, authz.ForUser(res), store.SurveyFilter{Status: model.SurveyOpen, Kind: model.SurveyPerception})
	if err != nil || len(open.Items) != 1 || !open.Items[0].Caller.Eligible || open.Items[0].Caller.Answered {
		t.Errorf("the demo resident's open round: %+v %v", open, err)
	}
}
