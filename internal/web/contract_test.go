package web_test

import (
	"fmt"
	"net/http"
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
