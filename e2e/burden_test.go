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

// TestBurden: the administrative-burden register in the browser — the community secretary
// records a task a department handed down that is not on the duty list (a missing deadline
// answered first, the input kept); the task waits for the street; the street administrator
// approves it on the task's page with a reason; the secretary records it done with its hours;
// the task list shows it done, and the burden view shows the hours with its charts drawn — on
// the phone and at desktop size.
func TestBurden(t *testing.T) {
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
			street := streets.Items[0]
			if _, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zhongba", DisplayName: "王主任", Password: "duties list 2026 summer",
				Role: model.RoleStreetAdmin, ScopeID: street.ID, TOTPSecret: staffSecret}); err != nil {
				t.Fatal(err)
			}
			for _, d := range []model.BurdenDepartmentInput{{OwnerID: street.ID, Name: "江油市综合行政执法局", Line: "城管"}, {OwnerID: street.ID, Name: "江油市民政局", Line: "民政"}} {
				if _, err := a.st.SaveBurdenDepartment(bg, sys, 0, d); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := a.st.SaveBurdenDuty(bg, sys, 0, model.BurdenDutyInput{OwnerID: street.ID, Code: "MZ-01", Name: "最低生活保障申请受理与入户调查", Basis: "《社会救助暂行办法》第十一条"}); err != nil {
				t.Fatal(err)
			}
			choose := func(sel, label string) chromedp.Action[chromedp.Void] {
				return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := chromedp.Evaluate[bool](`(function(){var s=document.querySelector('`+sel+`');for(var o of s.options){if(o.text.indexOf('`+label+`')>=0){s.value=o.value;return true}}return false})()`)(ctx, tg)
					return err
				})
			}

			// The secretary records a task off the list; the deadline is missing at first.
			sec := mustBrowserFor(t, vp, 2*tabLimit) // open while the street decides
			step, text := steps(t, sec)
			step("the secretary opens the form", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/burden/tasks/new"),
				chromedp.WaitVisible(chromedp.CSS(`#form-task`)),
				choose(`#f-task-department_id`, "综合行政执法局"),
				chromedp.SendKeys(chromedp.CSS(`#f-task-title`), "创建全国文明城市入户问卷调查"),
				chromedp.SendKeys(chromedp.CSS(`#f-task-detail`), "执法局工作群通知，每户一份问卷，三天内报送。"),
				shot(t, vp, "burden-01-new-task"),
				press(`#create-task`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)))...)
			if got := text(`.error-summary`); !strings.Contains(got, "办理时限") {
				t.Errorf("the error summary: %q", got)
			}
			step("the secretary adds the deadline", chromedp.SetValue(chromedp.CSS(`#f-task-due_on`), "2099-12-31"),
				shot(t, vp, "burden-02-error"),
				press(`#create-task`),
				chromedp.WaitVisible(chromedp.CSS(`#task-waiting`)),
				shot(t, vp, "burden-03-pending"))
			if got := text(`#task-status`); got != "待街道审批" {
				t.Errorf("status: %q", got)
			}
			taskURL, err := chromedp.Run(sec, chromedp.Evaluate[string](`location.pathname`))
			if err != nil {
				t.Fatal(err)
			}

			// The street approves it with a reason.
			st := mustBrowser(t, vp)
			sstep, stext := steps(t, st)
			sstep("the street opens the task", append(login(a, "zhongba", "duties list 2026 summer", staffSecret),
				chromedp.Navigate(a.url+taskURL),
				chromedp.WaitVisible(chromedp.CSS(`#form-decision`)),
				chromedp.SendKeys(chromedp.CSS(`#f-decision-reason`), "创文是全市中心工作，同意社区配合入户。"),
				shot(t, vp, "burden-04-decision"),
				press(`#approve`),
				chromedp.WaitVisible(chromedp.CSS(`#task-decision`)))...)
			if got := stext(`#task-status`); got != "办理中" {
				t.Errorf("status after approval: %q", got)
			}

			// The secretary records it done, and sees the burden.
			step("the secretary records the hours", chromedp.Navigate(a.url+taskURL),
				chromedp.WaitVisible(chromedp.CSS(`#form-done`)),
				chromedp.SendKeys(chromedp.CSS(`#f-done-hours`), "6.5"),
				press(`#finish`),
				chromedp.WaitVisible(chromedp.CSS(`#task-hours`)),
				shot(t, vp, "burden-05-done"))
			if got := text(`#task-hours`); got != "6.5" {
				t.Errorf("hours: %q", got)
			}
			step("the task list", chromedp.Navigate(a.url+"/burden"),
				chromedp.WaitVisible(chromedp.CSS(`#burden-rows`)),
				shot(t, vp, "burden-06-list"))
			// On a phone a row is a card: the department's name and its line (住建) are one
			// value beside the label, not spread across the card with the name in its middle.
			step("the task list on a phone", Phone.emulate(), chromedp.Navigate(a.url+"/burden"),
				chromedp.WaitVisible(chromedp.CSS(`#burden-rows`)))
			gap, err := chromedp.Run(sec, chromedp.Evaluate[float64](`(() => {
  const h = document.querySelector('#burden-rows td .hint'), td = h.closest('td');
  const w = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
  let n; while ((n = w.nextNode()) && !n.data.trim());
  const r = document.createRange(); r.selectNodeContents(n);
  return h.getBoundingClientRect().left - r.getBoundingClientRect().right;
})()`))
			if err != nil || gap > 12 {
				t.Errorf("on a phone the department's line is %.0f px from its name (%v)", gap, err)
			}
			step("back at the desk", vp.emulate())
			step("the burden view", chromedp.Navigate(a.url+"/burden/view"),
				chromedp.WaitVisible(chromedp.CSS(`#chart-months.drawn`)),
				shot(t, vp, "burden-07-view"))
			if got := text(`#view-task-hours`); got != "6.5" {
				t.Errorf("view: %q", got)
			}
		})
	}
}
