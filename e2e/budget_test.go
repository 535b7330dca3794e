package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestBudget: small-project budgeting (民生微实事) in the browser — staff create this year's
// round with a budget of 8000 yuan; a resident proposes a project on the phone form; with a
// neighbour's second proposal, staff review both inline on the round's page (a cost over the
// budget answered by the proposal first) and open the voting; the resident votes for both on
// the vote's page; the neighbour votes for one; staff close the vote, and the round's page shows
// the rule, the winner within the budget (4000 used, 4000 left) and why the other lost; the
// community's public page shows the round without login, with no proposer's name — on the
// phone and at desktop size.
func TestBudget(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			var scopes []authz.Scope
			for i, name := range []string{"zhangjia", "lijia"} {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19580311", fmt.Sprintf("%03d", 400+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: []string{"张家户主", "李家户主"}[i], IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: name, DisplayName: name, Password: "small things 2026 冬至", Role: model.RoleResident, ScopeID: stair.ID})
				if err != nil {
					t.Fatal(err)
				}
				if err := a.st.LinkResident(bg, sys, u.ID, r.ID); err != nil {
					t.Fatal(err)
				}
				scopes = append(scopes, authz.ForUser(u))
			}

			// Staff create the round.
			staff := mustBrowser(t, vp)
			sstep, stext := steps(t, staff)
			sstep("staff create this year's round", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/projects"),
				chromedp.WaitVisible(chromedp.CSS(`#form-round`)),
				chromedp.SetValue(chromedp.CSS(`input[name=budget]`), "8000"),
				shot(t, vp, "budget-01-new-round"),
				press(`#create-round`),
				chromedp.WaitVisible(chromedp.CSS(`#budget-rule`)))...)
			roundID, err := chromedp.Run(staff, chromedp.Evaluate[string](`location.pathname.split('/').pop()`))
			if err != nil {
				t.Fatal(err)
			}
			if s := stext(`#budget-rule`); !strings.Contains(s, model.BudgetRuleText) {
				t.Errorf("the rule on the round's page: %q", s)
			}

			// A resident proposes on the phone.
			res := mustBrowser(t, vp)
			rstep, rtext := steps(t, res)
			rstep("the resident opens the round", append(login(a, "zhangjia", "small things 2026 冬至", ""),
				chromedp.Navigate(a.url+"/projects"),
				chromedp.WaitVisible(chromedp.CSS(`#round-`+roundID)),
				press(`#round-`+roundID+` a`),
				chromedp.WaitVisible(chromedp.CSS(`#propose`)),
				shot(t, vp, "budget-02-round-proposing"))...)
			rstep("propose a project",
				press(`#propose`),
				chromedp.WaitVisible(chromedp.CSS(`#form-proposal`)),
				chromedp.SetValue(chromedp.CSS(`input[name=title]`), "1栋门口加装休息座椅"),
				chromedp.SetValue(chromedp.CSS(`textarea[name=description]`), "老人买菜回来走到楼下想歇一歇，门口没有能坐的地方。"),
				shot(t, vp, "budget-03-propose"),
				press(`#submit-proposal`),
				chromedp.WaitVisible(chromedp.CSS(`#project`)),
				shot(t, vp, "budget-04-proposed"))
			noLayoutFaults(t, res, "the proposed project")
			if s := rtext(`#proposer`); !strings.Contains(s, "居民提出") {
				t.Errorf("the proposer as the resident reads it: %q", s)
			}
			round := mustInt64(t, roundID)
			light, err := a.st.ProposeSmallProject(bg, scopes[1], model.SmallProjectInput{RoundID: round, Title: "楼道灯改声控", Description: "夜里回家楼道太黑。"})
			if err != nil {
				t.Fatal(err)
			}
			ps, err := a.st.SmallProjects(bg, sys, store.SmallProjectFilter{Round: round})
			if err != nil || len(ps.Items) != 2 {
				t.Fatalf("proposals: %+v %v", ps, err)
			}
			seat := ps.Items[0]

			// Staff review both inline and open the voting.
			review := fmt.Sprintf(`#review-%d`, seat.ID)
			sstep("staff review, a cost over the budget first",
				chromedp.Navigate(a.url+"/projects/rounds/"+roundID),
				chromedp.WaitVisible(chromedp.CSS(review)),
				chromedp.SetValue(chromedp.CSS(review+` input[name=cost]`), "9000"),
				press(review+` button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "budget-05-review-error"))
			if s := stext(review); !strings.Contains(s, "费用超过本轮预算 8000.00 元") {
				t.Errorf("a cost over the budget: %q", s)
			}
			other := fmt.Sprintf(`#review-%d`, light.ID)
			sstep("review both",
				chromedp.SetValue(chromedp.CSS(review+` input[name=cost]`), "5000"),
				pressAway(review+` button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(other)),
				chromedp.SetValue(chromedp.CSS(other+` input[name=cost]`), "4000"),
				pressAway(other+` button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#open-voting`)),
				shot(t, vp, "budget-06-reviewed"))
			sstep("open the voting",
				press(`#open-voting-submit`),
				chromedp.WaitVisible(chromedp.CSS(`#round-vote`)),
				shot(t, vp, "budget-07-voting"))
			noLayoutFaults(t, staff, "the round open for voting")
			r, err := a.st.BudgetRound(bg, sys, round)
			if err != nil || r.VoteID == 0 {
				t.Fatalf("voting: %+v %v", r, err)
			}
			voteID := itoa(r.VoteID)

			// The resident votes for both; the neighbour for the light only.
			rstep("the resident goes to the vote from the round",
				chromedp.Navigate(a.url+"/projects/rounds/"+roundID),
				chromedp.WaitVisible(chromedp.CSS(`#round-vote a`)),
				press(`#round-vote a`),
				chromedp.WaitVisible(chromedp.CSS(`#ballot`)),
				chromedp.WaitVisible(chromedp.CSS(`#vote-round`)),
				shot(t, vp, "budget-08-ballot"))
			rstep("tick both and vote",
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := chromedp.Evaluate[bool](`(document.querySelectorAll('#ballot input[name=choices]').forEach(i => i.click()), true)`)(ctx, tg)
					return err
				}),
				press(`#cast`),
				chromedp.WaitVisible(chromedp.CSS(`#receipt-code`)),
				shot(t, vp, "budget-09-voted"))
			v, err := a.st.Vote(bg, sys, r.VoteID)
			if err != nil {
				t.Fatal(err)
			}
			var lightOption int64
			for _, o := range v.Options {
				if o.Label == "楼道灯改声控" {
					lightOption = o.ID
				}
			}
			if _, err := a.st.CastBallot(bg, scopes[1], r.VoteID, []int64{lightOption}); err != nil {
				t.Fatal(err)
			}

			// Staff close the vote; the round is decided.
			sstep("staff close the vote",
				chromedp.Navigate(a.url+"/votes/"+voteID),
				chromedp.WaitVisible(chromedp.CSS(`#close`)),
				press(`#close button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#result`)),
				shot(t, vp, "budget-10-vote-closed"))
			if s := stext(`#result`); strings.Contains(s, "通过") {
				t.Errorf("the round's vote says passed: %q", s)
			}
			rstep("the resident sees the winners",
				chromedp.Navigate(a.url+"/projects/rounds/"+roundID),
				chromedp.WaitVisible(chromedp.CSS(`#winners`)),
				shot(t, vp, "budget-11-decided"))
			if s := rtext(`#budget-used`); !strings.Contains(s, "入选项目共 4000.00 元") || !strings.Contains(s, "结余 4000.00 元") {
				t.Errorf("the budget used: %q", s)
			}
			if s := rtext(`#winner-list`); !strings.Contains(s, "楼道灯改声控") {
				t.Errorf("the winners: %q", s)
			}
			if s := rtext(`#loser-list`); !strings.Contains(s, "1栋门口加装休息座椅") || !strings.Contains(s, "剩余预算不足") {
				t.Errorf("the losers: %q", s)
			}
			if s := rtext(`#budget-rule`); !strings.Contains(s, model.BudgetRuleText) {
				t.Errorf("the rule: %q", s)
			}

			// The public page, without login.
			code := mustPublicCode(t, a, stair)
			public := mustBrowser(t, vp)
			pstep, ptext := steps(t, public)
			pstep("anyone opens the disclosure page",
				chromedp.Navigate(a.url+"/p/"+code),
				chromedp.WaitVisible(chromedp.CSS(`#disclosure-budget`)),
				chromedp.ScrollIntoView(chromedp.CSS(`#disclosure-budget`)),
				shot(t, vp, "budget-12-disclosure"))
			if s := ptext(`#disclosure-budget`); !strings.Contains(s, "楼道灯改声控") || !strings.Contains(s, "4000.00") {
				t.Errorf("the disclosure's round: %q", s)
			}
			if s := ptext(`body`); strings.Contains(s, "zhangjia") || strings.Contains(s, "lijia") || strings.Contains(s, "张家户主") {
				t.Errorf("personal data on the disclosure page: %q", s)
			}
		})
	}
}

func mustInt64(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
