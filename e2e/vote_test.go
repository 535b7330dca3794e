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

// TestVote: staff open a household vote over a stairwell (a missing question answered in the
// form first); the head of a household votes on the phone and gets a receipt code; the spouse,
// logged in on another phone, finds 本户已投票 and no ballot, and a ballot sent from a page left
// open is refused with a clear message; staff cast a proxy ballot for the other household (the
// roll says who voted, never what), close the vote, and the result appears on the resident's
// page with the turnout by building and the receipt counted — on the phone and at desktop size.
func TestVote(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			var hs []int64
			var people []int64
			for i, name := range []string{"张家", "李家"} {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19580311", fmt.Sprintf("%03d", 300+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: name + "户主", IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				hs, people = append(hs, h.ID), append(people, r.ID)
			}
			good, _, _ := idWith("19600202", "310")
			spouse, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: hs[0], Name: "张家配偶", IDNumber: good, Relation: model.RelationSpouse})
			if err != nil {
				t.Fatal(err)
			}
			for name, rid := range map[string]int64{"zhangjia": people[0], "zhangqi": spouse.ID} {
				u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: name, DisplayName: name, Password: "vote together 2026 冬至", Role: model.RoleResident, ScopeID: stair.ID})
				if err != nil {
					t.Fatal(err)
				}
				if err := a.st.LinkResident(bg, sys, u.ID, rid); err != nil {
					t.Fatal(err)
				}
			}

			staff := mustBrowser(t, vp)
			sstep, stext := steps(t, staff)
			sstep("staff open the vote form", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/votes"),
				chromedp.WaitVisible(chromedp.CSS(`#votes`)),
				press(`#new-vote`),
				chromedp.WaitVisible(chromedp.CSS(`#form-vote`)),
				chromedp.SetValue(chromedp.CSS(`select[name=territory_id]`), itoa(stair.ID)),
				press(`#form-vote button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "vote-01-form-error"))...)
			if s := stext(`.error-summary`); !strings.Contains(s, "请填写表决事项") {
				t.Errorf("the refusal: %q", s)
			}
			sstep("give the question and open",
				chromedp.SetValue(chromedp.CSS(`input[name=title]`), "1单元是否加装电梯"),
				chromedp.SetValue(chromedp.CSS(`textarea[name=description]`), "费用按楼层分摊，详见公告。"),
				chromedp.SetValue(chromedp.CSS(`select[name=territory_id]`), itoa(stair.ID)),
				press(`#form-vote button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#vote-roll`)),
				shot(t, vp, "vote-02-opened"))
			if s := stext(`#turnout`); s != "已有 0 / 2 参与投票" {
				t.Errorf("turnout after opening: %q", s)
			}
			voteID, err := chromedp.Run(staff, chromedp.Evaluate[string](`location.pathname.split('/').pop()`))
			if err != nil {
				t.Fatal(err)
			}

			// The head of 张家 votes on the phone.
			head := mustBrowser(t, vp)
			hstep, htext := steps(t, head)
			hstep("the head opens the vote from the list", append(login(a, "zhangjia", "vote together 2026 冬至", ""),
				chromedp.Navigate(a.url+"/votes"),
				chromedp.WaitVisible(chromedp.CSS(`#vote-`+voteID)),
				press(`#vote-`+voteID+` a`),
				chromedp.WaitVisible(chromedp.CSS(`#ballot`)),
				shot(t, vp, "vote-03-ballot"))...)
			hstep("vote 同意",
				press(`#ballot label.vote-choice input`),
				press(`#cast`),
				chromedp.WaitVisible(chromedp.CSS(`#receipt-code`)),
				shot(t, vp, "vote-04-receipt"))
			receipt := htext(`#receipt-code`)
			if _, ok := model.NormalizeReceipt(receipt); !ok {
				t.Fatalf("receipt %q", receipt)
			}
			if s := htext(`#voted`); s != "本户已投票" {
				t.Errorf("after the ballot: %q", s)
			}

			// The spouse, on another phone: the household has voted.
			wife := mustBrowser(t, vp)
			wstep, wtext := steps(t, wife)
			wstep("the spouse opens the vote", append(login(a, "zhangqi", "vote together 2026 冬至", ""),
				chromedp.Navigate(a.url+"/votes/"+voteID),
				chromedp.WaitVisible(chromedp.CSS(`#voted`)),
				shot(t, vp, "vote-05-household-voted"))...)
			if n, err := chromedp.Run(wife, chromedp.Evaluate[int](`document.querySelectorAll('#ballot').length`)); err != nil || n != 0 {
				t.Errorf("the spouse sees %d ballots (%v)", n, err)
			}
			wstep("a ballot from a page left open",
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const f = document.createElement('form'); f.method = 'post'; f.action = '/votes/%s/ballot';
						const i = document.createElement('input'); i.type = 'hidden'; i.name = 'choices'; i.value = '2'; f.append(i);
						document.body.append(f); f.submit(); return true })()`, voteID))(ctx, tg)
					return err
				}),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "vote-06-second-member"))
			if s := wtext(`.error-summary`); !strings.Contains(s, "这一户已经投过票了，每户只能投一票") {
				t.Errorf("the second member's ballot: %q", s)
			}

			// Staff: the roll, a proxy for 李家, close.
			sstep("staff see the roll",
				chromedp.Navigate(a.url+"/votes/"+voteID),
				chromedp.WaitVisible(chromedp.CSS(`#vote-roll`)))
			if s := stext(`#vote-roll`); !strings.Contains(s, "已投票") || strings.Contains(s, "同意") {
				t.Errorf("the roll: %q", s)
			}
			// The vote's cards (the ballot's turnout, the staff's proxy form and roll) keep their
			// text and fields off the cards' edges.
			noLayoutFaults(t, staff, "/votes/"+voteID+" as staff")
			sstep("proxy for 李家",
				chromedp.SetValue(chromedp.CSS(`select[name=voter_id]`), itoa(hs[1])),
				press(`#proxy input[name=choices]`),
				press(`#proxy button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#receipt-code`)),
				shot(t, vp, "vote-07-proxy"))
			sstep("close",
				press(`#close button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#result`)),
				shot(t, vp, "vote-08-closed"))

			// The result on the head's page, and its receipt counted.
			hstep("the head checks the result and its receipt",
				chromedp.Navigate(a.url+"/votes/"+voteID+"?receipt="+receipt),
				chromedp.WaitVisible(chromedp.CSS(`#result`)),
				shot(t, vp, "vote-09-result"))
			noLayoutFaults(t, head, "/votes/"+voteID+" with its result and receipt check")
			if s := htext(`#outcome`); s != "表决通过" {
				t.Errorf("outcome %q", s)
			}
			if s := htext(`#receipt-answer`); !strings.Contains(s, "已计入结果") {
				t.Errorf("receipt: %q", s)
			}
			if s := htext(`#turnout-buildings`); !strings.Contains(s, "1栋") {
				t.Errorf("turnout by building: %q", s)
			}

			// The community's public disclosure page, without login: the result is there.
			code := mustPublicCode(t, a, stair)
			public := mustBrowser(t, vp)
			pstep, ptext := steps(t, public)
			pstep("anyone opens the disclosure page",
				chromedp.Navigate(a.url+"/p/"+code),
				chromedp.WaitVisible(chromedp.CSS(`#disclosure-votes`)),
				shot(t, vp, "vote-10-disclosure"))
			if s := ptext(`#disclosure-votes`); !strings.Contains(s, "1单元是否加装电梯") || !strings.Contains(s, "表决通过") {
				t.Errorf("the disclosure's votes: %q", s)
			}
			if s := ptext(`body`); strings.Contains(s, "张家户主") || strings.Contains(s, "1栋1单元101室") {
				t.Errorf("personal data on the disclosure page: %q", s)
			}
		})
	}
}
