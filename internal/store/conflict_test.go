package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// conflictFixture: a resident in community 1 holding held, and accounts of both communities and
// of their street.
type conflictFixture struct {
	tr                      tree
	held                    string
	holder                  *model.Resident
	home                    *model.Household // the holder's household (community 1)
	other                   *model.Household // a household in community 2
	admin1, admin2, streetA authz.Scope
}

func mustConflictFixture(t *testing.T, st *store.Store) conflictFixture {
	t.Helper()
	ctx := context.Background()
	var f conflictFixture
	f.tr = mustTree(t, st)
	f.held = validID("510781", "19620304", 11)
	f.home = mustHousehold(t, st, f.tr.stairwell, "1栋1单元101", model.ResidentInput{Name: "王建国", IDNumber: f.held, Relation: model.RelationHead})
	f.other = mustHousehold(t, st, f.tr.stairwell2, "8栋2单元202")
	p, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: f.home.ID})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("holder: %v", err)
	}
	f.holder = p.Items[0]
	f.admin1 = authz.ForUser(mustAccount(t, st, "admin1", model.RoleCommunityAdmin, f.tr.community.ID, ""))
	f.admin2 = authz.ForUser(mustAccount(t, st, "admin2", model.RoleCommunityAdmin, f.tr.community2.ID, ""))
	f.streetA = authz.ForUser(mustAccount(t, st, "street", model.RoleStreetAdmin, f.tr.street.ID, ""))
	return f
}

// idFieldMessage is the message of the id_number field error of err ("" when none).
func idFieldMessage(err error) string {
	var ve *model.ValidationError
	if !errors.As(err, &ve) {
		return ""
	}
	for _, f := range ve.Fields {
		if f.Field == "id_number" || len(f.Field) > 10 && f.Field[len(f.Field)-10:] == ".id_number" {
			return f.Message
		}
	}
	return ""
}

func mustConflicts(t *testing.T, st *store.Store, sc authz.Scope) []*model.IDConflict {
	t.Helper()
	p, err := st.IDConflicts(context.Background(), sc, store.ConflictFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatalf("IDConflicts: %v", err)
	}
	if int(p.Total) != len(p.Items) {
		t.Errorf("IDConflicts total = %d, items %d", p.Total, len(p.Items))
	}
	return p.Items
}

