package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestConflictFlow: 天宝社区 registers a person already registered in 东胜社区 and is told only
// that the number cannot be registered; the street admin, who sees both, opens 登记冲突, reads
// the record with the number masked, and moves the person into the requesting household — at
// phone and at desktop size.
func TestConflictFlow(t *testing.T) {
	t.Parallel()
	for i, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a) // 天宝社区 › … › 1单元, with its admin tianbao
			bg := context.Background()
			sys := authz.System()
			p, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: model.KindStreet, Limit: 10})
			if err != nil || len(p.Items) != 1 {
				t.Fatalf("street: %v", err)
			}
			street := p.Items[0]
			ds, err := a.st.CreateTerritory(bg, sys, model.TerritoryInput{ParentID: street.ID, Kind: model.KindCommunity, Name: "东胜社区"})
			if err != nil {
				t.Fatal(err)
			}
			stair2, err := a.st.CreateTerritory(bg, sys, model.TerritoryInput{ParentID: ds.ID, Kind: model.KindBuilding, Name: "8栋"})
			if err != nil {
				t.Fatal(err)
			}
			held, _, _ := idWith("19490701", "40"+string(rune('1'+i)))
			h2, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair2.ID, Address: "8栋302室"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h2.ID, Name: "刘桂芳", IDNumber: held, Relation: model.RelationHead}); err != nil {
				t.Fatal(err)
			}
			tianbao, err := a.st.UserByUsername(bg, "tianbao")
			if err != nil {
				t.Fatal(err)
			}
			h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: "1栋1单元501室"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.st.CreateResident(bg, authz.ForUser(tianbao), model.ResidentInput{HouseholdID: h.ID, Name: "刘桂芳", IDNumber: held, Relation: model.RelationHead})
			var ve *model.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Message != model.DuplicateIDMessage {
				t.Fatalf("the community's attempt: %v", err)
			}
			if _, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "zhongba", DisplayName: "王主任",
				Password: "maple river lantern 2026", Role: model.RoleStreetAdmin, ScopeID: street.ID, TOTPSecret: staffSecret}); err != nil {
				t.Fatal(err)
			}

			ctx := mustBrowser(t, vp)
			step, text := steps(t, ctx)
			step("log in as the street admin and open 登记冲突",
				chromedp.Navigate(a.url+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "zhongba"),
				chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "maple river lantern 2026"),
				chromedp.Submit(chromedp.CSS(`input[name=password]`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=otp]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=otp]`), totpNow(t, staffSecret)),
				chromedp.Submit(chromedp.CSS(`input[name=otp]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=otp]`)),
				chromedp.Navigate(a.url+"/conflicts"),
				chromedp.WaitVisible(chromedp.CSS(`#results tbody th.cell-title a`)),
				shot(t, vp, "conflict-01-list"),
			)
			if s := text(`#results`); !strings.Contains(s, model.MaskIDNumber(held)) || strings.Contains(s, held) || !strings.Contains(s, "8栋") {
				t.Errorf("list %q: want the masked number and where it is held", s)
			}
			step("open the record and move the person in",
				chromedp.Click(chromedp.CSS(`#results tbody th.cell-title a`)),
				chromedp.WaitVisible(chromedp.CSS(`#form-transfer`)),
				shot(t, vp, "conflict-02-record"),
				chromedp.SendKeys(chromedp.CSS(`#form-transfer textarea, #form-transfer input[name=note]`), "电话核实：已搬到天宝社区"),
				chromedp.Click(chromedp.CSS(`#form-transfer button.btn-primary`)),
				chromedp.WaitNotPresent(chromedp.CSS(`#form-transfer`)),
				chromedp.Navigate(a.url+"/conflicts?status=transferred"),
				chromedp.WaitVisible(chromedp.CSS(`#results .tag-green`)),
				shot(t, vp, "conflict-03-transferred"),
			)
			moved, err := a.st.Household(bg, sys, h.ID)
			if err != nil || moved.Members != 1 || moved.HeadName != "刘桂芳" {
				t.Errorf("the requesting household after the transfer = %+v, %v", moved, err)
			}
		})
	}
}
