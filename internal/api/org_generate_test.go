package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type plannedOut struct {
	Kind        string `json:"kind"`
	KindLabel   string `json:"kind_label"`
	Name        string `json:"name"`
	ParentID    string `json:"parent_id"`
	ParentName  string `json:"parent_name"`
	TerritoryID string `json:"territory_id"`
}

type planOut struct {
	CommunityID    string       `json:"community_id"`
	Generator      string       `json:"generator"`
	GeneratorLabel string       `json:"generator_label"`
	Items          []plannedOut `json:"items"`
}

type batchOut struct {
	ID             string `json:"id"`
	CommunityID    string `json:"community_id"`
	Generator      string `json:"generator"`
	GeneratorLabel string `json:"generator_label"`
	Orgs           int    `json:"orgs"`
	CreatedBy      string `json:"created_by"`
	CreatedAt      string `json:"created_at"`
	UndoneAt       string `json:"undone_at"`
}

// TestOrgGeneratorAPI: the generators through the API. The preview writes nothing, the confirm
// writes one batch, the undo restores the tree as it was and a second undo is 409; a community
// outside the caller's scope is 404 on every generator route, a grid leader is 403, bad input
// names its field.
func TestOrgGeneratorAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		street, err := st.CreateOrg(ctx, authz.System(), model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: f.tree.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateOrg(ctx, authz.System(), model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: street.ID, Name: "天宝社区大党委", TerritoryID: f.tree.community.ID}); err != nil {
			t.Fatal(err)
		}
		// A second community with its committee and a grid, beside the first.
		other := mustTerritory(t, st, f.tree.street, model.KindCommunity, "东胜社区")
		mustTerritory(t, st, other, model.KindGrid, "东胜第一网格")
		if _, err := st.CreateOrg(ctx, authz.System(), model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: street.ID, Name: "东胜社区大党委", TerritoryID: other.ID}); err != nil {
			t.Fatal(err)
		}
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		otherStaff := f.mustToken(t, model.RoleCommunityStaff, other)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)
		community := id(f.tree.community.ID)

		type orgList struct {
			Items []orgOut `json:"items"`
			Total int64    `json:"total"`
		}
		tree := func() []string {
			t.Helper()
			l := mustJSON[orgList](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs?ended=true&limit=200", nil), 200)
			var out []string
			for _, o := range l.Items {
				out = append(out, o.ID+" "+o.Kind+" "+o.Name+" "+o.Status)
			}
			slices.Sort(out)
			return out
		}
		before := tree()

		// Preview: two branches planned, nothing written (twice, the same plan).
		for range 2 {
			p := mustJSON[planOut](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator?community="+community+"&generator=branches", nil), 200)
			if len(p.Items) != 2 || p.Items[0].Kind != "grid_branch" || p.Items[0].Name != "第一网格党支部" || p.Items[1].TerritoryID != id(f.tree.gridB.ID) || p.GeneratorLabel != "一网格一支部" {
				t.Fatalf("preview = %+v", p)
			}
		}
		if got := tree(); !slices.Equal(got, before) {
			t.Fatalf("the preview wrote: %v, was %v", got, before)
		}

		// Bad input: the generator, the community, a node that is not a community.
		if p := mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator?community="+community+"&generator=cells", nil), 422); message(p, "generator") == "" {
			t.Errorf("unknown generator: %+v", p)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator?generator=branches", nil), 400); message(p, "community") == "" {
			t.Errorf("no community: %+v", p)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator", map[string]any{"community_id": id(f.tree.gridA.ID), "generator": "branches"}), 422); message(p, "community_id") == "" {
			t.Errorf("a grid as community: %+v", p)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator", map[string]any{"generator": "branches"}), 422); message(p, "community_id") == "" {
			t.Errorf("no community in the body: %+v", p)
		}
		// Out of scope: 404 for the preview, the confirm, the runs and another community's run.
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator?community="+id(other.ID)+"&generator=branches", nil), 404)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator", map[string]any{"community_id": id(other.ID), "generator": "branches"}), 404)
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator/runs?community="+id(other.ID), nil), 404)
		otherRun := mustJSON[batchOut](t, f.mustDo(t, otherStaff, "POST", "/api/v1/party/orgs/generator", map[string]any{"community_id": id(other.ID), "generator": "branches"}), 201)
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator/runs/"+otherRun.ID, nil), 404)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator/runs/"+otherRun.ID+"/undo", nil), 404)
		// A grid leader reads orgs but runs no generator.
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/party/orgs/generator?community="+community+"&generator=branches", nil), 403)
		mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/party/orgs/generator", map[string]any{"community_id": community, "generator": "branches"}), 403)
		if got := tree(); !slices.Equal(got, before) {
			t.Fatalf("refused requests wrote: %v, was %v", got, before)
		}

		// Confirm: one batch of two branches; a second confirm has nothing left (409).
		r := f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator", map[string]any{"community_id": community, "generator": "branches"})
		b := mustJSON[batchOut](t, r, 201)
		if b.Orgs != 2 || b.Generator != "branches" || b.UndoneAt != "" || r.header.Get("Location") != "/api/v1/party/orgs/generator/runs/"+b.ID {
			t.Fatalf("run = %+v (%s)", b, r.header.Get("Location"))
		}
		if got := tree(); len(got) != len(before)+2 {
			t.Fatalf("after the run: %v", got)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator", map[string]any{"community_id": community, "generator": "branches"}), 409); !strings.Contains(p.Detail, "每个网格都已有党支部") {
			t.Errorf("nothing left: %+v", p)
		}
		if p := mustJSON[planOut](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator?community="+community+"&generator=groups_building", nil), 200); len(p.Items) != 2 || p.Items[0].Kind != "building_group" {
			t.Errorf("groups after the branches: %+v", p)
		}
		type runList struct {
			Items []batchOut `json:"items"`
		}
		if l := mustJSON[runList](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator/runs?community="+community, nil), 200); len(l.Items) != 1 || l.Items[0].ID != b.ID {
			t.Errorf("runs = %+v", l)
		}

		// Undo: the tree is as before; a second undo is a clear 409.
		u := mustJSON[batchOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator/runs/"+b.ID+"/undo", nil), 200)
		if u.UndoneAt == "" || u.ID != b.ID {
			t.Errorf("undone = %+v", u)
		}
		if got := tree(); !slices.Equal(got, before) {
			t.Fatalf("after the undo: %v, want %v", got, before)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator/runs/"+b.ID+"/undo", nil), 409); !strings.Contains(p.Detail, "已经撤回") {
			t.Errorf("second undo: %+v", p)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/generator/runs/999999/undo", nil), 404)
		if got := mustJSON[batchOut](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/generator/runs/"+b.ID, nil), 200); got.UndoneAt == "" {
			t.Errorf("run after undo = %+v", got)
		}
	})
}
