package store

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Dues (党费, issue 8 item 7). The declared monthly income is sealed in party_members.income
// (ColumnIncome) and never leaves the store; the monthly amount (dues_fen) is what the published
// rates give for it (model.MonthlyDues). Payments are one per member and month. Dues are read
// by staff by territory and by secretaries by post; a grid leader reads members but no dues.

// ColumnIncome is the column declared incomes are sealed for.
const ColumnIncome = "party_members.income"

// duesAccess is the filter on party_members m whose dues sc may read: memberAccess without the
// grid leaders.
func duesAccess(sc authz.Scope) (filter, bool) {
	if sc.Role == model.RoleGridLeader && !sc.All {
		return filter{}, false
	}
	return memberAccess(sc)
}

// DeclareIncome records the member's declared monthly income (fen, sealed) and whether the member
// lives on a subsistence allowance, and sets the monthly dues by the rates; history says that it
// changed, never the amounts. Only staff and the secretary of the member's org may (403 for a
// member reading its own record, 404 outside the scope).
func (s *Store) DeclareIncome(ctx context.Context, sc authz.Scope, id, incomeFen int64, subsistence bool) (*DuesAccount, error) {
	if sc.Role == model.RoleGridLeader && !sc.All {
		return nil, model.ErrForbidden
	}
	if incomeFen < 0 {
		return nil, fieldErr("income", "收入不能为负数")
	}
	err := s.Tx(ctx, func(tx *Tx) error { return tx.DeclareIncome(ctx, sc, id, incomeFen, subsistence) })
	if err != nil {
		return nil, err
	}
	return s.MemberDues(ctx, sc, id, time.Now().In(model.Shanghai).Year())
}

// DeclareIncome is Store.DeclareIncome inside tx (the demo declares many in one).
func (tx *Tx) DeclareIncome(ctx context.Context, sc authz.Scope, id, incomeFen int64, subsistence bool) error {
	if incomeFen < 0 {
		return fieldErr("income", "收入不能为负数")
	}
	m, err := tx.memberToManage(ctx, sc, id)
	if err != nil {
		return err
	}
	if tx.keys == nil {
		return errors.New("store: no keys to seal the declared income")
	}
	sealed, err := tx.keys.Seal(ColumnIncome, strconv.FormatInt(incomeFen, 10))
	if err != nil {
		return err
	}
	dues := model.MonthlyDues(m.Category, incomeFen, subsistence)
	ts := now()
	if _, err := tx.exec(ctx, `UPDATE party_members SET income = ?, subsistence = ?, dues_fen = ?, income_declared_on = ?, updated_at = ? WHERE id = ?`,
		sealed, subsistence, dues, ts.Truncate(24*time.Hour), ts, id); err != nil {
		return err
	}
	if err := tx.memberEvent(ctx, sc, id, "income_declared", "申报收入，按标准核定月缴党费"); err != nil {
		return err
	}
	tx.audit(sc, "party_dues.declare", "party_member", []int64{id}, "")
	return nil
}

