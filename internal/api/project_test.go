package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestListsAPI: the three lists through the API on both engines. Bad input is 422 naming every
// field (a negative amount, a milestone due before the start, a need of another community) or
// 400 (money as a float), with nothing written; the offerer's phone is masked; concurrent
// approvals of one project have exactly one effect (200), the others 409; a grid leader may not
// approve (403); a member reads the approved project and not the needs list.
func TestListsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		staff2 := f.mustToken(t, model.RoleCommunityAdmin, f.tree.community)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)
		member := f.mustToken(t, model.RoleMember, f.tree.community)
		other := mustTerritory(t, st, f.tree.street, model.KindCommunity, "东胜社区")
		otherStaff := f.mustToken(t, model.RoleCommunityStaff, other)
		org, err := st.CreateOrganization(t.Context(), authz.System(), model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeCompany, Name: "天宝物业",
			TerritoryID: f.tree.community.ID, ContactPhone: "13812345678"})
		if err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM list_needs) + (SELECT COUNT(*) FROM list_resources) + (SELECT COUNT(*) FROM list_projects) + (SELECT COUNT(*) FROM list_project_milestones)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/lists/needs", `{"title":"","category":"维修","territory_id":"`+id(f.tree.gridA.ID)+`","households":-1}`), http.StatusUnprocessableEntity)
		if got := fields(p); strings.Join(got, ",") != "households,title" {
			t.Errorf("bad need: fields %v", got)
		}
		need := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/lists/needs", `{"title":"水电维修","category":"维修","territory_id":"`+id(f.tree.gridA.ID)+`","households":12}`), http.StatusCreated)
		farNeed := mustJSON[map[string]any](t, f.mustDo(t, otherStaff, "POST", "/api/v1/lists/needs", `{"title":"东胜需求","category":"维修","territory_id":"`+id(other.ID)+`"}`), http.StatusCreated)
		before := count()
		p = mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/lists/resources", `{"kind":"funds","title":"基金","amount_fen":-100,"territory_id":"`+id(f.tree.community.ID)+`","organization_id":"`+id(org.ID)+`"}`), http.StatusUnprocessableEntity)
		if got := fields(p); len(got) != 1 || got[0] != "amount_fen" {
			t.Errorf("negative amount: fields %v", got)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/lists/resources", `{"kind":"funds","title":"基金","amount_fen":12.5,"territory_id":"`+id(f.tree.community.ID)+`","organization_id":"`+id(org.ID)+`"}`), http.StatusBadRequest)
		if count() != before {
			t.Errorf("a refused resource was written")
		}
		res := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/lists/resources", `{"kind":"skill","title":"水电维修","tags":"维修 水电","territory_id":"`+id(f.tree.community.ID)+`","organization_id":"`+id(org.ID)+`"}`), http.StatusCreated)
		if res["contact_phone"] != "138****5678" {
			t.Errorf("contact_phone = %v, want masked", res["contact_phone"])
		}
		matches := mustJSON[map[string]any](t, f.mustDo(t, grid, "GET", "/api/v1/lists/needs/"+need["id"].(string)+"/matches", nil), http.StatusOK)
		if items := matches["items"].([]any); len(items) != 0 {
			t.Errorf("a grid leader sees %d resources of the community node, want 0 (out of its subtree)", len(items))
		}
		matches = mustJSON[map[string]any](t, f.mustDo(t, staff, "GET", "/api/v1/lists/needs/"+need["id"].(string)+"/matches", nil), http.StatusOK)
		if items := matches["items"].([]any); len(items) != 1 || !strings.Contains(items[0].(map[string]any)["why"].(string), "标签含“维修”") {
			t.Errorf("matches = %v", items)
		}

		before = count()
		p = mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/lists/projects", `{"need_id":"`+farNeed["id"].(string)+`","resource_id":"`+res["id"].(string)+`","title":"跨社区","owner":"王","starts_on":"2026-06-10"}`), http.StatusUnprocessableEntity)
		if got := fields(p); len(got) != 1 || got[0] != "need_id" {
			t.Errorf("a need of another community: fields %v", got)
		}
		if count() != before {
			t.Errorf("a refused project was written")
		}
		proj := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/lists/projects", `{"need_id":"`+need["id"].(string)+`","resource_id":"`+res["id"].(string)+`","title":"维修进楼栋","owner":"王主任","starts_on":"2026-06-10"}`), http.StatusCreated)
		path := "/api/v1/lists/projects/" + proj["id"].(string)
		mustProblem(t, f.mustDo(t, member, "GET", path, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, grid, "POST", path+"/approval", `{"decision":"approve"}`), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, staff, "POST", path+"/transitions", `{"action":"approve"}`), http.StatusUnprocessableEntity)

		// Concurrent approvals by two staff accounts: exactly one effect.
		const n = 10
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok := staff
				if i%2 == 1 {
					tok = staff2
				}
				codes[i] = f.mustDo(t, tok, "POST", path+"/approval", `{"decision":"approve"}`).status
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				conflict++
			}
		}
		if ok != 1 || conflict != n-1 {
			t.Errorf("concurrent approvals: %v, want one 200 and %d 409", codes, n-1)
		}
		var approvals int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM list_project_events WHERE action = 'approve'`).Scan(&approvals); err != nil || approvals != 1 {
			t.Errorf("%d approvals recorded (%v), want 1", approvals, err)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", path+"/transitions", `{"action":"complete"}`), http.StatusConflict)

		before = count()
		p = mustProblem(t, f.mustDo(t, staff, "POST", path+"/milestones", `{"title":"入户摸排","due_on":"2026-06-01"}`), http.StatusUnprocessableEntity)
		if got := message(p, "due_on"); !strings.Contains(got, "不能早于项目开始日期 2026-06-10") {
			t.Errorf("milestone before the start: %q", got)
		}
		if count() != before {
			t.Errorf("a refused milestone was written")
		}
		got := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", path+"/milestones", `{"title":"入户摸排","due_on":"2026-06-20"}`), http.StatusCreated)
		mid := got["milestones"].([]any)[0].(map[string]any)["id"].(string)
		got = mustJSON[map[string]any](t, f.mustDo(t, grid, "POST", path+"/milestone-ticks", `{"milestone_id":"`+mid+`"}`), http.StatusOK)
		if !got["milestones"].([]any)[0].(map[string]any)["done"].(bool) {
			t.Errorf("milestone not done after the tick")
		}
		mustProblem(t, f.mustDo(t, staff, "POST", path+"/milestone-ticks", `{"milestone_id":"`+mid+`"}`), http.StatusConflict)

		mustJSON[map[string]any](t, f.mustDo(t, member, "GET", path, nil), http.StatusOK)
		mustProblem(t, f.mustDo(t, member, "GET", "/api/v1/lists/needs", nil), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, otherStaff, "GET", path, nil), http.StatusNotFound)
		list := mustJSON[map[string]any](t, f.mustDo(t, member, "GET", "/api/v1/lists/projects", nil), http.StatusOK)
		if items := list["items"].([]any); len(items) != 1 {
			t.Errorf("a member lists %d projects, want the approved one", len(items))
		}
	})
}
