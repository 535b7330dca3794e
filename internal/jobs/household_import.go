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

// KindHouseholdImport imports households from an uploaded .csv or .xlsx (internal/importer).
const KindHouseholdImport = "household.import"

// ImportParams are a household import's options.
type ImportParams struct {
	SkipInvalid bool   `json:"skip_invalid"`
	FileName    string `json:"file_name"` // as the person's computer named it
}

// ImportResult is a household import's outcome, the job's Result.
type ImportResult struct {
	Rows               int    `json:"rows"`
	Households         int    `json:"households"`
	Residents          int    `json:"residents"`
	Written            bool   `json:"written"`
	RejectedHouseholds int    `json:"rejected_households"`
	RejectedRows       int    `json:"rejected_rows"`
	Summary            string `json:"summary"`
}

var householdImport = Kind{Name: KindHouseholdImport, Run: runHouseholdImport}

// SubmitHouseholdImport saves the uploaded file r (named name by the browser), checks that it
// is a CSV or XLSX file with the layout's columns, and queues its import as sc. A file that
// fails the check is refused at once with the *importer.FileError that says why; nothing is
// queued.
func (q *Queue) SubmitHouseholdImport(ctx context.Context, sc authz.Scope, name string, r io.Reader, skipInvalid bool) (*model.Job, error) {
	dir, err := os.MkdirTemp("", "gongzhi-upload-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path, err := importer.SaveUpload(dir, name, r)
	if err != nil {
		return nil, err
	}
	if err := importer.CheckFile(path); err != nil {
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
	return q.Submit(ctx, sc, KindHouseholdImport, ImportParams{SkipInvalid: skipInvalid, FileName: filepath.Base(strings.ReplaceAll(name, `\`, "/"))},
		&store.FileInput{Name: base, ContentType: ctype, Body: f})
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func runHouseholdImport(ctx context.Context, r *Run) (store.JobOutcome, error) {
	var p ImportParams
	if err := json.Unmarshal(r.Job.Params, &p); err != nil {
		return store.JobOutcome{}, err
	}
	if r.Input == "" {
		return store.JobOutcome{}, errors.New("household import without an input file")
	}
	rep, err := importer.ImportHouseholds(ctx, r.Store, r.Input, importer.Options{
		Scope:       r.Scope,
		SkipInvalid: p.SkipInvalid,
		Progress:    r.Progress,
		Commit: func(tx *store.Tx, rep *importer.Report) error {
			o, err := importOutcome(rep, p.FileName)
			if err != nil {
				return err
			}
			defer closeOutput(o)
			return r.Finish(ctx, tx, o)
		},
	})
	switch {
	case errors.Is(err, importer.ErrInvalidRows):
		o, _ := importOutcome(rep, p.FileName)
		o.Status, o.Error = model.JobFailed, summary(rep)
		return o, nil
	case errors.Is(err, model.ErrConflict) && ctx.Err() == nil:
		// An ID number registered by someone else between the check and the write.
		return store.JobOutcome{Status: model.JobFailed, Error: "写入时发现有身份证号刚被登记（可能有人同时在录入），未写入任何数据，请重新导入。"}, nil
	case err != nil:
		return store.JobOutcome{}, err
	case r.finished.Load():
		return store.JobOutcome{}, nil
	}
	// Nothing was written: every household had a bad row and SkipInvalid set them all aside.
	o, err := importOutcome(rep, p.FileName)
	if err != nil {
		return o, err
	}
	o.Status, o.Error = model.JobFailed, summary(rep)
	return o, nil // the runner stores the rejects with the outcome, then closes them
}

// importOutcome is the job outcome of rep: succeeded, with the counts, the row errors and the
// rejects file as the job's output.
func importOutcome(rep *importer.Report, fileName string) (store.JobOutcome, error) {
	o := store.JobOutcome{Status: model.JobSucceeded, ErrorCount: len(rep.Errors), Result: ImportResult{
		Rows: rep.Rows, Households: rep.Households, Residents: rep.Residents, Written: rep.Written,
		RejectedHouseholds: rep.RejectedHouseholds, RejectedRows: rep.RejectedRows, Summary: summary(rep),
	}}
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

// summary is the report's one line without the rejects file's local path.
func summary(rep *importer.Report) string {
	c := *rep
	c.RejectsPath = ""
	return c.Summary()
}

func closeOutput(o store.JobOutcome) {
	if o.Output != nil {
		if c, ok := o.Output.Body.(io.Closer); ok {
			c.Close()
		}
	}
}
