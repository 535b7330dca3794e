package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// KindMemberImport imports party members from an uploaded .csv or .xlsx (importer.ImportMembers):
// all or nothing, every bad row named with its column and reason, the bad rows in a rejects file.
const KindMemberImport = "member.import"

// MemberImportParams are a member import's options.
type MemberImportParams struct {
	FileName string `json:"file_name"` // as the person's computer named it
}

// MemberImportResult is a member import's outcome, the job's Result.
type MemberImportResult struct {
	Rows       int    `json:"rows"`
	Registered int    `json:"registered"`
	Reporting  int    `json:"reporting"`
	Written    bool   `json:"written"`
	Summary    string `json:"summary"`
}

var memberImport = Kind{Name: KindMemberImport, Run: runMemberImport}

// SubmitMemberImport saves the uploaded file r (named name by the browser), checks that it is
// a CSV or XLSX file whose header has the member layout's required columns, and queues its
// import as sc. A file that fails the check is refused at once with the *importer.FileError
// that says why; nothing is queued.
func (q *Queue) SubmitMemberImport(ctx context.Context, sc authz.Scope, name string, r io.Reader) (*model.Job, error) {
	dir, err := os.MkdirTemp("", "gongzhi-upload-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path, err := importer.SaveUpload(dir, name, r)
	if err != nil {
		return nil, err
	}
	if err := importer.CheckMemberFile(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path) // #nosec G304 -- our own temporary copy of the upload
	if err != nil {
		return nil, err
	}
	defer f.Close()
	base := filepath.Base(path)
	ctype := "text/csv"
	if strings.EqualFold(filepath.Ext(base), ".xlsx") {
		ctype = xlsxType
	}
	return q.Submit(ctx, sc, KindMemberImport, MemberImportParams{FileName: filepath.Base(strings.ReplaceAll(name, `\`, "/"))},
		&store.FileInput{Name: base, ContentType: ctype, Body: f})
}

func runMemberImport(ctx context.Context, r *Run) (store.JobOutcome, error) {
	var p MemberImportParams
	if err := json.Unmarshal(r.Job.Params, &p); err != nil {
		return store.JobOutcome{}, err
	}
	if r.Input == "" {
		return store.JobOutcome{}, errors.New("member import without an input file")
	}
	rep, err := importer.ImportMembers(ctx, r.Store, r.Input, importer.MemberOptions{
		Scope:    r.Scope,
		Progress: r.Progress,
		Commit: func(tx *store.Tx, rep *importer.MemberReport) error {
			o, err := memberImportOutcome(rep, p.FileName)
			if err != nil {
				return err
			}
			defer closeOutput(o)
			return r.Finish(ctx, tx, o)
		},
	})
	switch {
	case errors.Is(err, importer.ErrInvalidRows):
		o, oerr := memberImportOutcome(rep, p.FileName)
		o.Status, o.Error = model.JobFailed, rep.Summary()
		return o, oerr // the runner stores the rejects with the outcome, then closes them
	case errors.Is(err, model.ErrConflict) && ctx.Err() == nil:
		return store.JobOutcome{Status: model.JobFailed, Error: "写入时发现有居民刚被登记为党员（可能有人同时在录入），未写入任何数据，请重新导入。"}, nil
	case err != nil:
		return store.JobOutcome{}, err
	}
	return store.JobOutcome{}, nil // finished inside the write transaction
}

// memberImportOutcome is the job outcome of rep: succeeded, with the counts, the row errors and
// the rejects file as the job's output.
func memberImportOutcome(rep *importer.MemberReport, fileName string) (store.JobOutcome, error) {
	o := store.JobOutcome{Status: model.JobSucceeded, ErrorCount: len(rep.Errors), Result: MemberImportResult{
		Rows: rep.Rows, Registered: rep.Registered, Reporting: rep.Reporting, Written: rep.Written, Summary: rep.Summary()}}
	for i, e := range rep.Errors {
		if i == model.MaxJobRowErrors {
			break
		}
		o.RowErrors = append(o.RowErrors, model.JobRowError{Row: e.Row, Column: e.Column, Message: e.Message})
	}
	if rep.RejectsPath != "" {
		f, err := os.Open(rep.RejectsPath)
		if err != nil {
			return o, err
		}
		stem := strings.TrimSuffix(fileName, filepath.Ext(fileName))
		o.Output = &store.FileInput{Name: stem + ".rejects.csv", ContentType: "text/csv; charset=utf-8", Body: f}
	}
	return o, nil
}
