package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestUnitFormationJob: a street's formation proposes per community with households to form,
// skips the others, and links the proposals in its result; a community is refused at once.
func TestUnitFormationJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustFixture(t, st)
		for i := range 25 {
			if _, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("%d室", 101+i)}); err != nil {
				t.Fatal(err)
			}
		}
		street, err := st.Territory(ctx, authz.System(), f.community.ParentID)
		if err != nil {
			t.Fatal(err)
		}
		admin, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: "street_admin", DisplayName: "街道", Password: "Jobs-Test-Passphrase-2026",
			Role: model.RoleStreetAdmin, ScopeID: street.ID, TOTPSecret: authz.NewTOTPSecret()})
		if err != nil {
			t.Fatal(err)
		}
		q := mustQueue(t, st, jobs.Options{})
		sc := authz.ForUser(admin)
		if _, err := q.SubmitUnitFormation(ctx, sc, jobs.UnitFormationParams{NodeID: f.community.ID}); err == nil {
			t.Error("a formation job for a community was accepted")
		}
		j, err := q.SubmitUnitFormation(ctx, sc, jobs.UnitFormationParams{NodeID: street.ID, SplitLarge: true})
		if err != nil {
			t.Fatal(err)
		}
		j = waitFinal(t, st, j.ID)
		if j.Status != model.JobSucceeded || j.Percent() != 100 {
			t.Fatalf("job = %+v", j)
		}
		var res jobs.UnitFormationResult
		if err := json.Unmarshal(j.Result, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Proposals) != 1 || res.Skipped != 1 || res.Proposals[0].CommunityID != f.community.ID || res.Proposals[0].Units != 2 {
			t.Fatalf("result = %+v", res)
		}
		p, err := st.UnitProposal(ctx, sc, res.Proposals[0].ProposalID)
		if err != nil || p.Status != model.ProposalDraft || !p.Options.SplitLarge || p.Quality.Households != 25 {
			t.Fatalf("proposal %+v, %v", p, err)
		}
	})
}
