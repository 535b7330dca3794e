package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/jobs"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// upload posts file to /import as a browser would.
func (c *client) upload(name string, content []byte, fields map[string]string) *response {
	c.t.Helper()
	return c.uploadTo("/import", name, content, fields)
}

// uploadTo posts file to path as a browser would.
func (c *client) uploadTo(path, name string, content []byte, fields map[string]string) *response {
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
	req, err := http.NewRequest(http.MethodPost, c.base+path, &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

const importHeader = "户编号,所属节点,门牌地址,姓名,与户主关系,身份证号,联系电话,政治面貌\n"

// startedQueue is a running job queue over st with quick ticks, stopped at the end of the test.
func startedQueue(t *testing.T, st *store.Store) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Options{Poll: 20 * time.Millisecond, Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(5 * time.Second) })
	return q
}

// followJob follows an upload's redirect to its job page and reloads it until the job has ended.
func followJob(t *testing.T, c *client, res *response) (string, *response) {
	t.Helper()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("upload answered %d, Location %q: want 303 to the job", res.StatusCode, loc)
	}
	for {
		res = c.get(loc).want(t, http.StatusOK)
		st := attr(one(t, res.Doc, "#job-status"), "data-status")
		if st != "queued" && st != "running" {
			return loc, res
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestImportPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{Jobs: startedQueue(t, st)})
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

		// No file, a wrong kind of file, wrong columns: errors at the field, at once, no job.
		res = c.upload("", nil, nil).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#f-import-file-error")
		res = c.upload("households.pdf", []byte("%PDF"), nil).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-import-file-error")); !strings.Contains(got, ".xlsx") {
			t.Errorf("wrong type error = %q", got)
		}
		res = c.upload("households.csv", []byte("地址,姓名\n1,2\n"), nil).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-import-file-error")); !strings.Contains(got, "缺少") {
			t.Errorf("wrong columns error = %q", got)
		}
		res = c.get("/jobs").want(t, http.StatusOK)
		one(t, res.Doc, ".empty a[href=/import]")

		node := fmt.Sprint(f.stairwell.ID)
		goodHead := validID("510781", "19600101", 31)
		wife := validID("510781", "19620202", 32)
		csv := importHeader +
			"1," + node + ",1栋1单元201室,李大山,户主," + goodHead + ",13900001111,中共党员\n" +
			"1,,,王小花,配偶," + wife + ",,群众\n" +
			"2," + node + ",1栋1单元202室,赵错号,户主," + goodHead[:17] + "0,,群众\n" +
			"3," + fmt.Sprint(f.stairwell2.ID) + ",8栋2单元101室,外社区,户主," + validID("510781", "19700303", 33) + ",,群众\n"
		_, res = followJob(t, c, c.upload("住户.csv", []byte(csv), nil))
		one(t, res.Doc, ".result-bad")
		if p := one(t, res.Doc, "progress.job-progress"); attr(p, "max") != "100" {
			t.Errorf("progress max = %q", attr(p, "max"))
		}
		rows := texts(res.Doc, "table.table-errors tbody th")
		if len(rows) < 2 || rows[0] != "第4行" || rows[len(rows)-1] != "第5行" {
			t.Errorf("error rows = %q, want 第4行 … 第5行", rows)
		}
		if got := texts(res.Doc, "table.table-errors tbody td[data-label=列]"); len(got) == 0 || got[0] != "身份证号" {
			t.Errorf("error columns = %q", got)
		}
		if n := len(all(res.Doc, "#job-status[hx-trigger]")); n != 0 {
			t.Errorf("an ended job still polls")
		}
		res = c.get("/households").want(t, http.StatusOK)
		if n := len(all(res.Doc, "#results tbody tr")); n != 0 {
			t.Errorf("a rejected file wrote %d households", n)
		}

		// Skipping the bad households imports the good one and offers the rest as an audited
		// download of the job's file, never inside the page.
		loc, res := followJob(t, c, c.upload("住户.csv", []byte(csv), map[string]string{"skip_invalid": "1"}))
		one(t, res.Doc, ".result-warn")
		if got := texts(res.Doc, ".stat .stat-value"); len(got) < 3 || got[1] != "1" || got[2] != "2" {
			t.Errorf("imported figures = %q, want 1 household, 2 residents", got)
		}
		if n := len(all(res.Doc, "a[href^=data:]")); n != 0 {
			t.Errorf("the page embeds %d data: URLs", n)
		}
		dl := c.get(attr(one(t, res.Doc, "a[download][href$=/file]"), "href")).want(t, http.StatusOK)
		if !strings.Contains(dl.Body, "错误原因") || !strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("rejects download = %q %q", dl.Header.Get("Content-Disposition"), excerpt(dl.Body))
		}
		f.as(t, "staff").get(loc+"/file").want(t, http.StatusNotFound)
		f.as(t, "staff").get(loc).want(t, http.StatusNotFound)
		res = c.get("/households").want(t, http.StatusOK)
		if got := texts(res.Doc, "#results tbody th.cell-title a"); len(got) != 1 || got[0] != "1栋1单元201室" {
			t.Errorf("households after import = %q", got)
		}
		// The htmx poll gets the status block alone.
		frag := c.get(loc, "HX-Request", "true", "HX-Target", "job-status").want(t, http.StatusOK)
		if strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Body, `id="job-status"`) {
			t.Errorf("fragment = %q", excerpt(frag.Body))
		}
		res = c.get("/jobs").want(t, http.StatusOK)
		if n := len(all(res.Doc, "table tbody tr a[href^=/jobs/]")); n != 2 {
			t.Errorf("我的任务 lists %d jobs, want 2", n)
		}

		// Export: the list's filter, as a background job whose page offers the workbook, masked.
		res = c.get("/households?q=201").want(t, http.StatusOK)
		one(t, res.Doc, "#results form[method=post][action=/households/export] input[type=hidden][name=q][value=201]")
		loc, res = followJob(t, c, c.post("/households/export", url.Values{"q": {"201"}}))
		if got := attr(one(t, res.Doc, "#job-status"), "data-status"); got != "succeeded" {
			t.Fatalf("export job ended %q", got)
		}
		if p := one(t, res.Doc, "progress.job-progress"); attr(p, "value") != attr(p, "max") {
			t.Errorf("export progress = %s of %s", attr(p, "value"), attr(p, "max"))
		}
		dl = c.get(attr(one(t, res.Doc, "a[download][href$=/file]"), "href")).want(t, http.StatusOK)
		if ct := dl.Header.Get("Content-Type"); !strings.Contains(ct, "spreadsheetml") || !strings.HasPrefix(dl.Body, "PK") {
			t.Errorf("export: Content-Type %q", ct)
		}
		if strings.Contains(dl.Body, goodHead) {
			t.Errorf("export carries a full ID number")
		}
		res = c.get("/jobs").want(t, http.StatusOK)
		one(t, res.Doc, "table tbody tr a[href="+loc+"]")
		one(t, res.Doc, ".sidenav a[href=/jobs][aria-current=page]")
		f.as(t, "gridleader").post("/households/export", url.Values{}).want(t, http.StatusForbidden)
	})
}

