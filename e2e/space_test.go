package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOrgSpace: a member opens the branch's online space from "my branch", reads the notice,
// switches to the discussion tab, opens a thread, sends an empty reply (refused with the reason
// in Chinese, nothing written), then a reply, and sees it under the thread — on the phone and
// at desktop size.
func TestOrgSpace(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			grids, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: model.KindGrid})
			if err != nil || len(grids.Items) != 1 {
				t.Fatalf("grid: %v", err)
			}
			branch := storetest.PartyOrg(t, a.st, "grid_branch", "", "第一网格党支部", grids.Items[0], 0)
			u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "wangdangyuan", DisplayName: "王党员", Password: "serve the people 2026 冬",
				Role: model.RoleMember, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			storetest.PartyMember(t, a.st, "王党员", branch, u.ID)
			if _, err := a.st.PublishOrgNotice(bg, sys, branch, model.OrgNoticeInput{Title: "关于召开十二月主题党日活动的通知",
				Body: "本月主题党日定于本周六上午九点在社区党群服务中心二楼举行。"}); err != nil {
				t.Fatal(err)
			}
			th, err := a.st.OpenThread(bg, sys, branch, model.MessageInput{Title: "楼道堆放杂物，大家有什么好办法？", Body: "3栋2单元楼道里堆了不少纸箱，消防通道不畅。"})
			if err != nil {
				t.Fatal(err)
			}

			b := mustBrowser(t, vp)
			step, text := steps(t, b)
			// On the phone the fixed tab bar covers the bottom of the screen: buttons are
			// pressed by their own click, as a tap on them does.
			step("log in, open my branch", append(login(a, "wangdangyuan", "serve the people 2026 冬", ""),
				chromedp.Navigate(a.url+"/party/me"),
				chromedp.WaitVisible(chromedp.CSS(`#my-spaces a`)),
				shot(t, vp, "space-01-my-branch"))...)
			step("open the branch's space",
				chromedp.Click(chromedp.CSS(`#my-spaces a`)),
				chromedp.WaitVisible(chromedp.CSS(`.tabs`)),
				shot(t, vp, "space-02-notices"))
			if s := text(`#space-panel`); !strings.Contains(s, "十二月主题党日") {
				t.Errorf("the notices tab: %q", s)
			}
			step("the discussion tab",
				chromedp.Click(chromedp.CSS(`.tabs a[href$="tab=threads"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#thread-`+itoa(th.ID)+` a`)),
				shot(t, vp, "space-03-threads"))
			step("open the thread",
				chromedp.Click(chromedp.CSS(`#thread-`+itoa(th.ID)+` a`)),
				chromedp.WaitVisible(chromedp.CSS(`#form-reply textarea`)))
			step("an empty reply",
				press(`#form-reply button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "space-04-empty-reply"))
			if s := text(`.error-summary`); !strings.Contains(s, "请填写回复内容") {
				t.Errorf("an empty reply: %q", s)
			}
			step("a reply",
				chromedp.SendKeys(chromedp.CSS(`#form-reply textarea`), "周六主题党日后我们一起去清理，我带几个编织袋。"),
				press(`#form-reply button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.space-replies .prewrap`)),
				shot(t, vp, "space-05-replied"))
			if s := text(`.space-replies`); !strings.Contains(s, "我带几个编织袋") || !strings.Contains(s, "王党员") {
				t.Errorf("the replies: %q", s)
			}
			var n int
			if err := a.st.DB().QueryRow(`SELECT replies FROM org_posts WHERE id = ?`, th.ID).Scan(&n); err != nil || n != 1 {
				t.Errorf("replies = %d (%v), want 1", n, err)
			}
		})
	}
}
