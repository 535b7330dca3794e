package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Purchased services (政府购买服务, issue 12 item 7; model/contract.go says what they are).
// Staff whose territory holds the community make contracts, add milestones and accept them
// (contract.write); accepting posts the milestone's payment in the funds ledger in the same
// transaction (postFund: the contract's budget line's expense debited, its budget credited,
// refused below zero), the milestone's status and the contract's paid amount moved by
// conditional UPDATEs, so a milestone is paid once and a contract never more than its amount.
// Staff of the territory and the households of the community read them (contract.read);
// residents, members and unit leaders of the community rate a milestone once (contract.rate:
// the primary key decides).

const contractColumns = `c.id, c.community_id, t.name, c.path, c.organization_id, o.name, c.title, c.scope, c.amount_fen, c.paid_fen, c.year,
	c.category_id, fc.name, c.created_at`

const contractFrom = ` FROM contracts c JOIN territories t ON t.id = c.community_id JOIN organizations o ON o.id = c.organization_id
	JOIN fund_categories fc ON fc.id = c.category_id`

func scanContract(rs rowScanner) (*model.Contract, error) {
	var c model.Contract
	err := rs.Scan(&c.ID, &c.CommunityID, &c.CommunityName, &c.Path, &c.OrganizationID, &c.OrganizationName, &c.Title, &c.Scope, &c.AmountFen, &c.PaidFen,
		&c.Year, &c.CategoryID, &c.CategoryName, &c.CreatedAt)
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, err
}

// readsContract reports whether the caller reads contracts of the community at path.
func (vr householder) readsContract(path string) bool {
	return vr.actsFor(authz.ContractRead, authz.ContractRead, path)
}

// contract reads contract id with its milestones as the caller may see it (model.ErrNotFound
// otherwise).
func (c conn) contract(ctx context.Context, sc authz.Scope, id int64) (*model.Contract, householder, error) {
	k, err := queryOne(ctx, c, `SELECT `+contractColumns+contractFrom+` WHERE c.id = ?`, []any{id}, scanContract)
	if err != nil {
		return nil, householder{}, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, vr, err
	}
	if !vr.readsContract(k.Path) {
		return nil, vr, model.ErrNotFound
	}
	k.Milestones, err = queryAll(ctx, c, `SELECT m.id, m.title, m.kpi, m.due_on, m.amount_fen, m.status = 'accepted', m.accepted_by_name, m.accepted_at,
			(SELECT COUNT(*) FROM contract_ratings r WHERE r.milestone_id = m.id), (SELECT COALESCE(SUM(score), 0) FROM contract_ratings r WHERE r.milestone_id = m.id),
			COALESCE((SELECT r.score FROM contract_ratings r WHERE r.milestone_id = m.id AND r.user_id = ?), 0)
		FROM contract_milestones m WHERE m.contract_id = ? ORDER BY m.due_on, m.id`, []any{sc.UserID, k.ID}, func(rs rowScanner) (model.ContractMilestone, error) {
		var m model.ContractMilestone
		var at sql.NullTime
		err := rs.Scan(&m.ID, &m.Title, &m.KPI, &m.DueOn, &m.AmountFen, &m.Accepted, &m.AcceptedByName, &at, &m.Ratings, &m.ScoreSum, &m.MyScore)
		m.AcceptedAt = timePtr(at)
		return m, err
	})
	return k, vr, err
}

// Contract returns contract id with its milestones and their ratings; model.ErrNotFound when it
// does not exist or the caller may not see it.
func (s *Store) Contract(ctx context.Context, sc authz.Scope, id int64) (*model.Contract, error) {
	k, _, err := s.reader().contract(ctx, sc, id)
	return k, err
}

