package store

import (
	"context"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Statements of special funds (fund.go): a territory's funds of a year over a month or the
// whole year, per category, from the ledger's entries (what was available at the start, what
// was allocated and paid in the period, what is left), with the payments; and the public
// summary of a community's spending that its disclosure page shows.

// FundStatementOf returns the statement of node territory (0: the caller's territory) for year
// and month (0: the whole year). model.ErrNotFound for a node outside the caller's territory;
// a bad month or year is a *model.ValidationError.
func (s *Store) FundStatementOf(ctx context.Context, sc authz.Scope, territory int64, year, month int) (*model.FundStatement, error) {
	v := &model.ValidationError{}
	if month < 0 || month > 12 {
		v.Add("month", "月份应为 1 到 12（0 或不填为全年）")
	}
	if year < 2000 || year > 2100 {
		v.Add("year", "请填写年度，例如 2026")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c := s.reader()
	prefix, name, ok, err := c.fundScope(ctx, sc, territory)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, model.ErrNotFound
	}
	st := &model.FundStatement{TerritoryID: territory, TerritoryName: name, Year: year, Month: month}
	st.From, st.To = model.FundPeriod(year, month)
	lo, hi := authz.PathRange(prefix)
	if prefix == "/" {
		lo, hi = "", "\U0010FFFF"
	}
	cats, err := s.FundCategories(ctx, true)
	if err != nil {
		return nil, err
	}
	lines := map[int64]*model.FundStatementLine{}
	err = eachRow(ctx, c, `SELECT a.category_id,
			COALESCE(SUM(CASE WHEN a.kind = 'budget' AND e.created_at < ? THEN e.amount_fen ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.kind = 'budget' AND e.created_at >= ? AND e.amount_fen > 0 THEN e.amount_fen ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.kind = 'expense' AND e.created_at >= ? THEN e.amount_fen ELSE 0 END), 0)
		FROM fund_accounts a JOIN fund_entries e ON e.account_id = a.id
		WHERE a.kind IN ('budget', 'expense') AND a.year = ? AND a.path >= ? AND a.path < ? AND e.created_at < ?
		GROUP BY a.category_id`, []any{st.From, st.From, st.From, year, lo, hi, st.To}, func(rs rowScanner) error {
		var l model.FundStatementLine
		if err := rs.Scan(&l.CategoryID, &l.OpeningFen, &l.AllocatedFen, &l.SpentFen); err != nil {
			return err
		}
		l.ClosingFen = l.OpeningFen + l.AllocatedFen - l.SpentFen
		lines[l.CategoryID] = &l
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, cat := range cats {
		l, ok := lines[cat.ID]
		if !ok {
			continue
		}
		l.CategoryName = cat.Name
		st.Lines = append(st.Lines, *l)
		st.Total.OpeningFen += l.OpeningFen
		st.Total.AllocatedFen += l.AllocatedFen
		st.Total.SpentFen += l.SpentFen
		st.Total.ClosingFen += l.ClosingFen
	}
	st.Total.CategoryName = "合计"
	// A payment is a request's, or a contract milestone's (contract.go): its payee the contract's
	// organization.
	st.Payments, err = queryAll(ctx, c, `SELECT COALESCE(r.id, 0), t.name, fc.name, COALESCE(r.purpose, x.memo), COALESCE(r.payee, o.name, ''), x.amount_fen,
			COALESCE(r.override_reason, '') <> '', x.created_at
		FROM fund_txns x LEFT JOIN fund_requests r ON r.id = x.request_id LEFT JOIN contract_milestones cm ON cm.id = x.contract_milestone_id
		LEFT JOIN contracts k ON k.id = cm.contract_id LEFT JOIN organizations o ON o.id = k.organization_id
		JOIN territories t ON t.id = x.community_id JOIN fund_categories fc ON fc.id = x.category_id
		WHERE x.kind = 'payment' AND x.year = ? AND x.path >= ? AND x.path < ? AND x.created_at >= ? AND x.created_at < ?
		ORDER BY x.created_at, x.id LIMIT 5000`, []any{year, lo, hi, st.From, st.To}, func(rs rowScanner) (model.FundPayment, error) {
		var p model.FundPayment
		err := rs.Scan(&p.RequestID, &p.CommunityName, &p.CategoryName, &p.Purpose, &p.Payee, &p.AmountFen, &p.Override, &p.PaidAt)
		p.PaidAt = p.PaidAt.UTC()
		return p, err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// disclosedFunds reads the community's spending of year per category for its public page:
// allocated, paid and the number of payments, never a payee or a purpose.
func (c conn) disclosedFunds(ctx context.Context, community int64, year int) ([]model.FundSpending, error) {
	return queryAll(ctx, c, `SELECT fc.name, COALESCE(SUM(CASE WHEN a.kind = 'source' THEN -a.balance_fen ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.kind = 'expense' THEN a.balance_fen ELSE 0 END), 0),
			(SELECT COUNT(*) FROM fund_txns x WHERE x.community_id = a.community_id AND x.year = a.year AND x.category_id = a.category_id AND x.kind = 'payment')
		FROM fund_accounts a JOIN fund_categories fc ON fc.id = a.category_id
		WHERE a.community_id = ? AND a.year = ? GROUP BY a.community_id, a.year, a.category_id, fc.name, fc.sort ORDER BY fc.sort, a.category_id`,
		[]any{community, year}, func(rs rowScanner) (model.FundSpending, error) {
			var f model.FundSpending
			return f, rs.Scan(&f.CategoryName, &f.AllocatedFen, &f.SpentFen, &f.Payments)
		})
}

// fundYear is the year of t in Shanghai.
func fundYear(t time.Time) int { return t.In(model.Shanghai).Year() }
