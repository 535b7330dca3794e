package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Proposals of units (issue 9): ProposeUnits reads a node's households that are in no unit
// (one read), partitions them in memory (model.PartitionUnits) and stores the partition (one
// write); staff adjust it (each adjustment names the version it was made on and is a
// conditional UPDATE on it, so a stale one is a ConflictError) and confirm it into units with
// FormUnits in one transaction.

const unitProposalColumns = `p.id, p.community_id, p.territory_id, t.name, p.path, p.options, p.drafts, p.quality, p.version, p.status,
	COALESCE(p.created_by, 0), p.created_at, p.updated_at`

func scanUnitProposal(r rowScanner) (*model.UnitProposal, error) {
	var p model.UnitProposal
	var opts, drafts, quality string
	if err := r.Scan(&p.ID, &p.CommunityID, &p.TerritoryID, &p.TerritoryName, &p.Path, &opts, &drafts, &quality, &p.Version, &p.Status,
		&p.CreatedBy, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(opts), &p.Options); err != nil {
		return nil, fmt.Errorf("unit proposal %d options: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(drafts), &p.Units); err != nil {
		return nil, fmt.Errorf("unit proposal %d drafts: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(quality), &p.Quality); err != nil {
		return nil, fmt.Errorf("unit proposal %d quality: %w", p.ID, err)
	}
	return &p, nil
}

func unitProposalPath(p *model.UnitProposal) string { return p.Path }

// proposalNodeKinds are the nodes a proposal may be made for: a community or a node below it
// that holds several buildings.
var proposalNodeKinds = map[model.TerritoryKind]bool{
	model.KindCommunity: true, model.KindResidentGroup: true, model.KindGrid: true, model.KindCompound: true,
}

// UnitProposal returns a proposal with its community's bounds, or model.ErrNotFound when it
// does not exist or lies outside the scope.
func (s *Store) UnitProposal(ctx context.Context, sc authz.Scope, id int64) (*model.UnitProposal, error) {
	return s.reader().unitProposal(ctx, sc, id)
}

func (c conn) unitProposal(ctx context.Context, sc authz.Scope, id int64) (*model.UnitProposal, error) {
	p, err := scopedOne(ctx, c, sc, `SELECT `+unitProposalColumns+` FROM unit_proposals p JOIN territories t ON t.id = p.territory_id WHERE p.id = ?`,
		[]any{id}, scanUnitProposal, unitProposalPath)
	if err != nil {
		return nil, err
	}
	p.Bounds, err = c.unitBounds(ctx, p.CommunityID)
	return p, err
}

// UnitProposals lists the scope's proposals under a node (0: the whole scope) that are still
// drafts, newest first (at most 50).
func (s *Store) UnitProposals(ctx context.Context, sc authz.Scope, under int64) ([]*model.UnitProposal, error) {
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, under)
	if err != nil || !ok {
		return nil, err
	}
	lo, hi := authz.PathRange(prefix)
	return queryAll(ctx, c, `SELECT `+unitProposalColumns+` FROM unit_proposals p JOIN territories t ON t.id = p.territory_id
		WHERE p.path >= ? AND p.path < ? AND p.status = ? ORDER BY p.id DESC LIMIT 50`,
		[]any{lo, hi, string(model.ProposalDraft)}, scanUnitProposal)
}

// partitionInput reads what a partition of node's households depends on: every current
// household under it (those in a unit marked, so that their building is not whole), every
// node under it and above it, the community's bounds.
func (c conn) partitionInput(ctx context.Context, node *model.Territory, communityID int64, opts model.PartitionOptions) (model.PartitionInput, error) {
	in := model.PartitionInput{Nodes: map[int64]model.PartitionNode{}, Options: opts}
	var err error
	if in.Bounds, err = c.unitBounds(ctx, communityID); err != nil {
		return in, err
	}
	lo, hi := authz.PathRange(node.Path)
	in.Households, err = queryAll(ctx, c, `SELECT id, path, address, unit_id IS NOT NULL FROM households
		WHERE path >= ? AND path < ? AND moved_out_at IS NULL`, []any{lo, hi},
		func(r rowScanner) (model.PartitionHousehold, error) {
			var h model.PartitionHousehold
			err := r.Scan(&h.ID, &h.Path, &h.Address, &h.InUnit)
			return h, err
		})
	if err != nil {
		return in, err
	}
	up := model.PathIDs(node.Path)
	args := make([]any, 0, len(up)+2)
	args = append(args, lo, hi)
	for _, id := range up {
		args = append(args, id)
	}
	nodes, err := queryAll(ctx, c, `SELECT id, kind, name FROM territories WHERE (path >= ? AND path < ?) OR id IN (`+inList(len(up))+`)`, args,
		func(r rowScanner) (model.PartitionNode, error) {
			var n model.PartitionNode
			err := r.Scan(&n.ID, &n.Kind, &n.Name)
			return n, err
		})
	if err != nil {
		return in, err
	}
	for _, n := range nodes {
		in.Nodes[n.ID] = n
	}
	return in, nil
}

// communityOf returns the id of the community at or above node, or a field error.
func (c conn) communityOf(ctx context.Context, node *model.Territory) (int64, error) {
	if node.Kind == model.KindCommunity {
		return node.ID, nil
	}
	ids := model.PathIDs(node.Path)
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var id int64
	err := c.queryRow(ctx, `SELECT id FROM territories WHERE kind = ? AND id IN (`+inList(len(ids))+`)`,
		append([]any{string(model.KindCommunity)}, args...), &id)
	return id, err
}

// ProposeUnits proposes units for the households under nodeID (a community, resident group,
// grid or compound in the scope) that are in no unit, and stores the proposal as a draft.
// Errors: model.ErrNotFound for a node outside the scope; a field error node_id for a node of
// another kind, or one without households to form.
func (s *Store) ProposeUnits(ctx context.Context, sc authz.Scope, nodeID int64, opts model.PartitionOptions) (*model.UnitProposal, error) {
	c := s.reader()
	node, err := c.territory(ctx, sc, nodeID)
	if err != nil {
		return nil, err
	}
	if !proposalNodeKinds[node.Kind] {
		return nil, fieldErr("node_id", "请选择社区、居民小组、网格或小区来组建联建单元，所选节点是"+node.Kind.Label())
	}
	community, err := c.communityOf(ctx, node)
	if err != nil {
		return nil, err
	}
	in, err := c.partitionInput(ctx, node, community, opts)
	if err != nil {
		return nil, err
	}
	part := model.PartitionUnits(in)
	if len(part.Units) == 0 {
		return nil, fieldErr("node_id", node.Name+"没有尚未加入联建单元的住户")
	}
	var id int64
	err = s.Tx(ctx, func(tx *Tx) error {
		optJSON, _ := json.Marshal(opts)
		drafts, err := json.Marshal(part.Units)
		if err != nil {
			return err
		}
		quality, _ := json.Marshal(part.Quality)
		ts := now()
		if err := tx.queryRow(ctx, `INSERT INTO unit_proposals (community_id, territory_id, path, options, drafts, quality, version, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING id`,
			[]any{community, node.ID, node.Path, string(optJSON), string(drafts), string(quality), string(model.ProposalDraft), nullID(sc.UserID), ts, ts}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, node.Path, "unit.propose", "unit_proposal", []int64{id},
			fmt.Sprintf("%s：%d户，建议%d个联建单元", node.Name, part.Quality.Households, part.Quality.Units))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.UnitProposal(ctx, sc, id)
}

// ProposalAdjustment is one change staff make to a proposal, made on Version. Kind is move
// (Household to the draft at To), merge (draft B into A), split (Households, or the second
// half when none, out of Unit into a new draft), or rename (Unit to Name).
type ProposalAdjustment struct {
	Version    int
	Kind       string
	Household  int64
	Households []int64
	To         int
	A, B       int
	Unit       int
	Name       string
}

// AdjustProposal applies adj to a draft proposal and stores it with the next version, its
// units re-evaluated against the node's current households (basis, out-of-bounds flags,
// quality). Errors: model.ErrNotFound; a ConflictError when the proposal changed since
// adj.Version or is no longer a draft; field errors for a bad adjustment (a merge across a
// compound or resident group, a household not in the proposal …).
func (s *Store) AdjustProposal(ctx context.Context, sc authz.Scope, id int64, adj ProposalAdjustment) (*model.UnitProposal, error) {
	c := s.reader()
	p, err := c.unitProposal(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if err := proposalCurrent(p, adj.Version); err != nil {
		return nil, err
	}
	var detail string
	switch adj.Kind {
	case "move":
		err = p.MoveHousehold(adj.Household, adj.To)
		detail = fmt.Sprintf("住户 %d 调入第 %d 个联建单元", adj.Household, adj.To+1)
	case "merge":
		err = p.Merge(adj.A, adj.B)
		detail = fmt.Sprintf("合并第 %d 和第 %d 个联建单元", adj.A+1, adj.B+1)
	case "split":
		err = p.Split(adj.Unit, adj.Households)
		detail = fmt.Sprintf("拆分第 %d 个联建单元", adj.Unit+1)
	case "rename":
		err = p.Rename(adj.Unit, adj.Name)
		detail = fmt.Sprintf("第 %d 个联建单元改名", adj.Unit+1)
	default:
		err = fieldErr("kind", "调整方式应为 move、merge、split 或 rename")
	}
	if err != nil {
		return nil, err
	}
	node, err := c.territory(ctx, authz.System(), p.TerritoryID)
	if err != nil {
		return nil, err
	}
	in, err := c.partitionInput(ctx, node, p.CommunityID, p.Options)
	if err != nil {
		return nil, err
	}
	if p.Quality, err = model.EvaluateUnits(in, p.Units); err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		drafts, err := json.Marshal(p.Units)
		if err != nil {
			return err
		}
		quality, _ := json.Marshal(p.Quality)
		if err := tx.bumpProposal(ctx, p, adj.Version, model.ProposalDraft, `drafts = ?, quality = ?,`, string(drafts), string(quality)); err != nil {
			return err
		}
		tx.auditAt(sc, p.Path, "unit.proposal."+adj.Kind, "unit_proposal", []int64{id}, detail)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.UnitProposal(ctx, sc, id)
}

// proposalCurrent refuses a proposal that is no longer a draft or has moved past version.
func proposalCurrent(p *model.UnitProposal, version int) error {
	if p.Status != model.ProposalDraft {
		return &model.ConflictError{Message: "这个方案" + p.Status.Label() + "，不能再修改"}
	}
	if version != p.Version {
		return &model.ConflictError{Message: "方案已被修改（当前第 " + strconv.Itoa(p.Version) + " 版），请刷新后再调整"}
	}
	return nil
}

// bumpProposal sets the proposal's status and the extra assignments (set, each ending in a
// comma, with args) and moves it to the next version, only if it is still a draft at version:
// the database decides two adjustments racing on one version.
func (tx *Tx) bumpProposal(ctx context.Context, p *model.UnitProposal, version int, status model.ProposalStatus, set string, args ...any) error {
	args = append(args, string(status), now(), p.ID, version, string(model.ProposalDraft))
	r, err := tx.exec(ctx, `UPDATE unit_proposals SET `+set+` status = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ? AND status = ?`, args...)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return &model.ConflictError{Message: "方案已被他人修改或已确认，请刷新后再试"}
	}
	return nil
}

// ConfirmProposal forms the proposal's units (FormUnits, every rule checked again) and marks
// it confirmed, in one transaction: all or nothing. An out-of-bounds unit needs its override
// reason in reasons (by the unit's index); without one the answer names it in the field
// "units[i].override_reason". Errors also as AdjustProposal and FormUnits.
func (s *Store) ConfirmProposal(ctx context.Context, sc authz.Scope, id int64, version int, reasons map[int]string) ([]*model.Unit, error) {
	var out []*model.Unit
	err := s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.unitProposal(ctx, sc, id)
		if err != nil {
			return err
		}
		if err := proposalCurrent(p, version); err != nil {
			return err
		}
		drafts, err := p.Drafts(reasons)
		if err != nil {
			return err
		}
		// The version first: of two confirms racing, the second waits here and then finds
		// the proposal confirmed.
		if err := tx.bumpProposal(ctx, p, version, model.ProposalConfirmed, ``); err != nil {
			return err
		}
		if out, err = tx.FormUnits(ctx, sc, drafts); err != nil {
			return err
		}
		tx.auditAt(sc, p.Path, "unit.proposal.confirm", "unit_proposal", []int64{id}, fmt.Sprintf("%s：确认%d个联建单元", p.TerritoryName, len(out)))
		return nil
	})
	return out, err
}

// DiscardProposal marks a draft proposal discarded. Errors as AdjustProposal.
func (s *Store) DiscardProposal(ctx context.Context, sc authz.Scope, id int64, version int) error {
	return s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.unitProposal(ctx, sc, id)
		if err != nil {
			return err
		}
		if err := proposalCurrent(p, version); err != nil {
			return err
		}
		if err := tx.bumpProposal(ctx, p, version, model.ProposalDiscarded, ``); err != nil {
			return err
		}
		tx.auditAt(sc, p.Path, "unit.proposal.discard", "unit_proposal", []int64{id}, p.TerritoryName)
		return nil
	})
}

