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

// TestSubjectFlow: a resident logs in on a phone, opens 我的 › 我的信息, sees their own record in
// full and the neighbour's never, asks for a correction of the phone one question per page,
// checks the answers, submits, and sees the request 待处理; once staff accept it, 已更正 and the new
// number — at phone and at desktop size.
func TestSubjectFlow(t *testing.T) {
	t.Parallel()
	for i, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg := context.Background()
			sys := authz.System()
			own, _, _ := idWith("19580312", "20"+string(rune('1'+i)))
			other, _, _ := idWith("19600101", "30"+string(rune('1'+i)))
			h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: "101室", Flags: model.HouseholdFlags{ElderlyAlone: true}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张建国", IDNumber: own, Phone: "13812345678", Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			h2, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: "102室"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h2.ID, Name: "王邻居", IDNumber: other, Relation: model.RelationHead}); err != nil {
				t.Fatal(err)
			}
			u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zhangjianguo", DisplayName: "张建国", Password: "my own data 2026 春",
				Role: model.RoleResident, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.st.LinkResident(bg, sys, u.ID, res.ID); err != nil {
				t.Fatal(err)
			}

			ctx := mustBrowser(t, vp)
			step, text := steps(t, ctx)

			step("log in and open 我的信息",
				chromedp.Navigate(a.url+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "zhangjianguo"),
				chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "my own data 2026 春"),
				chromedp.Submit(chromedp.CSS(`input[name=password]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=password]`)),
				chromedp.Navigate(a.url+"/me"),
				chromedp.WaitVisible(chromedp.CSS(`a.tile[href="/me/data"]`)),
				chromedp.Click(chromedp.CSS(`a.tile[href="/me/data"]`)),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/me/data/export"]`)),
				shot(t, vp, "subject-01-my-data"),
			)
			page := text(`main`)
			for _, want := range []string{"张建国", own, "13812345678", "101室", "独居老人"} {
				if !strings.Contains(page, want) {
					t.Errorf("我的信息 lacks %q", want)
				}
			}
			if strings.Contains(page, "王邻居") || strings.Contains(page, other) {
				t.Errorf("我的信息 shows the neighbour")
			}
			step("ask to correct the phone",
				chromedp.Click(chromedp.CSS(`a[href="/me/corrections/new?field=phone"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#f-correction-value`)),
				chromedp.SendKeys(chromedp.CSS(`#f-correction-value`), "12345"),
				chromedp.Submit(chromedp.CSS(`#f-correction-value`)),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "subject-02-invalid-phone"),
				chromedp.SetValue(chromedp.CSS(`#f-correction-value`), "13987654321"),
				chromedp.Submit(chromedp.CSS(`#f-correction-value`)),
				chromedp.WaitVisible(chromedp.CSS(`#f-correction-reason`)),
				chromedp.SendKeys(chromedp.CSS(`#f-correction-reason`), "换了新手机号"),
				chromedp.Submit(chromedp.CSS(`#f-correction-reason`)),
				chromedp.WaitVisible(chromedp.CSS(`.inline-form .btn-link`)),
				shot(t, vp, "subject-03-check"),
			)
			if s := text(`main`); !strings.Contains(s, "13987654321") || !strings.Contains(s, "换了新手机号") {
				t.Errorf("check page %q lacks the answers", s)
			}
			step("submit",
				chromedp.Click(chromedp.CSS(`form.form-actions-sticky button.btn-primary`)),
				chromedp.WaitVisible(chromedp.CSS(`#corrections .tag-gold`)),
				shot(t, vp, "subject-04-sent"),
			)
			mine, err := a.st.MyCorrections(bg, u.ID)
			if err != nil || len(mine) != 1 {
				t.Fatalf("requests = %v, %v", mine, err)
			}
			if _, err := a.st.AcceptCorrection(bg, sys, mine[0].ID, "已电话核实"); err != nil {
				t.Fatal(err)
			}
			step("see it accepted",
				chromedp.Navigate(a.url+"/me/data"),
				chromedp.WaitVisible(chromedp.CSS(`#corrections .tag-green`)),
				shot(t, vp, "subject-05-accepted"),
			)
			if s := text(`main`); !strings.Contains(s, "13987654321") || !strings.Contains(s, "已电话核实") {
				t.Errorf("after acceptance the page lacks the new number or the note")
			}
		})
	}
}
