package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The time bank (时间银行, issue 10 item 4). timebank_entries is an append-only ledger in whole
// minutes per holder (a taker, or a household given minutes); timebank_balances holds each
// holder's balance, changed in the transaction that appends the entry. A credit is an upsert;
// a debit is one conditional UPDATE (balance >= the amount), so spends and gifts racing on one
// balance are decided by the database: the ones the balance covers succeed, the rest are a
// ConflictError ("余额不足…") with nothing written, and the CHECK (balance >= 0) is the last
// word.
//
// Who may do what: a taker's balance is its account's (read, spend on its own household's
// orders, give to another household of its community); a household's is its linked accounts'
// (read, spend on its own orders: given minutes are not given on); staff and grid leaders read
// and correct the balances of their territory (takers by their node, households by theirs).
//
// Earning: when an order is done, transitionOrder's orderServed banks the minutes for its taker
// (bankOrderMinutes). One taker earns once per order: a replay banks nothing, and a reopened
// order done again by the same taker banks nothing more (the first done stands; staff correct
// it if the hours were wrong); done again by another taker, that taker earns its own.
//
// Spending and cancelling: minutes are spent on an order of one's own household that is not
// cancelled; cancelling the order gives them back (refundOrderSpends, in the cancel's
// transaction).

// bankOrderMinutes banks minutes of service on order orderID for taker takerID, of community
// community, inside tx (the done order's transaction): it reports whether they were
// banked (false when this taker had already earned on this order, or minutes <= 0). by is the
// account that caused it (0: the system).
func (tx *Tx) bankOrderMinutes(ctx context.Context, orderID, takerID, community int64, minutes int, by int64) (bool, error) {
	if minutes <= 0 {
		return false, nil
	}
	res, err := tx.exec(ctx, `INSERT INTO timebank_entries (community_id, holder_kind, holder_id, kind, minutes, order_id, created_by, created_at)
		VALUES (?, 'taker', ?, 'earn', ?, ?, ?, ?) ON CONFLICT (order_id, holder_kind, holder_id) WHERE kind = 'earn' DO NOTHING`,
		community, takerID, minutes, orderID, nullID(by), tx.s.now())
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.credit(ctx, model.HolderTaker, takerID, community, minutes)
}

// credit adds minutes to a holder's balance (creating it).
func (tx *Tx) credit(ctx context.Context, kind model.TimebankHolderKind, id, community int64, minutes int) error {
	_, err := tx.exec(ctx, `INSERT INTO timebank_balances (holder_kind, holder_id, community_id, balance, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (holder_kind, holder_id) DO UPDATE SET balance = timebank_balances.balance + excluded.balance, updated_at = excluded.updated_at`,
		string(kind), id, community, minutes, tx.s.now())
	return err
}

// debit takes minutes from a holder's balance in one conditional UPDATE: a ConflictError
// saying what is available when the balance does not cover them.
func (tx *Tx) debit(ctx context.Context, kind model.TimebankHolderKind, id int64, minutes int) error {
	res, err := tx.exec(ctx, `UPDATE timebank_balances SET balance = balance - ?, updated_at = ? WHERE holder_kind = ? AND holder_id = ? AND balance >= ?`,
		minutes, tx.s.now(), string(kind), id, minutes)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var balance int
	if err := tx.queryRow(ctx, `SELECT balance FROM timebank_balances WHERE holder_kind = ? AND holder_id = ?`, []any{string(kind), id}, &balance); err != nil && !isNotFound(err) {
		return err
	}
	return &model.ConflictError{Message: model.InsufficientMinutes(balance, minutes)}
}

func (tx *Tx) timebankEntry(ctx context.Context, e *model.TimebankEntry, community, by int64) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO timebank_entries (community_id, holder_kind, holder_id, kind, minutes, order_id, counterparty_kind, counterparty_id, reason, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{community, string(e.HolderKind), e.HolderID, string(e.Kind), e.Minutes, nullID(e.OrderID), string(e.CounterpartyKind), e.CounterpartyID,
			clip(e.Reason, model.TimebankNoteMax), nullID(by), tx.s.now()}, &id)
	return id, err
}

