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
)

// partyWorld is the community of mustCommunity with its committee, a grid branch and a group,
// two registered members of the group (one with a member account) and a meeting the branch
// held last week.
type partyWorld struct {
	a                 *app
	stair             *model.Territory
	committee, branch int64
	group             int64
	member, other     int64
	memberUser        *model.User
}

func mustPartyWorld(t *testing.T) partyWorld {
	t.Helper()
	a := mustApp(t)
	stair := mustCommunity(t, a)
	bg, sys := context.Background(), authz.System()
	find := func(kind model.TerritoryKind) *model.Territory {
		p, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: kind})
		if err != nil || len(p.Items) == 0 {
			t.Fatalf("no %s: %v", kind, err)
		}
		return p.Items[0]
	}
	w := partyWorld{a: a, stair: stair}
	org := func(in model.OrgInput) int64 {
		o, err := a.st.CreateOrg(bg, sys, in)
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	street := org(model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: find(model.KindStreet).ID})
	w.committee = org(model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: street, Name: "天宝社区大党委", TerritoryID: find(model.KindCommunity).ID})
	w.branch = org(model.OrgInput{Kind: model.OrgGridBranch, ParentID: w.committee, Name: "第一网格党支部", TerritoryID: find(model.KindGrid).ID})
	w.group = org(model.OrgInput{Kind: model.OrgBuildingGroup, ParentID: w.branch, Name: "1栋党小组", TerritoryID: find(model.KindBuilding).ID})
	u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "wangjf", DisplayName: "王积分", Password: "serve the people 2026 冬",
		Role: model.RoleMember, ScopeID: stair.ID})
	if err != nil {
		t.Fatal(err)
	}
	w.memberUser = u
	for i, in := range []model.MemberInput{
		{Name: "王积分", Gender: model.GenderMale, BirthDate: "1956-03-01", OrgID: w.group, Status: model.MemberFull, JoinedOn: "1985-07-01", FullOn: "1986-07-01", Category: model.CategoryRetired, Education: model.EduSenior},
		{Name: "李秀英", Gender: model.GenderFemale, BirthDate: "1988-10-01", OrgID: w.group, Status: model.MemberFull, JoinedOn: "2012-07-01", FullOn: "2013-07-01", Category: model.CategoryInWork, Education: model.EduBachelor},
	} {
		m, err := a.st.CreateMember(bg, sys, in)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			w.member = m.ID
		} else {
			w.other = m.ID
		}
	}
	if _, err := a.st.DB().Exec(`UPDATE party_members SET user_id = ? WHERE id = ?`, u.ID, w.member); err != nil {
		t.Fatal(err)
	}
	start := time.Now().AddDate(0, 0, -7)
	if _, err := a.st.ScheduleMeetings(bg, sys, model.MeetingInput{OrgID: w.branch, Type: model.BranchAssembly, Title: "支部党员大会", StartsAt: start, EndsAt: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := a.st.Tx(bg, func(tx *store.Tx) error {
		if _, err := tx.AwardPoints(bg, w.member, model.PointsDuty, 1, "轮值服务", 0); err != nil {
			return err
		}
		_, err := tx.AwardPoints(bg, w.other, model.PointsDuty, 2, "轮值服务", 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// tap clicks the element sel (a CSS selector) by its own click(), as a tap does: on the phone
// the sticky button bar and the tab bar may cover the centre of an element scrolled into view.
func tap(sel string) chromedp.Action[chromedp.Void] {
	return js(`document.querySelector(` + jsString(sel) + `).click()`)
}

// js runs the statement expr in the page.
func js(expr string) chromedp.Action[chromedp.Void] {
	run := chromedp.Evaluate[bool](`(` + expr + `, true)`)
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := run(ctx, tg)
		return chromedp.Void{}, err
	}
}

// browse is a browser at vp with a step runner and a text reader that fail the test.
func browse(t *testing.T, vp viewport) (step func(string, ...chromedp.Action[chromedp.Void]), text func(string) string, ctx context.Context) {
	ctx = mustBrowser(t, vp)
	step = func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text = func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	return step, text, ctx
}

// TestAnalyticsCharts: community staff open the composition analytics; ECharts draws every
// chart over its table (the seven dimensions and meeting compliance; study completion, with
// nothing assigned, keeps its table alone), and
// the compliance counts the three orgs — at phone and desktop size.
func TestAnalyticsCharts(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			w := mustPartyWorld(t)
			step, text, ctx := browse(t, vp)
			step("log in", login(w.a, "tianbao", "zhongba street 2026 spring", staffSecret)...)
			step("open the analytics",
				chromedp.Navigate(w.a.url+"/party/analytics"),
				chromedp.WaitVisible(chromedp.CSS(`#analytics-life-card .analytics-chart.drawn`)),
				shot(t, vp, "analytics-01-top"),
				chromedp.ScrollIntoView(chromedp.CSS(`#analytics-study-card`)),
				shot(t, vp, "analytics-02-life-study"),
			)
			drawn, err := chromedp.Run(ctx, chromedp.Evaluate[int](`typeof echarts === "object" ? document.querySelectorAll(".analytics-chart.drawn svg, .analytics-chart.drawn canvas").length : -1`))
			if err != nil {
				t.Fatal(err)
			}
			if drawn != 8 { // every chart but the study's pie, nothing being assigned (its table says 0)
				t.Errorf("%d charts drawn (svg or canvas), want 8", drawn)
			}
			if got := text(`#analytics-registered`); got != "2" {
				t.Errorf("registered = %q, want 2", got)
			}
			if o, d := text(`#analytics-life-orgs`), text(`#analytics-life-overdue`); o != "3" || d != "3" {
				// the branch held its assembly but no committee meeting or lecture; the rest none
				t.Errorf("compliance: %s orgs, %s overdue; want 3 and 3", o, d)
			}
		})
	}
}

// TestDuesPaymentAndIncome: staff open the branch's dues, declare a member's income (the form
// previews the monthly amount as typed and refuses a fraction of a fen), then record the first
// month owed on the member's behalf — at phone and desktop size.
func TestDuesPaymentAndIncome(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			w := mustPartyWorld(t)
			step, text, _ := browse(t, vp)
			id := itoa(w.other)
			step("log in and open the dues", append(login(w.a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(w.a.url+"/party/dues?org="+itoa(w.group)),
				chromedp.WaitVisible(chromedp.CSS(`#dues-table`)),
				shot(t, vp, "dues-01-branch"),
				chromedp.Navigate(w.a.url+"/party/dues/members/"+id+"/pay"),
				chromedp.WaitVisible(chromedp.CSS(`#dues-income-link`)),
				tap("#dues-income-link"),
				chromedp.WaitVisible(chromedp.CSS(`#f-income-income`)),
			)...)
			step("a fraction of a fen",
				chromedp.SendKeys(chromedp.CSS(`#f-income-income`), "4500.505"),
				chromedp.WaitVisible(chromedp.CSS(`#dues-preview-error`)),
				shot(t, vp, "dues-02-income-error"),
			)
			if s := text(`#dues-preview-error`); !strings.Contains(s, "分") {
				t.Errorf("preview error %q", s)
			}
			step("preview 6000 yuan",
				js(`document.querySelector("#f-income-income").value = ""`),
				chromedp.SendKeys(chromedp.CSS(`#f-income-income`), "6000"),
				chromedp.WaitVisible(chromedp.CSS(`#dues-preview-amount`)),
				shot(t, vp, "dues-03-income-preview"),
			)
			if s := text(`#dues-preview-amount`); s != "90.00" { // in work, 5,000–10,000 yuan: 1.5 %
				t.Errorf("preview = %q, want 90.00", s)
			}
			step("save the income and record the payment",
				tap("#form-income button[type=submit]"),
				chromedp.WaitVisible(chromedp.CSS(`#f-dues-amount`)),
				chromedp.SendKeys(chromedp.CSS(`#f-dues-paid_by`), "王积分"),
				shot(t, vp, "dues-04-pay"),
				tap("form[action$='/pay'] button[type=submit]"),
				chromedp.WaitVisible(chromedp.CSS(`#dues-table`)),
				shot(t, vp, "dues-05-recorded"),
			)
			a, err := w.a.st.MemberDues(context.Background(), authz.System(), w.other, time.Now().In(model.Shanghai).Year())
			if err != nil {
				t.Fatal(err)
			}
			year := time.Now().In(model.Shanghai).Format("2006-")
			// The form offers the first month owed.
			if a.MonthlyFen != 9000 || len(a.Payments) != 1 || !strings.HasPrefix(a.Payments[0].Month, year) || a.Payments[0].AmountFen != 9000 || a.Payments[0].PaidBy != "王积分" {
				t.Errorf("after the flow: monthly %d, payments %+v", a.MonthlyFen, a.Payments)
			}
		})
	}
}

// TestMemberPoints: a member opens 我的支部 from the phone's 办事 tab or the navigation and sees
// their points, their ledger and the branch's leaderboard — at phone and desktop size.
func TestMemberPoints(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			w := mustPartyWorld(t)
			step, text, _ := browse(t, vp)
			step("log in and open my points", append(login(w.a, "wangjf", "serve the people 2026 冬", ""),
				chromedp.Navigate(w.a.url+"/party/me#points"),
				chromedp.WaitVisible(chromedp.CSS(`#my-points`)),
				shot(t, vp, "points-01-me"),
				chromedp.ScrollIntoView(chromedp.CSS(`#branch-board`)),
				shot(t, vp, "points-02-board"),
			)...)
			if s := text(`#my-points`); s == "" || s == "0" {
				t.Errorf("my points %q, want the duty's", s)
			}
			if s := text(`#points`); !strings.Contains(s, "轮值服务") {
				t.Errorf("ledger %q lacks the duty entry", s)
			}
			board := text(`section[aria-labelledby=branch-board]`)
			if !strings.Contains(board, "王积分") || !strings.Contains(board, "李秀英") {
				t.Errorf("branch board %q lacks the branch's members", board)
			}
		})
	}
}