// recomputeDues sets the monthly dues of member m again after its category changed (the income
// stays as declared).
func (tx *Tx) recomputeDues(ctx context.Context, id int64, category model.MemberCategory) error {
	var sealed string
	var subsistence bool
	if err := tx.queryRow(ctx, `SELECT income, subsistence FROM party_members WHERE id = ?`, []any{id}, &sealed, &subsistence); err != nil {
		return err
	}
	if sealed == "" {
		return nil
	}
	plain, err := tx.keys.Open(ColumnIncome, sealed)
	if err != nil {
		return err
	}
	income, err := strconv.ParseInt(plain, 10, 64)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE party_members SET dues_fen = ? WHERE id = ?`, model.MonthlyDues(category, income, subsistence), id)
	return err
}

// PaymentInput is a dues payment as a client records it.
type PaymentInput struct {
	Month  string // YYYY-MM
	Amount string // yuan, at most two decimals
	PaidOn string // YYYY-MM-DD
	PaidBy string // who paid on the member's behalf (代缴); "" when the member paid
	Note   string
}

// DuesPayment is one recorded payment.
type DuesPayment struct {
	ID         int64
	MemberID   int64
	Month      string
	AmountFen  int64
	PaidOn     time.Time
	PaidBy     string
	RecordedBy int64
	Note       string
	CreatedAt  time.Time
}

// RecordPayment records the member's payment for a month: the amount in yuan with at most two
// decimals (a fraction of a fen is refused, never rounded), a month not in the future, paid on a
// day not in the future. A second payment for the same month is a *model.ConflictError, decided
// by the unique index. Staff and the secretary of the member's org may record, also on the
// member's behalf (PaidBy names who paid; the recording account is kept).
func (s *Store) RecordPayment(ctx context.Context, sc authz.Scope, id int64, in PaymentInput) (*DuesPayment, error) {
	var p *DuesPayment
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.RecordPayment(ctx, sc, id, in)
		return err
	})
	return p, err
}

// RecordPayment is Store.RecordPayment inside tx (the demo records many in one).
func (tx *Tx) RecordPayment(ctx context.Context, sc authz.Scope, id int64, in PaymentInput) (*DuesPayment, error) {
	if sc.Role == model.RoleGridLeader && !sc.All {
		return nil, model.ErrForbidden
	}
	var v model.ValidationError
	today := model.Today(time.Now())
	in.PaidBy, in.Note = strings.TrimSpace(in.PaidBy), strings.TrimSpace(in.Note)
	month, err := time.Parse("2006-01", in.Month)
	switch {
	case err != nil:
		v.Add("month", "月份应为 YYYY-MM 格式，例如 2026-11")
	case month.After(today):
		v.Add("month", "不能预先登记以后月份的党费")
	case month.Year() < 2000:
		v.Add("month", "月份不能早于2000年")
	}
	amount, msg := model.ParseYuan(in.Amount)
	if msg == "" && amount == 0 {
		msg = "金额应大于0"
	}
	if msg != "" {
		v.Add("amount", msg)
	}
	paid, err := time.Parse(time.DateOnly, in.PaidOn)
	switch {
	case err != nil:
		v.Add("paid_on", "缴纳日期应为 YYYY-MM-DD 格式")
	case paid.After(today):
		v.Add("paid_on", "缴纳日期不能晚于今天")
	}
	if len([]rune(in.PaidBy)) > 32 || strings.ContainsAny(in.PaidBy, "\x00\r\n<>") {
		v.Add("paid_by", "代缴人姓名不能超过32个字，不能包含换行或尖括号")
	}
	if len([]rune(in.Note)) > 200 {
		v.Add("note", "备注不能超过200个字")
	}
	var p *DuesPayment
	err = func() error {
		m, err := tx.memberToManage(ctx, sc, id)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		org, err := tx.memberOrgRef(ctx, m.OrgID)
		if err != nil {
			return err
		}
		var community, recorder any
		if org.CommunityID.Valid {
			community = org.CommunityID.Int64
		}
		if sc.UserID != 0 {
			recorder = sc.UserID
		}
		var pid int64
		err = tx.queryRow(ctx, `INSERT INTO party_dues_payments (member_id, org_id, path, community_id, month, amount_fen, paid_on, paid_by, recorded_by, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{id, org.ID, org.Path, community, in.Month, amount, paid, in.PaidBy, recorder, in.Note, now()}, &pid)
		if isConflict(err) {
			return &model.ConflictError{Message: in.Month + " 的党费已登记，不能重复登记"}
		} else if err != nil {
			return err
		}
		detail := "缴纳 " + in.Month + " 党费"
		if in.PaidBy != "" {
			detail += "（" + in.PaidBy + "代缴）"
		}
		if err := tx.memberEvent(ctx, sc, id, "dues_paid", detail); err != nil {
			return err
		}
		tx.audit(sc, "party_dues.pay", "party_member", []int64{id}, "month="+in.Month)
		p = &DuesPayment{ID: pid, MemberID: id, Month: in.Month, AmountFen: amount, PaidOn: paid, PaidBy: in.PaidBy, RecordedBy: sc.UserID, Note: in.Note, CreatedAt: now()}
		return nil
	}()
	return p, err
}

// DuesAccount is a member's dues for a year.
type DuesAccount struct {
	Member      *model.Member
	Declared    bool // an income was declared (the amount itself never leaves the store)
	Subsistence bool
	MonthlyFen  int64
	Payments    []DuesPayment
	DueMonths   []string // the months of the year the member owes dues for, up to this month
	Arrears     []string // the due months without a payment
	ArrearsFen  int64
	PaidFen     int64
}

// dueMonths are the months of year from the month the member came on the roster (created) up to
// the current month, "YYYY-MM".
func dueMonths(year int, since, now time.Time) []string {
	var out []string
	for mo := time.January; mo <= time.December; mo++ {
		first := time.Date(year, mo, 1, 0, 0, 0, 0, model.Shanghai)
		if first.After(now) {
			break
		}
		if first.AddDate(0, 1, 0).Before(since) || first.AddDate(0, 1, 0).Equal(since) {
			continue
		}
		out = append(out, first.Format("2006-01"))
	}
	return out
}