// timebankHolder reads a holder (its balance 0 when it has none yet): model.ErrNotFound when
// there is no such taker or household.
func (c conn) timebankHolder(ctx context.Context, kind model.TimebankHolderKind, id int64) (*model.TimebankHolder, error) {
	h := &model.TimebankHolder{Kind: kind, ID: id}
	var err error
	switch kind {
	case model.HolderTaker:
		err = c.queryRow(ctx, `SELECT name, community_id, path FROM order_takers WHERE id = ?`, []any{id}, &h.Name, &h.CommunityID, &h.Path)
	case model.HolderHousehold:
		var community sql.NullInt64
		err = c.queryRow(ctx, `SELECT address, community_id, path FROM households WHERE id = ?`, []any{id}, &h.Name, &community, &h.Path)
		h.CommunityID = community.Int64
	default:
		return nil, model.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var balance int64
	if err := c.queryRow(ctx, `SELECT balance FROM timebank_balances WHERE holder_kind = ? AND holder_id = ?`, []any{string(kind), id}, &balance); err != nil && !isNotFound(err) {
		return nil, err
	}
	h.Balance = int(balance)
	return h, nil
}

// timebankCaller is the caller's own holders: its registered taker (0: none) and its linked
// household (0: none).
type timebankCaller struct {
	taker, household int64
}

func (c conn) timebankCaller(ctx context.Context, sc authz.Scope) (timebankCaller, error) {
	var tc timebankCaller
	var err error
	if tc.household, err = c.ownHousehold(ctx, sc); err != nil {
		return tc, err
	}
	if sc.UserID != 0 {
		if err := c.queryRow(ctx, `SELECT id FROM order_takers WHERE user_id = ?`, []any{sc.UserID}, &tc.taker); err != nil && !isNotFound(err) {
			return tc, err
		}
	}
	return tc, nil
}

func (tc timebankCaller) owns(kind model.TimebankHolderKind, id int64) bool {
	return id != 0 && (kind == model.HolderTaker && id == tc.taker || kind == model.HolderHousehold && id == tc.household)
}

// readableHolder reads a holder as sc may: its own, or one in the territory of staff and grid
// leaders; model.ErrNotFound otherwise.
func (c conn) readableHolder(ctx context.Context, sc authz.Scope, kind model.TimebankHolderKind, id int64) (*model.TimebankHolder, error) {
	tc, err := c.timebankCaller(ctx, sc)
	if err != nil {
		return nil, err
	}
	h, err := c.timebankHolder(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	if tc.owns(kind, id) || sc.All || dispatcherRole(sc.Role) && sc.Contains(h.Path) {
		return h, nil
	}
	return nil, model.ErrNotFound
}

// TimebankHolders returns the caller's own holders: its taker's balance (when it is a
// registered taker) and its household's (when its account is linked to one), in that order;
// none for an account that is neither.
func (s *Store) TimebankHolders(ctx context.Context, sc authz.Scope) ([]*model.TimebankHolder, error) {
	c := s.reader()
	tc, err := c.timebankCaller(ctx, sc)
	if err != nil {
		return nil, err
	}
	out := []*model.TimebankHolder{}
	for _, x := range []struct {
		kind model.TimebankHolderKind
		id   int64
	}{{model.HolderTaker, tc.taker}, {model.HolderHousehold, tc.household}} {
		if x.id == 0 {
			continue
		}
		h, err := c.timebankHolder(ctx, x.kind, x.id)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// TimebankHolder reads one holder as sc may (its own, or staff's in their territory):
// model.ErrNotFound otherwise.
func (s *Store) TimebankHolder(ctx context.Context, sc authz.Scope, kind model.TimebankHolderKind, id int64) (*model.TimebankHolder, error) {
	return s.reader().readableHolder(ctx, sc, kind, id)
}

// TimebankEntries lists a holder's ledger, newest first, with the total, as sc may read it
// (model.ErrNotFound otherwise).
func (s *Store) TimebankEntries(ctx context.Context, sc authz.Scope, kind model.TimebankHolderKind, id int64, limit int, cur string) (*Page[*model.TimebankEntry], error) {
	c := s.reader()
	if _, err := c.readableHolder(ctx, sc, kind, id); err != nil {
		return nil, err
	}
	cr, err := decodeCursor(cur)
	if err != nil {
		return nil, err
	}
	w := filter{}
	w.add("e.holder_kind = ? AND e.holder_id = ?", string(kind), id)
	count := w.clone()
	if cr.id != 0 {
		w.add("e.id < ?", cr.id)
	}
	page, err := fetchPage(ctx, c, `SELECT e.id, e.holder_kind, e.holder_id, e.kind, e.minutes, COALESCE(e.order_id, 0), COALESCE(e.activity_id, 0), e.counterparty_kind, e.counterparty_id,
		COALESCE(t.name, h.address, ''), e.reason, COALESCE(NULLIF(u.display_name, ''), u.username, '系统'), e.created_at
		FROM timebank_entries e
		LEFT JOIN order_takers t ON e.counterparty_kind = 'taker' AND t.id = e.counterparty_id
		LEFT JOIN households h ON e.counterparty_kind = 'household' AND h.id = e.counterparty_id
		LEFT JOIN users u ON u.id = e.created_by
		WHERE `+w.sql()+` ORDER BY e.id DESC`, w.args, clampLimit(limit),
		func(r rowScanner) (*model.TimebankEntry, cursor, error) {
			e := &model.TimebankEntry{}
			var minutes int64
			err := r.Scan(&e.ID, &e.HolderKind, &e.HolderID, &e.Kind, &minutes, &e.OrderID, &e.ActivityID, &e.CounterpartyKind, &e.CounterpartyID,
				&e.Counterparty, &e.Reason, &e.ActorName, &e.At)
			e.Minutes = int(minutes)
			return e, cursor{key: "e", id: e.ID}, err
		})
	if err != nil {
		return nil, err
	}
	return page, c.queryRow(ctx, `SELECT COUNT(*) FROM timebank_entries e WHERE `+count.sql(), count.args, &page.Total)
}

// spender is the caller's holder in.From: a field error when the caller has none of that kind.
func (tc timebankCaller) spender(from model.TimebankHolderKind) (int64, error) {
	switch {
	case from == model.HolderTaker && tc.taker != 0:
		return tc.taker, nil
	case from == model.HolderHousehold && tc.household != 0:
		return tc.household, nil
	case from == model.HolderTaker:
		return 0, fieldErr("from", "您还不是登记的志愿者，没有个人服务时长")
	}
	return 0, fieldErr("from", "您的账号还没有关联住户，没有家庭受赠时长")
}

// SpendTimebank spends in.Minutes of the caller's holder in.From (its taker's banked minutes,
// or its household's received ones) on order in.OrderID, which must be an order of the
// caller's own household and not cancelled. Errors: a ValidationError naming the field
// (order_id, from, minutes/hours); a ConflictError "余额不足：可用 X 小时，需要 Y 小时" when the
// balance does not cover it (decided by the database; nothing is written).
func (s *Store) SpendTimebank(ctx context.Context, sc authz.Scope, in model.TimebankTransfer) (*model.TimebankEntry, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.OrderID <= 0 {
		return nil, fieldErr("order_id", "请选择要兑换服务的订单")
	}
	var id, holder int64
	err := s.Tx(ctx, func(tx *Tx) error {
		tc, err := tx.timebankCaller(ctx, sc)
		if err != nil {
			return err
		}
		if holder, err = tc.spender(in.From); err != nil {
			return err
		}
		id, err = tx.spendTimebank(ctx, sc, holder, tc.household, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.timebankEntryByID(ctx, in.From, holder, id)
}

// spendTimebank is SpendTimebank inside tx for holder (of kind in.From) of household own (the
// household whose orders it may spend on; 0: none): the new entry's id.
func (tx *Tx) spendTimebank(ctx context.Context, sc authz.Scope, holder, own int64, in model.TimebankTransfer) (int64, error) {
	var household int64
	var status model.OrderStatus
	var path string
	q := `SELECT household_id, status, path FROM orders WHERE id = ?`
	if tx.d.name == "postgres" {
		// A cancel committing between this read and the debit would leave minutes spent on a
		// cancelled order that its refund (refundOrderSpends) did not see: the share lock makes
		// the cancel's UPDATE wait for this spend, and this read wait for a cancel under way.
		// SQLite has one writer.
		q += ` FOR SHARE`
	}
	err := tx.queryRow(ctx, q, []any{in.OrderID}, &household, &status, &path)
	if isNotFound(err) || err == nil && (own == 0 || household != own) {
		return 0, fieldErr("order_id", "只能用于自家的订单")
	} else if err != nil {
		return 0, err
	}
	if status == model.OrderCancelled {
		return 0, fieldErr("order_id", "订单已取消，不能兑换")
	}
	h, err := tx.timebankHolder(ctx, in.From, holder)
	if err != nil {
		return 0, err
	}
	if err := tx.debit(ctx, in.From, holder, in.Minutes); err != nil {
		return 0, err
	}
	id, err := tx.timebankEntry(ctx, &model.TimebankEntry{HolderKind: in.From, HolderID: holder, Kind: model.TimebankSpend, Minutes: -in.Minutes,
		OrderID: in.OrderID, Reason: in.Note}, h.CommunityID, sc.UserID)
	if err != nil {
		return 0, err
	}
	tx.auditAt(sc, path, "timebank.spend", "order", []int64{in.OrderID}, fmt.Sprintf("%s 兑换 %s 小时", in.From.Label(), model.FormatHours(in.Minutes)))
	return id, nil
}

// refundOrderSpends gives back, inside the transaction that cancels order o, every spend on it
// to its holder: a correction entry each (a correction has no order; its reason names the
// order) and the credit. by is the account that cancelled (0: the system). It runs once per
// order: cancelled is terminal (model.OrderTransition has no edge out of it) and the cancel is
// one conditional UPDATE, and no spend lands after it (spendTimebank refuses a cancelled
// order, and on PostgreSQL holds the order's row until it commits), so no spend on a
// cancelled order is left, nor any refunded twice. Holders are credited in key order, so two
// cancels refunding one holder never wait for each other in opposite orders.
func (tx *Tx) refundOrderSpends(ctx context.Context, sc authz.Scope, o *model.Order, by int64) error {
	type spent struct {
		kind     model.TimebankHolderKind
		id, comm int64
		minutes  int
	}
	list, err := queryAll(ctx, tx.conn, `SELECT holder_kind, holder_id, community_id, CAST(SUM(minutes) AS BIGINT) FROM timebank_entries
		WHERE order_id = ? AND kind = 'spend' GROUP BY holder_kind, holder_id, community_id ORDER BY holder_kind, holder_id`, []any{o.ID},
		func(r rowScanner) (spent, error) {
			var x spent
			var m int64
			err := r.Scan(&x.kind, &x.id, &x.comm, &m)
			x.minutes = -int(m)
			return x, err
		})
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("订单 #%d 已取消，退回兑换的时长", o.ID)
	for _, x := range list {
		if x.minutes <= 0 {
			continue
		}
		if err := tx.credit(ctx, x.kind, x.id, x.comm, x.minutes); err != nil {
			return err
		}
		if _, err := tx.timebankEntry(ctx, &model.TimebankEntry{HolderKind: x.kind, HolderID: x.id, Kind: model.TimebankCorrection, Minutes: x.minutes,
			Reason: reason}, x.comm, by); err != nil {
			return err
		}
		tx.auditAt(sc, o.Path, "timebank.refund", string(x.kind), []int64{x.id}, fmt.Sprintf("订单 #%d 已取消，退回 %s 小时", o.ID, model.FormatHours(x.minutes)))
	}
	return nil
}

// GiveTimebank gives in.Minutes of the caller's banked minutes (its taker's; a household's
// received minutes are not given on) to household in.HouseholdID of the taker's community,
// not its own and not moved away. The giver's entry (give) and the receiver's (receive) are
// written together. Errors as SpendTimebank; a household outside the community is a field
// error on household_id that does not say whether it exists.
func (s *Store) GiveTimebank(ctx context.Context, sc authz.Scope, in model.TimebankTransfer) (*model.TimebankEntry, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.From == model.HolderHousehold {
		return nil, fieldErr("from", "家庭受赠的时长只能用于自家的订单，不能再转赠")
	}
	if in.HouseholdID <= 0 {
		return nil, fieldErr("household_id", "请选择受赠的住户")
	}
	var id, taker int64
	err := s.Tx(ctx, func(tx *Tx) error {
		tc, err := tx.timebankCaller(ctx, sc)
		if err != nil {
			return err
		}
		if taker, err = tc.spender(model.HolderTaker); err != nil {
			return err
		}
		id, err = tx.giveTimebank(ctx, sc, taker, tc.household, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.timebankEntryByID(ctx, model.HolderTaker, taker, id)
}

// giveTimebank is GiveTimebank inside tx for taker, whose own household is own (0: none): the
// giver's entry's id.
func (tx *Tx) giveTimebank(ctx context.Context, sc authz.Scope, taker, own int64, in model.TimebankTransfer) (int64, error) {
	if in.HouseholdID == own {
		return 0, fieldErr("household_id", "不能转赠给自己家：自家的订单可以直接兑换")
	}
	giver, err := tx.timebankHolder(ctx, model.HolderTaker, taker)
	if err != nil {
		return 0, err
	}
	var community sql.NullInt64
	var moved sql.NullTime
	var path string
	err = tx.queryRow(ctx, `SELECT community_id, moved_out_at, path FROM households WHERE id = ?`, []any{in.HouseholdID}, &community, &moved, &path)
	if isNotFound(err) || err == nil && community.Int64 != giver.CommunityID {
		return 0, fieldErr("household_id", "本社区没有这一户：只能转赠给本社区的住户")
	} else if err != nil {
		return 0, err
	}
	if moved.Valid {
		return 0, fieldErr("household_id", "该户已迁出，不能受赠")
	}
	if err := tx.debit(ctx, model.HolderTaker, taker, in.Minutes); err != nil {
		return 0, err
	}
	id, err := tx.timebankEntry(ctx, &model.TimebankEntry{HolderKind: model.HolderTaker, HolderID: taker, Kind: model.TimebankGive, Minutes: -in.Minutes,
		CounterpartyKind: model.HolderHousehold, CounterpartyID: in.HouseholdID, Reason: in.Note}, giver.CommunityID, sc.UserID)
	if err != nil {
		return 0, err
	}
	if err := tx.credit(ctx, model.HolderHousehold, in.HouseholdID, giver.CommunityID, in.Minutes); err != nil {
		return 0, err
	}
	if _, err := tx.timebankEntry(ctx, &model.TimebankEntry{HolderKind: model.HolderHousehold, HolderID: in.HouseholdID, Kind: model.TimebankReceive, Minutes: in.Minutes,
		CounterpartyKind: model.HolderTaker, CounterpartyID: taker, Reason: in.Note}, giver.CommunityID, sc.UserID); err != nil {
		return 0, err
	}
	tx.auditAt(sc, path, "timebank.give", "household", []int64{in.HouseholdID}, fmt.Sprintf("%s 转赠 %s 小时", giver.Name, model.FormatHours(in.Minutes)))
	return id, nil
}

// CorrectTimebank appends staff's correction to a holder of their territory (staff and grid
// leaders): positive minutes add, negative take away (a ConflictError when the balance does
// not cover them). model.ErrNotFound when the holder is not theirs to correct.
func (s *Store) CorrectTimebank(ctx context.Context, sc authz.Scope, in model.TimebankCorrectionInput) (*model.TimebankEntry, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if !sc.All && !dispatcherRole(sc.Role) {
		return nil, &model.ForbiddenError{Message: "只有社区工作人员可以更正时间银行"}
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		h, err := tx.timebankHolder(ctx, in.HolderKind, in.HolderID)
		if err != nil {
			return err
		}
		if !sc.Contains(h.Path) {
			return model.ErrNotFound
		}
		if in.Minutes < 0 {
			err = tx.debit(ctx, in.HolderKind, in.HolderID, -in.Minutes)
		} else {
			err = tx.credit(ctx, in.HolderKind, in.HolderID, h.CommunityID, in.Minutes)
		}
		if err != nil {
			return err
		}
		if id, err = tx.timebankEntry(ctx, &model.TimebankEntry{HolderKind: in.HolderKind, HolderID: in.HolderID, Kind: model.TimebankCorrection,
			Minutes: in.Minutes, Reason: in.Reason}, h.CommunityID, sc.UserID); err != nil {
			return err
		}
		tx.auditAt(sc, h.Path, "timebank.correct", string(in.HolderKind), []int64{in.HolderID}, fmt.Sprintf("%+d 分钟：%s", in.Minutes, in.Reason))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.timebankEntryByID(ctx, in.HolderKind, in.HolderID, id)
}

func (s *Store) timebankEntryByID(ctx context.Context, kind model.TimebankHolderKind, holder, id int64) (*model.TimebankEntry, error) {
	page, err := s.TimebankEntries(ctx, authz.System(), kind, holder, 1, cursor{key: "e", id: id + 1}.encode())
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 || page.Items[0].ID != id {
		return nil, model.ErrNotFound
	}
	return page.Items[0], nil
}

// TimebankHouseholds finds the households of the caller's taker's community whose address
// contains q (at least 2 characters), to give minutes to: at most 10, by address, its own
// and those that moved away left out. Only the address is returned.
func (s *Store) TimebankHouseholds(ctx context.Context, sc authz.Scope, q string) ([]*model.TimebankHolder, error) {
	q = strings.TrimSpace(q)
	if len([]rune(q)) < 2 {
		return []*model.TimebankHolder{}, nil
	}
	c := s.reader()
	tc, err := c.timebankCaller(ctx, sc)
	if err != nil || tc.taker == 0 {
		return []*model.TimebankHolder{}, err
	}
	var community int64
	if err := c.queryRow(ctx, `SELECT community_id FROM order_takers WHERE id = ?`, []any{tc.taker}, &community); err != nil {
		return nil, err
	}
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%"
	return queryAll(ctx, c, `SELECT id, address FROM households WHERE community_id = ? AND moved_out_at IS NULL AND id <> ? AND address LIKE ? ESCAPE '\'
		ORDER BY address, id LIMIT 10`, []any{community, tc.household, pattern}, func(r rowScanner) (*model.TimebankHolder, error) {
		h := &model.TimebankHolder{Kind: model.HolderHousehold, CommunityID: community}
		return h, r.Scan(&h.ID, &h.Name)
	})
}

// timebankTaker reads the taker whose record sc asks for: takerID 0 is the caller's own (a
// ConflictError when its account is no registered taker); another is staff's in their
// territory (model.ErrNotFound otherwise).
func (c conn) timebankTaker(ctx context.Context, sc authz.Scope, takerID int64) (*model.OrderTaker, error) {
	if takerID == 0 {
		tc, err := c.timebankCaller(ctx, sc)
		if err != nil {
			return nil, err
		}
		if tc.taker == 0 {
			return nil, &model.ConflictError{Message: "您还不是登记的志愿者，还没有服务时长记录"}
		}
		takerID = tc.taker
	}
	if _, err := c.readableHolder(ctx, sc, model.HolderTaker, takerID); err != nil {
		return nil, err
	}
	return c.orderTaker(ctx, takerID)
}

// ServiceRecord is a taker's hours of service (takerID 0: the caller's own): the minutes the
// time bank holds as earned on done orders and staff's corrections of them, the orders, by
// month (Shanghai), and the balance. model.ErrNotFound when the taker is not the caller's to read,
// a ConflictError when the caller asks for its own and is no taker.
func (s *Store) ServiceRecord(ctx context.Context, sc authz.Scope, takerID int64) (*model.ServiceRecord, error) {
	c := s.reader()
	t, err := c.timebankTaker(ctx, sc, takerID)
	if err != nil {
		return nil, err
	}
	rec := &model.ServiceRecord{Taker: t, Months: []model.ServiceMonth{}}
	if err := c.queryRow(ctx, `SELECT name FROM territories WHERE id = ?`, []any{t.CommunityID}, &rec.Community); err != nil {
		return nil, err
	}
	type row struct {
		kind    model.TimebankKind
		minutes int
		at      time.Time
	}
	// In time order, not by id: entries written back-dated (the demo's history, an import) come
	// after newer ones, and the first and last service and the months follow the time.
	rows, err := queryAll(ctx, c, `SELECT kind, minutes, created_at FROM timebank_entries WHERE holder_kind = 'taker' AND holder_id = ? AND kind IN ('earn', 'correction') ORDER BY created_at, id`,
		[]any{t.ID}, func(r rowScanner) (row, error) {
			var x row
			var m int64
			err := r.Scan(&x.kind, &m, &x.at)
			x.minutes = int(m)
			return x, err
		})
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for _, x := range rows {
		month := x.at.In(model.Shanghai).Format("2006-01")
		i, ok := idx[month]
		if !ok {
			i = len(rec.Months)
			idx[month] = i
			rec.Months = append(rec.Months, model.ServiceMonth{Month: month})
		}
		rec.Months[i].Minutes += x.minutes
		rec.Minutes += x.minutes
		if x.kind == model.TimebankEarn {
			rec.Months[i].Orders++
			rec.Orders++
			at := x.at
			if rec.First == nil {
				rec.First = &at
			}
			rec.Last = &at
		}
	}
	// Newest month first.
	for i, j := 0, len(rec.Months)-1; i < j; i, j = i+1, j-1 {
		rec.Months[i], rec.Months[j] = rec.Months[j], rec.Months[i]
	}
	h, err := c.timebankHolder(ctx, model.HolderTaker, t.ID)
	if err != nil {
		return nil, err
	}
	rec.Balance = h.Balance
	return rec, nil
}

// ServiceCertificate is the certificate of a taker's hours of service (takerID 0: the
// caller's own) from day from to day to (both included, Shanghai dates; zero from: the first
// earning, zero to: today): the minutes earned and corrected in the period, the orders, and a
// verification number (model.CertificateNumber). model.ErrNotFound as ServiceRecord; a field
// error when the period is reversed.
func (s *Store) ServiceCertificate(ctx context.Context, sc authz.Scope, takerID int64, from, to time.Time) (*model.ServiceCertificate, error) {
	c := s.reader()
	t, err := c.timebankTaker(ctx, sc, takerID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	day := func(x time.Time) time.Time {
		y, m, d := x.In(model.Shanghai).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, model.Shanghai)
	}
	if to.IsZero() {
		to = now
	}
	to = day(to)
	if from.IsZero() {
		var first time.Time
		err := c.queryRow(ctx, `SELECT created_at FROM timebank_entries WHERE holder_kind = 'taker' AND holder_id = ? AND kind = 'earn' ORDER BY created_at, id LIMIT 1`, []any{t.ID}, &first)
		switch {
		case isNotFound(err):
			from = to
		case err != nil:
			return nil, err
		default:
			from = first
		}
	}
	from = day(from)
	if from.After(to) {
		return nil, fieldErr("from", "开始日期不能晚于结束日期")
	}
	cert := &model.ServiceCertificate{TakerID: t.ID, TakerName: t.Name, TakerKind: t.Kind, From: from, To: to, IssuedAt: now}
	if err := c.queryRow(ctx, `SELECT name FROM territories WHERE id = ?`, []any{t.CommunityID}, &cert.Community); err != nil {
		return nil, err
	}
	var minutes, orders sql.NullInt64
	if err := c.queryRow(ctx, `SELECT CAST(SUM(minutes) AS BIGINT), COUNT(CASE WHEN kind = 'earn' THEN 1 END) FROM timebank_entries
		WHERE holder_kind = 'taker' AND holder_id = ? AND kind IN ('earn', 'correction') AND created_at >= ? AND created_at < ?`,
		[]any{t.ID, from.UTC(), to.AddDate(0, 0, 1).UTC()}, &minutes, &orders); err != nil {
		return nil, err
	}
	cert.Minutes, cert.Orders = max(int(minutes.Int64), 0), int(orders.Int64)
	cert.Number = model.CertificateNumber(t.ID, from, to, cert.Minutes, cert.Orders)
	return cert, nil
}

// bankActivityMinutes banks, when service activity a closes, its service minutes for every
// active registered taker whose account checked in at it (a member's registered as on its
// first order): once per activity and taker (a unique
// index decides), added to the taker's service record as an order's minutes are, with a
// message to the taker's account. It returns how many takers earned. by is the account that
// closed the activity.
func (tx *Tx) bankActivityMinutes(ctx context.Context, a *model.Activity, by int64) (int, error) {
	minutes := a.ServiceMinutes()
	if minutes <= 0 {
		return 0, nil
	}
	// A member checked in who is no registered taker yet registers as on its first order.
	members, err := queryAll(ctx, tx.conn, `SELECT s.user_id FROM party_activity_signups s JOIN users u ON u.id = s.user_id
		LEFT JOIN order_takers t ON t.user_id = s.user_id
		WHERE s.activity_id = ? AND s.checked_in_at IS NOT NULL AND t.id IS NULL AND u.role = ? ORDER BY s.user_id`, []any{a.ID, string(model.RoleMember)},
		func(r rowScanner) (int64, error) {
			var u int64
			return u, r.Scan(&u)
		})
	if err != nil {
		return 0, err
	}
	for _, u := range members {
		oc := &orderCaller{sc: authz.Scope{UserID: u, Role: model.RoleMember}}
		if oc.taker, err = tx.takerOfUser(ctx, oc.sc); err != nil {
			return 0, err
		}
		if oc.taker != nil {
			if _, err := tx.registerTaker(ctx, oc); err != nil {
				return 0, err
			}
		}
	}
	type earner struct{ taker, community, user int64 }
	earners, err := queryAll(ctx, tx.conn, `SELECT t.id, t.community_id, s.user_id FROM party_activity_signups s JOIN order_takers t ON t.user_id = s.user_id
		WHERE s.activity_id = ? AND s.checked_in_at IS NOT NULL AND t.active = ? ORDER BY t.id`, []any{a.ID, true},
		func(r rowScanner) (earner, error) {
			var e earner
			return e, r.Scan(&e.taker, &e.community, &e.user)
		})
	if err != nil {
		return 0, err
	}
	reason := "党群活动：" + a.Title
	n := 0
	for _, e := range earners {
		res, err := tx.exec(ctx, `INSERT INTO timebank_entries (community_id, holder_kind, holder_id, kind, minutes, activity_id, reason, created_by, created_at)
			VALUES (?, 'taker', ?, 'earn', ?, ?, ?, ?, ?) ON CONFLICT (activity_id, holder_kind, holder_id) WHERE kind = 'earn' AND activity_id IS NOT NULL DO NOTHING`,
			e.community, e.taker, minutes, a.ID, reason, nullID(by), tx.s.now())
		if err != nil {
			return 0, err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		if err := tx.credit(ctx, model.HolderTaker, e.taker, e.community, minutes); err != nil {
			return 0, err
		}
		if _, err := tx.exec(ctx, `UPDATE order_takers SET minutes = minutes + ? WHERE id = ?`, minutes, e.taker); err != nil {
			return 0, err
		}
		if _, err := tx.Notify(ctx, model.NotificationInput{UserID: e.user, Kind: "timebank.earn", Title: "志愿服务时长已记入时间银行",
			Body: fmt.Sprintf("您参加的「%s」记入志愿服务 %s 小时", a.Title, model.FormatHours(minutes)), Link: "/timebank",
			Key: fmt.Sprintf("timebank.activity.%d", a.ID)}); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
