package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestUnitElection: staff open an election of a unit's leader (a missing closing time answered
// in the form first); a household votes on the phone at /me/unit-election; staff see that it
// voted (not for whom) and cast a proxy vote for a household without a smartphone; staff may not
// close early while households are still to vote, then vote for them by proxy and close
// the election and the unit page shows the elected leader, method, term and tallies; the same
// household voting again from a page left open is refused with a clear message — on the phone
// and at desktop size.
func TestUnitElection(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			var hs, heads []int64
			for i, name := range []string{"张家", "李家", "王家", "赵家"} {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19560611", fmt.Sprintf("%03d", 200+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: name + "户主", IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				hs, heads = append(hs, h.ID), append(heads, r.ID)
			}
			u := storetest.MustUnit(t, a.st, "1栋1单元联建单元", hs...)
			acct, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zhangjia", DisplayName: "张大爷", Password: "vote for the unit 2026 冬至",
				Role: model.RoleResident, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.st.LinkResident(bg, sys, acct.ID, heads[0]); err != nil {
				t.Fatal(err)
			}

			staff := mustBrowser(t, vp)
			sstep, stext := steps(t, staff)
			sstep("staff open the unit", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/units/"+itoa(u.ID)),
				chromedp.WaitVisible(chromedp.CSS(`#unit-elections`)),
				shot(t, vp, "election-01-unit"))...)
			sstep("open the election form without a closing time",
				press(`#open-election`),
				chromedp.WaitVisible(chromedp.CSS(`#form-election`)),
				chromedp.SetValue(chromedp.CSS(`input[name=closes_at]`), ""),
				chromedp.SetValue(chromedp.CSS(`input[name=term_months]`), "24"),
				press(`#election-open`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "election-02-form-error"))
			if s := stext(`.error-summary`); !strings.Contains(s, "请填写投票截止时间") {
				t.Errorf("the refusal: %q", s)
			}
			closes := time.Now().Add(72 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")
			sstep("give the closing time and open",
				chromedp.SetValue(chromedp.CSS(`input[name=closes_at]`), closes),
				press(`#election-open`),
				chromedp.WaitVisible(chromedp.CSS(`#form-proxy`)),
				shot(t, vp, "election-03-opened"))
			if s := stext(`#turnout`); s != "已有 0 / 4 户投票" {
				t.Errorf("turnout after opening: %q", s)
			}
			electionID, err := chromedp.Run(staff, chromedp.Evaluate[string](`location.pathname.split('/').pop()`))
			if err != nil {
				t.Fatal(err)
			}

			// The household votes on the phone (or at its desk).
			home := mustBrowser(t, vp)
			hstep, htext := steps(t, home)
			hstep("the household opens its unit's election", append(login(a, "zhangjia", "vote for the unit 2026 冬至", ""),
				chromedp.Navigate(a.url+"/me/unit-election"),
				chromedp.WaitVisible(chromedp.CSS(`form.election-vote`)),
				shot(t, vp, "election-04-vote"))...)
			// 李家户主, the second candidate, by the button's text.
			cand, err := chromedp.Run(home, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('form.election-vote button')).find(b => b.textContent.includes('李家户主')).dataset.candidate`))
			if err != nil || cand == "" {
				t.Fatalf("李家户主's button: %q, %v", cand, err)
			}
			hstep("vote for 李家户主",
				press(`button[data-candidate="`+cand+`"]`),
				chromedp.WaitVisible(chromedp.CSS(`#voted`)),
				shot(t, vp, "election-05-voted"))
			if s := htext(`#turnout`); s != "已有 1 / 4 户投票" {
				t.Errorf("turnout after the vote: %q", s)
			}
			if n, err := chromedp.Run(home, chromedp.Evaluate[int](`document.querySelectorAll('form.election-vote').length`)); err != nil || n != 0 {
				t.Errorf("after voting %d vote buttons remain (%v)", n, err)
			}
			// A page left open in another tab still holds the buttons: its vote is refused.
			hstep("vote again from a page left open",
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const f = document.createElement('form'); f.method = 'post'; f.action = '/me/unit-election';
						for (const [k, v] of [['election_id', '%s'], ['candidate_id', '%s']]) { const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.append(i); }
						document.body.append(f); f.submit(); return true })()`, electionID, cand))(ctx, tg)
					return err
				}),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "election-06-second-vote"))
			if s := htext(`.error-summary`); !strings.Contains(s, "这一户已经投过票了，每户只能投一票") {
				t.Errorf("the second vote: %q", s)
			}

			// Staff see who voted (never the choice) and cast a proxy vote for 王家.
			sstep("staff see the household voted",
				chromedp.Navigate(a.url+"/unit-elections/"+electionID),
				chromedp.WaitVisible(chromedp.CSS(`#election-households`)))
			if s := stext(fmt.Sprintf(`tr[data-household="%d"]`, hs[0])); !strings.Contains(s, "已投票") || strings.Contains(s, "李家") {
				t.Errorf("the voted household's row: %q", s)
			}
			sstep("cast a proxy vote for 王家",
				chromedp.SetValue(chromedp.CSS(`select[name=household_id]`), itoa(hs[2])),
				press(`input[name=candidate_id][value="`+cand+`"]`),
				shot(t, vp, "election-07-proxy"),
				press(`#proxy-submit`),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-household="%d"] .tag-green`, hs[2]))))
			if s := stext(fmt.Sprintf(`tr[data-household="%d"]`, hs[2])); !strings.Contains(s, "已投票（代投）") {
				t.Errorf("the proxy household's row: %q", s)
			}
			// Two households are still to vote: no early close (the tallies would give away the
			// last voter's choice); the page says why.
			if s := stext(`#election-close-wait`); !strings.Contains(s, "全部住户都投票后") {
				t.Errorf("the early-close notice: %q", s)
			}
			if n, err := chromedp.Run(staff, chromedp.Evaluate[int](`document.querySelectorAll('#election-close').length`)); err != nil || n != 0 {
				t.Errorf("a close button at turnout 2/4: %d (%v)", n, err)
			}
			for _, h := range []int64{hs[1], hs[3]} {
				sstep(fmt.Sprintf("proxy vote for household %d", h),
					chromedp.SetValue(chromedp.CSS(`select[name=household_id]`), itoa(h)),
					press(`input[name=candidate_id][value="`+cand+`"]`),
					press(`#proxy-submit`),
					chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-household="%d"] .tag-green`, h))))
			}
			sstep("close the election",
				chromedp.WaitVisible(chromedp.CSS(`#election-close`)),
				shot(t, vp, "election-08-before-close"),
				press(`#election-close`),
				chromedp.WaitVisible(chromedp.CSS(`#leader-name`)),
				shot(t, vp, "election-09-result"))
			if s := stext(`#leader-name`); s != "李家户主" {
				t.Errorf("leader %q", s)
			}
			if s := stext(`#leader-method`); s != "选举产生" {
				t.Errorf("method %q", s)
			}
			since := time.Now().In(model.Shanghai).Format(time.DateOnly)
			until := model.TermEnd(time.Now().In(model.Shanghai), 24).Format(time.DateOnly)
			if s := stext(`#leader-term`); s != "任期 "+since+" 至 "+until {
				t.Errorf("term %q, want %s to %s", s, since, until)
			}
			tallies, err := chromedp.Run(staff, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#unit-elections .election-tally tbody tr')).map(r => r.querySelector('th').textContent.trim().split(/\s/)[0] + '=' + r.querySelector('td.num').textContent.trim()).join(',')`))
			if err != nil || tallies != "张家户主=0,李家户主=4,王家户主=0,赵家户主=0" {
				t.Errorf("tallies %q (%v)", tallies, err)
			}
			if s := stext(`#unit-elections .turnout`); s != "已有 4 / 4 户投票" {
				t.Errorf("turnout after closing: %q", s)
			}
		})
	}
}
