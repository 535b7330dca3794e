package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Basic public service standards (基本公共服务达标, issue 12 item 5), staff at a desk: the
// overview of a street's (or the caller's) communities with how many items each meets, the
// catalogue below it with the administrators' form to add an item; and a community's page with
// every item, its target, the measured value and the standing, and for manual items the form
// staff enter the value and its evidence with.

type standardsPage struct {
	Page
	Rows      []*model.StandardRow
	Items     []*model.StandardItem
	Year      int
	Territory int64
	Owners    []*model.Territory
	Metrics   []model.StandardMetric
	Item      *Form
	Edit      *Form // an item's form that failed ("entry" names it)
	All       bool  // unscoped: keeps every catalogue
	Chart     string
	ECharts   string
	ChartJS   string
	XLSX      string
}

// Keeps reports whether the caller keeps item it (its owner lies in the caller's streets and
// districts); the store refuses the others anyway.
func (p *standardsPage) Keeps(it *model.StandardItem) bool {
	if p.All {
		return true
	}
	for _, o := range p.Owners {
		if strings.HasPrefix(it.OwnerPath, o.Path) {
			return true
		}
	}
	return false
}

// standardItemForm is what the item fields' partial needs: the form and the metrics.
type standardItemForm struct {
	F       *Form
	Metrics []model.StandardMetric
}

// ItemForm wraps f for the "standardItemFields" partial.
func (p *standardsPage) ItemForm(f *Form) standardItemForm {
	return standardItemForm{F: f, Metrics: p.Metrics}
}

var standardItemFields = []string{"owner_id", "code", "name", "method", "metric", "op", "threshold", "unit", "active"}

// EditFor is the form of item it: the one that failed, or one with its values.
func (p *standardsPage) EditFor(it *model.StandardItem) *Form {
	key := strconv.FormatInt(it.ID, 10)
	if p.Edit != nil && p.Edit.Values.Get("entry") == key {
		return p.Edit
	}
	return newForm("item-"+key, url.Values{"entry": {key}, "code": {it.Code}, "name": {it.Name}, "method": {string(it.Method)}, "metric": {string(it.Metric)},
		"op": {it.Op}, "threshold": {model.FormatHundredths(it.Threshold)}, "unit": {it.Unit}, "active": {boolValue(it.Active)}}, standardItemFields...)
}

// OwnerOptions are the streets and districts the caller keeps catalogues for.
func (p *standardsPage) OwnerOptions() []Option {
	var out []Option
	for _, o := range p.Owners {
		out = append(out, Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
	}
	return out
}

func standardYear(wb *Web, q url.Values) int {
	now := wb.st.Now().In(model.Shanghai).Year()
	y, err := strconv.Atoi(q.Get("year"))
	if err != nil || y < now-10 || y > now {
		return now
	}
	return y
}

func (wb *Web) standards(w http.ResponseWriter, r *http.Request) error {
	return wb.standardsFor(w, r, http.StatusOK, nil, nil)
}

// standardsQuery reads ?territory= and ?year= of the overview and its export.
func standardsQuery(wb *Web, q url.Values) (territory int64, year int) {
	territory, _ = strconv.ParseInt(q.Get("territory"), 10, 64)
	return territory, standardYear(wb, q)
}

// standardsFor renders the overview; f is the new item's form or an item's edit form (its
// "entry" names the item), failed another form whose errors the summary lists (a value for a
// community the caller does not read).
func (wb *Web) standardsFor(w http.ResponseWriter, r *http.Request, status int, f, failed *Form) error {
	q := r.URL.Query()
	ctx, sc := r.Context(), scope(r)
	p := &standardsPage{Page: wb.base(r, wb.t("standards.title"), "standards"), Metrics: model.StandardMetrics, Item: f, All: sc.All,
		ECharts: wb.assets.URL(analyticsEChartsFile), ChartJS: wb.assets.URL("analytics.js")}
	if f != nil && f.Values.Get("entry") != "" {
		p.Item, p.Edit = nil, f
	}
	p.Territory, p.Year = standardsQuery(wb, q)
	p.XLSX = link("/standards/compliance.xlsx", "territory", p.Territory, "year", p.Year)
	p.Crumbs = []Crumb{{Name: p.Title}}
	var err error
	if p.Rows, err = wb.st.StandardCompliance(ctx, sc, p.Territory, p.Year); err != nil {
		return err
	}
	if p.Chart, err = wb.standardsChart(p.Rows); err != nil {
		return err
	}
	if p.Items, err = wb.st.StandardItems(ctx, sc, store.BurdenCatalogFilter{}); err != nil {
		return err
	}
	if p.Can(authz.StandardCatalog) {
		if p.Owners, err = wb.st.BurdenOwners(ctx, sc); err != nil {
			return err
		}
		if p.Item == nil {
			v := url.Values{"op": {">="}, "method": {"manual"}}
			if len(p.Owners) > 0 {
				v.Set("owner_id", strconv.FormatInt(p.Owners[0].ID, 10))
			}
			p.Item = newForm("item", v, "owner_id", "code", "name", "method", "metric", "op", "threshold", "unit")
		}
	}
	for _, f := range []*Form{p.Item, p.Edit, failed} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "standards/list", p)
}

