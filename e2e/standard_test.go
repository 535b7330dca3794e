package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestStandards: the community secretary opens the standards overview, goes to the community's
// page (the overview's chart drawn beside its table, with the xlsx download), reports the service centre's weekly opening hours with evidence (a missing evidence
// answered first), and sees the item met — on the phone and at desktop size.
func TestStandards(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			streets, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: model.KindStreet})
			if err != nil || len(streets.Items) != 1 {
				t.Fatalf("street: %v", err)
			}
			comms, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: model.KindCommunity})
			if err != nil || len(comms.Items) != 1 {
				t.Fatalf("community: %v", err)
			}
			it, err := a.st.SaveStandardItem(bg, sys, 0, model.StandardItemInput{OwnerID: streets.Items[0].ID, Code: "BZ-05", Name: "党群服务中心每周开放不少于 40 小时",
				Method: model.StandardManual, Op: ">=", Threshold: "40", Unit: "小时"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.st.SaveStandardItem(bg, sys, 0, model.StandardItemInput{OwnerID: streets.Items[0].ID, Code: "BZ-01", Name: "每个网格建有党支部或党小组",
				Method: model.StandardAuto, Metric: model.MetricGridBranch, Op: ">=", Threshold: "100", Unit: "%"}); err != nil {
				t.Fatal(err)
			}
			id := itoa(it.ID)
			b := mustBrowser(t, vp)
			step, text := steps(t, b)
			step("the secretary opens the overview", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/standards"),
				chromedp.WaitVisible(chromedp.CSS(`#overview-table`)),
				chromedp.WaitVisible(chromedp.CSS(`#chart-compliance.drawn svg`)),
				chromedp.WaitVisible(chromedp.CSS(`#standards-xlsx`)),
				shot(t, vp, "standards-01-overview"),
				chromedp.Navigate(a.url+"/standards/communities/"+itoa(comms.Items[0].ID)),
				chromedp.WaitVisible(chromedp.CSS(`#entry-`+id)),
				chromedp.SendKeys(chromedp.CSS(`#f-entry-`+id+`-value`), "48"),
				chromedp.Submit(chromedp.CSS(`#f-entry-`+id+`-value`)),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "standards-02-error"),
				chromedp.SendKeys(chromedp.CSS(`#f-entry-`+id+`-evidence`), "开放时间公示牌及值班排班表"),
				away(chromedp.Submit(chromedp.CSS(`#f-entry-`+id+`-value`))),
				chromedp.WaitNotPresent(chromedp.CSS(`.error-summary`)),
				chromedp.WaitVisible(chromedp.CSS(`#status-`+id)),
				shot(t, vp, "standards-03-met"))...)
			if got := text(`#status-` + id); got != "达标" {
				t.Errorf("status: %q", got)
			}
			if got := text(`#value-` + id); got != "48 小时" {
				t.Errorf("value: %q", got)
			}
		})
	}
}