// MemberDues returns the dues account of a member sc may read dues of, for year.
func (s *Store) MemberDues(ctx context.Context, sc authz.Scope, id int64, year int) (*DuesAccount, error) {
	c := s.reader()
	f, ok := duesAccess(sc)
	if !ok {
		return nil, model.ErrNotFound
	}
	f.add("m.id = ?", id)
	type row struct {
		m           memberRow
		declared    bool
		subsistence bool
		dues        int64
	}
	r, err := queryOne(ctx, c, `SELECT `+memberColumns+`, m.income <> '', m.subsistence, m.dues_fen`+memberFrom+` WHERE `+f.sql(), f.args,
		func(rs rowScanner) (row, error) {
			var x row
			var err error
			x.m, err = scanMemberExtra(rs, &x.declared, &x.subsistence, &x.dues)
			return x, err
		})
	if err != nil {
		return nil, err
	}
	a := &DuesAccount{Member: r.m.m, Declared: r.declared, Subsistence: r.subsistence, MonthlyFen: r.dues}
	a.Payments, err = queryAll(ctx, c, `SELECT id, member_id, month, amount_fen, paid_on, paid_by, COALESCE(recorded_by, 0), note, created_at
		FROM party_dues_payments WHERE member_id = ? AND month >= ? AND month <= ? ORDER BY month`,
		[]any{id, strconv.Itoa(year) + "-01", strconv.Itoa(year) + "-12"}, scanPayment)
	if err != nil {
		return nil, err
	}
	a.settle(year, time.Now().In(model.Shanghai))
	return a, nil
}

func scanPayment(rs rowScanner) (DuesPayment, error) {
	var p DuesPayment
	return p, rs.Scan(&p.ID, &p.MemberID, &p.Month, &p.AmountFen, &p.PaidOn, &p.PaidBy, &p.RecordedBy, &p.Note, &p.CreatedAt)
}

// settle fills the due months, arrears and sums of a from its payments.
func (a *DuesAccount) settle(year int, now time.Time) {
	paid := map[string]bool{}
	for _, p := range a.Payments {
		paid[p.Month] = true
		a.PaidFen += p.AmountFen
	}
	// Dues are owed from the month of joining (from coming on the roster when that is unknown).
	since := a.Member.CreatedAt
	if !a.Member.JoinedOn.IsZero() {
		since = a.Member.JoinedOn
	}
	a.DueMonths = dueMonths(year, since, now)
	a.Arrears = nil
	for _, m := range a.DueMonths {
		if !paid[m] {
			a.Arrears = append(a.Arrears, m)
		}
	}
	a.ArrearsFen = int64(len(a.Arrears)) * a.MonthlyFen
}

// scanMemberExtra is scanMember with destinations after memberColumns.
func scanMemberExtra(rs rowScanner, extra ...any) (memberRow, error) {
	return scanMember(extraScanner{rs, extra})
}

type extraScanner struct {
	rs    rowScanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.rs.Scan(append(dest, e.extra...)...) }

// OrgDues is the dues of one org's registered members for a year.
type OrgDues struct {
	OrgID            int64
	OrgName          string
	Members          int
	MembersInArrears int
	DueFen           int64 // what the due months come to
	PaidFen          int64
	ArrearsFen       int64
}

// DuesFilter selects the members whose dues a report covers: an org and the orgs under it (0:
// every org sc may read dues of), for a year.
type DuesFilter struct {
	OrgID int64
	Year  int
}

// DuesAccounts returns the dues accounts of the current registered members sc may read dues of
// (f.OrgID: that org and the orgs under it), ordered by org, then member.
func (s *Store) DuesAccounts(ctx context.Context, sc authz.Scope, f DuesFilter) ([]*DuesAccount, error) {
	c := s.reader()
	w, ok := duesAccess(sc)
	if !ok {
		return nil, model.ErrForbidden
	}
	if f.Year < 2000 || f.Year > 2100 {
		return nil, fieldErr("year", "year 应为四位年份")
	}
	if f.OrgID != 0 {
		w.add("m.org_id IN "+orgSubtree(`SELECT id FROM party_orgs WHERE id = ?`), f.OrgID)
	}
	w.add("m.list = 'registered'")
	w.add("m.left_on IS NULL")
	accounts, err := queryAll(ctx, c, `SELECT `+memberColumns+`, m.income <> '', m.subsistence, m.dues_fen`+memberFrom+` WHERE `+w.sql()+` ORDER BY m.org_id, m.id`, w.args,
		func(rs rowScanner) (*DuesAccount, error) {
			var a DuesAccount
			r, err := scanMemberExtra(rs, &a.Declared, &a.Subsistence, &a.MonthlyFen)
			a.Member = r.m
			return &a, err
		})
	if err != nil || len(accounts) == 0 {
		return accounts, err
	}
	// The year's payments of the same members, in one query.
	pw, _ := duesAccess(sc)
	if f.OrgID != 0 {
		pw.add("m.org_id IN "+orgSubtree(`SELECT id FROM party_orgs WHERE id = ?`), f.OrgID)
	}
	pw.add("m.list = 'registered'")
	pw.add("m.left_on IS NULL")
	pw.add("p.month >= ? AND p.month <= ?", strconv.Itoa(f.Year)+"-01", strconv.Itoa(f.Year)+"-12")
	payments, err := queryAll(ctx, c, `SELECT p.id, p.member_id, p.month, p.amount_fen, p.paid_on, p.paid_by, COALESCE(p.recorded_by, 0), p.note, p.created_at
		FROM party_dues_payments p JOIN party_members m ON m.id = p.member_id WHERE `+pw.sql()+` ORDER BY p.member_id, p.month`, pw.args, scanPayment)
	if err != nil {
		return nil, err
	}
	byMember := map[int64]*DuesAccount{}
	for _, a := range accounts {
		byMember[a.Member.ID] = a
	}
	for _, p := range payments {
		if a := byMember[p.MemberID]; a != nil {
			a.Payments = append(a.Payments, p)
		}
	}
	now := time.Now().In(model.Shanghai)
	for _, a := range accounts {
		a.settle(f.Year, now)
	}
	return accounts, nil
}