// saveStandardItem creates (POST /standards/items) or changes (…/{id}) a catalogue item; a
// changed item keeps its owner.
func (wb *Web) saveStandardItem(w http.ResponseWriter, r *http.Request) error {
	id, f, err := entryForm(w, r, "item", "item-", standardItemFields...)
	if err != nil {
		return err
	}
	if id != 0 {
		f.Values.Set("entry", strconv.FormatInt(id, 10))
	} else {
		f.Values.Del("entry")
	}
	in := model.StandardItemInput{Code: f.Values.Get("code"), Name: f.Values.Get("name"), Method: model.StandardMethod(f.Values.Get("method")),
		Metric: model.StandardMetric(f.Values.Get("metric")), Op: f.Values.Get("op"), Threshold: f.Values.Get("threshold"), Unit: f.Values.Get("unit"),
		Active: id == 0 || f.Checked("active")}
	in.OwnerID, _ = strconv.ParseInt(f.Values.Get("owner_id"), 10, 64)
	if _, err := wb.st.SaveStandardItem(r.Context(), scope(r), id, in); err != nil {
		if f.fail(err) {
			return wb.standardsFor(w, r, formStatus(err), f, nil)
		}
		return err
	}
	redirect(w, r, "/standards#catalogue", "standard_item_saved")
	return nil
}

// standardsChart is the overview's chart: per community, the items met, unmet and without
// data, stacked (the table beside it has the same numbers).
func (wb *Web) standardsChart(rows []*model.StandardRow) (string, error) {
	names := []string{}
	met, unmet, nodata := []int{}, []int{}, []int{}
	for _, r := range rows {
		names = append(names, r.CommunityName)
		met, unmet, nodata = append(met, r.Met), append(unmet, r.Unmet), append(nodata, r.NoData)
	}
	b, err := json.Marshal(map[string]any{"type": "stack", "categories": names, "series": []map[string]any{
		{"name": wb.t("standards.met"), "data": met, "color": "#2e7d32"},
		{"name": wb.t("standards.unmet"), "data": unmet, "color": "#c8161d"},
		{"name": wb.t("standards.nodata"), "data": nodata, "color": "#9e9e9e"}}})
	return string(b), err
}

// standardsXLSX downloads the overview's compliance table as xlsx.
func (wb *Web) standardsXLSX(w http.ResponseWriter, r *http.Request) error {
	territory, year := standardsQuery(wb, r.URL.Query())
	data, err := importer.StandardCompliance(r.Context(), wb.st, scope(r), territory, year)
	if err != nil {
		return err
	}
	attachment(w, xlsxType, strconv.Itoa(year)+"年基本公共服务达标情况.xlsx", "standards-"+strconv.Itoa(year)+".xlsx")
	_, err = w.Write(data) // #nosec G705 -- an xlsx download (Content-Disposition: attachment) the importer wrote, not HTML
	return err
}

type standardCommunityPage struct {
	Page
	Row   *model.StandardRow
	Year  int
	Entry *Form // the entry form that failed ("item_id" names it)
}

// EntryFor is the value form of manual item id: the one that failed, or a fresh one.
func (p *standardCommunityPage) EntryFor(id int64) *Form {
	if p.Entry != nil && p.Entry.Values.Get("item_id") == strconv.FormatInt(id, 10) {
		return p.Entry
	}
	return newForm("entry-"+strconv.FormatInt(id, 10), nil, "value", "evidence")
}

func (wb *Web) standardCommunity(w http.ResponseWriter, r *http.Request) error {
	return wb.standardCommunityFor(w, r, http.StatusOK, nil)
}

func (wb *Web) standardCommunityFor(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	t, err := wb.st.Territory(ctx, sc, id)
	if err != nil {
		return err
	}
	if t.Kind != model.KindCommunity {
		return model.ErrNotFound
	}
	year := standardYear(wb, r.URL.Query())
	rows, err := wb.st.StandardCompliance(ctx, sc, id, year)
	if err != nil {
		return err
	}
	p := &standardCommunityPage{Page: wb.base(r, t.Name+" · "+wb.t("standards.title"), "standards"), Year: year, Entry: f, Row: &model.StandardRow{CommunityID: t.ID, CommunityName: t.Name}}
	for _, row := range rows {
		if row.CommunityID == t.ID {
			p.Row = row
		}
	}
	p.Crumbs = []Crumb{{Name: wb.t("standards.title"), URL: "/standards"}, {Name: t.Name}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "standards/community", p)
}

func (wb *Web) recordStandardValue(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	item, _ := strconv.ParseInt(r.PostForm.Get("item_id"), 10, 64)
	community, _ := strconv.ParseInt(r.PostForm.Get("community_id"), 10, 64)
	f := newForm("entry-"+strconv.FormatInt(item, 10), r.PostForm, "value", "evidence")
	err := wb.st.RecordStandardValue(r.Context(), scope(r), model.StandardEntryInput{ItemID: item, CommunityID: community, Value: f.Values.Get("value"), Evidence: f.Values.Get("evidence")})
	back := "/standards/communities/" + strconv.FormatInt(community, 10)
	if err != nil {
		if f.fail(err) {
			if _, terr := wb.st.Territory(r.Context(), scope(r), community); terr != nil || community == 0 {
				return wb.standardsFor(w, r, formStatus(err), nil, f) // no community page to answer on
			}
			r.SetPathValue("id", strconv.FormatInt(community, 10))
			return wb.standardCommunityFor(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, back, "standard_value_saved")
	return nil
}
