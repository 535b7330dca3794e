package web_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestMemberPages: staff register a member through the form (a missing name answered in the
// form, nothing written), find it on the list, open the profile, change it and convert it; the
// reporting list tells who has reported; a grid leader reads the member but neither its dues nor
// their history.
func TestMemberPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	staff := f.as(t, "staff")

	bad := staff.post("/party/members/new", url.Values{"list": {"registered"}, "org_id": {itoa(branch)}, "status": {"probationary"},
		"category": {"retired"}, "mobility": {"none"}}).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, bad.Doc, ".error-summary")); !strings.Contains(got, "姓名") {
		t.Errorf("error summary = %q, want the name named", got)
	}
	if n := memberCount(t, st); n != 0 {
		t.Fatalf("a refused form wrote %d members", n)
	}
	ok := staff.post("/party/members/new", url.Values{"list": {"registered"}, "org_id": {itoa(branch)}, "status": {"probationary"},
		"name": {"李预备"}, "joined_on": {"2024-03-01"}, "category": {"in_work"}, "mobility": {"outflow"}, "education": {"bachelor"}}).want(t, http.StatusSeeOther)
	loc := ok.Header.Get("Location")
	if !strings.HasPrefix(loc, "/party/members/") {
		t.Fatalf("Location = %q", loc)
	}
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/party/members/")

	list := staff.get("/party/members?category=in_work&mobility=outflow").want(t, http.StatusOK)
	if got := texts(list.Doc, "tbody th.cell-title"); len(got) != 1 || got[0] != "李预备" {
		t.Errorf("filtered list = %q, want [李预备]", got)
	}
	none := staff.get("/party/members?category=retired").want(t, http.StatusOK)
	if got := texts(none.Doc, "tbody th.cell-title"); len(got) != 0 {
		t.Errorf("retired list = %q, want none", got)
	}
	profile := staff.get("/party/members/"+id).want(t, http.StatusOK)
	if got := text(one(t, profile.Doc, "h1")); !strings.Contains(got, "李预备") {
		t.Errorf("profile h1 = %q", got)
	}
	one(t, profile.Doc, "#form-convert")

	staff.post("/party/members/"+id+"/edit", url.Values{"name": {"李预备"}, "category": {"in_work"}, "mobility": {"none"},
		"workplace": {"市第一医院"}, "education": {"bachelor"}}).want(t, http.StatusSeeOther)
	early := staff.post("/party/members/"+id+"/convert", url.Values{"full_on": {"2024-12-01"}}).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, early.Doc, ".error-summary")); !strings.Contains(got, "预备期为一年") {
		t.Errorf("early conversion: %q", got)
	}
	staff.post("/party/members/"+id+"/convert", url.Values{"full_on": {"2025-03-01"}}).want(t, http.StatusSeeOther)
	after := staff.get("/party/members/"+id).want(t, http.StatusOK)
	if got := text(one(t, after.Doc, "main")); !strings.Contains(got, "正式党员") || !strings.Contains(got, "市第一医院") || !strings.Contains(got, "转正") {
		t.Errorf("profile after edit and conversion lacks them: %.300q", got)
	}
	if len(all(after.Doc, "#form-convert")) != 0 {
		t.Error("a full member still offers conversion")
	}

	// Dues: staff see them, a grid leader neither them nor that they were declared.
	mid := memberID(t, id)
	if _, err := st.DeclareIncome(ctx, authz.System(), mid, 450000, false); err != nil {
		t.Fatal(err)
	}
	if got := text(one(t, staff.get("/party/members/"+id).want(t, http.StatusOK).Doc, "main")); !strings.Contains(got, "申报收入") || !strings.Contains(got, "月缴党费") {
		t.Errorf("staff profile lacks the dues: %.300q", got)
	}
	grid := f.as(t, "gridleader").get("/party/members/"+id).want(t, http.StatusOK)
	if got := text(one(t, grid.Doc, "main")); strings.Contains(got, "申报收入") || strings.Contains(got, "月缴党费") || strings.Contains(got, "党费") {
		t.Errorf("a grid leader sees dues: %.400q", got)
	}
	if len(all(grid.Doc, "#form-convert")) != 0 || len(all(grid.Doc, "a[href$=/edit]")) != 0 {
		t.Error("a grid leader is offered changes")
	}

	// The reporting list: one reported with a post, one not yet.
	for _, m := range []url.Values{
		{"name": {"王报到"}, "reporting_kind": {"in_work"}, "home_org": {"市税务局机关党委"}, "service_post": {"楼栋宣传员"}, "reported_on": {"2025-05-04"}},
		{"name": {"赵未到"}, "reporting_kind": {"inflow"}, "home_org": {"老家村党支部"}},
	} {
		m.Set("list", "reporting")
		m.Set("org_id", itoa(branch))
		m.Set("status", "full")
		m.Set("category", "in_work")
		m.Set("mobility", "none")
		staff.post("/party/members/new", m).want(t, http.StatusSeeOther)
	}
	rep := staff.get("/party/members?list=reporting").want(t, http.StatusOK)
	if got := text(one(t, rep.Doc, "#results")); !strings.Contains(got, "已报到 1 名，未报到 1 名") || !strings.Contains(got, "楼栋宣传员") {
		t.Errorf("reporting list = %.400q", got)
	}
	waiting := staff.get("/party/members?list=reporting&reported=no").want(t, http.StatusOK)
	if got := texts(waiting.Doc, "tbody th.cell-title"); len(got) != 1 || got[0] != "赵未到" {
		t.Errorf("not yet reported = %q", got)
	}
	reg := staff.get("/party/members").want(t, http.StatusOK)
	if got := texts(reg.Doc, "tbody th.cell-title"); len(got) != 1 {
		t.Errorf("registered list = %q: reporting members counted as registered", got)
	}
}

