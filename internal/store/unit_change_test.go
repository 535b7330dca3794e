package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestUnitChanges: move a household, merge, split, dissolve, suggest and add a household that
// moved in later; bad changes (across a compound, a split below the bounds, no reason, a
// household in two units) change nothing.
func TestUnitChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		sc := authz.Scope{UserID: 1, Role: model.RoleCommunityStaff, Path: w.community.Path}
		u1 := storetest.MustUnit(t, st, "一单元联建单元", w.a...)
		u2 := storetest.MustUnit(t, st, "二单元联建单元", w.b...)
		u3 := storetest.MustUnit(t, st, "平房院联建单元", w.bun...)
		unit := func(id int64) *model.Unit {
			t.Helper()
			u, err := st.Unit(ctx, sc, id)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}

		if err := st.MoveHouseholdToUnit(ctx, sc, w.a[0], u2.ID); err != nil {
			t.Fatal(err)
		}
		if a, b := unit(u1.ID), unit(u2.ID); a.Households != 11 || b.Households != 6 || b.TerritoryID != w.building.ID {
			t.Fatalf("after move: %d, %d households, anchor %d", a.Households, b.Households, b.TerritoryID)
		}
		if err := st.MoveHouseholdToUnit(ctx, sc, w.bun[0], u1.ID); !strings.Contains(fieldErrOf(err), "不能跨小区") {
			t.Errorf("move across a compound: %v", err)
		}
		if got := unit(u3.ID).Households; got != 7 {
			t.Errorf("refused move changed the unit: %d", got)
		}
		if _, err := st.MergeUnits(ctx, sc, u3.ID, u1.ID); !strings.Contains(fieldErrOf(err), "不能跨小区") {
			t.Errorf("merge across a compound: %v", err)
		}
		merged, err := st.MergeUnits(ctx, sc, u2.ID, u1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if old := unit(u2.ID); merged.Households != 17 || old.Status != model.UnitMerged || old.SuccessorID != u1.ID || old.Households != 0 {
			t.Fatalf("merge: %+v / %+v", merged, old)
		}
		if _, err := st.MergeUnits(ctx, sc, u2.ID, u1.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("merge an ended unit: %v", err)
		}

		hs, err := st.UnitHouseholds(ctx, sc, u1.ID)
		if err != nil {
			t.Fatal(err)
		}
		var three, ten []int64
		for i, h := range hs {
			if i < 3 {
				three = append(three, h.ID)
			}
			if i < 10 {
				ten = append(ten, h.ID)
			}
		}
		if _, err := st.SplitUnit(ctx, sc, u1.ID, store.UnitSplitInput{Households: three}); !strings.Contains(fieldErrOf(err), "households: 联建单元有 3 户") {
			t.Errorf("split below the bounds: %v", err)
		}
		if got := unit(u1.ID).Households; got != 17 {
			t.Fatalf("refused split changed the unit: %d", got)
		}
		nu, err := st.SplitUnit(ctx, sc, u1.ID, store.UnitSplitInput{Households: ten})
		if err != nil {
			t.Fatal(err)
		}
		if nu.Name != "一单元联建单元（二）" || nu.Households != 10 || unit(u1.ID).Households != 7 {
			t.Fatalf("split: %+v, left %d", nu, unit(u1.ID).Households)
		}
		// A split ends nothing: the unit stays active with the households that stay, and the
		// two histories link each other.
		if u := unit(u1.ID); u.Status != model.UnitActive || u.EndedAt != nil || u.SuccessorID != 0 {
			t.Errorf("the unit split from: %+v", u)
		}
		nev, err := st.UnitEvents(ctx, sc, nu.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(nev) != 2 || nev[0].Action != "formed" || nev[1].Action != "split_from" || nev[1].RelatedUnitID != u1.ID || nev[0].RelatedUnitID != 0 {
			t.Errorf("history of the new unit: %+v", nev)
		}
		if ev, err := st.UnitEvents(ctx, sc, u2.ID); err != nil || len(ev) == 0 || ev[len(ev)-1].Action != "merged" || ev[len(ev)-1].RelatedUnitID != u1.ID {
			t.Errorf("history of the merged unit: %+v %v", ev, err)
		}

		if err := st.DissolveUnit(ctx, sc, u3.ID, " "); !strings.Contains(fieldErrOf(err), "reason") {
			t.Errorf("dissolve without a reason: %v", err)
		}
		if err := st.DissolveUnit(ctx, sc, u3.ID, "院落拆迁"); err != nil {
			t.Fatal(err)
		}
		if u := unit(u3.ID); u.Status != model.UnitDissolved || u.Households != 0 || u.EndedAt == nil {
			t.Fatalf("dissolved %+v", u)
		}
		ev, err := st.UnitEvents(ctx, sc, u1.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range ev {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, ","); got != "formed,household_removed,merged_in,split" {
			t.Errorf("history = %s", got)
		}
		if mi, sp := ev[2], ev[3]; mi.RelatedUnitID != u2.ID || sp.RelatedUnitID != nu.ID || ev[0].RelatedUnitID != 0 {
			t.Errorf("links: merged_in → %d, split → %d, formed → %d", mi.RelatedUnitID, sp.RelatedUnitID, ev[0].RelatedUnitID)
		}

		// A household that moves in later is offered the nearest units with room.
		newcomer := mustHousehold(t, st, w.stairwell, "1栋1单元13号")
		sug, err := st.UnitSuggestions(ctx, sc, newcomer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sug) != 2 || sug[0].Unit.Households > sug[1].Unit.Households && sug[0].Near == sug[1].Near {
			t.Fatalf("suggestions %+v", sug)
		}
		bungalow := mustHousehold(t, st, w.compound, "平房院8号")
		if sug, err := st.UnitSuggestions(ctx, sc, bungalow.ID); err != nil || len(sug) != 0 {
			t.Errorf("suggestions across a compound: %+v %v", sug, err)
		}
		// Twenty adds of the newcomer at once, into the two units: one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := st.AddHouseholdToUnit(ctx, sc, newcomer.ID, sug[i%2].Unit.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, model.ErrConflict):
					conflicts++
				default:
					t.Errorf("add %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || conflicts != 19 {
			t.Fatalf("adds: %d ok, %d conflicts", ok, conflicts)
		}
		if _, err := st.UnitSuggestions(ctx, sc, newcomer.ID); !strings.Contains(fieldErrOf(err), "已在联建单元中") {
			t.Errorf("suggestions for a household in a unit: %v", err)
		}
		other := authz.Scope{UserID: 2, Role: model.RoleCommunityStaff, Path: w.community2.Path}
		if err := st.DissolveUnit(ctx, other, u1.ID, "x"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("dissolve out of scope: %v", err)
		}
	})
}

