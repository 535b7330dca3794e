package model

import (
	"encoding/json"
	"time"
)

// JobStatus is where a background job stands.
type JobStatus string

// A job is queued, then running, then ends in exactly one of the three final statuses.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// Final reports whether s is an end state: nothing changes a job after it.
func (s JobStatus) Final() bool { return s == JobSucceeded || s == JobFailed || s == JobCancelled }

// Label is the status in Chinese.
func (s JobStatus) Label() string {
	switch s {
	case JobQueued:
		return "排队中"
	case JobRunning:
		return "进行中"
	case JobSucceeded:
		return "已完成"
	case JobFailed:
		return "失败"
	case JobCancelled:
		return "已取消"
	}
	return string(s)
}

// JobRowError is one problem a job found in one row of its input file: the row number as a
// spreadsheet shows it (the header is row 1), the column's header ("" for the whole row) and
// the reason in Chinese, saying how to fix it.
type JobRowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// MaxJobRowErrors is how many row errors a job keeps; ErrorCount counts them all.
const MaxJobRowErrors = 1000

// Job is a piece of long work (an import, an export) recorded in the database, so that any
// instance can show it and a restart does not lose it. It acts with the scope of the account
// that started it (UserID, Role, ScopeAll, ScopePath).
type Job struct {
	ID        int64
	Kind      string
	Status    JobStatus
	UserID    int64
	Role      Role
	ScopeAll  bool
	ScopePath string
	// Params is the kind's input (JSON), e.g. {"skip_invalid":true}.
	Params json.RawMessage
	// Stage names the current step (e.g. "check", "write"); Done of Total units of it are done
	// (Total 0: not known yet).
	Stage       string
	Done, Total int64
	// Result is the kind's outcome (JSON), e.g. the import's counts.
	Result json.RawMessage
	// Error says why a job failed or was cancelled, in Chinese; "" otherwise.
	Error string
	// RowErrors are the first MaxJobRowErrors problems found in the input, by row and column;
	// ErrorCount counts every one.
	RowErrors       []JobRowError
	ErrorCount      int
	CancelRequested bool
	// Output is the job's downloadable file (rejects, workbook); nil when it has none.
	Output     *JobFile
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// Percent is Done as a share of Total, 0–100; a finished job that succeeded is at 100.
func (j *Job) Percent() int {
	switch {
	case j.Status == JobSucceeded:
		return 100
	case j.Total <= 0:
		return 0
	case j.Done >= j.Total:
		return 100
	}
	return int(j.Done * 100 / j.Total)
}

// JobFile describes a file attached to a job (its input or its output), without its bytes.
type JobFile struct {
	ID          int64
	Name        string // the name it is downloaded under
	ContentType string
	Size        int64
}
