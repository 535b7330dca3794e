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

// Special funds (专项经费, issue 12 item 1; model/fund.go says what they are). This file holds
// the catalogue, the chain, the ledger and the budgets; fund_request.go the spending requests;
// fund_statement.go the statements and the public summary.
//
// Who: staff read the funds of the communities in their territory (fund.read) and request
// spending there (fund.request); a request's pending step is decided by staff of the role it
// names whose territory holds the community (fund.approve), never by the one who made it;
// street and district admins allocate budget (fund.allocate) and may allow a payment over the
// budget with a reason (fund.override); district admins keep the catalogue and the chain
// (fund.config). Everything users race on is decided by the database: a step by a conditional
// UPDATE on the step read, a budget's balance by a conditional UPDATE that refuses to go
// negative without the override.

// FundCategories lists the catalogue by its order; inactive ones too when all is set.
func (s *Store) FundCategories(ctx context.Context, all bool) ([]*model.FundCategory, error) {
	q := `SELECT id, name, active, sort FROM fund_categories`
	if !all {
		q += ` WHERE active = TRUE`
	}
	return queryAll(ctx, s.reader(), q+` ORDER BY sort, id`, nil, scanFundCategory)
}

func scanFundCategory(rs rowScanner) (*model.FundCategory, error) {
	var c model.FundCategory
	return &c, rs.Scan(&c.ID, &c.Name, &c.Active, &c.Sort)
}

// CreateFundCategory adds a category to the catalogue (fund.config). A name in use is a
// *model.ConflictError (the unique index decides).
func (s *Store) CreateFundCategory(ctx context.Context, sc authz.Scope, in model.FundCategoryInput) (*model.FundCategory, error) {
	if !authz.Allowed(sc.Role, authz.FundConfig) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `INSERT INTO fund_categories (name, active, sort, created_at) VALUES (?, TRUE, ?, ?) RETURNING id`,
			[]any{in.Name, in.Sort, s.now()}, &id)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: "已有名为“" + in.Name + "”的经费类别"}
		} else if err != nil {
			return err
		}
		tx.audit(sc, "fund.category.create", "fund_category", []int64{id}, in.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &model.FundCategory{ID: id, Name: in.Name, Active: true, Sort: in.Sort}, nil
}

// UpdateFundCategory renames, reorders or (de)activates category id (fund.config); a retired
// category keeps its budgets and requests but takes no new ones. model.ErrNotFound when there
// is none; a name in use is a *model.ConflictError.
func (s *Store) UpdateFundCategory(ctx context.Context, sc authz.Scope, id int64, in model.FundCategoryInput) (*model.FundCategory, error) {
	if !authz.Allowed(sc.Role, authz.FundConfig) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE fund_categories SET name = ?, active = ?, sort = ? WHERE id = ?`, in.Name, in.Active, in.Sort, id)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: "已有名为“" + in.Name + "”的经费类别"}
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.ErrNotFound
		}
		tx.audit(sc, "fund.category.update", "fund_category", []int64{id}, fmt.Sprintf("%s, active %t", in.Name, in.Active))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &model.FundCategory{ID: id, Name: in.Name, Active: in.Active, Sort: in.Sort}, nil
}

// FundChain returns the approval chain new requests take, by step.
func (s *Store) FundChain(ctx context.Context) ([]model.FundChainStep, error) {
	return s.reader().fundChain(ctx)
}

func (c conn) fundChain(ctx context.Context) ([]model.FundChainStep, error) {
	return queryAll(ctx, c, `SELECT step, role, label FROM fund_chain_steps ORDER BY step`, nil, func(rs rowScanner) (model.FundChainStep, error) {
		var st model.FundChainStep
		return st, rs.Scan(&st.Step, &st.Role, &st.Label)
	})
}

// SetFundChain replaces the approval chain (fund.config). Requests already made keep the chain
// they were made with. Bad steps are a *model.ValidationError.
func (s *Store) SetFundChain(ctx context.Context, sc authz.Scope, steps []model.FundChainStep) ([]model.FundChainStep, error) {
	if !authz.Allowed(sc.Role, authz.FundConfig) {
		return nil, model.ErrForbidden
	}
	if err := model.ValidateFundChain(steps); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM fund_chain_steps`); err != nil {
			return err
		}
		var desc []string
		for _, st := range steps {
			if _, err := tx.exec(ctx, `INSERT INTO fund_chain_steps (step, role, label) VALUES (?, ?, ?)`, st.Step, string(st.Role), st.Label); err != nil {
				return err
			}
			desc = append(desc, string(st.Role))
		}
		tx.audit(sc, "fund.chain.set", "fund_chain", nil, strings.Join(desc, " → "))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.FundChain(ctx)
}

