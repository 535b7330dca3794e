package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// TestListsMatching: the matching page of the three lists (需求对接) at phone and desk sizes.
// The community's secretary picks an open need, sees the resources ranked with the reason for
// each (the unit whose tags name the need's category first), matches the need with it (a
// proposed project), approves the project, adds a milestone and ticks it done; the history
// names each step.
func TestListsMatching(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			ids := model.PathIDs(stair.Path)
			community, grid := ids[2], ids[3]
			need, err := a.st.CreateNeed(bg, sys, model.NeedInput{Title: "老旧楼栋水电维修", Category: "家电维修", TerritoryID: grid, Households: 24,
				Description: "近三个月第一网格家电维修点单11次，集中在1栋、3栋。"})
			if err != nil {
				t.Fatal(err)
			}
			fix, err := a.st.CreateOrganization(bg, sys, model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeCompany, Name: "天宝物业服务有限公司", TerritoryID: community})
			if err != nil {
				t.Fatal(err)
			}
			school, err := a.st.CreateOrganization(bg, sys, model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeSchool, Name: "天宝小学", TerritoryID: community})
			if err != nil {
				t.Fatal(err)
			}
			hall, err := a.st.CreateResource(bg, sys, model.ResourceInput{Kind: model.ResourceVenue, Title: "学校礼堂", Tags: "活动场地", Capacity: 200, TerritoryID: community,
				OrganizationID: school.ID, Availability: "周末全天"})
			if err != nil {
				t.Fatal(err)
			}
			repair, err := a.st.CreateResource(bg, sys, model.ResourceInput{Kind: model.ResourceSkill, Title: "水电维修服务队", Tags: "家电维修 水电", Capacity: 6, TerritoryID: community,
				OrganizationID: fix.ID, Availability: "每周六上午"})
			if err != nil {
				t.Fatal(err)
			}
			due := time.Now().In(model.Shanghai).AddDate(0, 0, 14).Format(time.DateOnly)
			b := mustBrowserFor(t, vp, 2*tabLimit)
			step, text := steps(t, b)
			rep := itoa(repair.ID)
			step("the secretary opens 需求对接", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/lists/match"),
				chromedp.WaitVisible(chromedp.CSS(`#match-needs`)),
				shot(t, vp, "lists-01-match"))...)
			step("picks the need: resources ranked with a reason each",
				press(`#pick-`+itoa(need.ID)),
				chromedp.WaitVisible(chromedp.CSS(`#match-table`)),
				shot(t, vp, "lists-02-ranked"))
			if first := text(`#match-table tbody tr .match-why`); !strings.Contains(first, "标签含“家电维修”") {
				t.Errorf("first resource's reason %q: want the repair unit first, by its tag", first)
			}
			if why := text(`#match-` + itoa(hall.ID) + ` .match-why`); !strings.Contains(why, "类别不同") {
				t.Errorf("the hall's reason %q", why)
			}
			step("matches it with the repair unit: a proposed project",
				chromedp.SendKeys(chromedp.CSS(`#f-match-`+rep+`-owner`), "王主任"),
				press(`#propose-`+rep),
				chromedp.WaitVisible(chromedp.CSS(`#act-approve`)),
				shot(t, vp, "lists-03-proposed"))
			if s := text(`#project-status`); s != "待审批" {
				t.Errorf("status %q, want 待审批", s)
			}
			step("approves it",
				press(`#act-approve`),
				chromedp.WaitVisible(chromedp.CSS(`#project-approved`)),
				shot(t, vp, "lists-04-approved"))
			if s := text(`#project-status`); s != "已批准" {
				t.Errorf("status %q, want 已批准", s)
			}
			step("adds a milestone",
				chromedp.SendKeys(chromedp.CSS(`#f-milestone-title`), "入户摸排"),
				chromedp.SetValue(chromedp.CSS(`#f-milestone-due_on`), due),
				press(`#milestone-add`),
				chromedp.WaitVisible(chromedp.CSS(`#project-milestones .inline-form button`)))
			step("ticks it done",
				press(`#project-milestones .inline-form button`),
				chromedp.WaitVisible(chromedp.CSS(`.milestone-done`)),
				shot(t, vp, "lists-05-ticked"))
			if s := text(`#project-milestones h2`); !strings.Contains(s, "1 / 1") {
				t.Errorf("milestones heading %q", s)
			}
			if s := text(`#project-history`); !strings.Contains(s, "批准") || !strings.Contains(s, "完成里程碑：入户摸排") || !strings.Contains(s, "李书记") {
				t.Errorf("history %q", s)
			}
		})
	}
}
