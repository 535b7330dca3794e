package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// KindUnitFormation proposes units (联建单元, issue 9) for every community under a street (or
// any node above communities): store.ProposeUnitsUnder, one proposal per community (one read
// of the community's households, the partition in memory, one write), progress by community. The
// result links the proposals, which staff then adjust and confirm community by community.
const KindUnitFormation = "unit.formation"

// UnitFormationParams are a formation's node and options.
type UnitFormationParams struct {
	NodeID     int64 `json:"node_id"`
	SplitLarge bool  `json:"split_large"`
}

// UnitFormationProposal is one community's proposal in the result.
type UnitFormationProposal struct {
	ProposalID  int64  `json:"proposal_id"`
	CommunityID int64  `json:"community_id"`
	Community   string `json:"community"`
	Units       int    `json:"units"`
	Households  int    `json:"households"`
	OutOfBounds int    `json:"out_of_bounds"`
}

// UnitFormationResult is a formation's outcome: the proposals made and the communities that
// had no household left to form.
type UnitFormationResult struct {
	Proposals []UnitFormationProposal `json:"proposals"`
	Skipped   int                     `json:"skipped"`
	Summary   string                  `json:"summary"`
}

var unitFormation = Kind{Name: KindUnitFormation, Run: runUnitFormation}

// SubmitUnitFormation queues proposals for every community under the node (a street or a
// district in sc's scope). A node outside the scope is model.ErrNotFound; a node that is a
// community or lies below one is a field error node_id (propose for it directly).
func (q *Queue) SubmitUnitFormation(ctx context.Context, sc authz.Scope, p UnitFormationParams) (*model.Job, error) {
	t, err := q.st.Territory(ctx, sc, p.NodeID)
	if err != nil {
		return nil, err
	}
	if t.Kind != model.KindStreet && t.Kind != model.KindDistrict {
		return nil, &model.ValidationError{Fields: []model.FieldError{{Field: "node_id", Message: "后台批量组建用于街道或区县；社区及以下请直接生成方案"}}}
	}
	return q.Submit(ctx, sc, KindUnitFormation, p, nil)
}

func runUnitFormation(ctx context.Context, r *Run) (store.JobOutcome, error) {
	var p UnitFormationParams
	if err := json.Unmarshal(r.Job.Params, &p); err != nil {
		return store.JobOutcome{}, err
	}
	const stage = "按社区生成联建单元方案"
	made, skipped, err := r.Store.ProposeUnitsUnder(ctx, r.Scope, p.NodeID, model.PartitionOptions{SplitLarge: p.SplitLarge},
		func(done, total int) { r.Progress(stage, done, total) })
	if err != nil {
		return store.JobOutcome{}, err
	}
	res := UnitFormationResult{Proposals: []UnitFormationProposal{}, Skipped: skipped}
	units := 0
	for _, m := range made {
		pr := m.Proposal
		res.Proposals = append(res.Proposals, UnitFormationProposal{ProposalID: pr.ID, CommunityID: m.Community.ID, Community: m.Community.Name,
			Units: pr.Quality.Units, Households: pr.Quality.Households, OutOfBounds: pr.Quality.OutOfBounds})
		units += pr.Quality.Units
	}
	res.Summary = fmt.Sprintf("%d 个社区生成方案，共建议 %d 个联建单元；%d 个社区没有待组建的住户", len(res.Proposals), units, res.Skipped)
	return store.JobOutcome{Status: model.JobSucceeded, Result: res}, nil
}