// CreateContract makes a contract of a community in the caller's territory (contract.write) with
// a social organization of the register (registered in the caller's territory, or at or above
// the community). A community outside the territory, an organization that is no active social
// organization the caller reaches, a budget line without budget, and bad
// fields are a *model.ValidationError.
func (s *Store) CreateContract(ctx context.Context, sc authz.Scope, in model.ContractInput) (*model.Contract, error) {
	if !authz.Allowed(sc.Role, authz.ContractWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.fundCommunity(ctx, sc, in.CommunityID)
		if err != nil {
			return err
		}
		// The provider is registered in the caller's territory, or at or above the community (a
		// social organization registered with the street serves its communities).
		o, err := tx.organization(ctx, authz.System(), in.OrganizationID)
		if err == nil && !sc.Contains(o.Path) && !strings.HasPrefix(t.Path, o.Path) {
			err = model.ErrNotFound
		}
		switch {
		case errors.Is(err, model.ErrNotFound):
			return fieldErr("organization_id", "社会组织不存在或不在您的管辖范围内")
		case err != nil:
			return err
		case o.Type != model.OrgSocial || !o.Active:
			return fieldErr("organization_id", "政府购买服务的承接方应为登记在册、正常活动的社会组织")
		}
		cat, err := tx.fundCategory(ctx, in.CategoryID, true)
		if err != nil {
			return err
		}
		var allocated int64
		err = tx.queryRow(ctx, `SELECT -balance_fen FROM fund_accounts WHERE community_id = ? AND year = ? AND category_id = ? AND kind = 'source'`,
			[]any{t.ID, in.Year, cat.ID}, &allocated)
		if errors.Is(err, model.ErrNotFound) || err == nil && allocated <= 0 {
			return fieldErr("category_id", fmt.Sprintf("%s %d 年度没有“%s”预算，合同款无从支付", t.Name, in.Year, cat.Name))
		} else if err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `INSERT INTO contracts (community_id, path, organization_id, title, scope, amount_fen, year, category_id, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{t.ID, t.Path, o.ID, in.Title, in.Scope, in.AmountFen, in.Year, cat.ID, nullID(sc.UserID), s.now()}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "contract.create", "contract", []int64{id}, fmt.Sprintf("organization %d, %s yuan", o.ID, model.FormatYuan(in.AmountFen)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Contract(ctx, sc, id)
}

// managedContract reads contract id for staff changing it: model.ErrNotFound out of reach,
// model.ErrForbidden for a caller who reads but does not manage it.
func (c conn) managedContract(ctx context.Context, sc authz.Scope, id int64) (*model.Contract, error) {
	if !authz.Allowed(sc.Role, authz.ContractWrite) {
		return nil, model.ErrForbidden
	}
	k, _, err := c.contract(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !sc.Contains(k.Path) {
		return nil, model.ErrForbidden
	}
	return k, nil
}

// AddContractMilestone adds a milestone to contract id (contract.write). Milestones whose amounts
// would pass the contract's are a *model.ValidationError on amount.
func (s *Store) AddContractMilestone(ctx context.Context, sc authz.Scope, id int64, in model.ContractMilestoneInput) (*model.Contract, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		k, err := tx.managedContract(ctx, sc, id)
		if err != nil {
			return err
		}
		var planned int64
		if err := tx.queryRow(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM contract_milestones WHERE contract_id = ?`, []any{k.ID}, &planned); err != nil {
			return err
		}
		if planned+in.AmountFen > k.AmountFen {
			return fieldErr("amount", fmt.Sprintf("各节点金额合计不能超过合同金额 %s 元（已安排 %s 元）", k.Amount(), model.FormatYuan(planned)))
		}
		var mid int64
		if err := tx.queryRow(ctx, `INSERT INTO contract_milestones (contract_id, community_id, title, kpi, due_on, amount_fen, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{k.ID, k.CommunityID, in.Title, in.KPI, in.Due, in.AmountFen, s.now()}, &mid); err != nil {
			return err
		}
		tx.auditAt(sc, k.Path, "contract.milestone.add", "contract", []int64{k.ID, mid}, model.FormatYuan(in.AmountFen)+" yuan")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Contract(ctx, sc, id)
}

// AcceptContractMilestone accepts milestone mid of contract id (contract.write) and releases its
// payment: in one transaction the milestone's status (a conditional UPDATE: accepting it twice
// is a *model.ConflictError), the contract's paid amount (never past the contract's) and the
// ledger's entries. A budget line that cannot pay it is a *model.ValidationError on amount, and
// nothing is changed.
func (s *Store) AcceptContractMilestone(ctx context.Context, sc authz.Scope, id, mid int64) (*model.Contract, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		k, err := tx.managedContract(ctx, sc, id)
		if err != nil {
			return err
		}
		var m *model.ContractMilestone
		for i := range k.Milestones {
			if k.Milestones[i].ID == mid {
				m = &k.Milestones[i]
			}
		}
		if m == nil {
			return model.ErrNotFound
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE contract_milestones SET status = 'accepted', accepted_by = ?, accepted_by_name = ?, accepted_at = ? WHERE id = ? AND status = 'pending'`,
			nullID(sc.UserID), name, s.now(), m.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该节点已验收，款项已支付"}
		}
		res, err = tx.exec(ctx, `UPDATE contracts SET paid_fen = paid_fen + ? WHERE id = ? AND paid_fen + ? <= amount_fen`, m.AmountFen, k.ID, m.AmountFen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fieldErr("amount", "支付后将超过合同金额")
		}
		community := &model.Territory{ID: k.CommunityID, Path: k.Path, Name: k.CommunityName}
		l, err := tx.fundAccounts(ctx, community, k.Year, k.CategoryID)
		if err != nil {
			return err
		}
		txn, err := tx.postFund(ctx, sc, community, k.Year, k.CategoryID, "payment", m.AmountFen, k.Title+"："+m.Title, 0,
			fundPosting{account: l.expense, fen: m.AmountFen}, fundPosting{account: l.budget, fen: -m.AmountFen, floor: true})
		if errors.Is(err, errOverBudget) {
			return fieldErr("amount", fmt.Sprintf("“%s”预算余额不足以支付本节点 %s 元，请先追加预算", k.CategoryName, m.Amount()))
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE fund_txns SET contract_milestone_id = ? WHERE id = ?`, m.ID, txn); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE contract_milestones SET txn_id = ? WHERE id = ?`, txn, m.ID); err != nil {
			return err
		}
		tx.auditAt(sc, k.Path, "contract.milestone.accept", "contract", []int64{k.ID, m.ID}, "paid "+m.Amount()+" yuan")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Contract(ctx, sc, id)
}

