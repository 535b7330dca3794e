package store_test

import (
	"context"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func TestBulk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		var grid int64
		err := st.Bulk(ctx, func(b *store.Bulk) error {
			b.RecordEvents("imported", 0)
			var err error
			if grid, err = b.AddTerritory(tr.community.ID, model.KindGrid, "第九网格", ""); err != nil {
				return err
			}
			for i := range 3 {
				h := &model.Household{TerritoryID: grid, Address: "10" + string(rune('1'+i)) + "室", HeadName: "户主", Members: 1}
				if err := b.AddHousehold(h); err != nil {
					return err
				}
				r := &model.Resident{HouseholdID: h.ID, TerritoryID: grid, Name: "户主", Gender: model.GenderMale,
					BirthDate: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), IDNumber: validID("510781", "19600101", 100+i),
					Relation: model.RelationHead, PoliticalStatus: model.StatusMasses}
				if err := b.AddResident(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id     int64
			hh, rs int64
		}{{grid, 3, 3}, {tr.community.ID, 3, 3}, {tr.district.ID, 3, 3}, {tr.community2.ID, 0, 0}} {
			n, err := st.Territory(ctx, sys, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if n.Households != c.hh || n.Residents != c.rs {
				t.Errorf("%s counts = %d/%d, want %d/%d", n.Name, n.Households, n.Residents, c.hh, c.rs)
			}
		}
		if err := st.Analyze(ctx); err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		page, err := st.Households(ctx, sys, store.HouseholdFilter{Under: grid})
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("households under the bulk grid = %v, %v", page, err)
		}
		events, err := st.HouseholdEvents(ctx, sys, page.Items[0].ID)
		if err != nil || len(events) != 1 || events[0].Action != "imported" {
			t.Errorf("history of a bulk household = %+v, %v; want one imported entry", events, err)
		}
		// Single writes after a bulk load get fresh ids (PostgreSQL's sequences were moved on).
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: grid, Address: "201室"})
		if err != nil {
			t.Fatalf("create after bulk: %v", err)
		}
		if h.ID <= page.Items[2].ID {
			t.Errorf("new household id %d not after bulk ids", h.ID)
		}
		// A failing bulk writes nothing.
		err = st.Bulk(ctx, func(b *store.Bulk) error {
			_, err := b.AddTerritory(tr.community.ID, model.KindGrid, "半途网格", "")
			if err != nil {
				return err
			}
			return b.AddHousehold(&model.Household{TerritoryID: 999999, Address: "x"})
		})
		if err == nil {
			t.Fatal("bulk with an unknown territory succeeded")
		}
		p, _ := st.Territories(ctx, sys, store.TerritoryFilter{Under: tr.community.ID, Kind: model.KindGrid})
		for _, n := range p.Items {
			if n.Name == "半途网格" {
				t.Error("failed bulk left a territory behind")
			}
		}
	})
}
