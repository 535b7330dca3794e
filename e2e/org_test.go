package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestOrgGeneratorFlow: a community secretary (community admin) opens the org chart, runs "one
// branch per grid": picks the community and the generator, previews (nothing written), confirms
// (the branches are written as one batch), and undoes the batch — at phone and desktop size.
func TestOrgGeneratorFlow(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			find := func(kind model.TerritoryKind) *model.Territory {
				p, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: kind})
				if err != nil || len(p.Items) == 0 {
					t.Fatalf("no %s: %v", kind, err)
				}
				return p.Items[0]
			}
			street, community := find(model.KindStreet), find(model.KindCommunity)
			if _, err := a.st.CreateTerritory(bg, sys, model.TerritoryInput{ParentID: community.ID, Kind: model.KindGrid, Name: "第二网格"}); err != nil {
				t.Fatal(err)
			}
			so, err := a.st.CreateOrg(bg, sys, model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: street.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.st.CreateOrg(bg, sys, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: so.ID, Name: "天宝社区大党委", TerritoryID: community.ID}); err != nil {
				t.Fatal(err)
			}
			branches := func() int {
				p, err := a.st.Orgs(bg, sys, store.OrgFilter{Kind: model.OrgGridBranch})
				if err != nil {
					t.Fatal(err)
				}
				return int(p.Total)
			}
			ctx := mustBrowser(t, vp)
			step, text := steps(t, ctx)
			step("log in", login(a, "tianbao", "zhongba street 2026 spring", staffSecret)...)
			step("open the org chart and the generators",
				chromedp.Navigate(a.url+"/party/orgs"),
				chromedp.WaitVisible(chromedp.CSS(`.org-tree`)),
				shot(t, vp, "61-org-chart"),
				chromedp.Click(chromedp.CSS(`a[href="/party/generate"]`)),
				chromedp.WaitVisible(chromedp.CSS(`select[name=community]`)),
			)
			step("preview one branch per grid",
				chromedp.SetValue(chromedp.CSS(`select[name=community]`), itoa(community.ID)),
				chromedp.Click(chromedp.CSS(`input[name=generator][value=branches]`)),
				chromedp.Submit(chromedp.CSS(`select[name=community]`)),
				chromedp.WaitVisible(chromedp.CSS(`#plan`)),
				shot(t, vp, "62-generator-preview"),
			)
			if s := text(`#plan`); !strings.Contains(s, "第一网格党支部") || !strings.Contains(s, "第二网格党支部") || !strings.Contains(s, "尚未写入") {
				t.Errorf("preview %q: want both grids' branches, not yet written", s)
			}
			if n := branches(); n != 0 {
				t.Fatalf("the preview wrote %d branches", n)
			}
			step("confirm",
				chromedp.Click(chromedp.CSS(`#plan button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				shot(t, vp, "63-generator-confirmed"),
			)
			if n := branches(); n != 2 {
				t.Fatalf("%d branches after confirm, want 2", n)
			}
			if s := text(`.notice`); !strings.Contains(s, "已建立") {
				t.Errorf("notice %q", s)
			}
			// On the phone the fixed tab bar covers the bottom of the screen, where a click at the
			// button's centre would land once it is scrolled just into view: the tap is the
			// button's own click, as in the quiz flow (pressAway: the page it leaves shows a
			// notice too).
			step("undo the batch",
				pressAway(`form[action="/party/generate/undo"] button`),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				chromedp.WaitVisible(chromedp.CSS(`.badge-muted`)),
				shot(t, vp, "64-generator-undone"),
			)
			if s := text(`.notice`); !strings.Contains(s, "撤回") {
				t.Errorf("notice after undo %q", s)
			}
			if n := branches(); n != 0 {
				t.Errorf("%d branches after undo, want 0", n)
			}
		})
	}
}
