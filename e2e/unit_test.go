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

// TestUnitFormation: community staff form joint-building units (联建单元) for a grid: choose the
// grid, generate the proposal with large buildings split, move a household between two
// draft units of the bungalow compound, try to confirm without the reason the small yard's
// unit needs (refused, the unit named), give it and confirm; the units list shows them — on
// the phone and at desktop size.
func TestUnitFormation(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Desktop) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			node := func(parent int64, kind model.TerritoryKind, name string) *model.Territory {
				n, err := a.st.CreateTerritory(bg, sys, model.TerritoryInput{ParentID: parent, Kind: kind, Name: name})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			house := func(at *model.Territory, addr string) {
				if _, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: at.ID, Address: addr}); err != nil {
					t.Fatal(err)
				}
			}
			building, err := a.st.Territory(bg, sys, stair.ParentID)
			if err != nil {
				t.Fatal(err)
			}
			grid, err := a.st.Territory(bg, sys, building.ParentID)
			if err != nil {
				t.Fatal(err)
			}
			stair2 := node(building.ID, model.KindStairwell, "2单元")
			for f := 1; f <= 6; f++ {
				for p := 1; p <= 2; p++ {
					house(stair, fmt.Sprintf("1栋1单元%d0%d室", f, p))
				}
			}
			for f := 1; f <= 5; f++ {
				for p := 1; p <= 2; p++ {
					house(stair2, fmt.Sprintf("1栋2单元%d0%d室", f, p))
				}
			}
			yard := node(grid.ID, model.KindCompound, "平房院")
			for i := 1; i <= 25; i++ {
				house(yard, fmt.Sprintf("平房院%d号", i))
			}
			small := node(grid.ID, model.KindCompound, "小院")
			for i := 1; i <= 6; i++ {
				house(small, fmt.Sprintf("小院%d号", i))
			}

			b := mustBrowser(t, vp)
			step, text := steps(t, b)
			// The fixed tab bar of the phone covers the bottom of the screen: buttons are pressed
			// by their own click, as a tap on them does.
			step("log in, open 组建联建单元", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/unit-proposals"),
				chromedp.WaitVisible(chromedp.CSS(`select[name=node_id]`)),
				chromedp.SetValue(chromedp.CSS(`select[name=node_id]`), itoa(grid.ID)),
				press(`input[name=split_large]`),
				shot(t, vp, "unit-01-choose"))...)
			step("generate the proposal",
				press(`#form-propose button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`.unit-cards`)),
				shot(t, vp, "unit-02-proposal"))
			if s := text(`.stats`); !strings.Contains(s, "5") {
				t.Errorf("quality: %q", s)
			}
			// The cards: 1栋1单元 (12), 1栋2单元 (10), 平房院 in two (13, 12), 小院 (6, out of bounds).
			card := func(name string) int {
				n, err := chromedp.Run(b, chromedp.Evaluate[int](`Array.from(document.querySelectorAll('.unit-card h2')).findIndex(h => h.textContent.includes('`+name+`')) + 1`))
				if err != nil || n == 0 {
					t.Fatalf("card %s: %d, %v", name, n, err)
				}
				return n
			}
			first, second := card("平房院第1联建单元"), card("平房院第2联建单元")
			step("move a household of 平房院第1 to 平房院第2",
				press(fmt.Sprintf(`#unit-%d details summary`, first)),
				chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`#move-to-%d`, first)), itoa(int64(second))),
				shot(t, vp, "unit-03-move"),
				press(fmt.Sprintf(`#unit-%d form[action$="/move"] button`, first)),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)))
			if s := text(fmt.Sprintf(`#unit-%d .tags`, second)); !strings.Contains(s, "13户") {
				t.Errorf("平房院第2 after the move: %q", s)
			}
			step("confirm without the small yard's reason",
				press(`#form-confirm button.btn-primary`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "unit-04-reason-missing"))
			if s := text(`.error-summary`); !strings.Contains(s, "「小院联建单元」有 6 户") {
				t.Errorf("the refusal: %q", s)
			}
			yardCard := card("小院联建单元")
			step("give the reason and confirm",
				chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`input[name="units[%d].override_reason"]`, yardCard-1)), "小院只有6户，与周边隔着河，单独组建"),
				press(`#form-confirm button.btn-primary`),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				shot(t, vp, "unit-05-units"))
			if s := text(`.notice`); !strings.Contains(s, "联建单元已组建") {
				t.Errorf("notice: %q", s)
			}
			p, err := a.st.Units(bg, sys, store.UnitFilter{})
			if err != nil || p.Total != 5 {
				t.Fatalf("units formed: %v, %v", p, err)
			}
		})
	}
}
