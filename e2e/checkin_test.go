package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestMeetingCheckin: the branch secretary's desk shows a meeting's QR screen (desktop); a
// member opens the link the code carries on the phone (and at desktop size), logs in, lands on
// the confirmation, checks in and sees the points; "my branch" counts them; the same link again
// says already checked in, and a tampered code is refused with its reason — one attendance row
// in the database.
func TestMeetingCheckin(t *testing.T) {
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
			start := time.Now().UTC().Truncate(time.Minute)
			ms, err := a.st.ScheduleMeetings(bg, sys, model.MeetingInput{OrgID: branch, Type: model.BranchAssembly, Title: "十二月支部党员大会",
				StartsAt: start, EndsAt: start.Add(2 * time.Hour), Place: "党群服务中心二楼"})
			if err != nil {
				t.Fatal(err)
			}
			meeting := ms[0].ID

			desk := mustBrowser(t, Desktop)
			if err := chromedp.Do(desk, append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/party/meetings/"+itoa(meeting)+"/qr"),
				chromedp.WaitVisible(chromedp.CSS(`#checkin-qr`)),
				shot(t, Desktop, "checkin-01-qr-screen"),
			)...); err != nil {
				t.Fatalf("the QR screen: %v", err)
			}
			href, err := chromedp.Run(desk, chromedp.AttributeValue(chromedp.CSS(`#checkin-link`), "href"))
			if err != nil {
				t.Fatal(err)
			}
			link := href.Value
			u2, err := url.Parse(link)
			if err != nil || u2.Path != "/party/checkin" || u2.Query().Get("c") == "" {
				t.Fatalf("the code's link = %q (%v)", link, err)
			}

			phone := mustBrowser(t, vp)
			step, text := steps(t, phone)
			step("open the link, log in, land on the confirmation",
				chromedp.Navigate(link),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "wangdangyuan"),
				chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "serve the people 2026 冬"),
				chromedp.Submit(chromedp.CSS(`input[name=password]`)),
				chromedp.WaitVisible(chromedp.CSS(`#checkin-submit`)),
				shot(t, vp, "checkin-02-confirm"),
			)
			if s := text(`main`); !strings.Contains(s, "十二月支部党员大会") {
				t.Errorf("the confirmation does not name the meeting: %q", s)
			}
			if n := checkins(t, a, meeting); n != 0 {
				t.Fatalf("opening the link recorded %d check-ins", n)
			}
			step("check in",
				chromedp.Click(chromedp.CSS(`#checkin-submit`)),
				chromedp.WaitVisible(chromedp.CSS(`.checkin-done`)),
				shot(t, vp, "checkin-03-done"),
			)
			if s := text(`.checkin-done`); !strings.Contains(s, "签到成功") || !strings.Contains(s, "积分") {
				t.Errorf("after the check-in: %q", s)
			}
			step("my branch counts the points",
				chromedp.Navigate(a.url+"/party/me"),
				chromedp.WaitVisible(chromedp.CSS(`#my-points`)),
				shot(t, vp, "checkin-04-my-branch"),
			)
			if s := strings.TrimSpace(text(`#my-points`)); s == "" || s == "0" {
				t.Errorf("my points after the check-in = %q", s)
			}
			step("the same link again",
				chromedp.Navigate(link),
				chromedp.WaitVisible(chromedp.CSS(`#checkin-submit`)),
				chromedp.Click(chromedp.CSS(`#checkin-submit`)),
				chromedp.WaitVisible(chromedp.CSS(`.checkin-done`)),
			)
			if s := text(`.checkin-done`); !strings.Contains(s, "已签到") {
				t.Errorf("the second check-in: %q", s)
			}
			q := u2.Query()
			code := q.Get("c")
			q.Set("c", code[:len(code)-2]+"xx")
			u2.RawQuery = q.Encode()
			step("a tampered code",
				chromedp.Navigate(u2.String()),
				chromedp.WaitVisible(chromedp.CSS(`#checkin-error`)),
				shot(t, vp, "checkin-05-tampered"),
			)
			if s := text(`#checkin-error`); !strings.Contains(s, "签到码无效") {
				t.Errorf("a tampered code: %q", s)
			}
			if n := checkins(t, a, meeting); n != 1 {
				t.Errorf("%d attendance rows, want 1", n)
			}
		})
	}
}

// checkins counts the attendance rows of meeting.
func checkins(t *testing.T, a *app, meeting int64) int {
	t.Helper()
	var n int
	if err := a.st.DB().QueryRow(`SELECT COUNT(*) FROM party_meeting_attendance WHERE meeting_id = ?`, meeting).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
