package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// apiJobs is the API's queue: the one serve hands over with UseJobs, else an unstarted one of
// its own (jobs are then run by another instance).
type apiJobs struct {
	once      sync.Once
	q         *jobs.Queue
	err       error
	maxUpload int64
}

// UseJobs makes the API submit to, read from and cancel through q, the queue this instance
// runs, and accept uploads of up to maxUpload bytes.
func (a *API) UseJobs(q *jobs.Queue, maxUpload int64) {
	a.jobs.once.Do(func() {})
	a.jobs.q, a.jobs.maxUpload = q, maxUpload
}

func (a *API) queue() (*jobs.Queue, error) {
	a.jobs.once.Do(func() { a.jobs.q, a.jobs.err = jobs.New(a.st, a.log, jobs.Options{}) })
	return a.jobs.q, a.jobs.err
}

func (a *API) maxUpload() int64 {
	if a.jobs.maxUpload > 0 {
		return a.jobs.maxUpload
	}
	return 64 << 20
}

// jobJSON is a job as the API shows it.
type jobJSON struct {
	ID              ID                  `json:"id"`
	Kind            string              `json:"kind"`
	Status          model.JobStatus     `json:"status"`
	StatusLabel     string              `json:"status_label"`
	Stage           string              `json:"stage,omitempty"`
	Done            int64               `json:"done"`
	Total           int64               `json:"total"`
	Percent         int                 `json:"percent"`
	UserID          ID                  `json:"user_id"`
	Params          json.RawMessage     `json:"params"`
	Result          json.RawMessage     `json:"result"`
	Error           string              `json:"error,omitempty"`
	RowErrors       []model.JobRowError `json:"row_errors"`
	ErrorCount      int                 `json:"error_count"`
	CancelRequested bool                `json:"cancel_requested"`
	Output          *jobFileJSON        `json:"output,omitempty"`
	CreatedAt       time.Time           `json:"created_at"`
	StartedAt       *time.Time          `json:"started_at,omitempty"`
	FinishedAt      *time.Time          `json:"finished_at,omitempty"`
}

type jobFileJSON struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	URL  string `json:"url"`
}

func toJobJSON(j *model.Job) jobJSON {
	out := jobJSON{ID: ID(j.ID), Kind: j.Kind, Status: j.Status, StatusLabel: j.Status.Label(), Stage: j.Stage, Done: j.Done, Total: j.Total,
		Percent: j.Percent(), UserID: ID(j.UserID), Params: j.Params, Result: j.Result, Error: j.Error, RowErrors: j.RowErrors,
		ErrorCount: j.ErrorCount, CancelRequested: j.CancelRequested, CreatedAt: j.CreatedAt.In(model.Shanghai)}
	if out.RowErrors == nil {
		out.RowErrors = []model.JobRowError{}
	}
	if j.StartedAt != nil {
		t := j.StartedAt.In(model.Shanghai)
		out.StartedAt = &t
	}
	if j.FinishedAt != nil {
		t := j.FinishedAt.In(model.Shanghai)
		out.FinishedAt = &t
	}
	if j.Output != nil {
		out.Output = &jobFileJSON{Name: j.Output.Name, Size: j.Output.Size, URL: fmt.Sprintf("/api/v1/jobs/%d/file", j.ID)}
	}
	return out
}

// accepted answers a submitted job: 202, its URL in Location.
func accepted(w http.ResponseWriter, j *model.Job) error {
	w.Header().Set("Location", fmt.Sprintf("/api/v1/jobs/%d", j.ID))
	return writeJSON(w, http.StatusAccepted, toJobJSON(j))
}

func (a *API) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q, err := a.queue()
	if err != nil {
		return err
	}
	j, err := q.Job(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toJobJSON(j))
}

// listJobs lists the jobs the caller sees, newest first: its own, and for administrators those
// of the accounts in its scope; ?mine=true keeps its own.
func (a *API) listJobs(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "mine")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	mine := r.URL.Query().Get("mine")
	if mine != "" && mine != "true" && mine != "false" {
		fields = append(fields, model.FieldError{Field: "mine", Message: "mine 应为 true 或 false"})
	}
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "任务列表不按节点筛选"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	q, err := a.queue()
	if err != nil {
		return err
	}
	p, err := q.Jobs(r.Context(), authz.ScopeFrom(r.Context()), store.JobFilter{Mine: mine == "true", Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	out := list[jobJSON]{Items: make([]jobJSON, len(p.Items)), NextCursor: p.Next}
	for i, j := range p.Items {
		out.Items[i] = toJobJSON(j)
	}
	return writeJSON(w, http.StatusOK, out)
}

// cancelJob asks a job to stop: a queued job is cancelled at once, a running one at its next
// step, its writes rolled back. 409 when it has already ended.
func (a *API) cancelJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q, err := a.queue()
	if err != nil {
		return err
	}
	j, err := q.Cancel(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toJobJSON(j))
}

// jobFile downloads a job's output (the rejects of an import, the workbook of an export); the
// download is audited before the first byte.
func (a *API) jobFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	started := false
	err = a.st.WriteJobOutput(r.Context(), authz.ScopeFrom(r.Context()), id, w, func(f *model.JobFile) {
		started = true
		h := w.Header()
		h.Set("Content-Type", f.ContentType)
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="job-%d-file"; filename*=UTF-8''%s`, id, url.PathEscape(f.Name)))
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", fmt.Sprint(f.Size))
	})
	if err != nil && started {
		a.log.ErrorContext(r.Context(), "job file", "job", id, "err", err)
		return nil // half a file is out; the broken download is all the client can be told
	}
	return err
}
