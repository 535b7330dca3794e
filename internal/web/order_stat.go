package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Order statistics (issue 10 item 7): placed, taken, done and cancelled by month, the times to
// take and to finish, the ratings and a table by category, for any subtree the caller
// dispatches, from the store's maintained counters (store.OrderStats, one read). The tables
// carry every number; the party analytics' script (static/analytics.js) draws the charts over
// them when ECharts is there.

type orderStatsPage struct {
	Page
	S                                *model.OrderStats
	TerritoryID                      int64
	From, To, Category               string
	Names                            []string
	Children                         []*model.Territory
	Bounds                           [5]string
	StarRows                         []model.AnalyticsBucket
	MonthChart, TimeChart, StarChart string
	ECharts, ChartJS                 string
}

// hours is minutes as hours with one decimal, for the charts.
func hours(m int64) float64 { return float64(m*10/60) / 10 }

func (wb *Web) orderStats(w http.ResponseWriter, r *http.Request) error {
	ctx, sc := r.Context(), scope(r)
	q := r.URL.Query()
	territory, _ := strconv.ParseInt(q.Get("territory_id"), 10, 64)
	f := store.OrderStatsFilter{Under: territory, From: q.Get("from"), To: q.Get("to"), Category: q.Get("category")}
	s, err := wb.st.OrderStats(ctx, sc, f)
	if err != nil {
		return err
	}
	p := &orderStatsPage{Page: wb.base(r, wb.t("orders.stats.title"), "orders"), S: s, TerritoryID: territory, From: s.From, To: s.To, Category: f.Category,
		Bounds: model.OrderStatBucketLabels, ECharts: wb.assets.URL(analyticsEChartsFile), ChartJS: wb.assets.URL("analytics.js")}
	p.Crumbs = []Crumb{{Name: wb.t("orders.board.title"), URL: "/orders"}, {Name: p.Title, URL: "/orders/stats"}, {Name: s.Territory}}
	// The category names of the communities in scope, for the filter.
	cats, err := wb.st.OrderCategoriesInScope(ctx, sc)
	if err != nil {
		return err
	}
	for _, c := range cats {
		if !slices.Contains(p.Names, c.Name) {
			p.Names = append(p.Names, c.Name)
		}
	}
	if s.TerritoryID != 0 {
		kids, err := wb.st.Territories(ctx, sc, store.TerritoryFilter{ParentID: s.TerritoryID, Limit: store.MaxLimit})
		if err == nil {
			p.Children = kids.Items
		}
	}
	var months []string
	var placed, taken, done, take, finish []any
	for _, m := range s.Months {
		months = append(months, m.Month)
		placed, taken, done = append(placed, m.Placed), append(taken, m.Taken), append(done, m.Done)
		// A month with nothing to average has no point on the line.
		point := func(d model.OrderDurations) any {
			if d.Count == 0 {
				return nil
			}
			return hours(d.AverageMinutes)
		}
		take, finish = append(take, point(m.TimeToTake)), append(finish, point(m.TimeToFinish))
	}
	charts := []struct {
		dst  *string
		spec any
	}{
		{&p.MonthChart, map[string]any{"type": "series", "categories": months, "series": []map[string]any{
			{"name": wb.t("orders.stats.placed"), "data": placed, "color": "#b0b7c3"},
			{"name": wb.t("orders.stats.taken"), "data": taken, "color": "#d4a017"},
			{"name": wb.t("orders.stats.done"), "data": done, "color": "#c8161d"}}}},
		{&p.TimeChart, map[string]any{"type": "series", "unit": wb.t("orders.stats.hours"), "categories": months, "series": []map[string]any{
			{"name": wb.t("orders.stats.take"), "data": take, "color": "#d4a017", "line": true},
			{"name": wb.t("orders.stats.finish"), "data": finish, "color": "#c8161d", "line": true}}}},
	}
	stars := make([]map[string]any, 5)
	for i, n := range s.Total.Ratings.Stars {
		label := fmt.Sprintf("%d 星", i+1)
		stars[i] = map[string]any{"name": label, "value": n}
		p.StarRows = append(p.StarRows, model.AnalyticsBucket{Label: label, N: n})
	}
	charts = append(charts, struct {
		dst  *string
		spec any
	}{&p.StarChart, map[string]any{"type": "bar", "data": stars}})
	for _, c := range charts {
		b, err := json.Marshal(c.spec)
		if err != nil {
			return err
		}
		*c.dst = string(b)
	}
	return wb.render(w, r, http.StatusOK, "orders/stats", p)
}
