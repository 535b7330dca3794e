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
// retired, unemployed and outflowing members and the reporting rate of in-work members, as
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
