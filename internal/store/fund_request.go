package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Spending requests of special funds (fund.go says who does what). A request copies the
// approval chain when it is made (fund_request_steps); its pending step is fund_requests.step,
// moved by a conditional UPDATE on the step read, so of two approvers at once one decides and
// the other gets a *model.ConflictError. The last approval posts the payment in the same
// transaction (postFund), its credit to the budget account refused below zero unless the
// approver's role may override and gives a reason.

const fundRequestColumns = `r.id, r.community_id, t.name, r.path, r.year, r.category_id, fc.name, r.purpose, r.amount_fen, r.payee, r.status, r.step,
	COALESCE(r.requested_by, 0), r.requester_name, r.reject_reason, r.override_reason, r.override_by_name, COALESCE(r.txn_id, 0), r.decided_at, r.created_at, r.receipts`

const fundRequestFrom = ` FROM fund_requests r JOIN territories t ON t.id = r.community_id JOIN fund_categories fc ON fc.id = r.category_id`

func scanFundRequest(rs rowScanner) (*model.FundRequest, error) {
	var r model.FundRequest
	var decided sql.NullTime
	var receipts int
	if err := rs.Scan(&r.ID, &r.CommunityID, &r.CommunityName, &r.Path, &r.Year, &r.CategoryID, &r.CategoryName, &r.Purpose, &r.AmountFen, &r.Payee,
		&r.Status, &r.Step, &r.RequestedBy, &r.RequesterName, &r.RejectReason, &r.OverrideReason, &r.OverrideByName, &r.TxnID, &decided, &r.CreatedAt, &receipts); err != nil {
		return nil, err
	}
	r.DecidedAt = timePtr(decided)
	r.CreatedAt = r.CreatedAt.UTC()
	r.Receipts = make([]model.FundReceipt, receipts) // numbers only until fillFundRequest reads them
	for i := range r.Receipts {
		r.Receipts[i].N = i + 1
	}
	return &r, nil
}

// presentFundRequest fills the caller's standing on r (its steps read).
func presentFundRequest(sc authz.Scope, r *model.FundRequest) {
	r.Caller.Own = sc.UserID != 0 && sc.UserID == r.RequestedBy
	r.Caller.Override = authz.Allowed(sc.Role, authz.FundOverride)
	r.Caller.Receipts = r.Status == model.FundPending && authz.Allowed(sc.Role, authz.FundRequest) && sc.Contains(r.Path)
	if p := r.Pending(); p != nil && !r.Caller.Own && authz.Allowed(sc.Role, authz.FundApprove) && sc.Contains(r.Path) {
		r.Caller.Decide = sc.All || sc.Role == p.Role
	}
}

// fundRequest reads request id with its steps and receipts as the caller may see it
// (model.ErrNotFound otherwise).
func (c conn) fundRequest(ctx context.Context, sc authz.Scope, id int64) (*model.FundRequest, error) {
	if !authz.Allowed(sc.Role, authz.FundRead) {
		return nil, model.ErrNotFound
	}
	r, err := queryOne(ctx, c, `SELECT `+fundRequestColumns+fundRequestFrom+` WHERE r.id = ?`, []any{id}, scanFundRequest)
	if err != nil {
		return nil, err
	}
	if !sc.Contains(r.Path) {
		return nil, model.ErrNotFound
	}
	r.Steps, err = queryAll(ctx, c, `SELECT step, role, label, decision, reason, decider_name, decided_at FROM fund_request_steps WHERE request_id = ? ORDER BY step`,
		[]any{r.ID}, func(rs rowScanner) (model.FundStep, error) {
			var st model.FundStep
			var at sql.NullTime
			err := rs.Scan(&st.Step, &st.Role, &st.Label, &st.Decision, &st.Reason, &st.DeciderName, &at)
			st.DecidedAt = timePtr(at)
			return st, err
		})
	if err != nil {
		return nil, err
	}
	r.Receipts, err = queryAll(ctx, c, `SELECT n, content_type, size, name FROM fund_receipts WHERE request_id = ? ORDER BY n`, []any{r.ID},
		func(rs rowScanner) (model.FundReceipt, error) {
			var rc model.FundReceipt
			return rc, rs.Scan(&rc.N, &rc.ContentType, &rc.Size, &rc.Name)
		})
	if err != nil {
		return nil, err
	}
	presentFundRequest(sc, r)
	return r, nil
}

