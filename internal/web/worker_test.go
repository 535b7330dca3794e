package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestWorkerPages: staff add a worker (bad input answered in the form, the input kept), the
// roster shows the masked phone, the coverage and the filter; the worker's page assigns grids,
// records a training and a recruitment step and reveals the phone (audited); a grid leader
// logs a visit on the phone form (a bad one answered inline), sees it in its visits, closes the
// follow-up; the places nobody visited honour the days chosen; the grid leader gets no roster.
func TestWorkerPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx := t.Context()
		h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		staff := f.as(t, "staff")
		res := staff.get("/workers").want(t, http.StatusOK)
		one(t, res.Doc, ".empty")
		form := url.Values{"community_id": {fmt.Sprint(f.community.ID)}, "name": {"赵红"}, "position": {"专职网格员"}, "qualification": {"assistant"},
			"phone": {"1391234"}, "hired_on": {"2022-02-01"}}
		res = staff.post("/workers", form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "电话") {
			t.Errorf("a short phone: %q", got)
		}
		if v := attr(one(t, res.Doc, "#f-worker-name"), "value"); v != "赵红" {
			t.Errorf("the input was lost: %q", v)
		}
		form.Set("phone", "13912345678")
		res = staff.post("/workers", form).want(t, http.StatusSeeOther)
		path := strings.Split(res.Header.Get("Location"), "?")[0]
		res = staff.get(path).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#worker-phone")); got != "139****5678" {
			t.Errorf("phone on the page: %q", got)
		}
		staff.post(path+"/grids", url.Values{"grid_id": {fmt.Sprint(f.grid.ID)}}).want(t, http.StatusSeeOther)
		res = staff.post(path+"/trainings", url.Values{"date": {"2026-01-10"}, "title": {"社工实务"}, "hours": {"半天"}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#f-training-hours[aria-invalid=true]")
		staff.post(path+"/trainings", url.Values{"date": {"2026-01-10"}, "title": {"社工实务"}, "hours": {"3"}}).want(t, http.StatusSeeOther)
		staff.post(path+"/recruitments", url.Values{"stage": {"interview"}, "date": {"2021-12-01"}, "result": {"passed"}}).want(t, http.StatusSeeOther)
		res = staff.post(path+"/reveal", url.Values{"reason": {"核对"}}).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#worker-phone")); got != "13912345678" {
			t.Errorf("revealed phone: %q", got)
		}
		one(t, res.Doc, "#reveal-audited")

		res = staff.get("/workers").want(t, http.StatusOK)
		row := text(one(t, res.Doc, "tbody tr"))
		for _, want := range []string{"赵红", "助理社会工作师", "139****5678", "3"} {
			if !strings.Contains(row, want) {
				t.Errorf("roster row %q lacks %q", row, want)
			}
		}
		if strings.Contains(res.Body, "13912345678") {
			t.Errorf("the roster shows the full phone")
		}
		res = staff.get("/workers?qualification=senior").want(t, http.StatusOK)
		one(t, res.Doc, ".empty")

		grid := f.as(t, "gridleader")
		grid.get("/workers").want(t, http.StatusForbidden)
		res = grid.get("/visits/new").want(t, http.StatusOK)
		one(t, res.Doc, "#submit-visit")
		res = grid.post("/visits", url.Values{"territory_id": {fmt.Sprint(f.building.ID)}, "minutes": {"30"}, "findings": {""}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#f-visit-findings[aria-invalid=true]")
		grid.post("/visits", url.Values{"household_id": {fmt.Sprint(h.ID)}, "minutes": {"45"}, "findings": {"楼道灯坏了"}, "follow_up": {"报物业维修"}}).want(t, http.StatusSeeOther)
		res = grid.get("/visits?mine=1").want(t, http.StatusOK)
		btn := one(t, res.Doc, "tbody form button")
		if !strings.Contains(text(one(t, res.Doc, "tbody tr")), "楼道灯坏了") {
			t.Errorf("my visits: %q", text(one(t, res.Doc, "tbody")))
		}
		id := attr(btn, "id")
		grid.post("/visits/"+strings.TrimPrefix(id, "done-")+"/done", url.Values{}).want(t, http.StatusSeeOther)
		grid.post("/visits/"+strings.TrimPrefix(id, "done-")+"/done", url.Values{}).want(t, http.StatusConflict)
		res = staff.get("/visits/unvisited?days=30").want(t, http.StatusOK)
		one(t, res.Doc, ".empty")
		res = staff.get("/visits/unvisited?days=0").want(t, http.StatusOK)
		one(t, res.Doc, ".error-summary")
	})
}
