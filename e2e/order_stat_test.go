package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// TestOrderStatsCharts: staff open the order statistics from the dispatch board; ECharts draws
// the monthly bars, the time lines and the rating distribution over their tables, and the
// summary counts the orders of the last months — at phone and desktop size.
func TestOrderStatsCharts(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg := context.Background()
			const pw = "neighbours help neighbours 2026"
			people := mustOrderPeople(t, a, stair, wangNainai, xiaoZhao, pw)
			res, vol := people.resident, people.volunteer
			_, cats, err := a.st.OrderPlaceFor(bg, authz.ForUser(res), 0)
			if err != nil || len(cats) < 2 {
				t.Fatalf("categories: %v", err)
			}
			// Four months of orders: each month some claimed after an hour or a day, done, rated.
			at := time.Now().AddDate(0, -3, 0)
			a.st.SetNow(func() time.Time { return at })
			for m := range 4 {
				for i := range 3 + m {
					at = time.Now().AddDate(0, m-3, 0).Add(-time.Duration(72-i) * time.Hour)
					o, _, err := a.st.PlaceOrder(bg, authz.ForUser(res), model.OrderInput{CategoryID: cats[i%2].ID, Description: fmt.Sprintf("第%d月第%d单", m, i)}, nil)
					if err != nil {
						t.Fatal(err)
					}
					if o.Status != model.OrderOpen {
						continue
					}
					at = at.Add(time.Duration(1+i*7) * time.Hour)
					steps := []model.OrderTransitionInput{{Action: model.ActClaim}, {Action: model.ActDone, Hours: 1}, {Action: model.ActRate, Stars: 3 + i%3}}
					who := []authz.Scope{authz.ForUser(vol), authz.ForUser(vol), authz.ForUser(res)}
					for k := range steps[:1+i%3] {
						if _, err := a.st.TransitionOrder(bg, who[k], o.ID, steps[k]); err != nil {
							t.Fatal(err)
						}
						at = at.Add(3 * time.Hour)
					}
				}
			}
			a.st.SetNow(time.Now)

			step, text, ctx := browse(t, vp)
			step("log in and open the statistics from the dispatch board", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/orders"),
				chromedp.WaitVisible(chromedp.CSS(`#order-stats`)),
				chromedp.Click(chromedp.CSS(`#order-stats`)),
				chromedp.WaitVisible(chromedp.CSS(`#stats-months-card .analytics-chart.drawn`)),
				shot(t, vp, "order-stats-01-top"),
				chromedp.ScrollIntoView(chromedp.CSS(`#stats-stars-card`)),
				shot(t, vp, "order-stats-02-times-stars"),
				chromedp.ScrollIntoView(chromedp.CSS(`#stats-cats-card`)),
				shot(t, vp, "order-stats-03-categories"))...)
			drawn, err := chromedp.Run(ctx, chromedp.Evaluate[int](`typeof echarts === "object" ? document.querySelectorAll(".analytics-chart.drawn svg, .analytics-chart.drawn canvas").length : -1`))
			if err != nil {
				t.Fatal(err)
			}
			if drawn != 3 {
				t.Errorf("%d charts drawn (svg or canvas), want 3", drawn)
			}
			if got := text(`#stats-placed`); got != "18" {
				t.Errorf("placed = %q, want 18", got)
			}
			// The page is no wider than the screen (the wide tables scroll inside their cards).
			wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if wide {
				t.Error("the page scrolls sideways")
			}
		})
	}
}