// FundRequest returns request id with its chain and receipts; model.ErrNotFound when it does
// not exist or lies outside the caller's territory.
func (s *Store) FundRequest(ctx context.Context, sc authz.Scope, id int64) (*model.FundRequest, error) {
	return s.reader().fundRequest(ctx, sc, id)
}

// FundRequestFilter narrows the requests listed.
type FundRequestFilter struct {
	Territory  int64 // requests of communities at that node or under it (0: the caller's territory)
	Status     model.FundRequestStatus
	CategoryID int64
	Year       int
	Mine       bool // only those whose pending step the caller decides
	Limit      int
	Cursor     string
}

// FundRequests lists the requests under the caller's territory, newest first. An unknown
// status is a *model.ValidationError.
func (s *Store) FundRequests(ctx context.Context, sc authz.Scope, f FundRequestFilter) (*Page[*model.FundRequest], error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, fieldErr("status", "状态应为 pending、paid 或 rejected")
	}
	c := s.reader()
	prefix, _, ok, err := c.fundScope(ctx, sc, f.Territory)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.FundRequest]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w := filter{}
	if prefix != "/" {
		lo, hi := authz.PathRange(prefix)
		w.add("r.path >= ? AND r.path < ?", lo, hi)
	} else {
		w.add("1 = 1")
	}
	if f.Status != "" {
		w.add("r.status = ?", string(f.Status))
	}
	if f.CategoryID != 0 {
		w.add("r.category_id = ?", f.CategoryID)
	}
	if f.Year != 0 {
		w.add("r.year = ?", f.Year)
	}
	if f.Mine {
		w.add("r.status = 'pending' AND COALESCE(r.requested_by, 0) <> ?", sc.UserID)
		if !sc.All {
			w.add("EXISTS (SELECT 1 FROM fund_request_steps s WHERE s.request_id = r.id AND s.step = r.step AND s.role = ?)", string(sc.Role))
		}
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("r.id < ?", cur.id)
	}
	limit := clampLimit(f.Limit)
	items, err := queryAll(ctx, c, `SELECT `+fundRequestColumns+fundRequestFrom+` WHERE `+w.sql()+` ORDER BY r.id DESC LIMIT ?`, append(w.args, limit+1), scanFundRequest)
	if err != nil {
		return nil, err
	}
	p := &Page[*model.FundRequest]{}
	if len(items) > limit {
		items = items[:limit]
		p.Next = cursor{id: items[limit-1].ID}.encode()
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM fund_requests r WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	if len(items) > 0 {
		args := make([]any, len(items))
		byID := map[int64]*model.FundRequest{}
		for i, r := range items {
			args[i] = r.ID
			byID[r.ID] = r
		}
		err := eachRow(ctx, c, `SELECT request_id, step, role, label, decision, reason, decider_name, decided_at FROM fund_request_steps WHERE request_id IN (`+inList(len(args))+`) ORDER BY request_id, step`,
			args, func(rs rowScanner) error {
				var id int64
				var st model.FundStep
				var at sql.NullTime
				if err := rs.Scan(&id, &st.Step, &st.Role, &st.Label, &st.Decision, &st.Reason, &st.DeciderName, &at); err != nil {
					return err
				}
				st.DecidedAt = timePtr(at)
				byID[id].Steps = append(byID[id].Steps, st)
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	for _, r := range items {
		presentFundRequest(sc, r)
	}
	p.Items = items
	return p, nil
}

// CheckReceipts checks uploaded receipts (model.CheckReceipt), at most
// model.ReceiptsPerRequest; bad ones go into v (field receipts[i]). Photos are decoded and
// encoded before a transaction begins.
func checkReceipts(v *model.ValidationError, files []model.ReceiptFile, have int) []*model.CheckedReceipt {
	if have+len(files) > model.ReceiptsPerRequest {
		v.Add("receipts", fmt.Sprintf("每笔申请最多 %d 张票据，已有 %d 张，这次最多还能传 %d 张", model.ReceiptsPerRequest, have, max(model.ReceiptsPerRequest-have, 0)))
		return nil
	}
	var out []*model.CheckedReceipt
	for i, f := range files {
		rc, err := model.CheckReceipt(fmt.Sprintf("receipts[%d]", i), f)
		var pv *model.ValidationError
		if errors.As(err, &pv) {
			v.Fields = append(v.Fields, pv.Fields...)
			continue
		}
		out = append(out, rc)
	}
	return out
}

// addReceipts stores checked receipts of request id from number from+1 on.
func (tx *Tx) addReceipts(ctx context.Context, id int64, from int, receipts []*model.CheckedReceipt) error {
	blobs := make([]Blob, len(receipts))
	ts := tx.s.now()
	for i, rc := range receipts {
		blobs[i] = Blob{ID: blobID("fr", rc.Data), ContentType: rc.ContentType, Size: int64(len(rc.Data)), Data: rc.Data}
		if _, err := tx.exec(ctx, `INSERT INTO fund_receipts (request_id, n, blob_id, content_type, size, width, height, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, from+i+1, blobs[i].ID, rc.ContentType, len(rc.Data), rc.Width, rc.Height, rc.Name, ts); err != nil {
			return err
		}
	}
	return tx.storeBlobs(ctx, blobs)
}

// CreateFundRequest makes a spending request in a community of the caller's territory
// (fund.request) with its receipts, pending at the first step of the approval chain. Bad
// fields and receipts, a community outside the territory and a budget line that has no budget
// are reported together in one *model.ValidationError; nothing is stored then.
func (s *Store) CreateFundRequest(ctx context.Context, sc authz.Scope, in model.FundRequestInput, receipts []model.ReceiptFile) (*model.FundRequest, error) {
	if !authz.Allowed(sc.Role, authz.FundRequest) {
		return nil, model.ErrForbidden
	}
	v := &model.ValidationError{}
	if err := in.Validate(s.now()); err != nil {
		v = err.(*model.ValidationError)
	}
	checked := checkReceipts(v, receipts, 0)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.fundCommunity(ctx, sc, in.CommunityID)
		if err != nil {
			return err
		}
		cat, err := tx.fundCategory(ctx, in.CategoryID, true)
		if err != nil {
			return err
		}
		var allocated int64
		err = tx.queryRow(ctx, `SELECT -balance_fen FROM fund_accounts WHERE community_id = ? AND year = ? AND category_id = ? AND kind = 'source'`,
			[]any{t.ID, in.Year, cat.ID}, &allocated)
		if errors.Is(err, model.ErrNotFound) || err == nil && allocated <= 0 {
			return fieldErr("category_id", fmt.Sprintf("%s %d 年度没有“%s”预算，请先由街道拨付预算", t.Name, in.Year, cat.Name))
		} else if err != nil {
			return err
		}
		chain, err := tx.fundChain(ctx)
		if err != nil {
			return err
		}
		if len(chain) == 0 {
			return &model.ConflictError{Message: "尚未设置审批流程，请联系区县管理员"}
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		ts := s.now()
		if err := tx.queryRow(ctx, `INSERT INTO fund_requests (community_id, path, year, category_id, purpose, amount_fen, payee, status, step, steps, receipts,
			requested_by, requester_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{t.ID, t.Path, in.Year, cat.ID, in.Purpose, in.AmountFen, in.Payee, len(chain), len(checked), nullID(sc.UserID), name, ts, ts}, &id); err != nil {
			return err
		}
		for _, st := range chain {
			if _, err := tx.exec(ctx, `INSERT INTO fund_request_steps (request_id, step, role, label) VALUES (?, ?, ?, ?)`, id, st.Step, string(st.Role), st.Label); err != nil {
				return err
			}
		}
		if err := tx.addReceipts(ctx, id, 0, checked); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "fund.request.create", "fund_request", []int64{id}, fmt.Sprintf("%s %s yuan, %d receipts", cat.Name, model.FormatYuan(in.AmountFen), len(checked)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().fundRequest(ctx, sc, id)
}

// AddFundReceipts adds receipts to pending request id (fund.request, in the caller's
// territory), at most model.ReceiptsPerRequest in all: the count is a conditional UPDATE, so
// two uploads at once never pass the limit. Bad receipts are a *model.ValidationError; a request
// no longer pending is a *model.ConflictError.
func (s *Store) AddFundReceipts(ctx context.Context, sc authz.Scope, id int64, files []model.ReceiptFile) (*model.FundRequest, error) {
	if !authz.Allowed(sc.Role, authz.FundRequest) {
		return nil, model.ErrForbidden
	}
	r, err := s.reader().fundRequest(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	v := &model.ValidationError{}
	if len(files) == 0 {
		v.Add("receipts", "请选择要上传的票据（照片或 PDF）")
	}
	checked := checkReceipts(v, files, len(r.Receipts))
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		k := len(checked)
		res, err := tx.exec(ctx, `UPDATE fund_requests SET receipts = receipts + ?, updated_at = ? WHERE id = ? AND status = 'pending' AND receipts + ? <= ?`,
			k, s.now(), r.ID, k, model.ReceiptsPerRequest)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "申请已不在审批中，或票据已达上限，不能再添加票据"}
		}
		var count int
		if err := tx.queryRow(ctx, `SELECT receipts FROM fund_requests WHERE id = ?`, []any{r.ID}, &count); err != nil {
			return err
		}
		if err := tx.addReceipts(ctx, r.ID, count-k, checked); err != nil {
			return err
		}
		tx.auditAt(sc, r.Path, "fund.request.receipts", "fund_request", []int64{r.ID}, fmt.Sprintf("%d receipts", k))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().fundRequest(ctx, sc, id)
}

// FundReceiptOf returns receipt n (from 1) of request id and its bytes as the caller may see
// them; model.ErrNotFound otherwise.
func (s *Store) FundReceiptOf(ctx context.Context, sc authz.Scope, id int64, n int) (*model.FundReceipt, *Blob, error) {
	c := s.reader()
	r, err := c.fundRequest(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	if n < 1 || n > len(r.Receipts) {
		return nil, nil, model.ErrNotFound
	}
	var blob string
	if err := c.queryRow(ctx, `SELECT blob_id FROM fund_receipts WHERE request_id = ? AND n = ?`, []any{r.ID, n}, &blob); err != nil {
		return nil, nil, err
	}
	b, err := s.Blobs().Get(ctx, blob)
	if err != nil {
		return nil, nil, err
	}
	rc := r.Receipts[n-1]
	return &rc, b, nil
}

// errNotYourStep refuses a decision to a caller who reads the request but does not decide its
// pending step.
func errNotYourStep(st *model.FundStep) error {
	return &model.ForbiddenError{Message: "当前审批步骤“" + st.Label + "”应由" + st.Role.Label() + "审批"}
}

var errStepTaken = &model.ConflictError{Message: "这一步已由他人审批，请刷新后查看"}

// DecideFundRequest decides the pending step of request id (fund.approve: staff of the role the
// step names, whose territory holds the community). Approving the last step pays: the payment
// is posted in the ledger in the same transaction. Rejecting ends the request with the reason.
// The step read is decided by a conditional UPDATE: of two approvers at once one decides, the
// other gets a *model.ConflictError. A caller's own request, or a step of another role, is a
// *model.ForbiddenError; a payment over the budget without the override (or with it, by a
// role that may not override) is a *model.ValidationError, and nothing is changed.
func (s *Store) DecideFundRequest(ctx context.Context, sc authz.Scope, id int64, d model.FundDecision) (*model.FundRequest, error) {
	if !authz.Allowed(sc.Role, authz.FundApprove) {
		return nil, model.ErrForbidden
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.Override && !authz.Allowed(sc.Role, authz.FundOverride) {
		return nil, fieldErr("override", "只有街道或区县管理员可以批准超预算支付")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.fundRequest(ctx, sc, id)
		if err != nil {
			return err
		}
		st := r.Pending()
		switch {
		case st == nil:
			return &model.ConflictError{Message: "该申请已" + r.Status.Label() + "，不能再审批"}
		case d.Step != 0 && d.Step != r.Step:
			return errStepTaken
		case r.Caller.Own:
			return &model.ForbiddenError{Message: "不能审批自己提出的经费申请"}
		case !r.Caller.Decide:
			return errNotYourStep(st)
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		ts := s.now()
		last := r.Step == len(r.Steps)
		status, next := model.FundPending, r.Step+1
		switch {
		case !d.Approve:
			status, next = model.FundRejected, r.Step
		case last:
			status = model.FundPaid
		}
		res, err := tx.exec(ctx, `UPDATE fund_requests SET status = ?, step = ?, reject_reason = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND step = ?`,
			string(status), next, map[bool]string{true: "", false: d.Reason}[d.Approve], ts, r.ID, r.Step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errStepTaken
		}
		decision := map[bool]string{true: "approved", false: "rejected"}[d.Approve]
		if _, err := tx.exec(ctx, `UPDATE fund_request_steps SET decision = ?, reason = ?, decided_by = ?, decider_name = ?, decided_at = ? WHERE request_id = ? AND step = ?`,
			decision, d.Reason, nullID(sc.UserID), name, ts, r.ID, r.Step); err != nil {
			return err
		}
		detail := fmt.Sprintf("step %d %s", r.Step, decision)
		if status != model.FundPending {
			if _, err := tx.exec(ctx, `UPDATE fund_requests SET decided_at = ? WHERE id = ?`, ts, r.ID); err != nil {
				return err
			}
		}
		if status == model.FundPaid {
			if err := tx.payFundRequest(ctx, sc, r, d, name); err != nil {
				return err
			}
			detail += ", paid " + model.FormatYuan(r.AmountFen) + " yuan"
			if d.Override {
				detail += ", override"
			}
		}
		tx.auditAt(sc, r.Path, "fund.request.decide", "fund_request", []int64{r.ID}, detail)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.reader().fundRequest(ctx, sc, id)
}

// payFundRequest posts the payment of approved request r: debit expense, credit budget, the
// credit refused below zero unless d overrides (then recorded and audited on its own).
func (tx *Tx) payFundRequest(ctx context.Context, sc authz.Scope, r *model.FundRequest, d model.FundDecision, name string) error {
	community := &model.Territory{ID: r.CommunityID, Path: r.Path, Name: r.CommunityName}
	l, err := tx.fundAccounts(ctx, community, r.Year, r.CategoryID)
	if err != nil {
		return err
	}
	txn, err := tx.postFund(ctx, sc, community, r.Year, r.CategoryID, "payment", r.AmountFen, r.Purpose, r.ID,
		fundPosting{account: l.expense, fen: r.AmountFen}, fundPosting{account: l.budget, fen: -r.AmountFen, floor: !d.Override})
	if errors.Is(err, errOverBudget) {
		var avail int64
		if err := tx.queryRow(ctx, `SELECT balance_fen FROM fund_accounts WHERE id = ?`, []any{l.budget}, &avail); err != nil {
			return err
		}
		msg := fmt.Sprintf("超出预算：%s %d 年度“%s”可用余额 %s 元，本笔 %s 元。", r.CommunityName, r.Year, r.CategoryName, model.FormatYuan(avail), r.Amount())
		if authz.Allowed(sc.Role, authz.FundOverride) {
			msg += "如确需支付，请勾选“超预算支付”并填写理由"
		} else {
			msg += "请驳回或请街道管理员审批超预算支付"
		}
		return fieldErr("override_reason", msg)
	} else if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE fund_requests SET txn_id = ? WHERE id = ?`, txn, r.ID); err != nil {
		return err
	}
	if d.Override {
		var avail int64
		if err := tx.queryRow(ctx, `SELECT balance_fen FROM fund_accounts WHERE id = ?`, []any{l.budget}, &avail); err != nil {
			return err
		}
		if avail < 0 {
			if _, err := tx.exec(ctx, `UPDATE fund_requests SET override_reason = ?, override_by = ?, override_by_name = ? WHERE id = ?`,
				d.OverrideReason, nullID(sc.UserID), name, r.ID); err != nil {
				return err
			}
			tx.auditAt(sc, r.Path, "fund.override", "fund_request", []int64{r.ID}, fmt.Sprintf("budget %s yuan after payment", model.FormatYuan(avail)))
		}
	}
	return nil
}