func TestDuplicateIDWithoutDisclosure(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustConflictFixture(t, st)

		// Outside the caller's scope: the neutral message, and the attempt is recorded.
		_, err := st.CreateResident(ctx, f.admin2, model.ResidentInput{HouseholdID: f.other.ID, Name: "王建国", IDNumber: f.held, Relation: model.RelationHead})
		if got := idFieldMessage(err); got != model.DuplicateIDMessage {
			t.Fatalf("out of scope: %v, want the field error %q", err, model.DuplicateIDMessage)
		}
		// Inside: the precise message, and nothing to record (the caller sees the holder).
		in1 := mustHousehold(t, st, f.tr.stairwell, "1栋1单元102")
		_, err = st.CreateResident(ctx, f.admin1, model.ResidentInput{HouseholdID: in1.ID, Name: "王建国", IDNumber: f.held, Relation: model.RelationHead})
		if got := idFieldMessage(err); got != model.DuplicateIDInScopeMessage {
			t.Fatalf("in scope: %v, want %q", err, model.DuplicateIDInScopeMessage)
		}
		// A change of an ID number to one held elsewhere: the same.
		r2, err := st.CreateResident(ctx, f.admin2, model.ResidentInput{HouseholdID: f.other.ID, Name: "李四", IDNumber: validID("510781", "19800101", 22), Relation: model.Relations[1]})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.UpdateResident(ctx, f.admin2, r2.ID, model.ResidentInput{Name: "李四", IDNumber: f.held, Relation: model.Relations[1]})
		if got := idFieldMessage(err); got != model.DuplicateIDMessage {
			t.Fatalf("update out of scope: %v", err)
		}
		// A household created with the refused resident in one transaction: the attempt is
		// recorded without the household, which was rolled back.
		err = st.Tx(ctx, func(tx *store.Tx) error {
			h, err := tx.CreateHousehold(ctx, f.admin2, model.HouseholdInput{TerritoryID: f.tr.stairwell2.ID, Address: "8栋2单元303"})
			if err != nil {
				return err
			}
			_, err = tx.CreateResident(ctx, f.admin2, model.ResidentInput{HouseholdID: h.ID, Name: "王建国", IDNumber: f.held, Relation: model.RelationHead})
			return err
		})
		if got := idFieldMessage(err); got != model.DuplicateIDMessage {
			t.Fatalf("household with residents: %v", err)
		}

		// Who sees the record: the street (the common ancestor), not either community.
		if got := mustConflicts(t, st, f.admin1); len(got) != 0 {
			t.Errorf("community 1 sees %d conflicts, want 0", len(got))
		}
		if got := mustConflicts(t, st, f.admin2); len(got) != 0 {
			t.Errorf("community 2 (the requester) sees %d conflicts, want 0", len(got))
		}
		all := mustConflicts(t, st, f.streetA)
		if len(all) != 3 {
			t.Fatalf("street sees %d conflicts, want 3", len(all))
		}
		byHousehold, update := all[0], all[1]
		create := all[2]
		if create.Source != model.ConflictFromCreate || create.ResidentID != f.holder.ID || create.TargetHouseholdID != f.other.ID ||
			create.CommonPath != f.tr.street.Path || create.HolderPath != f.home.Path || create.Attempt.IDNumber != f.held ||
			create.Attempt.Name != "王建国" || create.Status != model.ConflictOpen || create.RequesterName != "admin2" {
			t.Errorf("create conflict = %+v", create)
		}
		if update.Source != model.ConflictFromUpdate || update.TargetHouseholdID != f.other.ID {
			t.Errorf("update conflict = %+v", update)
		}
		if byHousehold.TargetHouseholdID != 0 || byHousehold.TargetTerritoryID != f.tr.stairwell2.ID {
			t.Errorf("conflict of a rolled-back household = %+v, want no household, node %d", byHousehold, f.tr.stairwell2.ID)
		}
		if _, err := st.IDConflict(ctx, f.admin2, create.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("requester reads its conflict: %v, want not found", err)
		}
		recs := mustAudit(t, st, authz.System(), store.AuditFilter{Action: "resident.id_conflict"})
		if len(recs) != 3 || recs[0].Scope != f.tr.street.Path || recs[0].ActorName != "admin2" {
			t.Errorf("audit of attempts = %d records (%+v)", len(recs), recs)
		}

		// Outside the scope, handling is 404; the street transfers the holder into the household.
		if _, err := st.TransferIDConflict(ctx, f.admin2, create.ID, 0, ""); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("requester transfers: %v, want not found", err)
		}
		got, err := st.TransferIDConflict(ctx, f.streetA, create.ID, 0, "核实为同一人，已搬家")
		if err != nil || got.Status != model.ConflictTransferred {
			t.Fatalf("transfer: %+v, %v", got, err)
		}
		moved, err := st.Resident(ctx, authz.System(), f.holder.ID)
		if err != nil || moved.HouseholdID != f.other.ID || moved.TerritoryID != f.tr.stairwell2.ID {
			t.Errorf("moved resident = %+v, %v", moved, err)
		}
		home, _ := st.Household(ctx, authz.System(), f.home.ID)
		other, _ := st.Household(ctx, authz.System(), f.other.ID)
		if home.Members != 0 || home.HeadName != "" || other.Members != 2 || other.HeadName != "王建国" {
			t.Errorf("after the transfer: home %d members head %q, other %d members head %q", home.Members, home.HeadName, other.Members, other.HeadName)
		}
		if _, err := st.TransferIDConflict(ctx, f.streetA, create.ID, 0, ""); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second transfer: %v, want conflict", err)
		}
		// The household of the rolled-back request is gone: a transfer names one under the node.
		if _, err := st.TransferIDConflict(ctx, f.streetA, byHousehold.ID, f.home.ID, ""); idFieldMessageOf(err, "household_id") == "" {
			t.Errorf("transfer into a household outside the requested node: %v", err)
		}
		if got, err := st.RejectIDConflict(ctx, f.streetA, byHousehold.ID, "重复登记"); err != nil || got.Status != model.ConflictRejected || got.Note != "重复登记" {
			t.Errorf("reject: %+v, %v", got, err)
		}
		if _, err := st.RejectIDConflict(ctx, f.streetA, byHousehold.ID, ""); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second reject: %v, want conflict", err)
		}
		for _, a := range []string{"id_conflict.transfer", "id_conflict.reject", "resident.move"} {
			if recs := mustAudit(t, st, authz.System(), store.AuditFilter{Action: a}); len(recs) != 1 {
				t.Errorf("audit %s: %d records, want 1", a, len(recs))
			}
		}
		mustVerify(t, st)
	})
}

