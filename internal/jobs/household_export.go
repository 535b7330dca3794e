package jobs

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// KindHouseholdExport writes the households of a subtree (with a list's filters) to an .xlsx
// workbook, personal fields masked (importer.ExportHouseholds); the workbook is the job's output.
const KindHouseholdExport = "household.export"

// ExportParams are a household export's filter and the name its workbook is downloaded under.
type ExportParams struct {
	Territory int64  `json:"territory,omitempty"`
	Flag      string `json:"flag,omitempty"`
	Q         string `json:"q,omitempty"`
	MovedOut  bool   `json:"moved_out,omitempty"`
	FileName  string `json:"file_name"`
}

// ExportResult is a household export's outcome.
type ExportResult struct {
	Households int `json:"households"`
}

var householdExport = Kind{Name: KindHouseholdExport, Run: runHouseholdExport}

// SubmitHouseholdExport queues an export of the households matching p as sc. A territory
// outside sc's scope is model.ErrNotFound at once; an unknown flag is ignored as on the list.
func (q *Queue) SubmitHouseholdExport(ctx context.Context, sc authz.Scope, p ExportParams) (*model.Job, error) {
	if p.Territory != 0 {
		if _, err := q.st.Territory(ctx, sc, p.Territory); err != nil {
			return nil, err
		}
	}
	if !store.ValidHouseholdFlag(p.Flag) {
		p.Flag = ""
	}
	if p.FileName == "" {
		p.FileName = "households.xlsx"
	}
	return q.Submit(ctx, sc, KindHouseholdExport, p, nil)
}

func runHouseholdExport(ctx context.Context, r *Run) (store.JobOutcome, error) {
	var p ExportParams
	if err := json.Unmarshal(r.Job.Params, &p); err != nil {
		return store.JobOutcome{}, err
	}
	path := filepath.Join(r.Dir, "export.xlsx")
	f, err := os.Create(path) // #nosec G304 -- a file in the job's own temporary directory
	if err != nil {
		return store.JobOutcome{}, err
	}
	defer f.Close()
	var households int
	err = importer.ExportHouseholds(ctx, r.Store, r.Scope, store.HouseholdFilter{Under: p.Territory, Flag: p.Flag, Q: p.Q, MovedOut: p.MovedOut}, f,
		func(stage string, done, total int) {
			households = done
			r.Progress(stage, done, total)
		})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return store.JobOutcome{}, err
	}
	// Opened anew: the workbook writer may have closed the file it wrote.
	book, err := os.Open(path) // #nosec G304 -- a file in the job's own temporary directory
	if err != nil {
		return store.JobOutcome{}, err
	}
	// The runner stores the workbook with the outcome, then closes it.
	return store.JobOutcome{Status: model.JobSucceeded, Result: ExportResult{Households: households},
		Output: &store.FileInput{Name: p.FileName, ContentType: xlsxType, Body: book}}, nil
}
