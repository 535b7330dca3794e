package store_test

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestSeedUnits: the demo's set-based formation puts every household of the communities in
// exactly one unit, as the partition proposes (the flat stairwell of 12 whole, the 7
// bungalows as an override with the reason), with the history and unit_households rows,
// refused to anyone but the system.
func TestSeedUnits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		ids := []int64{w.community.ID, w.community2.ID}
		staff := authz.Scope{UserID: 1, Role: model.RoleCommunityStaff, Path: w.community.Path}
		if _, _, err := st.SeedUnits(ctx, staff, ids, model.PartitionOptions{SplitLarge: true}, "演示", nil); err == nil {
			t.Fatal("staff seeded units")
		}
		var calls int
		n, hh, err := st.SeedUnits(ctx, authz.System(), ids, model.PartitionOptions{SplitLarge: true}, "演示", func(done, total int) { calls++ })
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 || hh != 27 || calls != 2 {
			t.Fatalf("seeded %d units of %d households in %d steps", n, hh, calls)
		}
		p, err := st.Units(ctx, authz.System(), store.UnitFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		total := 0
		for _, u := range p.Items {
			got[u.Name] = string(u.Basis) + "/" + u.OverrideReason
			total += u.Households
			ev, err := st.UnitEvents(ctx, authz.System(), u.ID)
			if err != nil || len(ev) != 1 || ev[0].Action != "formed" {
				t.Errorf("events of %s: %+v %v", u.Name, ev, err)
			}
			hs, err := st.UnitHouseholds(ctx, authz.System(), u.ID)
			if err != nil || len(hs) != u.Households {
				t.Errorf("households of %s: %d, %v", u.Name, len(hs), err)
			}
		}
		want := map[string]string{"1栋联建单元": "building/", "平房院联建单元": "override/演示", "8栋联建单元": "stairwell/"}
		if len(got) != len(want) || total != 27 {
			t.Fatalf("units %v (%d households)", got, total)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("unit %s = %q, want %q", k, got[k], v)
			}
		}
		var rows int
		if err := st.ReadDB().QueryRow(`SELECT COUNT(*) FROM unit_households`).Scan(&rows); err != nil || rows != 27 {
			t.Errorf("unit_households = %d, %v", rows, err)
		}
		// A second run finds nothing left to form.
		if n, _, err := st.SeedUnits(ctx, authz.System(), ids, model.PartitionOptions{}, "演示", nil); err != nil || n != 0 {
			t.Errorf("second run: %d, %v", n, err)
		}
	})
}