// fundCategory reads category id; an unknown or (when active) retired one is a
// *model.ValidationError on category_id.
func (c conn) fundCategory(ctx context.Context, id int64, active bool) (*model.FundCategory, error) {
	cat, err := queryOne(ctx, c, `SELECT id, name, active, sort FROM fund_categories WHERE id = ?`, []any{id}, scanFundCategory)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return nil, fieldErr("category_id", "经费类别不存在")
	case err != nil:
		return nil, err
	case active && !cat.Active:
		return nil, fieldErr("category_id", "经费类别“"+cat.Name+"”已停用")
	}
	return cat, nil
}

// fundCommunity reads community id in sc for funds: a node out of the scope or that is no
// community is a *model.ValidationError on community_id.
func (c conn) fundCommunity(ctx context.Context, sc authz.Scope, id int64) (*model.Territory, error) {
	t, err := c.territory(ctx, sc, id)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return nil, fieldErr("community_id", "社区不存在或不在您的管辖范围内")
	case err != nil:
		return nil, err
	case t.Kind != model.KindCommunity:
		return nil, fieldErr("community_id", "专项经费以社区为单位，请选择一个社区")
	}
	return t, nil
}

// fundLine is a budget line's accounts.
type fundLine struct {
	source, budget, expense int64
}

// fundAccounts returns the accounts of the budget line, creating them when missing (an insert
// that meets the unique index of another transaction's is read again).
func (tx *Tx) fundAccounts(ctx context.Context, community *model.Territory, year int, category int64) (fundLine, error) {
	var l fundLine
	for _, k := range []struct {
		kind model.FundAccountKind
		id   *int64
	}{{model.AccountSource, &l.source}, {model.AccountBudget, &l.budget}, {model.AccountExpense, &l.expense}} {
		if _, err := tx.exec(ctx, `INSERT INTO fund_accounts (community_id, path, year, category_id, kind, balance_fen) VALUES (?, ?, ?, ?, ?, 0)
			ON CONFLICT (community_id, year, category_id, kind) DO NOTHING`, community.ID, community.Path, year, category, string(k.kind)); err != nil {
			return l, err
		}
		if err := tx.queryRow(ctx, `SELECT id FROM fund_accounts WHERE community_id = ? AND year = ? AND category_id = ? AND kind = ?`,
			[]any{community.ID, year, category, string(k.kind)}, k.id); err != nil {
			return l, err
		}
	}
	return l, nil
}

// fundPosting is one entry of a transaction: account and amount (debit positive).
type fundPosting struct {
	account int64
	fen     int64
	// floor, when set, refuses the posting when it would take the account's balance below 0
	// (errOverBudget); the conditional UPDATE decides.
	floor bool
}

var errOverBudget = errors.New("over budget")