// DuesByOrg sums DuesAccounts per org: arrears per branch (and group), ordered by arrears,
// largest first, then org id.
func (s *Store) DuesByOrg(ctx context.Context, sc authz.Scope, f DuesFilter) ([]OrgDues, error) {
	accounts, err := s.DuesAccounts(ctx, sc, f)
	if err != nil {
		return nil, err
	}
	byOrg := map[int64]*OrgDues{}
	var order []int64
	for _, a := range accounts {
		o := byOrg[a.Member.OrgID]
		if o == nil {
			o = &OrgDues{OrgID: a.Member.OrgID, OrgName: a.Member.OrgName}
			byOrg[o.OrgID] = o
			order = append(order, o.OrgID)
		}
		o.Members++
		o.DueFen += int64(len(a.DueMonths)) * a.MonthlyFen
		o.PaidFen += a.PaidFen
		o.ArrearsFen += a.ArrearsFen
		if len(a.Arrears) > 0 {
			o.MembersInArrears++
		}
	}
	out := make([]OrgDues, 0, len(order))
	for _, id := range order {
		out = append(out, *byOrg[id])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ArrearsFen != out[j].ArrearsFen {
			return out[i].ArrearsFen > out[j].ArrearsFen
		}
		return out[i].OrgID < out[j].OrgID
	})
	return out, nil
}

// MemberDuesForDemo is the member's monthly dues in fen as set by DeclareIncome (the demo pays
// them).
func (tx *Tx) MemberDuesForDemo(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT dues_fen FROM party_members WHERE id = ?`, []any{id}, &n)
	return n, err
}

// MyDues returns the dues account for year of the member whose account is sc.UserID
// (ErrNotMember when the account is linked to no current member).
func (s *Store) MyDues(ctx context.Context, sc authz.Scope, year int) (*DuesAccount, error) {
	if year < 2000 || year > 2100 {
		return nil, fieldErr("year", "year 应为四位年份")
	}
	me, err := s.reader().memberOfUser(ctx, sc.UserID)
	if err != nil {
		return nil, err
	}
	// The caller is the member: its own account, wherever its account's scope lies.
	return s.MemberDues(ctx, authz.System(), me.ID, year)
}

// DuesMonth is one month of a member's dues year: whether it is due, and its payment.
type DuesMonth struct {
	Month   string // YYYY-MM
	Due     bool   // the member owes dues for it (on the roster, not in the future)
	Payment *DuesPayment
}

// Arrear is whether the month is due and unpaid.
func (m DuesMonth) Arrear() bool { return m.Due && m.Payment == nil }

// Months returns the twelve months of year with what is due and paid in each.
func (a *DuesAccount) Months(year int) []DuesMonth {
	due := map[string]bool{}
	for _, m := range a.DueMonths {
		due[m] = true
	}
	paid := map[string]*DuesPayment{}
	for i := range a.Payments {
		paid[a.Payments[i].Month] = &a.Payments[i]
	}
	out := make([]DuesMonth, 12)
	for i := range out {
		m := time.Date(year, time.Month(i+1), 1, 0, 0, 0, 0, model.Shanghai).Format("2006-01")
		out[i] = DuesMonth{Month: m, Due: due[m], Payment: paid[m]}
	}
	return out
}

// DueFen is what the due months of the account come to.
func (a *DuesAccount) DueFen() int64 { return int64(len(a.DueMonths)) * a.MonthlyFen }
