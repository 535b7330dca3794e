package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestListPartials: the shared pieces of list pages say what to do next for each role — staff
// may register or import, a grid leader may register, a unit leader is told whom to ask —
// offer to clear filters only when something is filtered, and keep the node a list is under.
func TestListPartials(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		under := fmt.Sprintf("/households?territory=%d", f.stairwell.ID)
		newURL := fmt.Sprintf("/households/new?territory=%d", f.stairwell.ID)

		staff := f.as(t, "staff")
		res := staff.get(under).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#results .empty .empty-title")); got != "这里还没有登记住户" {
			t.Errorf("empty title = %q", got)
		}
		links := all(res.Doc, "#results .empty .empty-actions a")
		if len(links) != 2 || attr(links[0], "href") != newURL || !hasWord(attr(links[0], "class"), "btn-primary") || attr(links[1], "href") != "/import" {
			t.Errorf("staff empty actions = %d links, first %q", len(links), attr(one(t, res.Doc, "#results .empty a"), "href"))
		}
		if got := attr(one(t, res.Doc, "form.filters input[type=hidden][name=territory]"), "value"); got != fmt.Sprint(f.stairwell.ID) {
			t.Errorf("filter bar keeps territory %q", got)
		}
		if n := len(all(res.Doc, "form.filters a.btn-quiet")); n != 0 {
			t.Errorf("unfiltered list offers to clear filters (%d links)", n)
		}
		if got := attr(one(t, res.Doc, ".page-actions a.btn-primary"), "href"); got != newURL {
			t.Errorf("page head's primary action = %q, want %q", got, newURL)
		}

		res = f.as(t, "gridleader").get("/households").want(t, http.StatusOK)
		if n := len(all(res.Doc, "#results .empty .empty-actions")); n != 0 {
			t.Errorf("one action stands in a row of its own (%d rows)", n)
		}
		if got := attr(one(t, res.Doc, "#results .empty a.btn-primary"), "href"); got != "/households/new" {
			t.Errorf("grid leader's empty action = %q", got)
		}

		empty, err := st.CreateHousehold(t.Context(), authz.System(), model.HouseholdInput{TerritoryID: f.stairwell2.ID, Address: "8栋2单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		f.leadUnit(t, empty.ID) // a unit of one household nobody lives in yet
		res = f.as(t, "unitleader").get("/residents").want(t, http.StatusOK)
		if n := len(all(res.Doc, "#results .empty a")); n != 0 {
			t.Errorf("a unit leader is offered %d actions", n)
		}
		if got := strings.Join(texts(res.Doc, "#results .empty p"), "|"); !strings.Contains(got, "请联系社区工作人员") {
			t.Errorf("unit leader's empty text = %q", got)
		}

		// Filtered: nothing matches, and both the bar and the empty state clear the filter
		// but keep the node; htmx gets the results alone.
		res = staff.get(under+"&q=zzz").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "form.filters a.btn-quiet"), "href"); got != under {
			t.Errorf("clear filters = %q, want %q", got, under)
		}
		if got := attr(one(t, res.Doc, "#results .empty a"), "href"); got != under {
			t.Errorf("empty state's clear = %q, want %q", got, under)
		}
		res = staff.get(under+"&q=zzz", "HX-Request", "true", "HX-Target", "results").want(t, http.StatusOK)
		if n := len(all(res.Doc, "form.filters")); n != 0 || len(all(res.Doc, "section#results")) != 1 {
			t.Errorf("htmx results: %d filter bars, %d result sections", n, len(all(res.Doc, "section#results")))
		}
	})
}
