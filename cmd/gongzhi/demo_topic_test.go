package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// TestDemoTopics: after `gongzhi demo` (twice), the demo resident finds the topics near its
// household — raised once, with replies, one reply hidden with a reason that the resident reads
// instead of its text, and one topic proposed to a vote the resident may vote in.
func TestDemoTopics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	acc, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	sc := authz.ForUser(acc)
	p, err := st.Topics(ctx, sc, store.TopicFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 4 {
		t.Errorf("the resident sees %d topics near it, want the demo's 4 once", p.Total)
	}
	var hidden, proposed int
	for _, tp := range p.Items {
		_, replies, err := st.Topic(ctx, sc, tp.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range replies {
			if r.Hidden() {
				hidden++
				if !r.Withheld || r.Body != "" || r.HiddenReason == "" {
					t.Errorf("a hidden reply as the resident reads it: %+v", r)
				}
			}
		}
		if tp.VoteID != 0 {
			proposed++
			v, err := st.Vote(ctx, sc, tp.VoteID)
			if err != nil || !v.Caller.OnRoll {
				t.Errorf("the topic's vote: %+v, %v", v, err)
			}
		}
	}
	if hidden != 1 || proposed != 1 {
		t.Errorf("%d hidden replies and %d proposed topics, want 1 and 1", hidden, proposed)
	}
}
