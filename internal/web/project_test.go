package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// The three lists' pages end to end over HTTP: staff record a need (a bad one keeps the input
// and names the fields), a resource (a negative amount refused), see the resource ranked with
// its reason on the matching page, propose the project; a grid leader may not approve it, staff
// do; a milestone due before the start is refused, a valid one is added and ticked; a resident
// reads the approved project and not the needs list.
func TestListsPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	org := storetest.MustOrganization(t, st, f.community.ID, "天宝物业维修队")
	staff := f.as(t, "staff")
	id := func(r *response) string {
		t.Helper()
		loc := r.Header.Get("Location")
		i := strings.LastIndexByte(loc, '/')
		if r.StatusCode != http.StatusSeeOther || i < 0 {
			t.Fatalf("no redirect to the new object: %d %q\n%s", r.StatusCode, loc, excerpt(r.Body))
		}
		return strings.SplitN(loc[i+1:], "?", 2)[0]
	}

	bad := staff.post("/lists/needs", url.Values{"title": {""}, "category": {"维修"}, "territory_id": {itoa(f.grid.ID)}, "households": {"-3"}}).want(t, http.StatusUnprocessableEntity)
	if got := texts(bad.Doc, ".error-summary a"); len(got) != 2 {
		t.Errorf("error summary %q, want title and households", got)
	}
	if v := attr(one(t, bad.Doc, "#f-need-category"), "value"); v != "维修" {
		t.Errorf("input lost: category %q", v)
	}
	need := id(staff.post("/lists/needs", url.Values{"title": {"老旧楼栋水电维修"}, "category": {"维修"}, "territory_id": {itoa(f.grid.ID)}, "households": {"24"}}))

	neg := staff.post("/lists/resources", url.Values{"kind": {"funds"}, "title": {"维修基金"}, "amount": {"-5"}, "territory_id": {itoa(f.community.ID)}, "organization_id": {itoa(org)}}).
		want(t, http.StatusUnprocessableEntity)
	if len(all(neg.Doc, "#f-resource-amount[aria-invalid]")) != 1 {
		t.Errorf("a negative amount is not marked on its field\n%s", excerpt(neg.Body))
	}
	res := id(staff.post("/lists/resources", url.Values{"kind": {"skill"}, "title": {"水电维修服务"}, "tags": {"维修，水电"}, "availability": {"每周六上午"},
		"territory_id": {itoa(f.community.ID)}, "organization_id": {itoa(org)}}))
	list := staff.get("/lists/resources").want(t, http.StatusOK)
	if got := texts(list.Doc, "#resource-"+res+" td"); len(got) < 2 || got[1] != "技能" {
		t.Errorf("resource row %q, want its kind 技能", got)
	}

	match := staff.get("/lists/match?need="+need).want(t, http.StatusOK)
	why := text(one(t, match.Doc, "#match-"+res+" .match-why"))
	if !strings.Contains(why, "标签含“维修”") || !strings.Contains(why, "服务范围覆盖需求所在地") {
		t.Errorf("rank explained as %q", why)
	}
	proj := id(staff.post("/lists/projects", url.Values{"need_id": {need}, "resource_id": {res}, "title": {"水电维修进楼栋"}, "owner": {"王主任"}, "starts_on": {"2026-06-10"}}))

	grid := f.as(t, "gridleader")
	page := grid.get("/lists/projects/"+proj).want(t, http.StatusOK)
	if len(all(page.Doc, "#act-approve")) != 0 || len(all(page.Doc, "#project-awaiting")) != 1 {
		t.Errorf("a grid leader is offered the approval")
	}
	grid.post("/lists/projects/"+proj+"/approval", url.Values{"action": {"approve"}}).want(t, http.StatusForbidden)

	staff.post("/lists/projects/"+proj+"/approval", url.Values{"action": {"approve"}}).want(t, http.StatusSeeOther)
	again := staff.post("/lists/projects/"+proj+"/approval", url.Values{"action": {"approve"}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(text(one(t, again.Doc, ".error-summary")), "不能批准") {
		t.Errorf("second approval: no clear error\n%s", excerpt(again.Body))
	}
	early := staff.post("/lists/projects/"+proj+"/milestones", url.Values{"title": {"入户摸排"}, "due_on": {"2026-06-01"}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(text(one(t, early.Doc, ".error-summary")), "不能早于项目开始日期") {
		t.Errorf("milestone before the start: no clear error")
	}
	staff.post("/lists/projects/"+proj+"/milestones", url.Values{"title": {"入户摸排"}, "due_on": {"2026-06-20"}}).want(t, http.StatusSeeOther)
	page = staff.get("/lists/projects/"+proj).want(t, http.StatusOK)
	tick := one(t, page.Doc, "#project-milestones form.inline-form input[name=milestone_id]")
	staff.post("/lists/projects/"+proj+"/tick", url.Values{"milestone_id": {attr(tick, "value")}}).want(t, http.StatusSeeOther)
	page = staff.get("/lists/projects/"+proj).want(t, http.StatusOK)
	if got := text(one(t, page.Doc, "#project-status")); got != "已批准" {
		t.Errorf("status %q", got)
	}
	if len(all(page.Doc, ".milestone-done")) != 1 || len(all(page.Doc, "#project-history tbody tr")) != 4 {
		t.Errorf("milestone not done or history short\n%s", excerpt(page.Body))
	}

	resident := f.as(t, "resident")
	resident.get("/lists/needs").want(t, http.StatusForbidden)
	pub := resident.get("/lists/projects").want(t, http.StatusOK)
	if len(all(pub.Doc, "#project-"+proj)) != 1 {
		t.Errorf("the resident does not see the approved project")
	}
}
