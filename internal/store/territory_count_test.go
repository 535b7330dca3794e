package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestCountsConcurrent: households created and moved away at once in two stairwells under one
// grid all add to the same ancestors' counts. On PostgreSQL one UPDATE … WHERE id IN (the
// path's nodes) locked those rows in whatever order its scan met them, which changes as rows
// are updated: two writers could lock them in opposite orders and deadlock (40P01; seen in
// TestDutyReplanConcurrent). Every write succeeds, and the counts come out exact.
func TestCountsConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, sys := context.Background(), authz.System()
		tr := mustTree(t, st)
		other, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: tr.building.ID, Kind: model.KindStairwell, Name: "2单元"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		var moving []int64
		for i := range n {
			moving = append(moving, mustHousehold(t, st, tr.stairwell, fmt.Sprintf("1单元%d室", 100+i)).ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: other.ID, Address: fmt.Sprintf("2单元%d室", 100+i)})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := st.MoveOutHousehold(ctx, sys, moving[i], model.MoveOut{Date: "2026-03-10"})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for node, want := range map[*model.Territory]int64{tr.stairwell: 0, other: n, tr.building: n, tr.grid: n, tr.community: n, tr.district: n} {
			got, err := st.Territory(ctx, sys, node.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Households != want {
				t.Errorf("%s: %d households, want %d", node.Name, got.Households, want)
			}
		}
	})
}
