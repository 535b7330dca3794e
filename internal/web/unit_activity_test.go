package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// postMultipart sends a multipart form the way the browser does (same-origin).
func (c *client) postMultipart(path string, fields map[string][]string, photos ...[]byte) *response {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for i, p := range photos {
		fw, _ := mw.CreateFormFile("photos", fmt.Sprintf("IMG_%d.jpg", i))
		_, _ = fw.Write(p)
	}
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+path, &b)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// TestUnitActivityPages: the unit leader opens the record form (categories as chips, today's
// date, every household ticked, a camera input), an HTML file disguised as a photo is refused
// with the reason and nothing stored, a real photo is recorded and listed; staff see coverage.
func TestUnitActivityPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	var hh []string
	var ids []int64
	for i := range 3 {
		h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
		hh = append(hh, fmt.Sprint(h.ID))
	}
	u := f.leadUnit(t, ids...)
	leader := f.as(t, "unitleader")
	list := fmt.Sprintf("/units/%d/activities", u.ID)
	if loc := leader.get("/units/activities").want(t, http.StatusSeeOther).Header.Get("Location"); loc != list {
		t.Errorf("the leader's activities go to %q, want %q", loc, list)
	}
	page := leader.get(list).want(t, http.StatusOK)
	if href := attr(one(t, page.Doc, "#record-activity"), "href"); href != list+"/new" {
		t.Errorf("record button → %q", href)
	}
	form := leader.get(list+"/new").want(t, http.StatusOK)
	if got := texts(form.Doc, ".cat-chip span"); strings.Join(got, "/") != "环境联治/平安联创/困难联帮/致富联带/新风联树" {
		t.Errorf("chips = %q", got)
	}
	if n := len(all(form.Doc, "input[name=households][checked]")); n != 3 {
		t.Errorf("%d households ticked, want all 3", n)
	}
	file := one(t, form.Doc, "input[type=file]")
	if attr(file, "accept") != "image/*" || !hasAttr(file, "capture") {
		t.Errorf("photo input: accept=%q capture=%v", attr(file, "accept"), hasAttr(file, "capture"))
	}
	if attr(one(t, form.Doc, "input[name=date]"), "value") == "" {
		t.Error("no date by default")
	}
	fields := map[string][]string{"category": {"environment"}, "households": hh, "description": {"清理楼道杂物"}}
	bad := leader.postMultipart(list+"/new", fields, []byte("<html><script>alert(1)</script></html>")).want(t, http.StatusUnprocessableEntity)
	if s := text(one(t, bad.Doc, ".error-summary")); !strings.Contains(s, "第 1 张照片") || !strings.Contains(s, "不是照片") {
		t.Errorf("error summary = %q", s)
	}
	if got := attr(one(t, bad.Doc, "textarea[name=description]"), "name"); got == "" || !strings.Contains(text(one(t, bad.Doc, "textarea[name=description]")), "清理楼道杂物") {
		t.Error("the description was lost on the error")
	}
	if count(t, st, `SELECT COUNT(*) FROM unit_activities`) != 0 {
		t.Fatal("a refused record was stored")
	}
	ok := leader.postMultipart(list+"/new", fields, modeltest.JPEGWithGPS(t, 64, 48)).want(t, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); !strings.HasPrefix(loc, list) {
		t.Errorf("after recording: %q", loc)
	}
	page = leader.get(list).want(t, http.StatusOK)
	if n := len(all(page.Doc, ".unitact-item")); n != 1 {
		t.Fatalf("%d records listed", n)
	}
	if src := attr(one(t, page.Doc, ".unitact-photos img"), "src"); !strings.HasPrefix(src, "/api/v1/activities/") {
		t.Errorf("photo src %q", src)
	}
	leader.get("/units/coverage").want(t, http.StatusForbidden)

	staff := f.as(t, "staff")
	cov := staff.get("/units/coverage").want(t, http.StatusOK)
	if len(all(cov.Doc, "#coverage-table tbody tr")) == 0 || len(all(cov.Doc, "#attention tbody tr")) != 1 {
		t.Errorf("coverage page: %s", excerpt(cov.Body))
	}
	staff.get("/units/activities").want(t, http.StatusOK)
}
