package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestStandardPages: the street administrator adds a manual item on the overview; staff enter
// the community's value on its page (bad input answered with the input kept), and the item is
// met; the overview counts it.
func TestStandardPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		street, staff := f.as(t, "streetadmin"), f.as(t, "staff")
		res := street.get("/standards").want(t, http.StatusOK)
		one(t, res.Doc, "#form-item")
		street.post("/standards/items", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "code": {"BZ-01"}, "name": {"服务中心每周开放不少于 40 小时"},
			"method": {"manual"}, "op": {">="}, "threshold": {"四十"}, "unit": {"小时"}}).want(t, http.StatusUnprocessableEntity)
		street.post("/standards/items", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "code": {"BZ-01"}, "name": {"服务中心每周开放不少于 40 小时"},
			"method": {"manual"}, "op": {">="}, "threshold": {"40"}, "unit": {"小时"}}).want(t, http.StatusSeeOther)
		items, err := st.StandardItems(t.Context(), staffScopeOf(t, st, f), store.BurdenCatalogFilter{})
		if err != nil || len(items) != 1 {
			t.Fatalf("items: %v %v", items, err)
		}
		page := fmt.Sprintf("/standards/communities/%d", f.community.ID)
		res = staff.get(page).want(t, http.StatusOK)
		one(t, res.Doc, fmt.Sprintf("#entry-%d", items[0].ID))
		res = staff.post("/standards/values", url.Values{"item_id": {fmt.Sprint(items[0].ID)}, "community_id": {fmt.Sprint(f.community.ID)}, "value": {"42"}, "evidence": {""}}).want(t, http.StatusUnprocessableEntity)
		if got := attr(one(t, res.Doc, fmt.Sprintf("#f-entry-%d-value", items[0].ID)), "value"); got != "42" {
			t.Errorf("the input is not kept: %q", got)
		}
		staff.post("/standards/values", url.Values{"item_id": {fmt.Sprint(items[0].ID)}, "community_id": {fmt.Sprint(f.community.ID)}, "value": {"42"}, "evidence": {"开放时间公示牌"}}).want(t, http.StatusSeeOther)
		res = staff.get(page).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#status-%d", items[0].ID))); got != "达标" {
			t.Errorf("status: %q", got)
		}
		res = street.get("/standards").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#community-%d", f.community.ID))); !strings.Contains(got, "1") {
			t.Errorf("overview row: %q", got)
		}
		f.as(t, "gridleader").get("/standards").want(t, http.StatusForbidden)
	})
}

func staffScopeOf(t *testing.T, st *store.Store, f *fixture) authz.Scope {
	t.Helper()
	return authz.Scope{UserID: mustUserID(t, st, "staff"), Role: model.RoleCommunityStaff, Path: f.community.Path}
}

