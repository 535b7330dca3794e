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

// TestLiveMessages: a resident's open pages follow the account's live updates in a real
// browser (EventSource under the site's CSP): on the home page a notification shows the 消息
// badge with its count, and on the 消息 page the list reloads itself with the new message —
// at phone size (the tab bar's badge) and desktop size (the top bar's).
func TestLiveMessages(t *testing.T) {
	t.Parallel()
	for _, vp := range []viewport{Phone, Desktop} {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg := context.Background()
			acct, err := a.st.CreateUser(bg, authz.System(), store.UserInput{Username: "liuma", DisplayName: "刘妈", Password: "live updates 2026 大雪",
				Role: model.RoleResident, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			notify := func(title string) int64 {
				t.Helper()
				if err := a.st.Tx(bg, func(tx *store.Tx) error {
					_, err := tx.Notify(bg, model.NotificationInput{UserID: acct.ID, Kind: "test", Title: title, Link: "/messages"})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				p, err := a.st.Notifications(bg, authz.ForUser(acct), 1, "")
				if err != nil || len(p.Items) == 0 {
					t.Fatalf("notifications: %v", err)
				}
				return p.Items[0].ID
			}
			badge := `.account-messages [data-unread-badge]`
			if vp.mobile {
				badge = `.tabbar [data-unread-badge]`
			}

			b := mustBrowser(t, vp)
			step, text := steps(t, b)
			step("log in, the home page follows live updates", append(login(a, "liuma", "live updates 2026 大雪", ""),
				chromedp.Navigate(a.url+"/"),
				chromedp.WaitReady(chromedp.CSS(`body[data-live-open]`)))...)
			notify("楼道灯已修好")
			step("a notification shows the badge",
				chromedp.WaitVisible(chromedp.CSS(badge)),
				shot(t, vp, "live-01-badge"))
			if s := text(badge); !strings.HasPrefix(s, "1") {
				t.Errorf("badge %q, want 1 new message", s)
			}

			step("open 消息", chromedp.Navigate(a.url+"/messages"), chromedp.WaitReady(chromedp.CSS(`body[data-live-open]`)))
			id := notify("本周六社区义诊")
			step("the list reloads with the new message",
				chromedp.WaitVisible(chromedp.CSS(`#message-`+itoa(id))),
				shot(t, vp, "live-02-messages"))
			if s := text(`#messages-live`); !strings.Contains(s, "本周六社区义诊") || !strings.Contains(s, "楼道灯已修好") {
				t.Errorf("the list after the reload: %q", s)
			}
		})
	}
}