func idFieldMessageOf(err error, field string) string {
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			if f.Field == field {
				return f.Message
			}
		}
	}
	return ""
}

// TestConflictTransferRace: of 50 handlers transferring one conflict at once, exactly one moves
// the resident; the others are told it was handled.
func TestConflictTransferRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustConflictFixture(t, st)
		_, err := st.CreateResident(ctx, f.admin2, model.ResidentInput{HouseholdID: f.other.ID, Name: "王建国", IDNumber: f.held, Relation: model.RelationHead})
		if idFieldMessage(err) != model.DuplicateIDMessage {
			t.Fatalf("create: %v", err)
		}
		c := mustConflicts(t, st, f.streetA)[0]
		const n = 50
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = st.TransferIDConflict(ctx, f.streetA, c.ID, 0, "")
			}()
		}
		wg.Wait()
		ok, handled := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, model.ErrConflict):
				handled++
			default:
				t.Errorf("transfer: %v", err)
			}
		}
		if ok != 1 || handled != n-1 {
			t.Errorf("%d transfers succeeded, %d refused; want 1 and %d", ok, handled, n-1)
		}
		other, _ := st.Household(ctx, authz.System(), f.other.ID)
		if other.Members != 1 {
			t.Errorf("target household has %d members, want 1", other.Members)
		}
		if recs := mustAudit(t, st, authz.System(), store.AuditFilter{Action: "resident.move"}); len(recs) != 1 {
			t.Errorf("%d moves audited, want 1", len(recs))
		}
	})
}

// TestConflictAttemptsLimited: attempts count against the account's hourly lookup limit; over
// it the write answers model.RateLimitError, records no conflict and leaves a denied audit record.
func TestConflictAttemptsLimited(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			testConflictAttemptsLimited(t, storetest.Open(t, engine, store.WithLookupLimit(2)))
		})
	}
}

func testConflictAttemptsLimited(t *testing.T, st *store.Store) {
	ctx := context.Background()
	f := mustConflictFixture(t, st)
	others := []string{validID("510781", "19630101", 31), validID("510781", "19640101", 41)}
	for _, id := range others {
		mustHousehold(t, st, f.tr.stairwell, "另一户", model.ResidentInput{Name: "某人", IDNumber: id, Relation: model.RelationHead})
	}
	for i, id := range append([]string{f.held}, others...) {
		_, err := st.CreateResident(ctx, f.admin2, model.ResidentInput{HouseholdID: f.other.ID, Name: "某人", IDNumber: id, Relation: model.Relations[1]})
		var rl *model.RateLimitError
		switch {
		case i < 2 && idFieldMessage(err) != model.DuplicateIDMessage:
			t.Errorf("attempt %d: %v, want the neutral message", i, err)
		case i == 2 && !errors.As(err, &rl):
			t.Errorf("attempt %d over the limit: %v, want a rate limit error", i, err)
		}
	}
	if got := mustConflicts(t, st, f.streetA); len(got) != 2 {
		t.Errorf("%d conflicts recorded, want 2", len(got))
	}
	if recs := mustAudit(t, st, authz.System(), store.AuditFilter{Action: "resident.id_conflict", Result: model.AuditDenied}); len(recs) != 1 {
		t.Errorf("%d denied attempts audited, want 1", len(recs))
	}
	mustVerify(t, st)
}

