package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// upload posts file to /import as a browser would.
func (c *client) upload(name string, content []byte, fields map[string]string) *response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write(content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+"/import", &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

const importHeader = "户编号,所属节点,门牌地址,姓名,与户主关系,身份证号,联系电话,政治面貌\n"

func TestImportPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		c := f.as(t, "comadmin")
		res := c.get("/import").want(t, http.StatusOK)
		one(t, res.Doc, "form[action=/import][enctype=multipart/form-data] input[type=file][name=file]")
		one(t, res.Doc, "a[href=/import/template.xlsx]")
		one(t, res.Doc, "form#form-import .htmx-indicator")

		res = c.get("/import/template.xlsx").want(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") || !strings.HasPrefix(res.Body, "PK") {
			t.Errorf("template: Content-Type %q, body %q…", ct, res.Body[:min(4, len(res.Body))])
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
			t.Errorf("template Content-Disposition = %q", cd)
		}

		// No file, a wrong kind of file: errors at the field.
		res = c.upload("", nil, nil).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#f-import-file-error")
		res = c.upload("households.pdf", []byte("%PDF"), nil).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-import-file-error")); !strings.Contains(got, ".xlsx") {
			t.Errorf("wrong type error = %q", got)
		}

		node := fmt.Sprint(f.stairwell.ID)
		goodHead := validID("510781", "19600101", 31)
		wife := validID("510781", "19620202", 32)
		csv := importHeader +
			"1," + node + ",1栋1单元201室,李大山,户主," + goodHead + ",13900001111,中共党员\n" +
			"1,,,王小花,配偶," + wife + ",,群众\n" +
			"2," + node + ",1栋1单元202室,赵错号,户主," + goodHead[:17] + "0,,群众\n" +
			"3," + fmt.Sprint(f.stairwell2.ID) + ",8栋2单元101室,外社区,户主," + validID("510781", "19700303", 33) + ",,群众\n"
		res = c.upload("住户.csv", []byte(csv), nil).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, ".result-bad")
		rows := texts(res.Doc, "table.table-errors tbody th")
		if len(rows) < 2 || rows[0] != "第4行" || rows[len(rows)-1] != "第5行" {
			t.Errorf("error rows = %q, want 第4行 … 第5行", rows)
		}
		if got := texts(res.Doc, "table.table-errors tbody td[data-label=列]"); len(got) == 0 || got[0] != "身份证号" {
			t.Errorf("error columns = %q", got)
		}
		res = c.get("/households").want(t, http.StatusOK)
		if n := len(all(res.Doc, "#results tbody tr")); n != 0 {
			t.Errorf("a rejected file wrote %d households", n)
		}

		// Skipping the bad households imports the good one and offers the rest to download.
		res = c.upload("住户.csv", []byte(csv), map[string]string{"skip_invalid": "1"}).want(t, http.StatusOK)
		one(t, res.Doc, ".result-warn")
		if got := texts(res.Doc, ".stat .stat-value"); len(got) < 3 || got[1] != "1" || got[2] != "2" {
			t.Errorf("imported figures = %q, want 1 household, 2 residents", got)
		}
		if a := all(res.Doc, "a[download][href^=data:text/csv]"); len(a) != 1 {
			t.Errorf("no download of the rows set aside")
		}
		res = c.get("/households").want(t, http.StatusOK)
		if got := texts(res.Doc, "#results tbody th.cell-title a"); len(got) != 1 || got[0] != "1栋1单元201室" {
			t.Errorf("households after import = %q", got)
		}

		// Export: the list's filter, as a workbook, masked.
		one(t, res.Doc, "#results a[href^=/households/export.xlsx]")
		res = c.get("/households/export.xlsx?q=201").want(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") || !strings.HasPrefix(res.Body, "PK") {
			t.Errorf("export: Content-Type %q", ct)
		}
		if strings.Contains(res.Body, goodHead) {
			t.Errorf("export carries a full ID number")
		}
		f.as(t, "gridleader").get("/households/export.xlsx").want(t, http.StatusForbidden)
	})
}

func TestImportUploadLimit(t *testing.T) {
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{MaxUploadBytes: 4 << 10})
	c := f.as(t, "comadmin")
	big := importHeader + strings.Repeat("1,1,x,x,户主,x,,群众\n", 1000)
	res := c.upload("big.csv", []byte(big), nil).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, res.Doc, "#f-import-file-error")); !strings.Contains(got, "MB") {
		t.Errorf("too large error = %q", got)
	}
}