// ProposalHouseholds returns the current households of a proposal's units by id, for showing
// them (addresses; personal fields redacted for the scope): those of ids, or of the whole
// proposal when ids is nil (a page of a street's proposal reads only its own). A household
// that moved out or joined a unit since is absent.
func (s *Store) ProposalHouseholds(ctx context.Context, sc authz.Scope, p *model.UnitProposal, ids []int64) (map[int64]*model.Household, error) {
	c := s.reader()
	lo, hi := authz.PathRange(p.Path)
	const q = `SELECT ` + householdColumns + ` FROM households WHERE path >= ? AND path < ? AND unit_id IS NULL AND moved_out_at IS NULL`
	var hs []*model.Household
	if ids == nil {
		var err error
		if hs, err = queryAll(ctx, c, q, []any{lo, hi}, scanHousehold); err != nil {
			return nil, err
		}
	}
	for start := 0; start < len(ids); start += seedUnitRows {
		batch := ids[start:min(len(ids), start+seedUnitRows)]
		args := make([]any, 0, len(batch)+2)
		args = append(args, lo, hi)
		for _, id := range batch {
			args = append(args, id)
		}
		part, err := queryAll(ctx, c, q+` AND id IN (`+inList(len(batch))+`)`, args, scanHousehold)
		if err != nil {
			return nil, err
		}
		hs = append(hs, part...)
	}
	out := make(map[int64]*model.Household, len(hs))
	for _, h := range hs {
		sc.RedactHousehold(h)
		out[h.ID] = h
	}
	return out, nil
}

