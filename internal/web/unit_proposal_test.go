package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestUnitProposalPaging: a proposal of more drafts than a page shows them 50 at a time with
// the whole proposal's quality and every out-of-bounds draft's override field on each page;
// an adjustment made on the second page (rename, merge with a draft of the first, move to a
// draft of the first) lands back on the page of the draft adjusted, at its card, and a refused
// one shows its error by its card there.
func TestUnitProposalPaging(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := context.Background(), authz.System()
		node := func(parent *model.Territory, kind model.TerritoryKind, name string) *model.Territory {
			n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent.ID, Kind: kind, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		house := func(at *model.Territory, address string) {
			if _, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: at.ID, Address: address}); err != nil {
				t.Fatal(err)
			}
		}
		// 55 stairwells of two households in a building too large to be one unit, and a
		// compound of three bungalows (out of bounds): 56 drafts.
		b := node(f.grid, model.KindBuilding, "2栋")
		for i := 1; i <= 55; i++ {
			s := node(b, model.KindStairwell, fmt.Sprintf("%d单元", i))
			house(s, fmt.Sprintf("2栋%d单元101室", i))
			house(s, fmt.Sprintf("2栋%d单元102室", i))
		}
		yard := node(f.grid, model.KindCompound, "平房院")
		for i := 1; i <= 3; i++ {
			house(yard, fmt.Sprintf("平房院%d号", i))
		}
		pr, err := st.ProposeUnits(ctx, sys, f.grid.ID, model.PartitionOptions{SplitLarge: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(pr.Units) != 56 || pr.Quality.OutOfBounds != 1 {
			t.Fatalf("proposal of %d drafts, %d out of bounds", len(pr.Units), pr.Quality.OutOfBounds)
		}
		out := -1
		for i, u := range pr.Units {
			if u.OutOfBounds {
				out = i
			}
		}
		staff := f.as(t, "staff")
		path := "/unit-proposals/" + strconv.FormatInt(pr.ID, 10)
		numbers := func(res *response) []string { return texts(res.Doc, "section.unit-card .unit-number") }
		overrideField := fmt.Sprintf("units[%d].override_reason", out)
		hasOverride := func(res *response) {
			t.Helper()
			for _, in := range all(res.Doc, "#form-confirm input") {
				if attr(in, "name") == overrideField {
					return
				}
			}
			t.Errorf("the confirm form lacks %s", overrideField)
		}

		res := staff.get(path).want(t, http.StatusOK)
		if n := numbers(res); len(n) != 50 || n[0] != "1" || n[49] != "50" {
			t.Fatalf("first page cards %v", n)
		}
		if got := text(one(t, res.Doc, ".pager-total")); got != "第 1–50 个，共 56 个联建单元" {
			t.Errorf("pager = %q", got)
		}
		if got := texts(res.Doc, ".stats .stat-value")[0]; got != "56" {
			t.Errorf("quality counts %s units, want the whole proposal's 56", got)
		}
		hasOverride(res)
		next := attr(one(t, res.Doc, ".pager a[rel=next]"), "href")
		if next != path+"?cursor=50" {
			t.Fatalf("next page %q", next)
		}

		res = staff.get(next).want(t, http.StatusOK)
		if n := numbers(res); len(n) != 6 || n[0] != "51" || n[5] != "56" {
			t.Fatalf("second page cards %v", n)
		}
		hasOverride(res)
		if got := text(one(t, res.Doc, "#unit-53 .chips")); !strings.Contains(got, "2栋") || strings.Contains(got, "已迁出") {
			t.Errorf("card 53 households = %q", got)
		}
		if attr(one(t, res.Doc, "#unit-53 input[name=cursor]"), "value") != "50" {
			t.Error("the second page's forms do not send its cursor")
		}

		// Rename card 53 from the second page: back on it, at the card.
		res = staff.post(path+"/rename", url.Values{"version": {"1"}, "unit": {"52"}, "cursor": {"50"}, "name": {"五十三号联建单元"}}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != path+"?cursor=50&done=proposal_rename#unit-53" {
			t.Errorf("rename goes to %q", loc)
		}
		res = staff.get(path+"?cursor=50").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#unit-53-title")); !strings.Contains(got, "五十三号联建单元") {
			t.Errorf("card 53 = %q", got)
		}
		// Merge card 1 (first page) into card 52: card 52 becomes 51, still on the second page.
		res = staff.post(path+"/merge", url.Values{"version": {"2"}, "unit": {"51"}, "cursor": {"50"}, "b": {"1"}}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != path+"?cursor=50&done=proposal_merge#unit-51" {
			t.Errorf("merge goes to %q", loc)
		}
		res = staff.get(path+"?cursor=50").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#unit-51 .tags")); !strings.Contains(got, "4户") {
			t.Errorf("merged card = %q", got)
		}
		if got := text(one(t, res.Doc, ".pager-total")); got != "第 51–55 个，共 55 个联建单元" {
			t.Errorf("pager after merge = %q", got)
		}
		// Move a household of card 51 to card 2 on the first page.
		hid := attr(all(one(t, res.Doc, "#unit-51"), "select[name=household_id] option")[0], "value")
		staff.post(path+"/move", url.Values{"version": {"3"}, "unit": {"50"}, "cursor": {"50"}, "household_id": {hid}, "to": {"2"}}).want(t, http.StatusSeeOther)
		res = staff.get(path).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#unit-2 .tags")); !strings.Contains(got, "3户") {
			t.Errorf("card 2 after the move = %q", got)
		}
		// A refused merge from the second page: its error by its card, on that page.
		res = staff.post(path+"/merge", url.Values{"version": {"4"}, "unit": {"53"}, "cursor": {"50"}, "b": {"999"}}).want(t, http.StatusUnprocessableEntity)
		if n := numbers(res); len(n) != 5 || n[0] != "51" {
			t.Errorf("refused merge shows cards %v", n)
		}
		if got := text(one(t, res.Doc, "#unit-54 details[open] .field-error")); !strings.Contains(got, "不在方案中") {
			t.Errorf("refused merge error = %q", got)
		}
	})
}
