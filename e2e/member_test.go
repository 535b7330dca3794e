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

// TestMemberFlows: a community secretary at a desk opens the member list, filters it by name and
// opens a profile; a member opens "my branch" on the phone and sees the transfer of their
// organizational relation waiting; the secretary by post of the receiving branch (a member
// account) sees it waiting there too, opens it and accepts it — at phone and desktop size.
func TestMemberFlows(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			find := func(kind model.TerritoryKind) *model.Territory {
				p, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: kind})
				if err != nil || len(p.Items) == 0 {
					t.Fatalf("no %s: %v", kind, err)
				}
				return p.Items[0]
			}
			street, community, grid := find(model.KindStreet), find(model.KindCommunity), find(model.KindGrid)
			grid2, err := a.st.CreateTerritory(bg, sys, model.TerritoryInput{ParentID: community.ID, Kind: model.KindGrid, Name: "第二网格"})
			if err != nil {
				t.Fatal(err)
			}
			mk := func(in model.OrgInput) *model.Org {
				t.Helper()
				o, err := a.st.CreateOrg(bg, sys, in)
				if err != nil {
					t.Fatal(err)
				}
				return o
			}
			so := mk(model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: street.ID})
			co := mk(model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: so.ID, Name: "天宝社区大党委", TerritoryID: community.ID})
			b1 := mk(model.OrgInput{Kind: model.OrgGridBranch, ParentID: co.ID, Name: "第一网格党支部", TerritoryID: grid.ID})
			b2 := mk(model.OrgInput{Kind: model.OrgGridBranch, ParentID: co.ID, Name: "第二网格党支部", TerritoryID: grid2.ID})
			account := func(username, name string) int64 {
				t.Helper()
				u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: username, DisplayName: name, Password: "party member 2026 冬",
					Role: model.RoleMember, ScopeID: community.ID})
				if err != nil {
					t.Fatal(err)
				}
				return u.ID
			}
			member := func(name string, org int64, status model.MemberStatus, category model.MemberCategory, user int64) *model.Member {
				t.Helper()
				m, err := a.st.CreateMember(bg, sys, model.MemberInput{Name: name, OrgID: org, Status: status, Category: category, JoinedOn: "2008-07-01"})
				if err != nil {
					t.Fatal(err)
				}
				if user != 0 {
					if _, err := a.st.DB().Exec(`UPDATE party_members SET user_id = ? WHERE id = ?`, user, m.ID); err != nil {
						t.Fatal(err)
					}
				}
				return m
			}
			wang := member("王秀英", b1.ID, model.MemberFull, model.CategoryRetired, account("wangxiuying", "王秀英"))
			li := member("李建国", b1.ID, model.MemberFull, model.CategoryInWork, 0)
			member("王德明", b1.ID, model.MemberFull, model.CategoryUnemployed, 0)
			zhang := member("张书记", b2.ID, model.MemberFull, model.CategoryInWork, account("zhangshuji", "张书记"))
			if _, err := a.st.AddPost(bg, sys, b2.ID, model.PostInput{Post: model.PostSecretary, MemberID: zhang.ID, StartsOn: time.Now().AddDate(-1, 0, 0)}); err != nil {
				t.Fatal(err)
			}
			tr, err := a.st.RequestTransfer(bg, sys, model.TransferInput{MemberID: wang.ID, ToOrgID: b2.ID, Reason: "搬到第二网格居住"})
			if err != nil {
				t.Fatal(err)
			}

			text := func(ctx context.Context, sel string) string {
				t.Helper()
				s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
				if err != nil {
					t.Fatalf("text of %s: %v", sel, err)
				}
				return s
			}
			do := func(ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(ctx, actions...); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}

			// Staff at a desk: the list, the filter, a profile.
			desk := mustBrowser(t, vp)
			do(desk, "staff log in", login(a, "tianbao", "zhongba street 2026 spring", staffSecret)...)
			do(desk, "open the member list",
				chromedp.Navigate(a.url+"/party/members"),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/party/members/`+itoa(li.ID)+`"]`)),
				shot(t, vp, "71-member-list"),
			)
			do(desk, "filter by name",
				chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "王"),
				chromedp.Submit(chromedp.CSS(`input[name=q]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`a[href="/party/members/`+itoa(li.ID)+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/party/members/`+itoa(wang.ID)+`"]`)),
				shot(t, vp, "72-member-list-filtered"),
			)
			if s := text(desk, `#results`); !strings.Contains(s, "王秀英") || !strings.Contains(s, "王德明") || strings.Contains(s, "李建国") {
				t.Errorf("filtered list %q: want both 王 and not 李", s)
			}
			do(desk, "open a profile",
				pressAway(`a[href="/party/members/`+itoa(wang.ID)+`"]`), // the list has an h1 too
				chromedp.WaitVisible(chromedp.CSS(`h1`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=q]`)),
				shot(t, vp, "73-member-profile"),
			)
			if s := text(desk, `main`); !strings.Contains(s, "王秀英") || !strings.Contains(s, "第一网格党支部") {
				t.Errorf("profile %q", s)
			}

			// The post form of the first branch: the secretary is picked from the roster by name.
			jsClick := func(sel string) chromedp.Action[chromedp.Void] {
				click := chromedp.Evaluate[bool](`(document.querySelector('` + sel + `').click(), true)`)
				return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
					_, err := click(ctx, tg)
					return chromedp.Void{}, err
				}
			}
			do(desk, "pick a post holder from the roster",
				chromedp.Navigate(a.url+"/party/orgs/"+itoa(b1.ID)),
				chromedp.WaitVisible(chromedp.CSS(`#form-post summary`)),
				jsClick(`#form-post summary`),
				chromedp.WaitVisible(chromedp.CSS(`#form-post input[name=q]`)),
				chromedp.SendKeys(chromedp.CSS(`#form-post input[name=q]`), "德明"),
				chromedp.WaitNotPresent(chromedp.CSS(`#holder-results input[value="`+itoa(wang.ID)+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#holder-results input[name=member_id]`)),
				jsClick(`#holder-results input[name=member_id]`),
				chromedp.SetValue(chromedp.CSS(`#form-post input[name=starts_on]`), time.Now().In(model.Shanghai).Format(time.DateOnly)),
				shot(t, vp, "78-post-holder-picked"),
				jsClick(`#post-form button.btn-primary`),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
			)
			if posts, err := a.st.OrgPosts(bg, sys, b1.ID, false); err != nil || len(posts) != 1 || posts[0].HolderName != "王德明" || posts[0].MemberID == 0 {
				t.Errorf("posts of the first branch: %+v %v", posts, err)
			}

			// The member: "my branch" shows the transfer waiting.
			phone := mustBrowser(t, vp)
			do(phone, "member log in", login(a, "wangxiuying", "party member 2026 冬", "")...)
			do(phone, "open my branch",
				chromedp.Navigate(a.url+"/party/me"),
				chromedp.WaitVisible(chromedp.CSS(`#transfers`)),
				chromedp.ScrollIntoView(chromedp.CSS(`#transfers`)),
				shot(t, vp, "74-my-branch-transfer"),
			)
			if s := text(phone, `#transfers`); !strings.Contains(s, "第二网格党支部") || !strings.Contains(s, model.TransferRequested.Label()) {
				t.Errorf("my transfers %q: want the request to the second branch, waiting", s)
			}

			// The receiving branch's secretary by post accepts it from "my branch".
			sec := mustBrowser(t, vp)
			do(sec, "secretary log in", login(a, "zhangshuji", "party member 2026 冬", "")...)
			do(sec, "open my branch as secretary",
				chromedp.Navigate(a.url+"/party/me"),
				chromedp.WaitVisible(chromedp.CSS(`#transfers-pending`)),
				chromedp.ScrollIntoView(chromedp.CSS(`#transfers-pending`)),
				shot(t, vp, "75-secretary-pending-transfer"),
			)
			if s := text(sec, `#transfers-pending`); !strings.Contains(s, "王秀英") {
				t.Errorf("pending %q: want 王秀英's transfer", s)
			}
			follow := chromedp.Evaluate[bool](`(document.querySelector('#transfers-pending a[href="/party/transfers/` + itoa(tr.ID) + `"]').click(), true)`)
			accept := chromedp.Evaluate[bool](`(document.querySelector('form[action="/party/transfers/` + itoa(tr.ID) + `/accept"] button[type=submit]').click(), true)`)
			do(sec, "open and accept the transfer",
				func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
					_, err := follow(ctx, tg)
					return chromedp.Void{}, err
				},
				chromedp.WaitVisible(chromedp.CSS(`form[action="/party/transfers/`+itoa(tr.ID)+`/accept"]`)),
				shot(t, vp, "76-transfer-to-accept"),
				func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
					_, err := accept(ctx, tg)
					return chromedp.Void{}, err
				},
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				shot(t, vp, "77-transfer-accepted"),
			)
			got, err := a.st.Transfer(bg, sys, tr.ID)
			if err != nil || got.Status != model.TransferAccepted {
				t.Fatalf("transfer after accept: %+v %v", got, err)
			}
			if m, err := a.st.Member(bg, sys, wang.ID); err != nil || m.OrgID != b2.ID {
				t.Errorf("member after accept: %+v %v", m, err)
			}
			do(phone, "the member sees it accepted",
				chromedp.Navigate(a.url+"/party/me"),
				chromedp.WaitVisible(chromedp.CSS(`#transfers`)),
			)
			if s := text(phone, `#transfers`); !strings.Contains(s, model.TransferAccepted.Label()) {
				t.Errorf("my transfers after accept %q", s)
			}
		})
	}
}
