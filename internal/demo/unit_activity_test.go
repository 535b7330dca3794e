package demo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestUnitActivities: nine units get two or three records each over the last three months, all
// five categories, one hardship case, photos on the first records; the counters equal a recount;
// a second run adds nothing; the same day gives the same records.
func TestUnitActivities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		mk := func(parent int64, kind model.TerritoryKind, name string) *model.Territory {
			n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent, Kind: kind, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		district := mk(0, model.KindDistrict, "江油市")
		community := mk(mk(district.ID, model.KindStreet, "中坝街道").ID, model.KindCommunity, "天宝社区")
		for i := range 9 {
			stair := mk(mk(community.ID, model.KindBuilding, fmt.Sprintf("%d栋", i+1)).ID, model.KindStairwell, "1单元")
			var ids []int64
			for j := range 3 {
				h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("%d栋1单元%d01室", i+1, j+1)})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, h.ID)
			}
			storetest.MustUnit(t, st, fmt.Sprintf("%d栋联建单元", i+1), ids...)
		}
		opts := Options{Today: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
		n, err := UnitActivities(ctx, st, opts)
		if err != nil {
			t.Fatal(err)
		}
		if n < 18 || n > 27 {
			t.Errorf("%d records for 9 units, want 2 or 3 each", n)
		}
		page, err := st.UnitActivities(ctx, sys, store.UnitActivityFilter{Limit: 100})
		if err != nil || int(page.Total) != n {
			t.Fatalf("listed %v, %v; want %d", page, err, n)
		}
		cats, cases, photos := map[model.ActivityCategory]bool{}, 0, 0
		for _, a := range page.Items {
			cats[a.Category] = true
			if a.Case != nil {
				cases++
			}
			photos += len(a.Photos)
			if a.Date > "2026-11-20" || a.Date < "2026-07-01" || len(a.Households) == 0 {
				t.Errorf("record %+v", a)
			}
		}
		if len(cats) != 5 || cases == 0 || photos == 0 {
			t.Errorf("%d categories, %d cases, %d photos", len(cats), cases, photos)
		}
		top, _, err := st.UnitCoverage(ctx, sys, community.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.RebuildUnitCounts(ctx); err != nil {
			t.Fatal(err)
		}
		again, _, _ := st.UnitCoverage(ctx, sys, community.ID)
		if fmt.Sprint(top) != fmt.Sprint(again) || top.Units != 9 || top.InUnits != 27 {
			t.Errorf("coverage loaded %+v, recounted %+v", top, again)
		}
		if m, err := UnitActivities(ctx, st, opts); err != nil || m != 0 {
			t.Errorf("second run: %d, %v", m, err)
		}
	})
}
