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

// mustCommunity builds 江油市 › 中坝街道 › 天宝社区 › 第一网格 › 1栋 › 1单元 and a community
// admin for 天宝社区, and returns the stairwell.
func mustCommunity(t *testing.T, a *app) *model.Territory {
	t.Helper()
	ctx := context.Background()
	var parent int64
	var node *model.Territory
	for _, n := range []struct {
		kind model.TerritoryKind
		name string
	}{{model.KindDistrict, "江油市"}, {model.KindStreet, "中坝街道"}, {model.KindCommunity, "天宝社区"},
		{model.KindGrid, "第一网格"}, {model.KindBuilding, "1栋"}, {model.KindStairwell, "1单元"}} {
		var err error
		node, err = a.st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: parent, Kind: n.kind, Name: n.name})
		if err != nil {
			t.Fatal(err)
		}
		if n.kind == model.KindCommunity {
			if _, err := a.st.CreateUser(ctx, authz.System(), store.UserInput{Username: "tianbao", DisplayName: "李书记",
				Password: "zhongba street 2026 spring", Role: model.RoleCommunityAdmin, ScopeID: node.ID, TOTPSecret: staffSecret}); err != nil {
				t.Fatal(err)
			}
		}
		parent = node.ID
	}
	return node
}

// idWith returns a valid ID number for birth date birth and sequence seq, and the same number
// with a wrong check digit, with the digit the page must name.
func idWith(birth, seq string) (good, bad string, want byte) {
	first := "510781" + birth + seq
	want = model.IDCheckDigit(first)
	wrong := byte('0')
	if want == '0' {
		wrong = '1'
	}
	return first + string(want), first + string(wrong), want
}

// TestAddHouseholdFlow: log in, browse the tree to a stairwell, add a household whose head has an
// invalid ID number, see the Chinese error with the input kept, fix it, and see the resident
// listed with a masked ID number — at phone and at desktop size.
func TestAddHouseholdFlow(t *testing.T) {
	t.Parallel()
	for i, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			ctx := mustBrowser(t, vp)
			good, bad, digit := idWith("19580312", "10"+string(rune('1'+i)))

			step, text := steps(t, ctx)

			step("log in",
				chromedp.Navigate(a.url+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				shot(t, vp, "01-login"),
				chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "tianbao"),
				chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "zhongba street 2026 spring"),
				chromedp.Submit(chromedp.CSS(`input[name=password]`)),
				// Staff give the code of their authenticator app in a second step.
				chromedp.WaitVisible(chromedp.CSS(`input[name=otp]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), totpNow(t, staffSecret)),
				chromedp.Submit(chromedp.CSS(`input[name=otp]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=otp]`)),
				shot(t, vp, "02-home"),
			)
			step("browse to the stairwell",
				chromedp.Navigate(a.url+"/territories"),
				chromedp.WaitVisible(`//a[normalize-space()='第一网格']`),
				shot(t, vp, "03-community"),
				chromedp.Click(`//a[normalize-space()='第一网格']`),
				chromedp.WaitVisible(`//a[normalize-space()='1栋']`),
				chromedp.Click(`//a[normalize-space()='1栋']`),
				chromedp.WaitVisible(`//a[normalize-space()='1单元']`),
				away(chromedp.Click(`//a[normalize-space()='1单元']`)), // the building's page has the link too
				chromedp.WaitVisible(chromedp.CSS(`a[href^="/households/new?territory="]`)),
				shot(t, vp, "04-stairwell"),
			)
			if crumbs := text(`nav[aria-label] ol, .breadcrumb`); !strings.Contains(crumbs, "天宝社区") || !strings.Contains(crumbs, "1栋") {
				t.Errorf("breadcrumb %q lacks 天宝社区 › … › 1栋", crumbs)
			}
			step("open the add-household form",
				chromedp.Click(chromedp.CSS(`a[href^="/households/new?territory="]`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=id_number]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=address]`), "101室"),
				chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "张建国"),
				chromedp.SendKeys(chromedp.CSS(`input[name=id_number]`), bad),
				chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "13812345678"),
				shot(t, vp, "05-form"),
				chromedp.Submit(chromedp.CSS(`input[name=id_number]`)),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "06-invalid-id"),
			)
			want := "身份证号第18位校验码应为" + string(digit)
			if s := text(`.error-summary`); !strings.Contains(s, want) {
				t.Errorf("error summary %q lacks %q", s, want)
			}
			if s := text(`.field-invalid`); !strings.Contains(s, want) {
				t.Errorf("inline error %q lacks %q", s, want)
			}
			if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name=name]`))); v != "张建国" {
				t.Errorf("name after the error = %q, want the input kept", v)
			}
			step("fix the ID number",
				chromedp.SetValue(chromedp.CSS(`input[name=id_number]`), good),
				chromedp.Submit(chromedp.CSS(`input[name=id_number]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=id_number]`)),
				shot(t, vp, "07-household"),
			)
			masked := model.MaskIDNumber(good)
			page := text(`main`)
			if !strings.Contains(page, "张建国") || !strings.Contains(page, masked) || strings.Contains(page, good) {
				t.Errorf("household page shows %q; want 张建国 with %s and never the full number", page, masked)
			}
			step("list residents",
				chromedp.Navigate(a.url+"/residents?territory="+itoa(stair.ID)),
				chromedp.WaitVisible(chromedp.CSS(`main`)),
				shot(t, vp, "08-residents"),
			)
			page = text(`main`)
			if !strings.Contains(page, masked) || strings.Contains(page, good) || !strings.Contains(page, "138****5678") {
				t.Errorf("residents list %q: want %s and 138****5678, never the full numbers", page, masked)
			}
		})
	}
}

// mustPublicCode gives the community above stairwell stair (district, street, community …)
// the code 510781006001 and returns it: the address of its disclosure page, /p/{code}.
func mustPublicCode(t *testing.T, a *app, stair *model.Territory) string {
	t.Helper()
	bg, sys := context.Background(), authz.System()
	comm, err := a.st.Territory(bg, sys, model.PathIDs(stair.Path)[2])
	if err != nil || comm.Kind != model.KindCommunity {
		t.Fatalf("the community: %+v %v", comm, err)
	}
	code := "510781006001"
	if _, err := a.st.RenameTerritory(bg, sys, comm.ID, comm.Name, &code); err != nil {
		t.Fatal(err)
	}
	return code
}