// TestConflictAttemptRotation: a recorded attempt is sealed like the resident's own data,
// counted by KeyUsage and sealed again by key rotation, so the old key can be retired.
func TestConflictAttemptRotation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustConflictFixture(t, st)
		before, err := st.KeyUsage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.CreateResident(ctx, f.admin2, model.ResidentInput{HouseholdID: f.other.ID, Name: "王建国", IDNumber: f.held, Relation: model.RelationHead})
		if idFieldMessage(err) != model.DuplicateIDMessage {
			t.Fatalf("create: %v", err)
		}
		after, err := st.KeyUsage(ctx)
		if err != nil || after["t1"] != before["t1"]+1 {
			t.Fatalf("KeyUsage = %v (before %v), %v; want one more sealed value", after, before, err)
		}
		k2, _ := pii.NewKey("t2")
		both, err := pii.New(append([]pii.Key{k2}, storetest.Keyring(t).Keys()...))
		if err != nil {
			t.Fatal(err)
		}
		rotated, err := store.Open(ctx, store.DSNOf(st), store.WithKeys(both))
		if err != nil {
			t.Fatal(err)
		}
		defer rotated.Close()
		if _, err := rotated.Reencrypt(ctx, 10, nil); err != nil {
			t.Fatal(err)
		}
		if use, err := rotated.KeyUsage(ctx); err != nil || use["t1"] != 0 {
			t.Fatalf("KeyUsage after rotation = %v, %v", use, err)
		}
		var keys []pii.Key
		for _, k := range both.Keys() {
			if k.ID != "t1" {
				keys = append(keys, k)
			}
		}
		only, err := pii.New(keys)
		if err != nil {
			t.Fatal(err)
		}
		retired, err := store.Open(ctx, store.DSNOf(st), store.WithKeys(only))
		if err != nil {
			t.Fatal(err)
		}
		defer retired.Close()
		if got := mustConflicts(t, retired, f.streetA); len(got) != 1 || got[0].Attempt.IDNumber != f.held {
			t.Errorf("conflicts after retiring t1 = %+v", got)
		}
	})
}

// TestConflictHolderMovedAway: when the holder's part of the tree moves out of the viewer's
// scope after the attempt, the record no longer says who or where the holder is.
func TestConflictHolderMovedAway(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustConflictFixture(t, st)
		_, err := st.CreateResident(ctx, f.admin2, model.ResidentInput{HouseholdID: f.other.ID, Name: "王建国", IDNumber: f.held, Relation: model.RelationHead})
		if idFieldMessage(err) != model.DuplicateIDMessage {
			t.Fatalf("create: %v", err)
		}
		if got := mustConflicts(t, st, f.streetA); len(got) != 1 || got[0].ResidentName != "王建国" || got[0].HolderTerritoryID == 0 {
			t.Fatalf("before the move: %+v", got)
		}
		sys := authz.System()
		s2, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: f.tr.district.ID, Kind: model.KindStreet, Name: "太白街道"})
		if err != nil {
			t.Fatal(err)
		}
		c3, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: s2.ID, Kind: model.KindCommunity, Name: "太白社区"})
		if err != nil {
			t.Fatal(err)
		}
		g3, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: c3.ID, Kind: model.KindGrid, Name: "太白一网格"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.MoveTerritory(ctx, sys, f.tr.building.ID, g3.ID); err != nil {
			t.Fatal(err)
		}
		got := mustConflicts(t, st, f.streetA)
		if len(got) != 1 || got[0].ResidentID != 0 || got[0].ResidentName != "" || got[0].HolderTerritoryID != 0 || got[0].HolderTerritoryName != "" {
			t.Errorf("after the holder moved away the street sees %+v", got)
		}
		if _, err := st.TransferIDConflict(ctx, f.streetA, got[0].ID, 0, ""); !errors.Is(err, model.ErrConflict) {
			t.Errorf("transfer of a holder out of scope: %v, want conflict", err)
		}
		if all := mustConflicts(t, st, authz.System()); len(all) != 1 || all[0].ResidentName != "王建国" {
			t.Errorf("the system admin sees %+v", all)
		}
	})
}
