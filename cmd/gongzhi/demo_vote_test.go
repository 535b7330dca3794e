package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoVotes: after `gongzhi demo` (twice), a few communities hold votes of compound
// affairs in every state, once each, the closed ones with results their ballots reproduce, and
// the resident and member accounts each find an open vote they are on the roll of and have not
// voted in.
func TestDemoVotes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	sys := authz.System()
	p, err := st.Votes(ctx, sys, store.VoteFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	states := map[model.VoteStatus]int{}
	communities := map[int64]bool{}
	for _, v := range p.Items {
		if v.RoundID != 0 {
			continue // the voting of a budget round (TestDemoBudget)
		}
		states[v.Status]++
		communities[v.CommunityID] = true
		if v.Status != model.VoteClosed {
			continue
		}
		if _, r, err := st.VoteResult(ctx, sys, v.ID); err != nil || !r.Reproduced {
			t.Errorf("closed vote %s: result %+v, %v; want one its ballots reproduce", v.Title, r, err)
		}
	}
	n := len(communities)
	// Open: two per community, and the demo's topics propose one more to a vote (demoTopics).
	if n == 0 || n > 1+demoVoteCommunities || states[model.VoteClosed] != 3*n || states[model.VoteOpen] < 2*n || states[model.VoteCancelled] != n {
		t.Errorf("%d votes by state %v in %d communities; want 3 closed, 2 open, 1 cancelled in each of a few", len(p.Items), states, n)
	}
	for _, name := range []string{"resident", "member"} {
		acc, err := st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := st.Votes(ctx, authz.ForUser(acc), store.VoteFilter{Status: model.VoteOpen})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, v := range mine.Items {
			found = found || v.Caller.OnRoll && !v.Caller.Voted && v.Accepting(st.Now())
		}
		if !found {
			t.Errorf("the %s account's open votes %+v: none to vote in", name, mine.Items)
		}
	}
}