// TestJobPageWithoutJavaScript: a job that has not ended polls its status with htmx and, for a
// browser without JavaScript, refreshes the whole page; it can be cancelled from the page.
func TestJobPageWithoutJavaScript(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{}) // no worker: the job stays queued
	c := f.as(t, "comadmin")
	res := c.upload("住户.csv", []byte(importHeader+"1,"+fmt.Sprint(f.stairwell.ID)+",1室,李大山,户主,"+validID("510781", "19600101", 41)+",,群众\n"), nil).want(t, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	res = c.get(loc).want(t, http.StatusOK)
	one(t, res.Doc, "#job-status[hx-trigger][hx-get="+loc+"]")
	one(t, res.Doc, "progress.job-progress")
	if !strings.Contains(res.Body, `<noscript><meta http-equiv="refresh"`) {
		t.Errorf("no refresh for browsers without JavaScript")
	}
	res = c.post(loc+"/cancel", url.Values{}).want(t, http.StatusSeeOther)
	res = c.get(res.Header.Get("Location")).want(t, http.StatusOK)
	if got := attr(one(t, res.Doc, "#job-status"), "data-status"); got != "cancelled" {
		t.Errorf("after cancel: status %q", got)
	}
	if strings.Contains(res.Body, "http-equiv") {
		t.Errorf("an ended job still refreshes")
	}
}

func TestImportUploadLimit(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{MaxUploadBytes: 4 << 10})
	c := f.as(t, "comadmin")
	big := importHeader + strings.Repeat("1,1,x,x,户主,x,,群众\n", 1000)
	res := c.upload("big.csv", []byte(big), nil).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, res.Doc, "#f-import-file-error")); !strings.Contains(got, "MB") {
		t.Errorf("too large error = %q", got)
	}
}
