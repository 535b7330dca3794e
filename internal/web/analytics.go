package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Composition analytics (issue 8 item 10): the registered members of an org or a territory
// subtree by category, mobility, age, gender, education and years of membership, the shares of
// retired, unemployed and outflowing members, the reporting rate of in-work members, meeting
// compliance of the orgs and study completion, as
// tables that work without script and as ECharts charts drawn over them (static/analytics.js).
// The numbers are the store's maintained counts (store.MemberAnalytics), one read per page.

// analyticsEChartsFile is where the build puts ECharts (make assets); without it the page shows
// the tables only.
const analyticsEChartsFile = "vendor/echarts.min.js"

type analyticsPage struct {
	Page
	A           *model.PartyAnalytics
	OrgID       int64
	TerritoryID int64
	Dims        []analyticsDim
	Children    []*model.Territory
	ECharts     string
	ChartJS     string
	LifeChart   string // meeting compliance by type of meeting: on time and overdue, stacked
	LifeRows    []analyticsLifeRow
	Study       analyticsDim
}

// analyticsLifeRow is one type of meeting in the compliance table.
type analyticsLifeRow struct {
	Label                 string
	Orgs, OnTime, Overdue int64
}

// analyticsDim is one dimension's card: its title, buckets and the chart's data (JSON).
type analyticsDim struct {
	ID, Title, Chart string
	Buckets          []model.AnalyticsBucket
	Pie              bool
}

func (wb *Web) analytics(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	q := r.URL.Query()
	org, _ := strconv.ParseInt(q.Get("org_id"), 10, 64)
	territory, _ := strconv.ParseInt(q.Get("territory_id"), 10, 64)
	if org != 0 {
		territory = 0
	}
	a, err := wb.st.MemberAnalytics(r.Context(), sc, org, territory)
	if err != nil {
		return err
	}
	p := &analyticsPage{Page: wb.base(r, wb.t("analytics.title"), "party-analytics"), A: a, OrgID: org, TerritoryID: territory,
		ECharts: wb.assets.URL(analyticsEChartsFile), ChartJS: wb.assets.URL("analytics.js")}
	p.Crumbs = []Crumb{{Name: p.Title, URL: "/party/analytics"}}
	if a.Name != "" {
		p.Crumbs = append(p.Crumbs, Crumb{Name: a.Name})
	}
	for _, d := range []struct {
		id      string
		buckets []model.AnalyticsBucket
		pie     bool
	}{{"category", a.Category, true}, {"mobility", a.Mobility, true}, {"age", a.AgeBands, false}, {"years", a.YearsBands, false},
		{"gender", a.Gender, true}, {"education", a.Education, false}, {"status", a.Status, true}} {
		type point struct {
			Name  string `json:"name"`
			Value int64  `json:"value"`
		}
		pts := make([]point, len(d.buckets))
		for i, b := range d.buckets {
			pts[i] = point{b.Label, b.N}
		}
		kind := "bar"
		if d.pie {
			kind = "pie"
		}
		chart, err := json.Marshal(map[string]any{"type": kind, "data": pts})
		if err != nil {
			return err
		}
		p.Dims = append(p.Dims, analyticsDim{ID: d.id, Title: wb.t("analytics.dim." + d.id), Chart: string(chart), Buckets: d.buckets, Pie: d.pie})
	}
	// Organizational life by type of meeting (the types some org of the subtree must hold).
	var types []string
	var onTime, overdue []int64
	for _, bt := range a.Life.ByType {
		if bt.Orgs == 0 {
			continue
		}
		types = append(types, bt.Label)
		p.LifeRows = append(p.LifeRows, analyticsLifeRow{Label: bt.Label, Orgs: bt.Orgs, OnTime: bt.Orgs - bt.Overdue, Overdue: bt.Overdue})
		onTime = append(onTime, bt.Orgs-bt.Overdue)
		overdue = append(overdue, bt.Overdue)
	}
	life, err := json.Marshal(map[string]any{"type": "stack", "categories": types, "series": []map[string]any{
		{"name": wb.t("analytics.life.ontime"), "data": onTime, "color": "#2e7d32"},
		{"name": wb.t("analytics.life.overdue"), "data": overdue, "color": "#c8161d"}}})
	if err != nil {
		return err
	}
	p.LifeChart = string(life)
	// Study: completed and pending of the courses assigned.
	share := func(n int64) float64 {
		if a.Study.Assigned == 0 {
			return 0
		}
		return float64(n) / float64(a.Study.Assigned)
	}
	pending := a.Study.Assigned - a.Study.Completed
	p.Study = analyticsDim{ID: "study", Title: wb.t("analytics.study"), Pie: true, Buckets: []model.AnalyticsBucket{
		{Value: "completed", Label: wb.t("analytics.study.completed"), N: a.Study.Completed, Share: share(a.Study.Completed)},
		{Value: "pending", Label: wb.t("analytics.study.pending"), N: pending, Share: share(pending)}}}
	study, err := json.Marshal(map[string]any{"type": "pie", "data": []map[string]any{
		{"name": p.Study.Buckets[0].Label, "value": a.Study.Completed, "itemStyle": map[string]string{"color": "#2e7d32"}},
		{"name": p.Study.Buckets[1].Label, "value": pending, "itemStyle": map[string]string{"color": "#b0b7c3"}}}})
	if err != nil {
		return err
	}
	p.Study.Chart = string(study)
	// The next level down to look at, for a territory (not an org).
	if org == 0 {
		parent := territory
		if parent == 0 {
			if ids := model.PathIDs(sc.Path); len(ids) > 0 {
				parent = ids[len(ids)-1]
			}
		}
		if parent != 0 {
			kids, err := wb.st.Territories(r.Context(), sc, store.TerritoryFilter{ParentID: parent, Limit: store.MaxLimit})
			if err == nil {
				p.Children = kids.Items
			}
		}
	}
	return wb.render(w, r, http.StatusOK, "party/analytics", p)
}