// StreetProposal is one community's proposal among those ProposeUnitsUnder made.
type StreetProposal struct {
	Community *model.Territory
	Proposal  *model.UnitProposal
}

// ProposeUnitsUnder proposes units for every community under nodeID (a street or a district in
// the scope): one ProposeUnits per community, in code order, progress(done, total) after each.
// It returns the proposals made and how many communities had no household left to form.
// Errors: model.ErrNotFound for a node outside the scope; a field error node_id for a node
// that is not a street or district; ctx's error when cancelled between communities.
func (s *Store) ProposeUnitsUnder(ctx context.Context, sc authz.Scope, nodeID int64, opts model.PartitionOptions,
	progress func(done, total int)) (out []StreetProposal, skipped int, err error) {
	t, err := s.Territory(ctx, sc, nodeID)
	if err != nil {
		return nil, 0, err
	}
	if t.Kind != model.KindStreet && t.Kind != model.KindDistrict {
		return nil, 0, fieldErr("node_id", "后台批量组建用于街道或区县；社区及以下请直接生成方案")
	}
	var communities []*model.Territory
	f := TerritoryFilter{Under: nodeID, Kind: model.KindCommunity, Limit: MaxLimit}
	for {
		page, err := s.Territories(ctx, sc, f)
		if err != nil {
			return nil, 0, err
		}
		communities = append(communities, page.Items...)
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	for i, c := range communities {
		if err := ctx.Err(); err != nil {
			return out, skipped, err
		}
		if progress != nil {
			progress(i, len(communities))
		}
		p, err := s.ProposeUnits(ctx, sc, c.ID, opts)
		var v *model.ValidationError
		if errors.As(err, &v) {
			skipped++ // nothing left to form there
			continue
		}
		if err != nil {
			return out, skipped, err
		}
		out = append(out, StreetProposal{Community: c, Proposal: p})
	}
	if progress != nil {
		progress(len(communities), len(communities))
	}
	return out, skipped, nil
}
