package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
)

// TestFunds: a spending request with a receipt goes through the approval chain in the browser —
// the street has allocated this year's 党建活动经费; community staff fill the request form on the
// phone (an amount with a fraction of a fen answered first, the input kept), attach a receipt
// photo and submit; the community's secretary finds it under 待我审批 and approves step 1; the
// street admin approves step 2 and the request is paid; the statement shows the payment — on
// the phone and at desktop size.
func TestFunds(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			var community, street *model.Territory
			for n := stair; n.ParentID != 0; {
				p, err := a.st.Territory(bg, sys, n.ParentID)
				if err != nil {
					t.Fatal(err)
				}
				switch p.Kind {
				case model.KindCommunity:
					community = p
				case model.KindStreet:
					street = p
				}
				n = p
			}
			pw := "funds ledger 2026 冬至"
			for _, u := range []store.UserInput{
				{Username: "zhoushe", DisplayName: "周社工", Password: pw, Role: model.RoleCommunityStaff, ScopeID: community.ID, TOTPSecret: staffSecret},
				{Username: "jiedao", DisplayName: "街道王主任", Password: pw, Role: model.RoleStreetAdmin, ScopeID: street.ID, TOTPSecret: staffSecret},
			} {
				if _, err := a.st.CreateUser(bg, sys, u); err != nil {
					t.Fatal(err)
				}
			}
			cats, err := a.st.FundCategories(bg, false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.st.AllocateFund(bg, sys, model.FundAllocationInput{CommunityID: community.ID, CategoryID: cats[0].ID,
				Year: time.Now().In(model.Shanghai).Year(), Amount: "20000"}); err != nil {
				t.Fatal(err)
			}
			receipt := filepath.Join(t.TempDir(), "发票.jpg")
			if err := os.WriteFile(receipt, modeltest.JPEG(t, 800, 600), 0o600); err != nil {
				t.Fatal(err)
			}

			// Staff request on the phone form.
			sb := mustBrowserFor(t, vp, 2*tabLimit)
			sstep, stext := steps(t, sb)
			sstep("staff open the request form", append(login(a, "zhoushe", pw, staffSecret),
				chromedp.Navigate(a.url+"/funds/new"),
				chromedp.WaitVisible(chromedp.CSS(`#form-fund`)),
				chromedp.SetValue(chromedp.CSS(`select[name=category_id]`), itoa(cats[0].ID)),
				chromedp.SendKeys(chromedp.CSS(`input[name=purpose]`), "七一主题党日活动场地布置"),
				chromedp.SendKeys(chromedp.CSS(`input[name=amount]`), "1280.505"),
				chromedp.SendKeys(chromedp.CSS(`input[name=payee]`), "江油市红旗广告制作部"),
				shot(t, vp, "funds-01-form"),
				press(`#submit-fund`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "funds-02-fen-error"))...)
			if s := stext(`.error-summary`); !strings.Contains(s, "最小单位为分") {
				t.Errorf("a fraction of a fen: %q", s)
			}
			sstep("fix the amount, attach the receipt, submit",
				chromedp.SetValue(chromedp.CSS(`input[name=amount]`), "1280.50"),
				chromedp.SetUploadFiles(chromedp.CSS(`input[type=file][name=receipts]`), []string{receipt}),
				pressAway(`#submit-fund`),
				chromedp.WaitVisible(chromedp.CSS(`#fund-chain`)),
				shot(t, vp, "funds-03-submitted"))
			if s := stext(`#fund-status`); !strings.Contains(s, "审批中") || !strings.Contains(s, "社区书记审批") {
				t.Errorf("status after submitting: %q", s)
			}
			if s := stext(`#fund-receipts`); !strings.Contains(s, "票据（1）") {
				t.Errorf("receipts: %q", s)
			}
			fundPath, err := chromedp.Run(sb, chromedp.Evaluate[string](`location.pathname`))
			if err != nil {
				t.Fatal(err)
			}

			// The community's secretary approves step 1.
			cb := mustBrowserFor(t, vp, 2*tabLimit)
			cstep, ctext := steps(t, cb)
			cstep("the secretary finds it under 待我审批", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/funds?mine=1"),
				chromedp.WaitVisible(chromedp.CSS(`tbody tr a`)),
				shot(t, vp, "funds-04-to-decide"),
				press(`tbody tr a`),
				chromedp.WaitVisible(chromedp.CSS(`#form-decision`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=reason]`), "同意，按实报销"),
				shot(t, vp, "funds-05-decide"),
				press(`#approve`),
				chromedp.WaitVisible(chromedp.CSS(`#fund-waiting`)))...)
			if s := ctext(`#fund-step-1`); !strings.Contains(s, "同意") || !strings.Contains(s, "李书记") {
				t.Errorf("step 1: %q", s)
			}

			// The street approves step 2: paid.
			wb := mustBrowserFor(t, vp, 2*tabLimit)
			wstep, wtext := steps(t, wb)
			wstep("the street approves", append(login(a, "jiedao", pw, staffSecret),
				chromedp.Navigate(a.url+fundPath),
				chromedp.WaitVisible(chromedp.CSS(`#form-decision`)),
				pressAway(`#approve`),
				chromedp.WaitVisible(chromedp.CSS(`#fund-step-2`)),
				shot(t, vp, "funds-06-paid"))...)
			if s := wtext(`#fund-status`); !strings.Contains(s, "已批准支付") {
				t.Errorf("status after the street: %q", s)
			}
			if s := wtext(`#fund-budget`); !strings.Contains(s, "18719.50") {
				t.Errorf("budget left: %q", s)
			}
			wstep("the statement",
				chromedp.Navigate(a.url+"/funds/statement"),
				chromedp.WaitVisible(chromedp.CSS(`#statement-total`)),
				shot(t, vp, "funds-07-statement"))
			if s := wtext(`#statement-payments`); !strings.Contains(s, "1280.50") || !strings.Contains(s, "七一主题党日活动场地布置") {
				t.Errorf("statement payments: %q", s)
			}
			// Nothing looks broken on the phone: the tables of budgets and of the statement are
			// cards (not squeezed into a page wider than the screen), the cards of the request
			// (审批流程, 票据) and of the form (本年度可用余额) keep their text off their edges.
			noLayoutFaults(t, wb, "/funds/statement")
			for _, page := range []string{"/funds/budgets", fundPath} {
				wstep("open "+page, chromedp.Navigate(a.url+page), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
				noLayoutFaults(t, wb, page)
			}
			sstep("open /funds/new", chromedp.Navigate(a.url+"/funds/new"), chromedp.WaitVisible(chromedp.CSS(`#fund-available`)))
			noLayoutFaults(t, sb, "/funds/new")
		})
	}
}

