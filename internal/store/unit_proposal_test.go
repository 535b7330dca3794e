package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func fieldErrOf(err error) string {
	var v *model.ValidationError
	if errors.As(err, &v) {
		var s []string
		for _, f := range v.Fields {
			s = append(s, f.Field+": "+f.Message)
		}
		return strings.Join(s, "; ")
	}
	return ""
}

func unitNames(p *model.UnitProposal) []string {
	var s []string
	for _, u := range p.Units {
		flag := ""
		if u.OutOfBounds {
			flag = "!"
		}
		s = append(s, fmt.Sprintf("%s/%s/%d%s", u.Name, u.Basis, len(u.Households), flag))
	}
	return s
}

func unitCount(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var n int64
	if err := st.ReadDB().QueryRow(`SELECT COUNT(*) FROM units`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUnitProposals: propose for a grid, refuse a confirm that lacks an override reason,
// adjust (split, merge, rename, a stale version, a merge across a compound), a household
// taken by another proposal meanwhile (nothing changed), and a confirm that forms the units.
func TestUnitProposals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		sc := authz.Scope{UserID: 1, Role: model.RoleCommunityStaff, Path: w.community.Path}

		if _, err := st.ProposeUnits(ctx, sc, w.building.ID, model.PartitionOptions{}); !strings.Contains(fieldErrOf(err), "node_id") {
			t.Errorf("propose for a building: %v", err)
		}
		other := authz.Scope{UserID: 2, Role: model.RoleCommunityStaff, Path: w.community2.Path}
		if _, err := st.ProposeUnits(ctx, other, w.grid.ID, model.PartitionOptions{}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("propose out of scope: %v", err)
		}
		p, err := st.ProposeUnits(ctx, sc, w.grid.ID, model.PartitionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1栋联建单元/building/17", "平房院联建单元/grouped/7!"}
		if got := unitNames(p); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("proposal = %q, want %q", got, want)
		}
		if p.Version != 1 || p.Status != model.ProposalDraft || p.Quality.OutOfBounds != 1 || p.Bounds != model.DefaultUnitBounds {
			t.Fatalf("proposal %+v", p)
		}
		if _, err := st.UnitProposal(ctx, other, p.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("proposal out of scope: %v", err)
		}

		// Confirming an out-of-bounds unit without a reason: the unit is named, nothing changed.
		if _, err := st.ConfirmProposal(ctx, sc, p.ID, 1, nil); !strings.Contains(fieldErrOf(err), "units[1].override_reason: 「平房院联建单元」有 7 户") {
			t.Errorf("confirm without override: %v", err)
		}
		if n := unitCount(t, st); n != 0 {
			t.Fatalf("%d units after a refused confirm", n)
		}

		adjust := func(adj store.ProposalAdjustment) *model.UnitProposal {
			t.Helper()
			q, err := st.AdjustProposal(ctx, sc, p.ID, adj)
			if err != nil {
				t.Fatalf("%s: %v", adj.Kind, err)
			}
			return q
		}
		q := adjust(store.ProposalAdjustment{Version: 1, Kind: "split", Unit: 0})
		want = []string{"1栋联建单元/split/9!", "1栋联建单元（二）/split/8!", "平房院联建单元/grouped/7!"}
		if got := unitNames(q); fmt.Sprint(got) != fmt.Sprint(want) || q.Version != 2 || q.Quality.BuildingsSplit != 1 {
			t.Fatalf("after split: %q v%d %+v", got, q.Version, q.Quality)
		}
		if _, err := st.AdjustProposal(ctx, sc, p.ID, store.ProposalAdjustment{Version: 1, Kind: "merge", A: 0, B: 1}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("stale version: %v", err)
		}
		q = adjust(store.ProposalAdjustment{Version: 2, Kind: "move", Household: q.Units[1].Households[0], To: 0})
		if got := unitNames(q); got[0] != "1栋联建单元/grouped/10" && got[0] != "1栋联建单元/split/10" {
			t.Fatalf("after move: %q", got)
		}
		q = adjust(store.ProposalAdjustment{Version: 3, Kind: "merge", A: 0, B: 1})
		want = []string{"1栋联建单元/building/17", "平房院联建单元/grouped/7!"}
		if got := unitNames(q); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after merge: %q", got)
		}
		if _, err := st.AdjustProposal(ctx, sc, p.ID, store.ProposalAdjustment{Version: 4, Kind: "merge", A: 0, B: 1}); !strings.Contains(fieldErrOf(err), "不能跨小区") {
			t.Errorf("merge across a compound: %v", err)
		}
		if _, err := st.AdjustProposal(ctx, sc, p.ID, store.ProposalAdjustment{Version: 4, Kind: "rename", Unit: 1, Name: " "}); !strings.Contains(fieldErrOf(err), "name") {
			t.Errorf("empty name: %v", err)
		}
		q = adjust(store.ProposalAdjustment{Version: 4, Kind: "rename", Unit: 1, Name: "平房院互助联建单元"})

		// A second proposal for the compound takes its households first.
		p2, err := st.ProposeUnits(ctx, sc, w.compound.ID, model.PartitionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ConfirmProposal(ctx, sc, p2.ID, 1, map[int]string{0: "院里只有7户，自成一个联建单元"}); err != nil {
			t.Fatal(err)
		}
		// The first proposal now lists households of a unit: a conflict, nothing changed.
		if _, err := st.ConfirmProposal(ctx, sc, p.ID, q.Version, map[int]string{1: "理由"}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("household in two units: %v", err)
		}
		if n := unitCount(t, st); n != 1 {
			t.Fatalf("%d units after the conflicting confirm, want 1", n)
		}
		if again, err := st.UnitProposal(ctx, sc, p.ID); err != nil || again.Status != model.ProposalDraft || again.Version != q.Version {
			t.Fatalf("first proposal after the conflict: %+v %v", again, err)
		}
		if err := st.DiscardProposal(ctx, sc, p.ID, q.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AdjustProposal(ctx, sc, p.ID, store.ProposalAdjustment{Version: q.Version + 1, Kind: "rename", Unit: 0, Name: "x"}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("adjust a discarded proposal: %v", err)
		}

		p3, err := st.ProposeUnits(ctx, sc, w.grid.ID, model.PartitionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := unitNames(p3); len(got) != 1 || got[0] != "1栋联建单元/building/17" {
			t.Fatalf("third proposal %q", got)
		}
		us, err := st.ConfirmProposal(ctx, sc, p3.ID, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(us) != 1 || us[0].Basis != model.UnitBuilding || us[0].Households != 17 || us[0].TerritoryID != w.building.ID {
			t.Fatalf("formed %+v", us[0])
		}
		if _, err := st.ConfirmProposal(ctx, sc, p3.ID, 1, nil); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second confirm: %v", err)
		}
		if _, err := st.ProposeUnits(ctx, sc, w.grid.ID, model.PartitionOptions{}); !strings.Contains(fieldErrOf(err), "没有尚未加入联建单元的住户") {
			t.Errorf("propose with nothing left: %v", err)
		}
	})
}

// TestUnitProposalRaces: twenty adjustments of one version at once; the database lets exactly
// one through. Then twenty confirms at once: one forms the units.
func TestUnitProposalRaces(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustUnitWorld(t, st)
		sc := authz.Scope{UserID: 1, Role: model.RoleCommunityStaff, Path: w.community.Path}
		p, err := st.ProposeUnits(ctx, sc, w.grid.ID, model.PartitionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		race := func(f func(i int) error) (ok, conflicts int) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := f(i)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, model.ErrConflict):
						conflicts++
					default:
						t.Errorf("call %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			return ok, conflicts
		}
		ok, conflicts := race(func(i int) error {
			_, err := st.AdjustProposal(ctx, sc, p.ID, store.ProposalAdjustment{Version: 1, Kind: "rename", Unit: 0, Name: fmt.Sprintf("名称%d", i)})
			return err
		})
		if ok != 1 || conflicts != 19 {
			t.Fatalf("renames: %d ok, %d conflicts", ok, conflicts)
		}
		ok, conflicts = race(func(i int) error {
			_, err := st.ConfirmProposal(ctx, sc, p.ID, 2, map[int]string{1: "院里只有7户"})
			return err
		})
		if ok != 1 || conflicts != 19 {
			t.Fatalf("confirms: %d ok, %d conflicts", ok, conflicts)
		}
		if n := unitCount(t, st); n != 2 {
			t.Fatalf("%d units, want 2", n)
		}
	})
}
