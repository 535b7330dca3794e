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

// TestTopic: a resident on the phone opens 议题讨论, finds the topics near it by level, raises a
// topic over its community (a missing title answered in the form first) whose title holds a
// script and an image that would run one — both shown as text, neither run; a neighbour replies
// with a phone number; staff hide the reply with a reason (staff still read it, the resident
// reads 此内容已被隐藏：<reason>) and turn the topic into a vote, which the topic then links to
// — on the phone and at desktop size.
func TestTopic(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			for i, who := range []struct{ user, name string }{{"wangjia", "王家户主"}, {"zhaojia", "赵家户主"}} {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d02室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19600415", fmt.Sprintf("%03d", 400+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: who.name, IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				display := map[string]string{"wangjia": "王阿姨", "zhaojia": "赵师傅"}[who.user]
				u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: who.user, DisplayName: display, Password: "talk it over 2026 大雪", Role: model.RoleResident, ScopeID: stair.ID})
				if err != nil {
					t.Fatal(err)
				}
				if err := a.st.LinkResident(bg, sys, u.ID, r.ID); err != nil {
					t.Fatal(err)
				}
			}
			// pick chooses the option of select sel whose label starts with prefix.
			pick := func(sel, prefix string) chromedp.Action[chromedp.Void] {
				return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := chromedp.Evaluate[bool](`(() => { const s = document.querySelector('`+sel+`');
						s.value = [...s.options].find(o => o.text.startsWith('`+prefix+`')).value; return true })()`)(ctx, tg)
					return err
				})
			}
			title := `<script>window.__xss=1</script><img src=x onerror="window.__xss=1">小区停车难怎么办`

			res := mustBrowser(t, vp)
			rstep, rtext := steps(t, res)
			rstep("the resident opens the topics near it", append(login(a, "wangjia", "talk it over 2026 大雪", ""),
				chromedp.Navigate(a.url+"/topics"),
				chromedp.WaitVisible(chromedp.CSS(`#topic-levels`)),
				shot(t, vp, "topic-01-empty"))...)
			if s := rtext(`#topic-levels`); !strings.Contains(s, "1单元") || !strings.Contains(s, "天宝社区") || !strings.Contains(s, "中坝街道") {
				t.Errorf("the levels: %q", s)
			}
			rstep("a topic without a title is answered in the form",
				press(`#new-topic`),
				chromedp.WaitVisible(chromedp.CSS(`#form-topic`)),
				pick(`select[name=territory_id]`, "社区"),
				chromedp.SetValue(chromedp.CSS(`textarea[name=body]`), "晚上七点以后小区里停不下车，能不能把东侧空地划成车位？"),
				press(`#form-topic button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "topic-02-form-error"))
			if s := rtext(`.error-summary`); !strings.Contains(s, "请填写议题标题") {
				t.Errorf("the refusal: %q", s)
			}
			rstep("raise it with a script in the title",
				chromedp.SetValue(chromedp.CSS(`input[name=title]`), title),
				press(`#form-topic button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#topic-body`)),
				shot(t, vp, "topic-03-raised"))
			if s := rtext(`#topic-title`); s != title {
				t.Errorf("the title: %q, want it as text", s)
			}
			if ran, err := chromedp.Run(res, chromedp.Evaluate[bool](`window.__xss === 1`)); err != nil || ran {
				t.Errorf("the title's script ran: %v (%v)", ran, err)
			}
			topicPath, err := chromedp.Run(res, chromedp.Evaluate[string](`location.pathname`))
			if err != nil {
				t.Fatal(err)
			}

			// The neighbour replies from its phone.
			nb := mustBrowser(t, vp)
			nstep, _ := steps(t, nb)
			nstep("the neighbour finds it in its list", append(login(a, "zhaojia", "talk it over 2026 大雪", ""),
				chromedp.Navigate(a.url+"/topics"),
				chromedp.WaitVisible(chromedp.CSS(`#topic-list`)),
				shot(t, vp, "topic-04-list"))...)
			noLayoutFaults(t, nb, "the list of topics")
			nstep("the neighbour replies",
				chromedp.Navigate(a.url+topicPath),
				chromedp.WaitVisible(chromedp.CSS(`#form-reply`)),
				chromedp.SetValue(chromedp.CSS(`#form-reply textarea[name=body]`), "赞成！有事打我电话 13912345678"),
				press(`#reply-submit`),
				chromedp.WaitVisible(chromedp.CSS(`#replies`)),
				shot(t, vp, "topic-05-replied"))
			if ran, err := chromedp.Run(nb, chromedp.Evaluate[bool](`window.__xss === 1`)); err != nil || ran {
				t.Errorf("the list's title ran a script: %v (%v)", ran, err)
			}

			// Staff hide the reply and propose the topic.
			staff := mustBrowser(t, vp)
			sstep, stext := steps(t, staff)
			sstep("staff hide the reply with a reason", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+topicPath),
				chromedp.WaitVisible(chromedp.CSS(`#replies`)),
				press(`#replies details summary`),
				chromedp.SetValue(chromedp.CSS(`#replies details input[name=reason]`), "含有个人电话号码"),
				press(`#replies details button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#replies .topic-hidden`)),
				shot(t, vp, "topic-06-staff-hidden"))...)
			if s := stext(`#replies`); !strings.Contains(s, "此内容已被隐藏：含有个人电话号码") || !strings.Contains(s, "13912345678") {
				t.Errorf("staff's view of the hidden reply: %q", s)
			}
			rstep("the resident reads the reason, not the reply",
				chromedp.Navigate(a.url+topicPath),
				chromedp.WaitVisible(chromedp.CSS(`#replies .topic-hidden`)),
				shot(t, vp, "topic-07-resident-hidden"))
			if s := rtext(`#replies`); !strings.Contains(s, "此内容已被隐藏：含有个人电话号码") || strings.Contains(s, "13912345678") {
				t.Errorf("the resident's view of the hidden reply: %q", s)
			}
			sstep("staff turn the topic into a vote",
				chromedp.Navigate(a.url+topicPath),
				chromedp.WaitVisible(chromedp.CSS(`#propose`)),
				press(`#propose`),
				chromedp.WaitVisible(chromedp.CSS(`#form-vote`)),
				chromedp.SetValue(chromedp.CSS(`input[name=title]`), "是否把东侧空地划为停车位"),
				shot(t, vp, "topic-08-propose"),
				press(`#propose-submit`),
				chromedp.WaitVisible(chromedp.CSS(`#vote-topic`)),
				shot(t, vp, "topic-09-vote"))
			rstep("the resident sees the vote on the topic",
				chromedp.Navigate(a.url+topicPath),
				chromedp.WaitVisible(chromedp.CSS(`#topic-vote`)),
				shot(t, vp, "topic-10-proposed"))
			if s := rtext(`#topic-vote`); !strings.Contains(s, "是否把东侧空地划为停车位") {
				t.Errorf("the topic's vote: %q", s)
			}
		})
	}
}
