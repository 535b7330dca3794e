package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestContractPages: staff see the contracts and a contract's page with its organization,
// amount, paid amount and each milestone's KPI, acceptance and satisfaction.
func TestContractPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		cats, err := st.FundCategories(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		year := time.Now().In(model.Shanghai).Year()
		if _, err := st.AllocateFund(ctx, sys, model.FundAllocationInput{CommunityID: f.community.ID, CategoryID: cats[1].ID, Year: year, Amount: "50000"}); err != nil {
			t.Fatal(err)
		}
		org, err := st.CreateOrganization(ctx, sys, model.OrganizationInput{Type: model.OrgSocial, Name: "乐龄社工服务中心", TerritoryID: f.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		k, err := st.CreateContract(ctx, sys, model.ContractInput{CommunityID: f.community.ID, OrganizationID: org.ID, CategoryID: cats[1].ID, Title: "居家养老上门服务", Scope: "每月上门两次", Amount: "30000"})
		if err != nil {
			t.Fatal(err)
		}
		k, err = st.AddContractMilestone(ctx, sys, k.ID, model.ContractMilestoneInput{Title: "上半年", KPI: "上门服务不少于 240 人次", DueOn: fmt.Sprintf("%d-06-30", year), Amount: "15000"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AcceptContractMilestone(ctx, sys, k.ID, k.Milestones[0].ID); err != nil {
			t.Fatal(err)
		}
		staff := f.as(t, "staff")
		res := staff.get("/contracts").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#contract-%d", k.ID))); !strings.Contains(got, "乐龄社工服务中心") {
			t.Errorf("list row: %q", got)
		}
		res = staff.get(fmt.Sprintf("/contracts/%d", k.ID)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#contract-paid")); !strings.Contains(got, "15000.00") {
			t.Errorf("paid: %q", got)
		}
		if got := text(one(t, res.Doc, "#contract-milestones")); !strings.Contains(got, "上门服务不少于 240 人次") || !strings.Contains(got, "已验收") {
			t.Errorf("milestones: %q", got)
		}
	})
}

// TestContractForms: staff accept a milestone from the contract's page (a budget line that
// cannot pay it and a milestone accepted meanwhile are shown in its row); a resident rates an
// accepted milestone once and then sees the rating, a second attempt the clear message.
func TestContractForms(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		cats, err := st.FundCategories(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		year := time.Now().In(model.Shanghai).Year()
		for i, amount := range []string{"50000", "100"} {
			if _, err := st.AllocateFund(ctx, sys, model.FundAllocationInput{CommunityID: f.community.ID, CategoryID: cats[i+1].ID, Year: year, Amount: amount}); err != nil {
				t.Fatal(err)
			}
		}
		org, err := st.CreateOrganization(ctx, sys, model.OrganizationInput{Type: model.OrgSocial, Name: "乐龄社工服务中心", TerritoryID: f.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		contract := func(cat int64) *model.Contract {
			k, err := st.CreateContract(ctx, sys, model.ContractInput{CommunityID: f.community.ID, OrganizationID: org.ID, CategoryID: cat, Title: "居家养老上门服务", Scope: "每月上门两次", Amount: "30000"})
			if err != nil {
				t.Fatal(err)
			}
			for _, half := range []string{"06-30", "12-31"} {
				if k, err = st.AddContractMilestone(ctx, sys, k.ID, model.ContractMilestoneInput{Title: "节点" + half, KPI: "上门服务不少于 240 人次", DueOn: fmt.Sprintf("%d-%s", year, half), Amount: "15000"}); err != nil {
					t.Fatal(err)
				}
			}
			return k
		}
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		head, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王建华", IDNumber: validID("510781", "19650308", 60), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, mustUserID(t, st, "resident"), head.ID); err != nil {
			t.Fatal(err)
		}
		k, poor := contract(cats[1].ID), contract(cats[2].ID)
		path := fmt.Sprintf("/contracts/%d", k.ID)
		m1, m2 := k.Milestones[0].ID, k.Milestones[1].ID
		id := func(n int64) string { return fmt.Sprint(n) }

		staff, resident := f.as(t, "staff"), f.as(t, "resident")
		res := staff.get(path).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#form-accept-"+id(m1))); !strings.Contains(got, "15000.00 元") {
			t.Errorf("the confirmation names the amount: %q", got)
		}
		if len(all(res.Doc, "#form-rate-"+id(m1))) != 0 {
			t.Error("staff are offered the rating")
		}
		if len(all(resident.get(path).want(t, http.StatusOK).Doc, "#form-accept-"+id(m1))) != 0 {
			t.Error("a resident is offered the acceptance")
		}
		staff.post(path+"/acceptances", url.Values{"milestone_id": {id(m1)}}).want(t, http.StatusSeeOther)
		res = staff.get(path+"?done=contract_accepted").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#contract-paid")); !strings.Contains(got, "15000.00") {
			t.Errorf("paid: %q", got)
		}
		if len(all(res.Doc, "#accept-"+id(m1))) != 0 || len(all(res.Doc, "#accept-"+id(m2))) != 1 {
			t.Error("the accepted milestone keeps its button, or the pending one lost it")
		}
		// Someone accepted m2 meanwhile: the conflict is shown in its row, not as an error page.
		if _, err := st.AcceptContractMilestone(ctx, sys, k.ID, m2); err != nil {
			t.Fatal(err)
		}
		res = staff.post(path+"/acceptances", url.Values{"milestone_id": {id(m2)}}).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, "#accept-"+id(m2)+"-error")); !strings.Contains(got, "已验收") {
			t.Errorf("accepted meanwhile: %q", got)
		}
		// A budget line that cannot pay it.
		res = staff.post(fmt.Sprintf("/contracts/%d/acceptances", poor.ID), url.Values{"milestone_id": {id(poor.Milestones[0].ID)}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#accept-"+id(poor.Milestones[0].ID)+"-error")); !strings.Contains(got, "预算余额不足") {
			t.Errorf("budget refusal: %q", got)
		}

		// The resident rates m1 once.
		res = resident.get(path).want(t, http.StatusOK)
		one(t, res.Doc, "#rate-"+id(m1))
		res = resident.post(path+"/ratings", url.Values{"milestone_id": {id(m1)}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#form-rate-"+id(m1))); !strings.Contains(got, "请选择 1 到 5 分") {
			t.Errorf("no score: %q", got)
		}
		resident.post(path+"/ratings", url.Values{"milestone_id": {id(m1)}, "score": {"4"}}).want(t, http.StatusSeeOther)
		res = resident.get(path).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#my-score-"+id(m1))); !strings.Contains(got, "4 分") {
			t.Errorf("their rating: %q", got)
		}
		if len(all(res.Doc, "#rate-"+id(m1))) != 0 {
			t.Error("the rating form stays after rating")
		}
		res = resident.post(path+"/ratings", url.Values{"milestone_id": {id(m1)}, "score": {"5"}}).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, "#rate-"+id(m1)+"-error")); !strings.Contains(got, "您已评价过") {
			t.Errorf("a second rating: %q", got)
		}
		if got := text(one(t, res.Doc, "#milestone-"+id(m1))); !strings.Contains(got, "4.0") {
			t.Errorf("satisfaction: %q", got)
		}
	})
}