// TestFundsConfig: a district admin keeps the funds' settings at the desk — opens 经费设置 from the
// funds list, adds a category (a sort that is not a number answered first, the input kept),
// retires it from its row's edit form, names the street's step of the approval chain anew after
// a step without a role is refused; the store holds what the page said.
func TestFundsConfig(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			district := stair
			for district.Kind != model.KindDistrict {
				p, err := a.st.Territory(bg, sys, district.ParentID)
				if err != nil {
					t.Fatal(err)
				}
				district = p
			}
			pw := "funds settings 2026 小雪"
			if _, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "quzhang", DisplayName: "区委组织部张科长", Password: pw,
				Role: model.RoleDistrictAdmin, ScopeID: district.ID, TOTPSecret: staffSecret}); err != nil {
				t.Fatal(err)
			}
			b := mustBrowser(t, vp)
			step, text := steps(t, b)
			step("open the settings from the funds list", append(login(a, "quzhang", pw, staffSecret),
				chromedp.Navigate(a.url+"/funds"),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/funds/config"]`)),
				chromedp.Click(chromedp.CSS(`a[href="/funds/config"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#form-category`)),
				shot(t, vp, "funds-config-01"))...)

			// Beside the taller chain form, the category form's row stretched it and its fields
			// with it (inputs 85 px tall at desk size) until forms kept their fields at the top.
			h, err := chromedp.Run(b, chromedp.Evaluate[float64](`document.querySelector('#form-category input[name=name]').getBoundingClientRect().height`))
			if err != nil || h > 60 {
				t.Errorf("the new category's name input is %.0f px tall (%v)", h, err)
			}
			step("a sort that is not a number",
				chromedp.SendKeys(chromedp.CSS(`#form-category input[name=name]`), "社区微更新经费"),
				chromedp.SendKeys(chromedp.CSS(`#form-category input[name=sort]`), "十"),
				chromedp.Click(chromedp.CSS(`#add-category`)),
				chromedp.WaitVisible(chromedp.CSS(`#form-category .field-invalid`)),
				shot(t, vp, "funds-config-02-sort-error"))
			if s := text(`#form-category`); !strings.Contains(s, "排序请填写整数") {
				t.Errorf("the sort's error: %q", s)
			}
			name, err := chromedp.Run(b, chromedp.Value(chromedp.CSS(`#form-category input[name=name]`)))
			if err != nil || name != "社区微更新经费" {
				t.Errorf("the name after the error = %q (%v), want it kept", name, err)
			}
			step("add it",
				chromedp.SetValue(chromedp.CSS(`#form-category input[name=sort]`), "90"),
				chromedp.Click(chromedp.CSS(`#add-category`)),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)))
			if s := text(`.notice`); !strings.Contains(s, "经费类别已保存") {
				t.Errorf("notice after adding: %q", s)
			}
			cats, err := a.st.FundCategories(bg, true)
			if err != nil {
				t.Fatal(err)
			}
			var added *model.FundCategory
			for _, c := range cats {
				if c.Name == "社区微更新经费" {
					added = c
				}
			}
			if added == nil || added.Sort != 90 || !added.Active {
				t.Fatalf("the added category: %+v", added)
			}

			row := `#category-` + itoa(added.ID)
			step("retire it from its row",
				chromedp.Click(chromedp.CSS(row+` summary`)),
				chromedp.WaitVisible(chromedp.CSS(row+` input[name=active]`)),
				chromedp.Click(chromedp.CSS(row+` input[name=active]`)),
				shot(t, vp, "funds-config-03-retire"),
				pressAway(row+` button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				chromedp.WaitVisible(chromedp.CSS(row)))
			if s := text(row); !strings.Contains(s, "已停用") {
				t.Errorf("the retired category's row: %q", s)
			}

			step("a step without a role",
				chromedp.SendKeys(chromedp.CSS(`#form-chain input[name=label_3]`), "区委组织部备案"),
				chromedp.Click(chromedp.CSS(`#save-chain`)),
				chromedp.WaitVisible(chromedp.CSS(`#chain-step-3 .field-invalid`)),
				shot(t, vp, "funds-config-04-chain-error"))
			if s := text(`#chain-step-3`); !strings.Contains(s, "审批角色应为") {
				t.Errorf("the role's error: %q", s)
			}
			step("name the street's step anew",
				js(`document.querySelector('#form-chain input[name=label_3]').value = ''`),
				chromedp.SetValue(chromedp.CSS(`#form-chain input[name=label_2]`), "街道党工委审批"),
				chromedp.Click(chromedp.CSS(`#save-chain`)),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				shot(t, vp, "funds-config-05-chain-saved"))
			if s := text(`.notice`); !strings.Contains(s, "审批流程已保存") {
				t.Errorf("notice after the chain: %q", s)
			}
			chain, err := a.st.FundChain(bg)
			if err != nil || len(chain) != 2 || chain[1].Label != "街道党工委审批" || chain[1].Role != model.RoleStreetAdmin {
				t.Errorf("the chain after saving: %+v (%v)", chain, err)
			}
			if cats, err = a.st.FundCategories(bg, true); err != nil {
				t.Fatal(err)
			}
			for _, c := range cats {
				if c.ID == added.ID && c.Active {
					t.Errorf("the retired category is still active: %+v", c)
				}
			}
		})
	}
}
