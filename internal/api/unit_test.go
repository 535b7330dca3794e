package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type unitHouseholdOut struct {
	ID          string `json:"id"`
	Address     string `json:"address"`
	TerritoryID string `json:"territory_id"`
}

type unitOut struct {
	ID             string             `json:"id"`
	Name           string             `json:"name"`
	Basis          string             `json:"basis"`
	BasisLabel     string             `json:"basis_label"`
	OverrideReason string             `json:"override_reason"`
	Status         string             `json:"status"`
	StatusLabel    string             `json:"status_label"`
	HouseholdCount int                `json:"household_count"`
	Leader         *model.UnitLeader  `json:"leader"`
	TerritoryID    string             `json:"territory_id"`
	CommunityID    string             `json:"community_id"`
	SuccessorID    string             `json:"successor_id"`
	FormedAt       string             `json:"formed_at"`
	EndedAt        string             `json:"ended_at"`
	Households     []unitHouseholdOut `json:"households"`
	Events         []struct {
		Action string `json:"action"`
		Detail string `json:"detail"`
		At     string `json:"at"`
	} `json:"events"`
}

type proposalOut struct {
	ID            string                 `json:"id"`
	CommunityID   string                 `json:"community_id"`
	TerritoryID   string                 `json:"territory_id"`
	TerritoryName string                 `json:"territory_name"`
	Version       int                    `json:"version"`
	Status        string                 `json:"status"`
	Options       model.PartitionOptions `json:"options"`
	Bounds        model.UnitBounds       `json:"bounds"`
	Quality       model.PartitionQuality `json:"quality"`
	Units         []struct {
		Index       int                `json:"index"`
		Name        string             `json:"name"`
		Basis       string             `json:"basis"`
		BasisLabel  string             `json:"basis_label"`
		AnchorID    string             `json:"anchor_id"`
		OutOfBounds bool               `json:"out_of_bounds"`
		Households  []unitHouseholdOut `json:"households"`
	} `json:"units"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// TestUnitAPI: propose units for a grid, a confirm without the override reason is 422 naming
// the unit, a stale adjustment 409, rename and confirm; the units list and detail; a move
// across a compound is 422 and changes nothing; a grid leader may not form units.
func TestUnitAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		compound := mustTerritory(t, st, f.tree.gridA, model.KindCompound, "平房院")
		add := func(node *model.Territory, n int, prefix string) {
			for i := 1; i <= n; i++ {
				if _, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: node.ID, Address: fmt.Sprintf("%s%d号", prefix, i)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		add(f.tree.stairA, 12, "1栋1单元")
		add(compound, 7, "平房院")
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)

		mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/units/proposals", map[string]any{"node_id": id(f.tree.gridA.ID)}), 403)
		p := mustJSON[proposalOut](t, f.mustDo(t, staff, "POST", "/api/v1/units/proposals", map[string]any{"node_id": id(f.tree.gridA.ID)}), 201)
		if len(p.Units) != 2 || p.Units[0].Basis != "stairwell" || len(p.Units[0].Households) != 12 || !p.Units[1].OutOfBounds ||
			p.Units[1].Households[0].Address != "平房院1号" || p.Quality.OutOfBounds != 1 {
			t.Fatalf("proposal = %+v", p)
		}
		path := "/api/v1/unit-proposals/" + p.ID
		prob := mustProblem(t, f.mustDo(t, staff, "POST", path+"/confirm", map[string]any{"version": 1}), 422)
		if m := message(prob, "units[1].override_reason"); !strings.Contains(m, "「平房院联建单元」有 7 户") {
			t.Errorf("confirm without a reason: %+v", prob)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", path+"/renames", map[string]any{"version": 7, "unit": 0, "name": "x"}), 409)
		p = mustJSON[proposalOut](t, f.mustDo(t, staff, "POST", path+"/renames", map[string]any{"version": 1, "unit": 0, "name": "一单元联建单元"}), 200)
		if p.Version != 2 || p.Units[0].Name != "一单元联建单元" {
			t.Fatalf("renamed: %+v", p)
		}
		formed := mustJSON[struct {
			Units []unitOut `json:"units"`
		}](t, f.mustDo(t, staff, "POST", path+"/confirm", map[string]any{"version": 2, "override_reasons": map[string]string{"1": "院里只有7户"}}), 201)
		if len(formed.Units) != 2 || formed.Units[1].Basis != "override" || formed.Units[0].HouseholdCount != 12 {
			t.Fatalf("formed %+v", formed)
		}
		list := mustJSON[struct {
			Items []unitOut `json:"items"`
			Total int       `json:"total"`
		}](t, f.mustDo(t, grid, "GET", "/api/v1/units?territory="+id(f.tree.gridA.ID), nil), 200)
		byID := map[string]unitOut{}
		for _, u := range list.Items {
			byID[u.ID] = u
		}
		if u := byID[formed.Units[0].ID]; list.Total != 2 || u.Leader != nil || u.TerritoryID != id(f.tree.stairA.ID) || u.CommunityID != id(f.tree.community.ID) {
			t.Fatalf("list %+v", list)
		}
		u := mustJSON[unitOut](t, f.mustDo(t, grid, "GET", "/api/v1/units/"+formed.Units[1].ID, nil), 200)
		if len(u.Households) != 7 {
			t.Fatalf("detail %+v", u)
		}
		// A move across a compound: 422, nothing changed.
		prob = mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/units/"+formed.Units[0].ID+"/households", map[string]any{"household_id": u.Households[0].ID}), 422)
		if !strings.Contains(message(prob, "unit_id"), "不能跨小区") {
			t.Errorf("move across a compound: %+v", prob)
		}
		u = mustJSON[unitOut](t, f.mustDo(t, grid, "GET", "/api/v1/units/"+formed.Units[1].ID, nil), 200)
		if u.HouseholdCount != 7 {
			t.Errorf("after the refused move: %+v", u)
		}
		// A second confirm: 409.
		mustProblem(t, f.mustDo(t, staff, "POST", path+"/confirm", map[string]any{"version": 2}), 409)
	})
}
