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

// TestNotice: staff publish a notice to a stairwell at the desk (the missing text named in the
// form first), pinned and public; the head of a household finds it pinned and unread in the
// phone's feed, reads it and taps 知道了; staff see one of two households reached and the other
// in the unread list; anyone finds it on the community's disclosure page without a household's
// data — each page at phone and desktop size, checked for layout faults.
func TestNotice(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			var people []int64
			for i, name := range []string{"赵家", "钱家"} {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19620415", fmt.Sprintf("%03d", 500+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: name + "户主", IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				people = append(people, r.ID)
			}
			u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zhaojia", DisplayName: "zhaojia", Password: "notice board 2026 小雪", Role: model.RoleResident, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.st.LinkResident(bg, sys, u.ID, people[0]); err != nil {
				t.Fatal(err)
			}

			staff := mustBrowser(t, vp)
			sstep, stext := steps(t, staff)
			sstep("staff fill the notice without its text", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/notices"),
				chromedp.WaitVisible(chromedp.CSS(`#notices`)),
				press(`#new-notice`),
				chromedp.WaitVisible(chromedp.CSS(`#form-notice`)),
				chromedp.SetValue(chromedp.CSS(`input[name=title]`), "1栋明日停水通知"),
				chromedp.SetValue(chromedp.CSS(`select[name=territory_id]`), itoa(stair.ID)),
				press(`#form-notice input[name=pinned]`),
				press(`#form-notice input[name=public]`),
				press(`#form-notice button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "notice-01-form-error"))...)
			if s := stext(`.error-summary`); !strings.Contains(s, "请填写公告内容") {
				t.Errorf("the refusal: %q", s)
			}
			noLayoutFaults(t, staff, "the notice form with an error")
			sstep("give the text and publish",
				chromedp.SetValue(chromedp.CSS(`textarea[name=body]`), "因管网维修，明天上午 9 点到 12 点停水，请提前储水。"),
				press(`#form-notice button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#notice-staff`)),
				shot(t, vp, "notice-02-published"))
			if s := stext(`#reads`); s != "已读 0 / 2 户" {
				t.Errorf("receipts after publishing: %q", s)
			}
			if s := stext(`.page-head .lead`); !strings.Contains(s, "置顶") || !strings.Contains(s, "公开") {
				t.Errorf("the notice's tags: %q", s)
			}
			noticeID, err := chromedp.Run(staff, chromedp.Evaluate[string](`location.pathname.split('/').pop()`))
			if err != nil {
				t.Fatal(err)
			}

			// The head of 赵家 on the phone: pinned and unread in the feed, then 知道了.
			head := mustBrowser(t, vp)
			hstep, htext := steps(t, head)
			hstep("the head finds the notice in the feed", append(login(a, "zhaojia", "notice board 2026 小雪", ""),
				chromedp.Navigate(a.url+"/notices"),
				chromedp.WaitVisible(chromedp.CSS(`#notice-`+noticeID)),
				shot(t, vp, "notice-03-feed"))...)
			if s := htext(`#notice-` + noticeID); !strings.Contains(s, "置顶") || !strings.Contains(s, "未读") {
				t.Errorf("the feed's item: %q", s)
			}
			noLayoutFaults(t, head, "the resident's notice feed")
			hstep("read it and tap 知道了",
				press(`#notice-`+noticeID+` a`),
				chromedp.WaitVisible(chromedp.CSS(`#acknowledge`)),
				press(`#acknowledge button`),
				chromedp.WaitVisible(chromedp.CSS(`#acknowledged`)),
				shot(t, vp, "notice-04-read"))
			if s := htext(`#notice-body`); !strings.Contains(s, "请提前储水") {
				t.Errorf("the notice's text: %q", s)
			}
			noLayoutFaults(t, head, "the notice read by a resident")

			sstep("staff see the receipt",
				chromedp.Reload(),
				chromedp.WaitVisible(chromedp.CSS(`#notice-unread`)),
				shot(t, vp, "notice-05-receipts"))
			if s := stext(`#reads`); s != "已读 1 / 2 户" {
				t.Errorf("receipts after reading: %q", s)
			}
			if s := stext(`#notice-unread`); !strings.Contains(s, "1栋1单元201室") || strings.Contains(s, "101室") {
				t.Errorf("the unread households: %q", s)
			}
			noLayoutFaults(t, staff, "the notice's receipts")

			// The public notice on the disclosure page, without login or a household's data.
			code := mustPublicCode(t, a, stair)
			public := mustBrowser(t, vp)
			pstep, ptext := steps(t, public)
			pstep("anyone opens the disclosure page",
				chromedp.Navigate(a.url+"/p/"+code),
				chromedp.WaitVisible(chromedp.CSS(`#disclosure-notices`)),
				shot(t, vp, "notice-06-disclosure"))
			if s := ptext(`#notice-` + noticeID); !strings.Contains(s, "1栋明日停水通知") || !strings.Contains(s, "请提前储水") {
				t.Errorf("the disclosure's notice: %q", s)
			}
			if s := ptext(`body`); strings.Contains(s, "赵家户主") || strings.Contains(s, "1栋1单元101室") || strings.Contains(s, "已读") {
				t.Errorf("household data on the disclosure page: %q", s)
			}
		})
	}
}