// postFund writes a ledger transaction and its entries, and moves the accounts' balances in
// the same transaction. The postings must sum to zero (a programming error otherwise).
func (tx *Tx) postFund(ctx context.Context, sc authz.Scope, community *model.Territory, year int, category int64, kind string, amount int64, memo string, request int64, postings ...fundPosting) (int64, error) {
	var sum int64
	for _, p := range postings {
		sum += p.fen
	}
	if sum != 0 || len(postings) < 2 {
		return 0, fmt.Errorf("fund posting of %s does not balance: %d", kind, sum)
	}
	ts := tx.s.now()
	var txn int64
	if err := tx.queryRow(ctx, `INSERT INTO fund_txns (community_id, path, year, category_id, kind, amount_fen, memo, request_id, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{community.ID, community.Path, year, category, kind, amount, memo, nullID(request), nullID(sc.UserID), ts}, &txn); err != nil {
		return 0, err
	}
	for _, p := range postings {
		q := `UPDATE fund_accounts SET balance_fen = balance_fen + ? WHERE id = ?`
		args := []any{p.fen, p.account}
		if p.floor {
			q += ` AND balance_fen + ? >= 0`
			args = append(args, p.fen)
		}
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, errOverBudget
		}
		if _, err := tx.exec(ctx, `INSERT INTO fund_entries (txn_id, account_id, community_id, amount_fen, created_at) VALUES (?, ?, ?, ?, ?)`,
			txn, p.account, community.ID, p.fen, ts); err != nil {
			return 0, err
		}
	}
	return txn, nil
}

// AllocateFund allocates budget to a community's category for a year (fund.allocate, a
// community in the caller's territory): a ledger transaction debiting the line's budget
// account and crediting its source account. It returns the line as it now stands. Bad fields
// are a *model.ValidationError.
func (s *Store) AllocateFund(ctx context.Context, sc authz.Scope, in model.FundAllocationInput) (*model.FundBudget, error) {
	if !authz.Allowed(sc.Role, authz.FundAllocate) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.fundCommunity(ctx, sc, in.CommunityID)
		if err != nil {
			return err
		}
		cat, err := tx.fundCategory(ctx, in.CategoryID, true)
		if err != nil {
			return err
		}
		l, err := tx.fundAccounts(ctx, t, in.Year, cat.ID)
		if err != nil {
			return err
		}
		memo := in.Memo
		if memo == "" {
			memo = fmt.Sprintf("%d年度%s拨付", in.Year, cat.Name)
		}
		txn, err := tx.postFund(ctx, sc, t, in.Year, cat.ID, "allocation", in.AmountFen, memo, 0,
			fundPosting{account: l.budget, fen: in.AmountFen}, fundPosting{account: l.source, fen: -in.AmountFen})
		if err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "fund.allocate", "fund_txn", []int64{txn}, fmt.Sprintf("%d %s %s yuan", in.Year, cat.Name, model.FormatYuan(in.AmountFen)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	bs, err := s.FundBudgets(ctx, sc, FundBudgetFilter{Territory: in.CommunityID, Year: in.Year})
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		if b.CategoryID == in.CategoryID {
			return b, nil
		}
	}
	return nil, model.ErrNotFound
}

// FundBudgetFilter narrows the budget lines listed.
type FundBudgetFilter struct {
	Territory int64 // lines of communities at that node or under it (0: the caller's territory)
	Year      int   // 0: every year
}

// fundScope is the path prefix the caller's funds lie under, narrowed to territory (0: none):
// model.ErrNotFound for a node out of the caller's territory; ok false when the caller reads
// no funds.
func (c conn) fundScope(ctx context.Context, sc authz.Scope, territory int64) (prefix string, name string, ok bool, err error) {
	if !authz.Allowed(sc.Role, authz.FundRead) {
		return "", "", false, nil
	}
	if territory != 0 {
		t, err := c.territory(ctx, sc, territory)
		if err != nil {
			return "", "", false, err
		}
		return t.Path, t.Name, true, nil
	}
	if sc.All {
		return "/", "全部", true, nil
	}
	if sc.Path == "" {
		return "", "", false, nil
	}
	var n string
	if err := c.queryRow(ctx, `SELECT name FROM territories WHERE path = ?`, []any{sc.Path}, &n); err != nil && !errors.Is(err, model.ErrNotFound) {
		return "", "", false, err
	}
	return sc.Path, n, true, nil
}

// FundBudgets lists the budget lines under the caller's territory (or the node given), by
// year (newest first), community and category, from the accounts' maintained balances.
func (s *Store) FundBudgets(ctx context.Context, sc authz.Scope, f FundBudgetFilter) ([]*model.FundBudget, error) {
	c := s.reader()
	prefix, _, ok, err := c.fundScope(ctx, sc, f.Territory)
	if err != nil || !ok {
		return nil, err
	}
	w := filter{}
	if prefix != "/" {
		lo, hi := authz.PathRange(prefix)
		w.add("a.path >= ? AND a.path < ?", lo, hi)
	} else {
		w.add("1 = 1")
	}
	if f.Year != 0 {
		w.add("a.year = ?", f.Year)
	}
	return queryAll(ctx, c, `SELECT a.community_id, t.name, a.path, a.year, a.category_id, fc.name,
		SUM(CASE WHEN a.kind = 'source' THEN -a.balance_fen ELSE 0 END), SUM(CASE WHEN a.kind = 'expense' THEN a.balance_fen ELSE 0 END),
		SUM(CASE WHEN a.kind = 'budget' THEN a.balance_fen ELSE 0 END)
		FROM fund_accounts a JOIN territories t ON t.id = a.community_id JOIN fund_categories fc ON fc.id = a.category_id
		WHERE `+w.sql()+` GROUP BY a.community_id, t.name, a.path, a.year, a.category_id, fc.name, fc.sort
		ORDER BY a.year DESC, a.path, fc.sort, a.category_id LIMIT 2000`, w.args, func(rs rowScanner) (*model.FundBudget, error) {
		var b model.FundBudget
		return &b, rs.Scan(&b.CommunityID, &b.CommunityName, &b.Path, &b.Year, &b.CategoryID, &b.CategoryName, &b.AllocatedFen, &b.SpentFen, &b.AvailableFen)
	})
}

// FundBalance is a territory's funds of a year: allocated, spent and available, summed from
// the accounts' maintained balances (a street's is the few account rows of its communities,
// never a scan of the entries).
type FundBalance struct {
	TerritoryID   int64
	TerritoryName string
	Year          int
	AllocatedFen  int64
	SpentFen      int64
	AvailableFen  int64
}

// FundBalanceOf returns the balance of node territory (0: the caller's territory) in year;
// model.ErrNotFound for a node out of the caller's territory or a caller who reads no funds.
func (s *Store) FundBalanceOf(ctx context.Context, sc authz.Scope, territory int64, year int) (*FundBalance, error) {
	c := s.reader()
	prefix, name, ok, err := c.fundScope(ctx, sc, territory)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, model.ErrNotFound
	}
	b := &FundBalance{TerritoryID: territory, TerritoryName: name, Year: year}
	lo, hi := authz.PathRange(prefix)
	if prefix == "/" {
		lo, hi = "", "\U0010FFFF"
	}
	err = c.queryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN kind = 'source' THEN -balance_fen ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN kind = 'expense' THEN balance_fen ELSE 0 END), 0), COALESCE(SUM(CASE WHEN kind = 'budget' THEN balance_fen ELSE 0 END), 0)
		FROM fund_accounts WHERE kind IN ('source', 'budget', 'expense') AND year = ? AND path >= ? AND path < ?`, []any{year, lo, hi},
		&b.AllocatedFen, &b.SpentFen, &b.AvailableFen)
	return b, err
}