// TestStandardCatalogueEdit: the street administrator changes an item's target on the
// overview (a bad target refused with the input kept and nothing saved) and retires it.
func TestStandardCatalogueEdit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		it, err := st.SaveStandardItem(t.Context(), authz.System(), 0, model.StandardItemInput{OwnerID: f.street.ID, Code: "BZ-02", Name: "每个网格有党支部或党小组",
			Method: model.StandardAuto, Metric: model.MetricGridBranch, Op: ">=", Threshold: "100", Unit: "%"})
		if err != nil {
			t.Fatal(err)
		}
		street := f.as(t, "streetadmin")
		res := street.get("/standards").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, fmt.Sprintf("#f-item-%d-threshold", it.ID)), "value"); got != "100" {
			t.Errorf("the edit form's target: %q", got)
		}
		path := fmt.Sprintf("/standards/items/%d", it.ID)
		form := url.Values{"code": {"BZ-02"}, "name": {"每个网格有党支部或党小组"}, "method": {"auto"}, "metric": {"grid_branch_percent"}, "op": {">="}, "threshold": {"九十"}, "unit": {"%"}, "active": {"1"}}
		res = street.post(path, form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, fmt.Sprintf("#form-item-%d", it.ID))); !strings.Contains(got, "请填写目标值") {
			t.Errorf("a bad target: %q", got)
		}
		if got := attr(one(t, res.Doc, fmt.Sprintf("#f-item-%d-threshold", it.ID)), "value"); got != "九十" {
			t.Errorf("the input is not kept: %q", got)
		}
		items, _ := st.StandardItems(t.Context(), authz.System(), store.BurdenCatalogFilter{})
		if len(items) != 1 || items[0].Threshold != 10000 {
			t.Fatalf("a refused form changed the item: %+v", items[0])
		}
		form.Set("threshold", "90")
		form.Set("op", "<=")
		form.Del("active")
		street.post(path, form).want(t, http.StatusSeeOther)
		res = street.get("/standards").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#item-%d", it.ID))); !strings.Contains(got, "≤ 90 %") || !strings.Contains(got, "已停用") {
			t.Errorf("the changed item: %q", got)
		}
		f.as(t, "staff").post(path, form).want(t, http.StatusForbidden)
	})
}

// TestStandardComplianceChartAndXLSX: the overview carries the chart's numbers per community
// beside the table, and its xlsx holds the same rows.
func TestStandardComplianceChartAndXLSX(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		it, err := st.SaveStandardItem(t.Context(), authz.System(), 0, model.StandardItemInput{OwnerID: f.street.ID, Code: "BZ-01", Name: "服务中心每周开放不少于 40 小时",
			Method: model.StandardManual, Op: ">=", Threshold: "40", Unit: "小时"})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.RecordStandardValue(t.Context(), authz.System(), model.StandardEntryInput{ItemID: it.ID, CommunityID: f.community.ID, Value: "42", Evidence: "公示牌"}); err != nil {
			t.Fatal(err)
		}
		street := f.as(t, "streetadmin")
		res := street.get("/standards").want(t, http.StatusOK)
		var chart struct {
			Type       string
			Categories []string
			Series     []struct {
				Name string
				Data []int
			}
		}
		if err := json.Unmarshal([]byte(attr(one(t, res.Doc, "#chart-compliance"), "data-chart")), &chart); err != nil {
			t.Fatal(err)
		}
		rows := all(res.Doc, "#overview-table tbody tr")
		if chart.Type != "stack" || len(chart.Categories) != len(rows) || len(chart.Series) != 3 || chart.Series[0].Name != "达标" {
			t.Fatalf("chart: %+v, %d rows", chart, len(rows))
		}
		at := slices.Index(chart.Categories, f.community.Name)
		if at < 0 || chart.Series[0].Data[at] != 1 || chart.Series[1].Data[at] != 0 {
			t.Errorf("the community in the chart: %+v", chart)
		}
		href := attr(one(t, res.Doc, "#standards-xlsx"), "href")
		x := street.get(href).want(t, http.StatusOK)
		if ct := x.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") {
			t.Errorf("content type %q", ct)
		}
		book, err := excelize.OpenReader(strings.NewReader(x.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = book.Close() }()
		sheet, err := book.GetRows("达标情况")
		if err != nil {
			t.Fatal(err)
		}
		if len(sheet) != 3+len(rows) {
			t.Fatalf("sheet rows %d, want %d: %q", len(sheet), 3+len(rows), sheet)
		}
		found := false
		for _, r := range sheet[3:] {
			if r[0] == f.community.Name {
				found = true
				if r[1] != "1" || r[2] != "0" || !strings.HasPrefix(r[4], "达标（42") {
					t.Errorf("the community's row: %q", r)
				}
			}
		}
		if !found || !strings.Contains(sheet[2][4], "BZ-01") {
			t.Errorf("sheet: %q", sheet)
		}
		f.as(t, "gridleader").get(href).want(t, http.StatusForbidden)
	})
}
