package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestBurdenPages: the street administrator keeps the duty list and the department register on
// the catalogue page; community staff record a task on the list (accept, finish with hours) and
// one off it (no accept button; an error summary for bad input, the input kept); the street
// refuses it on the task's page with a reason; the list filters and exports xlsx; the burden
// view shows the hours and its charts' data; a grid leader is refused.
func TestBurdenPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		street, staff := f.as(t, "streetadmin"), f.as(t, "staff")

		res := street.get("/burden/catalog").want(t, http.StatusOK)
		one(t, res.Doc, "#form-duty")
		res = street.post("/burden/duties", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "code": {"MZ-01"}, "name": {"低保受理"}, "basis": {""}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "依据") {
			t.Errorf("a duty without basis: %q", got)
		}
		street.post("/burden/duties", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "code": {"MZ-01"}, "name": {"低保受理"}, "basis": {"《社会救助暂行办法》"}}).want(t, http.StatusSeeOther)
		street.post("/burden/departments", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "name": {"江油市民政局"}, "line": {"民政"}}).want(t, http.StatusSeeOther)
		res = staff.get("/burden/catalog").want(t, http.StatusOK)
		if len(all(res.Doc, "#duty-table tbody tr")) != 1 || len(all(res.Doc, "#form-duty")) != 0 || len(all(res.Doc, ".catalog-edit")) != 0 {
			t.Errorf("staff see the list without forms")
		}
		staffScope := authz.Scope{UserID: mustUserID(t, st, "staff"), Role: model.RoleCommunityStaff, Path: f.community.Path}
		depts, err := st.BurdenDepartments(t.Context(), staffScope, store.BurdenCatalogFilter{})
		if err != nil || len(depts) != 1 {
			t.Fatalf("departments: %v %v", depts, err)
		}
		duties, _ := st.BurdenDuties(t.Context(), staffScope, store.BurdenCatalogFilter{})

		res = staff.get("/burden/tasks/new").want(t, http.StatusOK)
		one(t, res.Doc, "#f-task-department_id")
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		form := url.Values{"community_id": {fmt.Sprint(f.community.ID)}, "department_id": {fmt.Sprint(depts[0].ID)}, "duty_id": {fmt.Sprint(duties[0].ID)},
			"title": {"低保年审材料收集"}, "received_on": {today}, "due_on": {"2020-01-01"}}
		res = staff.post("/burden/tasks/new", form).want(t, http.StatusUnprocessableEntity)
		if got := attr(one(t, res.Doc, "#f-task-title"), "value"); got != "低保年审材料收集" {
			t.Errorf("the input is not kept: %q", got)
		}
		one(t, res.Doc, ".error-summary a[href='#f-task-due_on']")
		form.Set("due_on", today)
		res = staff.post("/burden/tasks/new", form).want(t, http.StatusSeeOther)
		onPath := strings.Split(res.Header.Get("Location"), "?")[0]
		res = staff.get(onPath).want(t, http.StatusOK)
		one(t, res.Doc, "#accept")
		staff.post(onPath+"/accept", url.Values{}).want(t, http.StatusSeeOther)
		res = staff.post(onPath+"/done", url.Values{"hours": {"三小时"}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#f-done-hours")
		staff.post(onPath+"/done", url.Values{"hours": {"3.5"}}).want(t, http.StatusSeeOther)
		res = staff.get(onPath).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#task-hours")); got != "3.5" {
			t.Errorf("hours: %q", got)
		}

		form.Del("duty_id")
		form.Set("title", "创文入户问卷")
		res = staff.post("/burden/tasks/new", form).want(t, http.StatusSeeOther)
		offPath := strings.Split(res.Header.Get("Location"), "?")[0]
		res = staff.get(offPath).want(t, http.StatusOK)
		if len(all(res.Doc, "#accept")) != 0 || len(all(res.Doc, "#form-decision")) != 0 {
			t.Error("staff may accept or decide an off-list task")
		}
		one(t, res.Doc, "#task-waiting")
		staff.post(offPath+"/decision", url.Values{"approve": {"1"}, "reason": {"x"}}).want(t, http.StatusForbidden)
		res = street.get(offPath).want(t, http.StatusOK)
		one(t, res.Doc, "#refuse")
		street.post(offPath+"/decision", url.Values{"approve": {"0"}, "reason": {""}}).want(t, http.StatusUnprocessableEntity)
		street.post(offPath+"/decision", url.Values{"approve": {"0"}, "reason": {"属区民政局自身职责，退回"}}).want(t, http.StatusSeeOther)
		res = staff.get(offPath).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#task-status")); got != "街道已拒绝" {
			t.Errorf("status after refusal: %q", got)
		}
		if got := text(one(t, res.Doc, "#decision-reason")); got != "属区民政局自身职责，退回" {
			t.Errorf("reason: %q", got)
		}

		res = staff.get("/burden").want(t, http.StatusOK)
		if got := len(all(res.Doc, "#burden-rows tr")); got != 2 {
			t.Errorf("rows: %d", got)
		}
		res = staff.get("/burden?on_list=no").want(t, http.StatusOK)
		if got := len(all(res.Doc, "#burden-rows tr")); got != 1 {
			t.Errorf("off-list rows: %d", got)
		}
		res = staff.get("/burden?status=bogus").want(t, http.StatusOK)
		one(t, res.Doc, "#results .error-summary")
		x := staff.get("/burden/tasks.xlsx?on_list=no").want(t, http.StatusOK)
		if ct := x.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") || len(x.Body) < 1000 {
			t.Errorf("export: %s, %d bytes", ct, len(x.Body))
		}

		res = street.get(fmt.Sprintf("/burden/view?territory=%d", f.street.ID)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#view-task-hours")); got != "3.5" {
			t.Errorf("view task hours: %q", got)
		}
		if got := attr(one(t, res.Doc, "#chart-months"), "data-chart"); !strings.Contains(got, `"series"`) {
			t.Errorf("month chart: %q", got)
		}
		one(t, res.Doc, "#view-community-table")
		f.as(t, "gridleader").get("/burden").want(t, http.StatusForbidden)
	})
}