// RateContractMilestone records the caller's 1–5 rating of milestone mid of contract id
// (contract.rate: a household's account of the community). A second rating by the same account
// is a *model.ConflictError (the primary key decides), and so is a rating of a milestone not
// accepted yet (the INSERT requires its accepted_at); a score outside 1–5 a
// *model.ValidationError.
func (s *Store) RateContractMilestone(ctx context.Context, sc authz.Scope, id, mid int64, score int) (*model.Contract, error) {
	if !authz.Allowed(sc.Role, authz.ContractRate) {
		return nil, model.ErrForbidden
	}
	if score < 1 || score > 5 {
		return nil, fieldErr("score", "请选择 1 到 5 分")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		k, vr, err := tx.contract(ctx, sc, id)
		if err != nil {
			return err
		}
		if vr.householdPath == "" || !strings.HasPrefix(vr.householdPath, k.Path) {
			return model.ErrNotFound
		}
		found := false
		for _, m := range k.Milestones {
			found = found || m.ID == mid
		}
		if !found {
			return model.ErrNotFound
		}
		// Only an accepted milestone is rated: the INSERT selects the milestone on its
		// acceptance, so a rating and an acceptance racing are decided by the database.
		res, err := tx.exec(ctx, `INSERT INTO contract_ratings (milestone_id, user_id, community_id, score, created_at)
			SELECT id, ?, ?, ?, ? FROM contract_milestones WHERE id = ? AND accepted_at IS NOT NULL`,
			sc.UserID, k.CommunityID, score, s.now(), mid)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: "您已评价过这个节点，每人评价一次"}
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该节点尚未验收，验收后才能评价"}
		}
		tx.auditAt(sc, k.Path, "contract.milestone.rate", "contract", []int64{k.ID, mid}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Contract(ctx, sc, id)
}

// Contracts lists the contracts the caller reads, newest first: staff those of the communities
// in their territory, a household's account those of its community (without milestones).
func (s *Store) Contracts(ctx context.Context, sc authz.Scope, limit int, after string) (*Page[*model.Contract], error) {
	if !authz.Allowed(sc.Role, authz.ContractRead) {
		return &Page[*model.Contract]{}, nil
	}
	c := s.reader()
	cur, err := decodeCursor(after)
	if err != nil {
		return nil, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	w := filter{}
	switch {
	case householdRole(sc.Role) || sc.Role == model.RoleUnitLeader:
		if vr.householdPath == "" {
			return &Page[*model.Contract]{}, nil
		}
		// The contracts of the community its household lies in: a path that prefixes it.
		w.add("? LIKE c.path || '%'", vr.householdPath)
	case sc.All:
		w.add("1 = 1")
	default:
		lo, hi := authz.PathRange(sc.Path)
		w.add("c.path >= ? AND c.path < ?", lo, hi)
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("c.id < ?", cur.id)
	}
	n := clampLimit(limit)
	items, err := queryAll(ctx, c, `SELECT `+contractColumns+contractFrom+` WHERE `+w.sql()+` ORDER BY c.id DESC LIMIT ?`, append(w.args, n+1), scanContract)
	if err != nil {
		return nil, err
	}
	p := &Page[*model.Contract]{}
	if len(items) > n {
		items = items[:n]
		p.Next = cursor{id: items[n-1].ID}.encode()
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM contracts c WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	p.Items = items
	return p, nil
}
