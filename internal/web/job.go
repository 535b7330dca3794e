package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// webJobs is the pages' queue: Options.Jobs when serve hands one over, else an unstarted one
// of their own (jobs are then run by another instance).
type webJobs struct {
	once sync.Once
	q    *jobs.Queue
	err  error
}

func (wb *Web) queue() (*jobs.Queue, error) {
	wb.jobs.once.Do(func() {
		if wb.opts.Jobs != nil {
			wb.jobs.q = wb.opts.Jobs
			return
		}
		wb.jobs.q, wb.jobs.err = jobs.New(wb.st, wb.log, jobs.Options{})
	})
	return wb.jobs.q, wb.jobs.err
}

// jobData is a job's page: its progress while it runs, its result when it has ended.
type jobData struct {
	Page
	Job     *model.Job
	Import  *jobs.ImportResult       // the counts of a household import
	Export  *jobs.ExportResult       // of an export
	Divs    *jobs.DivisionResult     // of a divisions import
	Members *jobs.MemberImportResult // of a member import
	File    string                   // the name the person's file had (imports)
}

// Running reports whether the page should keep polling.
func (d *jobData) Running() bool { return !d.Job.Status.Final() }

// Outcome names the result banner: done, partial (an import that set households aside),
// failed or cancelled; "" while the job runs.
func (d *jobData) Outcome() string {
	switch {
	case !d.Job.Status.Final():
		return ""
	case d.Job.Status == model.JobSucceeded && d.Import != nil && d.Import.RejectedHouseholds > 0:
		return "partial"
	case d.Job.Status == model.JobSucceeded:
		return "done"
	}
	return string(d.Job.Status)
}

// MoreErrors counts the row errors the job found beyond those it kept.
func (d *jobData) MoreErrors() int { return d.Job.ErrorCount - len(d.Job.RowErrors) }

func (wb *Web) jobPage(r *http.Request, j *model.Job) *jobData {
	d := &jobData{Page: wb.base(r, wb.t("job.kind."+j.Kind), "jobs"), Job: j}
	d.Crumbs = []Crumb{{Name: wb.t("jobs.title"), URL: "/jobs"}}
	var p struct {
		FileName string `json:"file_name"`
	}
	_ = json.Unmarshal(j.Params, &p)
	d.File = p.FileName
	switch j.Kind {
	case jobs.KindHouseholdImport:
		d.Import = &jobs.ImportResult{}
		_ = json.Unmarshal(j.Result, d.Import)
	case jobs.KindHouseholdExport:
		d.Export = &jobs.ExportResult{}
		_ = json.Unmarshal(j.Result, d.Export)
	case jobs.KindDivisionImport:
		d.Divs = &jobs.DivisionResult{}
		_ = json.Unmarshal(j.Result, d.Divs)
	case jobs.KindMemberImport:
		d.Members = &jobs.MemberImportResult{}
		_ = json.Unmarshal(j.Result, d.Members)
	}
	return d
}

// job shows one job. While it runs the page polls its status block with htmx every second
// (without JavaScript it refreshes itself), so the progress bar moves; the person may leave
// and come back through 我的任务.
func (wb *Web) job(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q, err := wb.queue()
	if err != nil {
		return err
	}
	j, err := q.Job(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	d := wb.jobPage(r, j)
	varyHTMX(w)
	if htmxTarget(r) == "job-status" {
		return wb.renderBlock(w, http.StatusOK, "jobs/show", "status", d)
	}
	return wb.render(w, r, http.StatusOK, "jobs/show", d)
}

// jobsData is 我的任务.
type jobsData struct {
	Page
	List
	Rows []*model.Job
}

// myJobs lists the caller's own jobs, newest first.
func (wb *Web) myJobs(w http.ResponseWriter, r *http.Request) error {
	q, err := wb.queue()
	if err != nil {
		return err
	}
	cur := r.URL.Query().Get("cursor")
	p, err := q.Jobs(r.Context(), scope(r), store.JobFilter{Mine: true, Limit: 50, Cursor: cur})
	if errors.Is(err, store.ErrBadCursor) {
		return model.ErrNotFound
	}
	if err != nil {
		return err
	}
	d := &jobsData{Page: wb.base(r, wb.t("jobs.title"), "jobs"), Rows: p.Items}
	d.Head = Head{Title: d.Title, Lead: wb.t("jobs.lead")}
	d.Empty = Empty{Title: wb.t("jobs.empty"), Text: wb.t("jobs.empty.next")}
	if d.Can(authz.HouseholdImport) {
		d.Empty.Actions = []Link{{Label: wb.t("import.title"), URL: "/import", Primary: true}}
	}
	d.Pager = newPager("", "/jobs", r.URL.Query(), cur, p.Next)
	return wb.render(w, r, http.StatusOK, "jobs/list", d)
}

// cancelJob asks a job to stop and shows it again.
func (wb *Web) cancelJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q, err := wb.queue()
	if err != nil {
		return err
	}
	if _, err := q.Cancel(r.Context(), scope(r), id); err != nil {
		return err
	}
	redirect(w, r, fmt.Sprintf("/jobs/%d", id), "job_cancelled")
	return nil
}

// jobFile downloads a job's output file; the download is audited before the first byte.
func (wb *Web) jobFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ow := &onceWriter{w: w}
	err = wb.st.WriteJobOutput(r.Context(), scope(r), id, ow, func(f *model.JobFile) {
		ow.start = func() {
			attachment(w, f.ContentType, f.Name, fmt.Sprintf("job-%d-file", id))
			w.Header().Set("Content-Length", fmt.Sprint(f.Size))
		}
	})
	if err != nil && ow.started {
		wb.log.ErrorContext(r.Context(), "job file", "job", id, "err", err)
		return nil
	}
	return err
}

// jobURL is a job's page.
func jobURL(id int64) string { return "/jobs/" + url.PathEscape(fmt.Sprint(id)) }
