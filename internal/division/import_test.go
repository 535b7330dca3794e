package division

import (
	"context"
	"errors"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func TestImportCounty(t *testing.T) {
	tbl := mustLoad(t)
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var calls, lastDone, lastTotal int
		created, err := ImportDivisions(ctx, st, tbl, "510781", false, func(done, total int) {
			calls++
			lastDone, lastTotal = done, total
		})
		if err != nil {
			t.Fatal(err)
		}
		// 江油市, its 24 townships and its 71 residents' committees.
		if want := 1 + 24 + 71; created != want {
			t.Errorf("created = %d, want %d", created, want)
		}
		if calls != 24 || lastDone != 24 || lastTotal != 24 {
			t.Errorf("progress: %d calls, last (%d, %d); want 24 calls ending (24, 24)", calls, lastDone, lastTotal)
		}
		nodes := mustNodes(t, st, "510781")
		if len(nodes) != created {
			t.Errorf("%d nodes with codes 510781…, want %d", len(nodes), created)
		}
		for _, tc := range []struct {
			code, name string
			kind       model.TerritoryKind
			parent     string
		}{
			{"510781000000", "江油市", model.KindDistrict, ""},
			{"510781006000", "中坝街道", model.KindStreet, "510781000000"},
			{"510781219000", "枫顺乡", model.KindStreet, "510781000000"},
			{"510781006001", "天宝社区", model.KindCommunity, "510781006000"},
		} {
			n := nodes[tc.code]
			if n == nil {
				t.Errorf("no node %s", tc.code)
				continue
			}
			parentCode := ""
			if p := byID(nodes, n.ParentID); p != nil {
				parentCode = p.Code
			}
			if n.Name != tc.name || n.Kind != tc.kind || parentCode != tc.parent {
				t.Errorf("node %s = %s %s under %q, want %s %s under %q", tc.code, n.Name, n.Kind, parentCode, tc.name, tc.kind, tc.parent)
			}
		}
		if nodes["510781006201"] != nil {
			t.Error("village 510781006201 imported without villages")
		}

		// Again: nothing new. Then with villages: only the villages are new.
		if created, err := ImportDivisions(ctx, st, tbl, "510781", false, nil); err != nil || created != 0 {
			t.Errorf("second import: created %d, %v; want 0, nil", created, err)
		}
		created, err = ImportDivisions(ctx, st, tbl, "510781", true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if created != 182 {
			t.Errorf("import with villages created %d, want 182", created)
		}
		nodes = mustNodes(t, st, "510781")
		if v := nodes["510781006201"]; v == nil || v.Name != "幸福村" || v.Kind != model.KindCommunity || v.ParentID != nodes["510781006000"].ID {
			t.Errorf("village 510781006201 = %+v, want 幸福村 under 中坝街道", v)
		}
		if len(nodes) != 1+24+71+182 {
			t.Errorf("%d nodes, want %d", len(nodes), 1+24+71+182)
		}
	})
}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	tbl := mustParse(t,
		"35\t福建省", "3505\t泉州市", "350527\t金门县", "350527000\t金门县", "350527000000\t金门县",
		"350581\t石狮市", "350581001\t湖滨街道", "350581001001\t甲社区居委会", "350581100\t灵秀镇", "350581100201\t乙村委会",
	)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for _, code := range []string{"3505", "", "3505810"} {
			if _, err := ImportDivisions(ctx, st, tbl, code, false, nil); err == nil {
				t.Errorf("ImportDivisions(%q) succeeded, want an error", code)
			}
		}
		if _, err := ImportDivisions(ctx, st, tbl, "350599", false, nil); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("unknown county: err = %v, want ErrNotFound", err)
		}

		// A code held by a node of another kind stops the import of that county.
		_, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{Kind: model.KindDistrict, Name: "别处", Code: "350581100000"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ImportDivisions(ctx, st, tbl, "350581", false, nil); !errors.Is(err, model.ErrConflict) {
			t.Errorf("code taken by a district: err = %v, want ErrConflict", err)
		}
		if n := len(mustNodes(t, st, "350581")); n != 1 {
			t.Errorf("after the failed import %d nodes, want only the one created before", n)
		}

		// The province: 金门县 keeps only its district node; 石狮市 is complete.
		created, err := ImportDivisions(ctx, st, tbl, "35", true, nil)
		if !errors.Is(err, model.ErrConflict) || created != 1 {
			t.Errorf("province import: created %d, err %v; want 1 (金门县) and ErrConflict", created, err)
		}
		nodes := mustNodes(t, st, "3505")
		if n := nodes["350527000000"]; n == nil || n.Kind != model.KindDistrict {
			t.Errorf("金门县 = %+v, want a district", n)
		}
	})
}

func TestImportProvince(t *testing.T) {
	tbl := mustLoad(t)
	if testing.Short() {
		t.Skip("imports all of 四川省")
	}
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		first, err := ImportDivisions(ctx, st, tbl, "510781", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		created, err := ImportDivisions(ctx, st, tbl, "51", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := tbl.Province("51")
		want := 0
		for _, c := range p.Counties {
			want += 1 + len(c.Townships)
			for _, tw := range c.Townships {
				for _, v := range tw.Villages {
					if v.Community() {
						want++
					}
				}
			}
		}
		if created+first != want {
			t.Errorf("created %d + %d nodes, want %d", first, created, want)
		}
		if n := len(mustNodes(t, st, "51")); n != want {
			t.Errorf("%d nodes in 51…, want %d", n, want)
		}
	})
}

// mustNodes returns the nodes whose code starts with prefix, by code.
func mustNodes(tb testing.TB, st *store.Store, prefix string) map[string]*model.Territory {
	tb.Helper()
	ts, err := st.TerritoriesByCodePrefix(context.Background(), authz.System(), prefix)
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]*model.Territory{}
	for _, t := range ts {
		m[t.Code] = t
	}
	return m
}

func byID(nodes map[string]*model.Territory, id int64) *model.Territory {
	for _, n := range nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}
