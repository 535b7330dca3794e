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

// TestUnitElections: every unit of the community holds a real election that closed months ago
// with its ballots (some by proxy) and tallies, and its winner is the unit's elected leader for
// the election's term; the open unit also has an open re-election with part of its households
// voted, not the avoided resident's; no avoided resident stands; a second run adds nothing.
func TestUnitElections(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, sys := context.Background(), authz.System()
		mk := func(parent int64, kind model.TerritoryKind, name string) *model.Territory {
			n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent, Kind: kind, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		district := mk(0, model.KindDistrict, "江油市")
		community := mk(mk(district.ID, model.KindStreet, "中坝街道").ID, model.KindCommunity, "天宝社区")
		g := &generator{seq: map[uint64]uint16{}}
		var units []int64
		var avoided, avoidedHousehold int64
		for i := range 3 {
			stair := mk(mk(community.ID, model.KindBuilding, fmt.Sprintf("%d栋", i+1)).ID, model.KindStairwell, "1单元")
			var ids []int64
			for j := range 12 {
				h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("%d栋1单元%d01室", i+1, j+1)})
				if err != nil {
					t.Fatal(err)
				}
				id, _ := g.idNumber(510781, time.Date(1960, 3, 1+j, 0, 0, 0, 0, time.UTC), j%2 == 0)
				r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: fmt.Sprintf("户主%d-%d", i+1, j+1), IDNumber: id, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				if i == 2 && j == 0 {
					avoided, avoidedHousehold = r.ID, h.ID
				}
				ids = append(ids, h.ID)
			}
			units = append(units, storetest.MustUnit(t, st, fmt.Sprintf("%d栋联建单元", i+1), ids...).ID)
		}
		open := units[2]
		avoid := map[int64]bool{avoided: true}
		res, err := UnitElections(ctx, st, community.ID, []int64{open}, open, avoid, 7, time.Now().In(model.Shanghai))
		if err != nil {
			t.Fatal(err)
		}
		if res.Closed != 3 || res.Open != 1 || res.Proxy == 0 || res.Proxy == res.Votes {
			t.Errorf("result %+v, want 3 closed, 1 open, some ballots by proxy and some not", res)
		}
		for _, id := range units {
			es, err := st.UnitElections(ctx, sys, id)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if id == open {
				want = 2
			}
			if len(es) != want {
				t.Fatalf("unit %d: %d elections, want %d", id, len(es), want)
			}
			closed := es[len(es)-1]
			if closed.Status != model.ElectionClosed || closed.Result != model.ResultElected || closed.ClosedAt == nil || !closed.ClosedAt.Before(time.Now().AddDate(0, -6, 0)) {
				t.Errorf("unit %d: past election %+v", id, closed)
			}
			sum, best, ties := 0, 0, 0
			for _, c := range closed.Candidates {
				if c.ResidentID == avoided {
					t.Errorf("unit %d: the avoided resident stands", id)
				}
				v := *c.Votes
				sum += v
				switch {
				case v > best:
					best, ties = v, 1
				case v == best:
					ties++
				}
			}
			if sum != closed.Voted || closed.Voted == 0 || closed.Voted > closed.Households || ties != 1 {
				t.Errorf("unit %d: tallies sum %d, voted %d of %d, %d at the top", id, sum, closed.Voted, closed.Households, ties)
			}
			u, err := st.Unit(ctx, sys, id)
			if err != nil {
				t.Fatal(err)
			}
			w := closed.Winner()
			if u.Leader == nil || w == nil || u.Leader.ResidentID != w.ResidentID || u.Leader.Method != model.LeaderElected || u.Leader.ElectionID != closed.ID ||
				u.Leader.Since != closed.ClosedAt.In(model.Shanghai).Format(time.DateOnly) {
				t.Errorf("unit %d: leader %+v, winner %+v", id, u.Leader, w)
			}
			if id != open {
				continue
			}
			now := es[0]
			if now.Status != model.ElectionOpen || !now.Accepting(time.Now()) || now.Voted == 0 || now.Voted >= now.Households {
				t.Errorf("open election %+v", now)
			}
			hs, err := st.ElectionHouseholds(ctx, sys, now.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				if h.ID == avoidedHousehold && h.Voted {
					t.Errorf("the avoided resident's household has voted in the open election")
				}
			}
		}
		again, err := UnitElections(ctx, st, community.ID, []int64{open}, open, avoid, 7, time.Now().In(model.Shanghai))
		if err != nil || again != (ElectionsResult{}) {
			t.Errorf("second run: %+v, %v", again, err)
		}
	})
}