// TestUnitWritesConcurrently: forms, merges, splits and dissolves of different units at once
// (every one changes the maintained counts of the same ancestors) all succeed: on PostgreSQL
// they take the counts' rows in one order and wait instead of deadlocking.
func TestUnitWritesConcurrently(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		sys := authz.System()
		pair := func() []int64 {
			return []int64{mustHousehold(t, st, w.stairwell, "x").ID, mustHousehold(t, st, w.stairwell, "y").ID}
		}
		const n = 8
		var merges, dissolves, splits [n]int64
		var forms [n][]int64
		for i := range n {
			merges[i] = storetest.MustUnit(t, st, "并", pair()...).ID
			dissolves[i] = storetest.MustUnit(t, st, "散", pair()...).ID
			splits[i] = storetest.MustUnit(t, st, "拆", pair()...).ID
			forms[i] = pair()
		}
		into := storetest.MustUnit(t, st, "收", pair()...).ID
		var wg sync.WaitGroup
		errs := make(chan error, 4*n)
		for i := range n {
			wg.Add(4)
			go func() {
				defer wg.Done()
				_, err := st.FormUnits(ctx, sys, []model.UnitDraft{{Name: "新", Basis: model.UnitOverride, OverrideReason: "r", Households: forms[i]}})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := st.MergeUnits(ctx, sys, merges[i], into)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				errs <- st.DissolveUnit(ctx, sys, dissolves[i], "测试")
			}()
			go func() {
				defer wg.Done()
				hs, err := st.UnitHouseholds(ctx, sys, splits[i])
				if err == nil {
					_, err = st.SplitUnit(ctx, sys, splits[i], store.UnitSplitInput{Households: []int64{hs[0].ID}, OverrideReason: "r"})
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if u, err := st.Unit(ctx, sys, into); err != nil || u.Households != 2+2*n {
			t.Errorf("merged into: %+v, %v", u, err)
		}
	})
}
