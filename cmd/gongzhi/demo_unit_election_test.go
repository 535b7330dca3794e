package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoElections: after `gongzhi demo` (twice), units of the demo community have closed
// elections with tallies (at most demo.MaxDemoElections of them), the unit leader account is
// the elected leader of its unit through a recorded election, and the resident account's phone
// page has an open election of its unit to vote in.
func TestDemoElections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	sys := authz.System()
	unitAcc, err := st.UserByUsername(ctx, "unit")
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Unit(ctx, sys, unitAcc.UnitID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Leader == nil || u.Leader.Method != model.LeaderElected || u.Leader.ElectionID == 0 {
		t.Fatalf("the demo unit's leader: %+v, want elected in a recorded election", u.Leader)
	}
	if r, _, unit, err := st.AccountUnit(ctx, unitAcc.ID); err != nil || r != u.Leader.ResidentID || unit != u.ID {
		t.Errorf("unit leader account linked to resident %d of unit %d (%v), want the leader %d of unit %d", r, unit, err, u.Leader.ResidentID, u.ID)
	}
	e, err := st.UnitElection(ctx, sys, u.Leader.ElectionID)
	if err != nil || e.Status != model.ElectionClosed || e.Result != model.ResultElected || e.Voted == 0 {
		t.Errorf("the election of the demo unit's leader: %+v, %v", e, err)
	}
	res, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := st.OwnUnitElection(ctx, authz.ForUser(res))
	if err != nil || mine.Status != model.ElectionOpen || mine.HouseholdVoted || len(mine.Candidates) == 0 {
		t.Errorf("the resident's election: %+v, %v; want an open one it has not voted in", mine, err)
	}
	var closed, open int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM unit_elections WHERE status = 'closed'`).Scan(&closed); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM unit_elections WHERE status = 'open'`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	if closed == 0 || closed > demo.MaxDemoElections+2 || open != 1 {
		t.Errorf("%d closed and %d open elections, want a bounded number closed and one open", closed, open)
	}
	// Every unit of the demo community (when there are no more than the bound) held one.
	ca, err := st.UserByUsername(ctx, "community")
	if err != nil {
		t.Fatal(err)
	}
	units, err := st.Units(ctx, sys, store.UnitFilter{Under: ca.ScopeID, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(units.Items) <= demo.MaxDemoElections {
		for _, u := range units.Items {
			es, err := st.UnitElections(ctx, sys, u.ID)
			if err != nil || len(es) == 0 || es[len(es)-1].Status != model.ElectionClosed {
				t.Errorf("demo community unit %s: elections %v, %v; want a closed one", u.Name, es, err)
			}
		}
	}
	t.Logf("%d units in the demo community, %d closed elections", len(units.Items), closed)
}