// CheckFundLedger verifies the ledger: every transaction's entries sum to zero and every
// account's maintained balance equals the sum of its entries. It returns an error naming the
// first fault found, nil when the books hold.
func (s *Store) CheckFundLedger(ctx context.Context) error {
	c := s.reader()
	var txn, sum sql.NullInt64
	err := c.queryRow(ctx, `SELECT txn_id, SUM(amount_fen) FROM fund_entries GROUP BY txn_id HAVING SUM(amount_fen) <> 0 LIMIT 1`, nil, &txn, &sum)
	if err == nil {
		return fmt.Errorf("fund transaction %d does not balance: %d", txn.Int64, sum.Int64)
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	var account, balance, entries int64
	err = c.queryRow(ctx, `SELECT a.id, a.balance_fen, COALESCE(e.s, 0) FROM fund_accounts a
		LEFT JOIN (SELECT account_id, SUM(amount_fen) AS s FROM fund_entries GROUP BY account_id) e ON e.account_id = a.id
		WHERE a.balance_fen <> COALESCE(e.s, 0) LIMIT 1`, nil, &account, &balance, &entries)
	if err == nil {
		return fmt.Errorf("fund account %d holds %d, its entries sum to %d", account, balance, entries)
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	var orphan int64
	err = c.queryRow(ctx, `SELECT a.id FROM fund_accounts a WHERE a.balance_fen < 0 AND a.kind = 'budget' AND NOT EXISTS (
		SELECT 1 FROM fund_requests r WHERE r.community_id = a.community_id AND r.year = a.year AND r.category_id = a.category_id AND r.override_reason <> '') LIMIT 1`, nil, &orphan)
	if err == nil {
		return fmt.Errorf("fund budget account %d is negative without an override", orphan)
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	return nil
}
