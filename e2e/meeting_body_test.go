package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestMeetingBodyTypes: on the phone, the meeting form offers the Party organization's types;
// choosing the residents' committee as the owning body swaps in the committee's types (htmx),
// and a committee meeting is scheduled with one of them.
func TestMeetingBodyTypes(t *testing.T) {
	t.Parallel()
	vp := Phone
	a := mustApp(t)
	mustCommunity(t, a)
	bg, sys := context.Background(), authz.System()
	cs, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: model.KindCommunity, Limit: 10})
	if err != nil || len(cs.Items) != 1 {
		t.Fatalf("the community: %+v, %v", cs, err)
	}
	org := storetest.MustOrg(t, a.st, "community_committee", "天宝社区党委", cs.Items[0].ID, 0)
	options := `[...document.querySelectorAll('#f-meeting-type option')].map(o => o.textContent.trim()).join(',')`

	b := mustBrowser(t, vp)
	step, text := steps(t, b)
	step("staff open the meeting form", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
		chromedp.Navigate(a.url+"/party/meetings/new"),
		chromedp.WaitVisible(chromedp.CSS(`#f-meeting-type`)))...)
	if got, err := chromedp.Run(b, chromedp.Evaluate[string](options)); err != nil || got != "支部党员大会,支委会,党小组会,党课" {
		t.Errorf("the Party's types: %q %v", got, err)
	}
	start := time.Now().In(model.Shanghai).Add(48 * time.Hour)
	step("the committee chosen",
		chromedp.SetValue(chromedp.CSS(`#f-meeting-org_id`), itoa(org)),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#f-meeting-body'); s.value = 'committee'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#f-meeting-type option') && document.querySelector('#f-meeting-type option').value === 'residents_committee'`),
		shot(t, vp, "meeting-body-01-committee-types"))
	if got, err := chromedp.Run(b, chromedp.Evaluate[string](options)); err != nil || got != "居民委员会会议,居民代表会议,居民会议" {
		t.Errorf("the committee's types: %q %v", got, err)
	}
	step("a representatives' meeting scheduled",
		chromedp.SetValue(chromedp.CSS(`#f-meeting-type`), "residents_representatives"),
		chromedp.SendKeys(chromedp.CSS(`#f-meeting-title`), "居民代表会议：小区停车管理"),
		chromedp.SetValue(chromedp.CSS(`#f-meeting-starts_at`), start.Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS(`#f-meeting-ends_at`), start.Add(2*time.Hour).Format("2006-01-02T15:04")),
		chromedp.Submit(chromedp.CSS(`#f-meeting-title`)),
		chromedp.WaitVisible(chromedp.CSS(`#meeting-type`)),
		shot(t, vp, "meeting-body-02-scheduled"))
	if got := text(`#meeting-type`) + "/" + text(`#meeting-body`); !strings.Contains(got, "居民代表会议") || !strings.Contains(got, "居（村）委会") {
		t.Errorf("the meeting: %q", got)
	}
}
