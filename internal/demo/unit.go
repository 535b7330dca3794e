package demo

import (
	"context"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// StageUnits: done/total count communities whose households were formed into units.
const StageUnits = "units"

// demoUnitReason is the recorded reason of the demo's units outside the 10–20 rule.
const demoUnitReason = "演示数据：住户不足，自成一个联建单元"

// units forms every community's households into joint-building units (联建单元, issue 9) with
// the same partition staff get on the proposal page, large buildings split by stairwell and
// floor (so units come to 10–20 households, some 66,000 at a million households), written
// set-based per community (store.SeedUnits), then counts them for coverage.
func units(ctx context.Context, st *store.Store, communities []*model.Territory, res *Result, progress func(stage string, done, total int)) error {
	ids := make([]int64, len(communities))
	for i, c := range communities {
		ids[i] = c.ID
	}
	n, _, err := st.SeedUnits(ctx, authz.System(), ids, model.PartitionOptions{SplitLarge: true}, demoUnitReason, func(done, total int) {
		progress(StageUnits, done, total)
	})
	if err != nil {
		return err
	}
	res.Units = n
	return st.RebuildUnitCounts(ctx)
}