func memberCount(t *testing.T, st interface {
	DB() *sql.DB
}) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_members`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func memberID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMemberImportPages: the upload page offers the member template; a file with a bad row
// ends its job failed with the row, column and reason and the rejects file, nothing written; a
// good file registers the members and the job page says how many.
func TestMemberImportPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{Jobs: startedQueue(t, st)})
	storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	c := f.as(t, "staff")
	res := c.get("/party/members/import").want(t, http.StatusOK)
	one(t, res.Doc, "form[action=/party/members/import][enctype=multipart/form-data] input[type=file][name=file]")
	one(t, res.Doc, "a[href=/party/members/import/template.xlsx]")
	if len(all(res.Doc, "input[name=skip_invalid]")) != 0 {
		t.Error("the member import offers skipping bad rows: it is all or nothing")
	}
	tpl := c.get("/party/members/import/template.xlsx").want(t, http.StatusOK)
	if !strings.HasPrefix(tpl.Body, "PK") {
		t.Error("the template is not a workbook")
	}
	res = c.uploadTo("/party/members/import", "党员.csv", []byte("姓名,党员类别\n王,正式党员\n"), nil).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, res.Doc, "#f-import-file-error")); !strings.Contains(got, "所在党组织") {
		t.Errorf("missing column error = %q", got)
	}

	head := "姓名,所在党组织,党员类别,人员类型,名册,报到类型,组织关系所在党组织\n"
	_, res = followJob(t, c, c.uploadTo("/party/members/import", "党员.csv", []byte(head+"王一,第一网格党支部,正式党员,离退休,,,\n李二,第一网格党支部,正式党员,火星人,,,\n"), nil))
	one(t, res.Doc, ".result-bad")
	if got := texts(res.Doc, "table.table-errors tbody th"); len(got) != 1 || got[0] != "第3行" {
		t.Errorf("error rows = %q, want [第3行]", got)
	}
	if got := texts(res.Doc, "table.table-errors tbody td[data-label=列]"); len(got) != 1 || got[0] != "人员类型" {
		t.Errorf("error columns = %q", got)
	}
	one(t, res.Doc, "a[href$=/file]")
	if n := memberCount(t, st); n != 0 {
		t.Fatalf("a refused import wrote %d members", n)
	}

	_, res = followJob(t, c, c.uploadTo("/party/members/import", "党员.csv", []byte(head+"王一,第一网格党支部,正式党员,离退休,,,\n李二,第一网格党支部,正式党员,在职,报到党员,流入党员,老家村党支部\n"), nil))
	if len(all(res.Doc, ".result-ok")) == 0 {
		t.Fatalf("job page: %.600q", text(one(t, res.Doc, "#job-status")))
	}
	if got := text(one(t, res.Doc, "#job-status")); !strings.Contains(got, "已导入1名在册党员、1名报到党员") {
		t.Errorf("job page = %.300q", got)
	}
	if n := memberCount(t, st); n != 2 {
		t.Errorf("members = %d, want 2", n)
	}
}

// TestTransferPages: staff request a transfer from the member's page (the member's own org is
// refused in the form), accept it on the transfer's page and the member moves; a transfer out
// yields the signed file to download; the keys section shows the deployment's public key.
func TestTransferPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	group := storetest.PartyOrg(t, st, "building_group", "", "1栋党小组", f.building, branch)
	m := storetest.PartyMember(t, st, "孙转接", branch, 0)
	staff := f.as(t, "comadmin")
	page := "/party/members/" + itoa(m)
	one(t, staff.get(page).want(t, http.StatusOK).Doc, "form#form-transfer select[name=to_org_id]")
	same := staff.post(page+"/transfer", url.Values{"to_org_id": {itoa(branch)}}).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, same.Doc, ".error-summary")); !strings.Contains(got, "不需要转接") {
		t.Errorf("same org: %q", got)
	}
	res := staff.post(page+"/transfer", url.Values{"to_org_id": {itoa(group)}, "reason": {"搬到1栋"}}).want(t, http.StatusSeeOther)
	tr := strings.SplitN(res.Header.Get("Location"), "?", 2)[0]
	show := staff.get(tr).want(t, http.StatusOK)
	if got := text(one(t, show.Doc, "main")); !strings.Contains(got, "待接收") || !strings.Contains(got, "1栋党小组") {
		t.Errorf("transfer page: %.300q", got)
	}
	if len(all(staff.get(page).want(t, http.StatusOK).Doc, "form#form-transfer")) != 0 {
		t.Error("a member with an open transfer is offered another")
	}
	staff.post(tr+"/accept", url.Values{"note": {"同意"}}).want(t, http.StatusSeeOther)
	moved, err := st.Member(context.Background(), authz.System(), m)
	if err != nil || moved.OrgID != group {
		t.Fatalf("after acceptance the member is in %d (%v), want %d", moved.OrgID, err, group)
	}
	staff.post(tr+"/accept", url.Values{}).want(t, http.StatusUnprocessableEntity)

	res = staff.post(page+"/transfer", url.Values{"destination": {"绵阳市某社区党委"}}).want(t, http.StatusSeeOther)
	out := strings.SplitN(res.Header.Get("Location"), "?", 2)[0]
	staff.post(out+"/accept", url.Values{}).want(t, http.StatusSeeOther)
	file := staff.get(out+"/file").want(t, http.StatusOK)
	if !strings.Contains(file.Body, `"signature"`) || !strings.Contains(file.Body, "孙转接") {
		t.Errorf("transfer file = %.200q", file.Body)
	}
	list := staff.get("/party/transfers").want(t, http.StatusOK)
	if got := texts(list.Doc, "tbody th.cell-title"); len(got) != 2 {
		t.Errorf("transfers listed = %q, want 2", got)
	}
	if key := text(one(t, list.Doc, "#own-transfer-key")); len(key) != 44 {
		t.Errorf("own public key = %q", key)
	}
}
