package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestContractAPI: a contract with a social organization over HTTP — made, a milestone added,
// accepted (the payment in the funds balance), accepted again 409; a resident rates the accepted
// milestone, the pending one 409; a volunteer team refused as
// provider; a milestone past the contract's amount refused.
func TestContractAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		ctx := context.Background()
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		street := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		cats, err := st.FundCategories(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		year := time.Now().In(model.Shanghai).Year()
		if _, err := st.AllocateFund(ctx, authz.System(), model.FundAllocationInput{CommunityID: tr.community.ID, CategoryID: cats[1].ID, Year: year, Amount: "50000"}); err != nil {
			t.Fatal(err)
		}
		org, err := st.CreateOrganization(ctx, authz.System(), model.OrganizationInput{Type: model.OrgSocial, Name: "乐龄社工服务中心", TerritoryID: tr.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		team := storetest.MustOrganization(t, st, tr.community.ID, "志愿服务队")
		body := map[string]any{"community_id": id(tr.community.ID), "organization_id": id(team), "category_id": id(cats[1].ID), "title": "居家养老上门服务", "scope": "每月上门两次", "amount": "30000"}
		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/contracts", body), http.StatusUnprocessableEntity)
		if message(p, "organization_id") == "" {
			t.Errorf("a volunteer team: %+v", p)
		}
		body["organization_id"] = id(org.ID)
		k := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/contracts", body), http.StatusCreated)
		kid := k["id"].(string)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/contracts/"+kid+"/milestones", map[string]any{"title": "全年", "kpi": "x", "due_on": "2026-12-31", "amount": "30000.01"}), http.StatusUnprocessableEntity)
		k = mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/contracts/"+kid+"/milestones", map[string]any{"title": "上半年", "kpi": "上门服务不少于 240 人次", "due_on": "2026-06-30", "amount": "15000"}), http.StatusCreated)
		mid := k["milestones"].([]any)[0].(map[string]any)["id"].(string)
		k = mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/contracts/"+kid+"/milestones", map[string]any{"title": "下半年", "kpi": "上门服务不少于 240 人次", "due_on": "2026-12-31", "amount": "15000"}), http.StatusCreated)
		pending := k["milestones"].([]any)[1].(map[string]any)["id"].(string)

		// A resident of the community rates an accepted milestone, never a pending one.
		h := f.mustHousehold(t, staff, tr.stairA, "101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		resident := f.mustToken(t, model.RoleResident, tr.stairA)
		u, err := st.UserByUsername(ctx, string(model.RoleResident)+"-"+id(tr.stairA.ID))
		if err != nil {
			t.Fatal(err)
		}
		rid, _ := strconv.ParseInt(h.Residents[0].ID, 10, 64)
		if err := st.LinkResident(ctx, authz.System(), u.ID, rid); err != nil {
			t.Fatal(err)
		}
		if p := mustProblem(t, f.mustDo(t, resident, "POST", "/api/v1/contracts/"+kid+"/ratings", map[string]any{"milestone_id": pending, "score": 4}), http.StatusConflict); !strings.Contains(p.Detail, "尚未验收") {
			t.Errorf("rating a pending milestone: %+v", p)
		}
		k = mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/contracts/"+kid+"/acceptances", map[string]any{"milestone_id": mid}), http.StatusOK)
		if k["paid_fen"].(float64) != 1500000 {
			t.Errorf("paid: %v", k)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/contracts/"+kid+"/acceptances", map[string]any{"milestone_id": mid}), http.StatusConflict)
		k = mustJSON[map[string]any](t, f.mustDo(t, resident, "POST", "/api/v1/contracts/"+kid+"/ratings", map[string]any{"milestone_id": mid, "score": 4}), http.StatusCreated)
		if ms := k["milestones"].([]any); ms[0].(map[string]any)["ratings"] != float64(1) || ms[1].(map[string]any)["ratings"] != float64(0) {
			t.Errorf("ratings: %v", ms)
		}
		bal := mustJSON[map[string]any](t, f.mustDo(t, street, "GET", "/api/v1/funds/balance", nil), http.StatusOK)
		if bal["spent_fen"].(float64) != 1500000 {
			t.Errorf("balance: %v", bal)
		}
		list := mustJSON[map[string]any](t, f.mustDo(t, street, "GET", "/api/v1/contracts", nil), http.StatusOK)
		if len(list["items"].([]any)) != 1 {
			t.Errorf("list: %v", list)
		}
	})
}
