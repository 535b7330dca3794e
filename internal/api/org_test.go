package api_test

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type orgOut struct {
	ID            string  `json:"id"`
	ParentID      *string `json:"parent_id"`
	Kind          string  `json:"kind"`
	KindLabel     string  `json:"kind_label"`
	Level         string  `json:"level"`
	LevelLabel    string  `json:"level_label"`
	Affinity      string  `json:"affinity"`
	AffinityLabel string  `json:"affinity_label"`
	Name          string  `json:"name"`
	TerritoryID   string  `json:"territory_id"`
	CommunityID   string  `json:"community_id"`
	Status        string  `json:"status"`
	StatusLabel   string  `json:"status_label"`
	MergedIntoID  string  `json:"merged_into_id"`
	BatchID       string  `json:"batch_id"`
	Members       int64   `json:"members"`
	CreatedAt     string  `json:"created_at"`
	UpdatedAt     string  `json:"updated_at"`
	EndedAt       string  `json:"ended_at"`
}

// TestOrgAPI: create, list, rename, merge, dissolve and the terms through the API; bad input is
// 422 naming the field or 409, and changes nothing.
func TestOrgAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		street, err := st.CreateOrg(ctx, authz.System(), model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: f.tree.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)

		committee := mustJSON[orgOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs", map[string]any{
			"kind": "community_committee", "parent_id": id(street.ID), "name": "天宝社区大党委", "territory_id": id(f.tree.community.ID)}), 201)
		if committee.KindLabel != "社区大党委" || committee.TerritoryID != id(f.tree.community.ID) {
			t.Errorf("committee = %+v", committee)
		}
		// An org on a node of the wrong kind: 422 on territory_id.
		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs", map[string]any{
			"kind": "grid_branch", "parent_id": committee.ID, "name": "错支部", "territory_id": id(f.tree.buildingA.ID)}), 422)
		if message(p, "territory_id") == "" {
			t.Errorf("wrong kind of node: %+v", p)
		}
		a := mustJSON[orgOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs", map[string]any{
			"kind": "grid_branch", "parent_id": committee.ID, "name": "第一网格党支部", "territory_id": id(f.tree.gridA.ID)}), 201)
		b := mustJSON[orgOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs", map[string]any{
			"kind": "grid_branch", "parent_id": committee.ID, "name": "第二网格党支部", "territory_id": id(f.tree.gridB.ID)}), 201)
		fn := mustJSON[orgOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs", map[string]any{
			"kind": "functional_group", "affinity": "interest", "parent_id": committee.ID, "name": "书画协会党小组"}), 201)
		if fn.AffinityLabel != "趣缘" || fn.Level != "group" {
			t.Errorf("functional org = %+v", fn)
		}

		// The grid leader sees its grid's branch, not the other grid's; lists narrow alike.
		mustJSON[orgOut](t, f.mustDo(t, grid, "GET", "/api/v1/party/orgs/"+a.ID, nil), 200)
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/party/orgs/"+b.ID, nil), 404)
		type orgList struct {
			Items      []orgOut `json:"items"`
			NextCursor string   `json:"next_cursor"`
			Total      int64    `json:"total"`
		}
		if l := mustJSON[orgList](t, f.mustDo(t, grid, "GET", "/api/v1/party/orgs", nil), 200); len(l.Items) != 1 || l.Items[0].ID != a.ID {
			t.Errorf("grid leader's list = %+v", l)
		}
		if l := mustJSON[orgList](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs?parent="+committee.ID, nil), 200); l.Total != 3 {
			t.Errorf("children of the committee: %+v", l)
		}
		if l := mustJSON[orgList](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs?under="+id(f.tree.gridB.ID), nil), 200); len(l.Items) != 1 || l.Items[0].ID != b.ID {
			t.Errorf("under grid B: %+v", l)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs?kind=cell", nil), 400)
		// The grid leader reads but does not write.
		mustProblem(t, f.mustDo(t, grid, "PATCH", "/api/v1/party/orgs/"+a.ID, map[string]any{"name": "改名"}), 403)

		if o := mustJSON[orgOut](t, f.mustDo(t, staff, "PATCH", "/api/v1/party/orgs/"+a.ID, map[string]any{"name": "一网格党支部"}), 200); o.Name != "一网格党支部" {
			t.Errorf("renamed = %+v", o)
		}
		// Merge into itself, into another kind: 422 on into_id, nothing changed.
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+a.ID+"/merge", map[string]any{"into_id": a.ID}), 422); message(p, "into_id") == "" {
			t.Errorf("merge into itself: %+v", p)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+a.ID+"/merge", map[string]any{"into_id": fn.ID}), 422)
		if o := mustJSON[orgOut](t, f.mustDo(t, staff, "GET", "/api/v1/party/orgs/"+a.ID, nil), 200); o.Status != "active" {
			t.Errorf("after refused merges: %+v", o)
		}
		if o := mustJSON[orgOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+a.ID+"/merge", map[string]any{"into_id": b.ID}), 200); o.ID != b.ID {
			t.Errorf("merge answered %+v", o)
		}
		// Dissolve twice: the second is 409.
		mustJSON[orgOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+fn.ID+"/dissolve", map[string]any{"reason": "活动停止"}), 200)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+fn.ID+"/dissolve", map[string]any{}), 409)

		// Terms and posts.
		type termOut struct {
			ID           string `json:"id"`
			OrgID        string `json:"org_id"`
			StartsOn     string `json:"starts_on"`
			EndsOn       string `json:"ends_on"`
			ElectedOn    string `json:"elected_on"`
			Note         string `json:"note"`
			DaysLeft     int    `json:"days_left"`
			Warning      string `json:"warning"`
			WarningLabel string `json:"warning_label"`
		}
		term := mustJSON[termOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+committee.ID+"/terms", map[string]any{"starts_on": "2021-03-01", "ends_on": "2026-03-01"}), 201)
		if term.EndsOn != "2026-03-01" {
			t.Errorf("term = %+v", term)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+committee.ID+"/terms", map[string]any{"starts_on": "2021-13-01", "ends_on": "2026-03-01"}), 422); message(p, "starts_on") == "" {
			t.Errorf("bad date: %+v", p)
		}
		if r := f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+committee.ID+"/posts", map[string]any{"post": "secretary", "holder_name": "李明", "starts_on": "2021-03-01"}); r.status != 201 {
			t.Errorf("appoint a secretary: %v", r)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/orgs/"+committee.ID+"/posts", map[string]any{"post": "secretary", "holder_name": "王芳", "starts_on": "2021-03-01"}), 422); message(p, "post") == "" {
			t.Errorf("second secretary: %+v", p)
		}
		type historyOut struct {
			Items []struct {
				Action      string `json:"action"`
				ActionLabel string `json:"action_label"`
				Detail      string `json:"detail"`
				ActorID     string `json:"actor_id"`
				At          string `json:"at"`
			} `json:"items"`
		}
		if h := mustJSON[historyOut](t, f.mustDo(t, grid, "GET", "/api/v1/party/orgs/"+a.ID+"/history", nil), 200); len(h.Items) != 3 || h.Items[0].Action != "merged" {
			t.Errorf("history = %+v", h)
		}
	})
}
