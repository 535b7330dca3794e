package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Swaps of duty months between two households of a unit: one household asks, the other
// consents or declines. Consent is one conditional UPDATE of both months (each must still be
// held by the household the request names, from the current month on) in the transaction that
// marks the request accepted; anything else leaves the schedule as it was.

const swapColumns = `s.id, s.unit_id, s.from_household, s.from_month, s.to_household, s.to_month, s.status, s.note, s.created_at, s.decided_at,
	COALESCE(hf.address, ''), COALESCE(ht.address, '')`

func scanSwap(r rowScanner) (*model.DutySwap, error) {
	var x model.DutySwap
	var decided sql.NullTime
	if err := r.Scan(&x.ID, &x.UnitID, &x.FromHousehold, &x.FromMonth, &x.ToHousehold, &x.ToMonth, &x.Status, &x.Note, &x.CreatedAt, &decided,
		&x.FromAddress, &x.ToAddress); err != nil {
		return nil, err
	}
	if decided.Valid {
		x.DecidedAt = &decided.Time
	}
	return &x, nil
}

const swapFrom = ` FROM duty_swaps s LEFT JOIN households hf ON hf.id = s.from_household LEFT JOIN households ht ON ht.id = s.to_household`

// RequestSwap asks, for the caller's own household in unit, to exchange its month FromMonth
// for ToMonth, held by another household of the unit, which is notified. Only a household
// asks (an account linked to a resident of it); both months must be from the current month on
// and held as the request says.
func (s *Store) RequestSwap(ctx context.Context, sc authz.Scope, unitID int64, in model.DutySwapInput) (*model.DutySwap, error) {
	var out *model.DutySwap
	err := s.Tx(ctx, func(tx *Tx) error {
		u, own, err := tx.dutyUnit(ctx, sc, unitID)
		if err != nil {
			return err
		}
		if own == 0 {
			return &model.ForbiddenError{Message: "只有本联建单元的住户可以申请互换轮值月份"}
		}
		// The months are read as a household's move-out left them (its pending requests lapse).
		if err := tx.lockDutyUnit(ctx, unitID); err != nil {
			return err
		}
		cur := model.ThisMonth(tx.s.now())
		from, to, err := in.Validate(cur)
		if err != nil {
			return err
		}
		var fromH, toH int64
		if err := tx.queryRow(ctx, `SELECT household_id FROM unit_duty WHERE unit_id = ? AND month = ?`, []any{unitID, from.String()}, &fromH); err != nil || fromH != own {
			return fieldErr("from_month", from.Label()+"不是您家的轮值月份")
		}
		if err := tx.queryRow(ctx, `SELECT household_id FROM unit_duty WHERE unit_id = ? AND month = ?`, []any{unitID, to.String()}, &toH); err != nil {
			return fieldErr("to_month", to.Label()+"还没有排轮值户")
		}
		if toH == own {
			return fieldErr("to_month", to.Label()+"本来就是您家的轮值月份")
		}
		if msg, err := tx.swapExempt(ctx, own, to.String(), toH, from.String()); err != nil || msg != "" {
			return cmp.Or(err, fieldErr("to_month", msg))
		}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO duty_swaps (unit_id, community_id, from_household, from_month, to_household, to_month, status, note, requested_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id`,
			[]any{unitID, u.CommunityID, own, from.String(), toH, to.String(), strings.TrimSpace(in.Note), nullID(sc.UserID), now()}, &id); err != nil {
			return err
		}
		if err := tx.notifyHousehold(ctx, toH, model.NotificationInput{Kind: "duty.swap",
			Title: "轮值换月申请", Body: fmt.Sprintf("邻居希望用%s和您家的%s互换轮值，请到“我家轮值”同意或拒绝。", from.Label(), to.Label()),
			Link: "/units/duty/mine"}); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.duty.swap_request", "unit", []int64{unitID}, fmt.Sprintf("swap %d: %s ↔ %s", id, from, to))
		out, err = queryOne(ctx, tx.conn, `SELECT `+swapColumns+swapFrom+` WHERE s.id = ?`, []any{id}, scanSwap)
		return err
	})
	return out, err
}

// DecideSwap consents to (accept) or declines swap request id as the household it was asked
// of. Consent exchanges both months in one conditional UPDATE: when either month changed
// hands or passed meanwhile, nothing changes and the answer is a ConflictError. A request that
// is not pending is a ConflictError; one not addressed to the caller's household ErrNotFound
// (the requester cannot consent for the other side).
func (s *Store) DecideSwap(ctx context.Context, sc authz.Scope, id int64, accept bool) (*model.DutySwap, error) {
	var out *model.DutySwap
	err := s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockDutyPlans(ctx); err != nil {
			return err
		}
		own, err := tx.ownHousehold(ctx, sc)
		if err != nil {
			return err
		}
		x, err := queryOne(ctx, tx.conn, `SELECT `+swapColumns+swapFrom+` WHERE s.id = ?`, []any{id}, scanSwap)
		if err != nil {
			return err
		}
		if own == 0 || x.ToHousehold != own {
			return model.ErrNotFound
		}
		u, err := tx.unit(ctx, authz.System(), x.UnitID)
		if err != nil {
			return err
		}
		if err := tx.lockDutyUnit(ctx, x.UnitID); err != nil {
			return err
		}
		status := model.SwapDeclined
		if accept {
			status = model.SwapAccepted
		}
		ts := now()
		r, err := tx.exec(ctx, `UPDATE duty_swaps SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'`, string(status), nullID(sc.UserID), ts, id)
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k != 1 {
			return &model.ConflictError{Message: "这个换月申请已经处理过了"}
		}
		if accept {
			cur := model.ThisMonth(tx.s.now()).String()
			if x.FromMonth < cur || x.ToMonth < cur {
				return &model.ConflictError{Message: "申请中的月份已经过去，不能再互换"}
			}
			if msg, err := tx.swapExempt(ctx, x.FromHousehold, x.ToMonth, x.ToHousehold, x.FromMonth); err != nil {
				return err
			} else if msg != "" {
				return &model.ConflictError{Message: msg}
			}
			// Who serves changes; the plan (planned_household_id, NULL while the same) stays.
			r, err := tx.exec(ctx, `UPDATE unit_duty SET planned_household_id = COALESCE(planned_household_id, household_id),
				household_id = CASE WHEN month = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END, version = version + 1, updated_at = ?
				WHERE unit_id = ? AND ((month = ? AND household_id = ?) OR (month = ? AND household_id = ?))`,
				x.FromMonth, x.ToHousehold, x.FromHousehold, ts, x.UnitID, x.FromMonth, x.FromHousehold, x.ToMonth, x.ToHousehold)
			if err != nil {
				return err
			}
			if k, _ := r.RowsAffected(); k != 2 {
				return &model.ConflictError{Message: "轮值安排已经变化，这两个月份不能再按申请互换"}
			}
			if err := tx.unitEvent(ctx, sc, x.UnitID, "duty_swap", fmt.Sprintf("住户 %d 的 %s 与住户 %d 的 %s 互换", x.FromHousehold, x.FromMonth, x.ToHousehold, x.ToMonth)); err != nil {
				return err
			}
		}
		word := "拒绝"
		if accept {
			word = "同意"
		}
		if err := tx.notifyHousehold(ctx, x.FromHousehold, model.NotificationInput{Kind: "duty.swap",
			Title: "换月申请有了答复", Body: fmt.Sprintf("对方已%s用%s互换%s。", word, x.ToMonth, x.FromMonth), Link: "/units/duty/mine"}); err != nil {
			return err
		}
		tx.auditAt(sc, u.Path, "unit.duty.swap_"+string(status), "unit", []int64{x.UnitID}, fmt.Sprintf("swap %d", id))
		out, err = queryOne(ctx, tx.conn, `SELECT `+swapColumns+swapFrom+` WHERE s.id = ?`, []any{id}, scanSwap)
		return err
	})
	return out, err
}

// swapExempt refuses a swap that would give a household a month its exemption covers (a is to
// take month am, b month bm) with the reason in Chinese, "" when none: the rule never plans
// such a month, and a swap may not either.
func (tx *Tx) swapExempt(ctx context.Context, a int64, am string, b int64, bm string) (string, error) {
	for _, x := range []struct {
		h     int64
		month string
		whose string
	}{{a, am, "您家"}, {b, bm, "对方"}} {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM duty_exemptions e WHERE e.household_id = ? AND e.from_month <= ?
			AND (e.lifted_at IS NULL AND (e.until_month = '' OR e.until_month >= ?) OR e.lifted_until >= ?)`, []any{x.h, x.month, x.month, x.month}, &n); err != nil {
			return "", err
		}
		if n > 0 {
			return x.whose + "在" + x.month + "免除轮值，不能换到这个月", nil
		}
	}
	return "", nil
}

// DutySwaps lists the swap requests of unit, newest first: all of them for staff and the
// unit's leader, those of the caller's own household for a household.
func (s *Store) DutySwaps(ctx context.Context, sc authz.Scope, unitID int64) ([]*model.DutySwap, error) {
	c := s.reader()
	_, own, err := c.dutyUnit(ctx, sc, unitID)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + swapColumns + swapFrom + ` WHERE s.unit_id = ?`
	args := []any{unitID}
	if householdRole(sc.Role) {
		q += ` AND (s.from_household = ? OR s.to_household = ?)`
		args = append(args, own, own)
	}
	return queryAll(ctx, c, q+` ORDER BY s.id DESC LIMIT 50`, args, scanSwap)
}
