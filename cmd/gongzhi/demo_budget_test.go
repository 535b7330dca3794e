package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoBudget: after `gongzhi demo` (twice), the demo community has last year's round decided
// within its budget, with winners carried out (milestones, a photo each, one done), and this
// year's round in voting that the resident account may still vote in; another community has a
// round collecting proposals; nothing twice.
func TestDemoBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	sys := authz.System()
	p, err := st.BudgetRounds(ctx, sys, store.BudgetRoundFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	states := map[model.BudgetRoundStatus]int{}
	for _, r := range p.Items {
		states[r.Status]++
		if r.Status != model.RoundDecided {
			continue
		}
		if r.UsedFen <= 0 || r.UsedFen > r.BudgetFen {
			t.Errorf("decided round %s: used %d of %d fen", r.Title, r.UsedFen, r.BudgetFen)
		}
		won, err := st.SmallProjects(ctx, sys, store.SmallProjectFilter{Round: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		var winners, done, photos, lost int
		for _, x := range won.Items {
			switch {
			case x.Status.Winner():
				winners++
				if x.Status == model.SmallDone {
					done++
				}
				if len(x.Photos) > 0 && len(x.Milestones) > 0 {
					photos++
				}
			case x.Status == model.SmallLost:
				lost++
			}
		}
		if winners < 2 || done < 1 || photos != winners || lost < 1 {
			t.Errorf("decided round %s: %d winners (%d done, %d with photos and milestones), %d lost", r.Title, winners, done, photos, lost)
		}
	}
	if states[model.RoundDecided] != 1 || states[model.RoundVoting] != 1 || states[model.RoundProposing] != 1 || len(p.Items) != 3 {
		t.Errorf("rounds by state %v; want one decided, one voting, one collecting", states)
	}
	acc, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := st.BudgetRounds(ctx, authz.ForUser(acc), store.BudgetRoundFilter{Status: model.RoundVoting})
	if err != nil || len(mine.Items) != 1 {
		t.Fatalf("the resident's rounds in voting: %+v, %v", mine, err)
	}
	v, err := st.Vote(ctx, authz.ForUser(acc), mine.Items[0].VoteID)
	if err != nil || !v.Caller.OnRoll || v.Caller.Voted || !v.Accepting(st.Now()) {
		t.Errorf("the resident's vote of the round: %+v, %v", v, err)
	}
}
