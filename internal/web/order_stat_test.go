package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOrderStatsPage: the dispatch board links the statistics; they show an order placed and
// one cancelled in the month's row, the category's row and the summary, with every chart's
// numbers in a table (the page works without script); a resident is refused.
func TestOrderStatsPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustOrderWorld(t, st)
		ctx := context.Background()
		for range 2 {
			if _, _, err := st.PlaceOrder(ctx, authz.System(), model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: w.own.ID, Description: "买菜"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		o, _, err := st.PlaceOrder(ctx, authz.System(), model.OrderInput{CategoryID: w.cats[1].ID, HouseholdID: w.neighbour.ID, Description: "修水管"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.TransitionOrder(ctx, authz.System(), o.ID, model.OrderTransitionInput{Action: model.ActCancel, Reason: "不需要了"}); err != nil {
			t.Fatal(err)
		}
		staff := w.as(t, "staff")
		board := staff.get("/orders").want(t, http.StatusOK)
		href := attr(one(t, board.Doc, "#order-stats"), "href")
		page := staff.get(href).want(t, http.StatusOK)
		if got := text(one(t, page.Doc, "#stats-placed")); got != "3" {
			t.Errorf("placed %q", got)
		}
		month := model.ThisMonth(w.clock.Now()).String()
		var row []string
		for _, tr := range all(page.Doc, "#stats-month-table tbody tr") {
			if text(one(t, tr, "th")) == month {
				row = texts(tr, "td")
			}
		}
		if len(row) < 4 || row[0] != "3" || row[3] != "1" {
			t.Errorf("the month's row %q", row)
		}
		cats := texts(page.Doc, "#stats-category-table tbody th")
		if len(cats) != 2 || cats[0] != w.cats[0].Name {
			t.Errorf("categories %q", cats)
		}
		for _, id := range []string{"#chart-months", "#chart-times", "#chart-stars"} {
			if attr(one(t, page.Doc, id), "data-chart") == "" {
				t.Errorf("%s has no data", id)
			}
		}
		if n := len(all(page.Doc, "#stats-star-table tbody tr")); n != 5 {
			t.Errorf("%d rows of stars", n)
		}
		// One category: the other's order is not counted.
		one1 := staff.get("/orders/stats?category="+w.cats[1].Name).want(t, http.StatusOK)
		if got := text(one(t, one1.Doc, "#stats-placed")); got != "1" {
			t.Errorf("one category: placed %q", got)
		}
		bad := staff.get("/orders/stats?from=2026-99").want(t, http.StatusBadRequest)
		if !strings.Contains(bad.Body, "月份") {
			t.Errorf("a bad month: %s", excerpt(bad.Body))
		}
		w.as(t, "resident").get("/orders/stats").want(t, http.StatusForbidden)
	})
}
