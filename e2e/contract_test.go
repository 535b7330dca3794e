package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestContracts: a purchased-service contract's milestone is accepted and rated in the browser —
// community staff open the contract's page, press 验收 on the pending milestone, read the
// confirmation naming the amount and confirm: the payment is posted; a resident of the community
// then rates the accepted milestone 5 from the phone and sees the rating — on the phone and at
// desktop size.
func TestContracts(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			var community, street *model.Territory
			for n := stair; n.ParentID != 0; {
				p, err := a.st.Territory(bg, sys, n.ParentID)
				if err != nil {
					t.Fatal(err)
				}
				switch p.Kind {
				case model.KindCommunity:
					community = p
				case model.KindStreet:
					street = p
				}
				n = p
			}
			pw := "purchased services 2026 冬至"
			if _, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zhoushe", DisplayName: "周社工", Password: pw, Role: model.RoleCommunityStaff,
				ScopeID: community.ID, TOTPSecret: staffSecret}); err != nil {
				t.Fatal(err)
			}
			h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: "1栋1单元101室"})
			if err != nil {
				t.Fatal(err)
			}
			good, _, _ := idWith("19500311", "412")
			r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王奶奶", IDNumber: good, Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "wangnainai", DisplayName: "王奶奶", Password: pw, Role: model.RoleResident, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.st.LinkResident(bg, sys, u.ID, r.ID); err != nil {
				t.Fatal(err)
			}
			cats, err := a.st.FundCategories(bg, false)
			if err != nil {
				t.Fatal(err)
			}
			year := time.Now().In(model.Shanghai).Year()
			if _, err := a.st.AllocateFund(bg, sys, model.FundAllocationInput{CommunityID: community.ID, CategoryID: cats[1].ID, Year: year, Amount: "50000"}); err != nil {
				t.Fatal(err)
			}
			org, err := a.st.CreateOrganization(bg, sys, model.OrganizationInput{Type: model.OrgSocial, Name: "乐龄社工服务中心", TerritoryID: street.ID})
			if err != nil {
				t.Fatal(err)
			}
			k, err := a.st.CreateContract(bg, sys, model.ContractInput{CommunityID: community.ID, OrganizationID: org.ID, CategoryID: cats[1].ID,
				Title: "居家养老上门服务", Scope: "为高龄独居老人每月上门服务两次", Amount: "30000"})
			if err != nil {
				t.Fatal(err)
			}
			if k, err = a.st.AddContractMilestone(bg, sys, k.ID, model.ContractMilestoneInput{Title: "上半年服务", KPI: "上门服务不少于 240 人次",
				DueOn: fmt.Sprintf("%d-06-30", year), Amount: "15000"}); err != nil {
				t.Fatal(err)
			}
			path, m := "/contracts/"+itoa(k.ID), itoa(k.Milestones[0].ID)

			// Staff accept the milestone behind the confirmation.
			sb := mustBrowserFor(t, vp, 2*tabLimit)
			sstep, stext := steps(t, sb)
			sstep("staff open the contract and press 验收", append(login(a, "zhoushe", pw, staffSecret),
				chromedp.Navigate(a.url+path),
				chromedp.WaitVisible(chromedp.CSS(`#accept-`+m)),
				press(`#accept-`+m),
				chromedp.WaitVisible(chromedp.CSS(`#accept-`+m+`-confirm`)),
				shot(t, vp, "contracts-01-confirm"))...)
			if s := stext(`#form-accept-` + m); !strings.Contains(s, "15000.00 元") || !strings.Contains(s, "乐龄社工服务中心") {
				t.Errorf("the confirmation: %q", s)
			}
			sstep("confirm",
				press(`#accept-`+m+`-confirm`),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				shot(t, vp, "contracts-02-accepted"))
			if s := stext(`#contract-paid`); !strings.Contains(s, "15000.00") {
				t.Errorf("paid: %q", s)
			}
			if s := stext(`#milestone-` + m); !strings.Contains(s, "已验收") || !strings.Contains(s, "周社工") {
				t.Errorf("the milestone: %q", s)
			}

			// A resident rates it.
			rb := mustBrowserFor(t, vp, 2*tabLimit)
			rstep, rtext := steps(t, rb)
			rstep("the resident rates the milestone", append(login(a, "wangnainai", pw, ""),
				chromedp.Navigate(a.url+path),
				chromedp.WaitVisible(chromedp.CSS(`#rate-`+m)),
				press(`#f-rate-`+m+`-score input[value="5"]`),
				shot(t, vp, "contracts-03-rate"),
				press(`#rate-`+m),
				chromedp.WaitVisible(chromedp.CSS(`#my-score-`+m)),
				shot(t, vp, "contracts-04-rated"))...)
			if s := rtext(`#my-score-` + m); !strings.Contains(s, "5 分") {
				t.Errorf("their rating: %q", s)
			}
			if s := rtext(`#milestone-` + m); !strings.Contains(s, "5.0") {
				t.Errorf("satisfaction: %q", s)
			}
		})
	}
}
