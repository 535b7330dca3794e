package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// TestEditResidentFlow: from the household page open a member's 修改, change the occupation and
// type a phone number that is not one, see the Chinese error with the input kept, fix it, and
// see the change saved and in the household's history — at phone and at desktop size.
func TestEditResidentFlow(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: "102室"})
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := idWith("19650308", "111")
			if _, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王建华", IDNumber: head,
				Phone: "13812345678", Relation: model.RelationHead}); err != nil {
				t.Fatal(err)
			}
			son, _, _ := idWith("19950611", "131")
			m, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王小明", IDNumber: son,
				Relation: "子女", Occupation: "学生"})
			if err != nil {
				t.Fatal(err)
			}
			ctx := mustBrowser(t, vp)
			step, text := steps(t, ctx)
			edit := `a[href="/residents/` + itoa(m.ID) + `/edit"]`

			step("log in",
				chromedp.Navigate(a.url+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "tianbao"),
				chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "zhongba street 2026 spring"),
				chromedp.Submit(chromedp.CSS(`input[name=password]`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=otp]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), totpNow(t, staffSecret)),
				chromedp.Submit(chromedp.CSS(`input[name=otp]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=otp]`)),
			)
			step("open the member's edit form from the household page",
				chromedp.Navigate(a.url+"/households/"+itoa(h.ID)),
				chromedp.WaitVisible(chromedp.CSS(edit)),
				shot(t, vp, "21-household-before-edit"),
				chromedp.Click(chromedp.CSS(edit)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=occupation]`)),
				shot(t, vp, "22-edit-form"),
			)
			if page := text(`main`); strings.Contains(page, son) || !strings.Contains(page, model.MaskIDNumber(son)) {
				t.Errorf("edit form %q: want the ID number masked, never in full", page)
			}
			step("change the occupation and type a bad phone",
				chromedp.SetValue(chromedp.CSS(`input[name=occupation]`), "教师"),
				chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "12345"),
				chromedp.Submit(chromedp.CSS(`input[name=occupation]`)),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "23-edit-invalid-phone"),
			)
			want := model.CheckPhone("12345")
			if s := text(`.error-summary`); !strings.Contains(s, want) {
				t.Errorf("error summary %q lacks %q", s, want)
			}
			if s := text(`.field-invalid`); !strings.Contains(s, want) {
				t.Errorf("inline error %q lacks %q", s, want)
			}
			if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name=occupation]`))); v != "教师" {
				t.Errorf("occupation after the error = %q, want the input kept", v)
			}
			step("fix the phone and save",
				chromedp.SetValue(chromedp.CSS(`input[name=phone]`), "13987654321"),
				chromedp.Submit(chromedp.CSS(`input[name=phone]`)),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				chromedp.WaitVisible(chromedp.CSS(`.timeline`)),
				shot(t, vp, "24-household-after-edit"),
			)
			if s := text(`.notice`); !strings.Contains(s, "成员信息已保存") {
				t.Errorf("notice %q", s)
			}
			if s := text(`.timeline`); !strings.Contains(s, "修改成员") || !strings.Contains(s, "王小明：联系电话、职业") {
				t.Errorf("history %q lacks the change", s)
			}
			page := text(`main`)
			if !strings.Contains(page, "教师") || !strings.Contains(page, "139****4321") || strings.Contains(page, "13987654321") {
				t.Errorf("household page %q: want 教师 and 139****4321, never the full phone", page)
			}
		})
	}
}
