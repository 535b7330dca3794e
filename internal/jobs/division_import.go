package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/division"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// KindDivisionImport loads the official division tree of a county or a province
// (internal/division) into the territory tree.
const KindDivisionImport = "division.import"

// DivisionParams name what to load: a 6-digit county or 2-digit province code, and whether
// villages (村) come too.
type DivisionParams struct {
	Code     string `json:"code"`
	Villages bool   `json:"villages"`
}

// DivisionResult is a divisions import's outcome.
type DivisionResult struct {
	Created int `json:"created"`
}

var divisionImport = Kind{Name: KindDivisionImport, Run: runDivisionImport}

// SubmitDivisionImport queues the import of p's divisions as sc. Only an unlimited scope may
// (it adds districts at the top of the tree): model.ErrForbidden otherwise. An unknown or
// malformed code is a *model.ValidationError at once.
func (q *Queue) SubmitDivisionImport(ctx context.Context, sc authz.Scope, p DivisionParams) (*model.Job, error) {
	if !sc.All {
		return nil, model.ErrForbidden
	}
	if len(p.Code) != 2 && len(p.Code) != 6 {
		return nil, checkDivisionCode(nil, p.Code)
	}
	tbl, err := division.Load()
	if err != nil {
		return nil, err
	}
	if err := checkDivisionCode(tbl, p.Code); err != nil {
		return nil, err
	}
	return q.Submit(ctx, sc, KindDivisionImport, p, nil)
}

func checkDivisionCode(tbl *division.Table, code string) error {
	err := model.ErrNotFound
	switch len(code) {
	case 6:
		_, err = tbl.County(code)
	case 2:
		_, err = tbl.Province(code)
	}
	if errors.Is(err, model.ErrNotFound) {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "code", Message: fmt.Sprintf("“%s”不是已知的县级（6位）或省级（2位）区划代码", code)}}}
	}
	return err
}

func runDivisionImport(ctx context.Context, r *Run) (store.JobOutcome, error) {
	var p DivisionParams
	if err := json.Unmarshal(r.Job.Params, &p); err != nil {
		return store.JobOutcome{}, err
	}
	tbl, err := division.Load()
	if err != nil {
		return store.JobOutcome{}, err
	}
	n, err := division.ImportDivisions(ctx, r.Store, tbl, p.Code, p.Villages, func(done, total int) { r.Progress("divisions", done, total) })
	if err != nil && n > 0 {
		// A province is written county by county: the counties before the failure are in, each
		// whole. The import is idempotent, so submitting it again adds the rest.
		status := model.JobFailed
		if errors.Is(context.Cause(ctx), errCancelled) {
			status = model.JobCancelled
		}
		return store.JobOutcome{Status: status, Result: DivisionResult{Created: n},
			Error: fmt.Sprintf("已完整导入前面的县（新增%d个节点），其余未导入；再次提交同一代码即可补齐。", n)}, nil
	}
	if err != nil {
		return store.JobOutcome{}, err
	}
	return store.JobOutcome{Status: model.JobSucceeded, Result: DivisionResult{Created: n}}, nil
}
