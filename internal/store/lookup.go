package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Exact lookups by ID number or phone are the one way a role that sees these fields in full can
// go from a number to a person. Each is audited (who, which residents matched, the reason the
// caller gave) and each account has an allowance of DefaultLookupLimit per LookupWindow
// (WithLookupLimit), counted from the audit log itself inside the transaction that writes the
// new record, under a per-account lock, so concurrent requests cannot overshoot it.

// ActionLookup is the audit action of an exact lookup of residents by ID number or phone.
const ActionLookup = "resident.lookup"

// LimitedActions are the audit actions (with result ok) that count against an account's lookup
// allowance. Other features that let a caller test a number add their action here.
var LimitedActions = []string{ActionLookup, ActionIDConflict}

// DefaultLookupLimit is an account's lookup allowance per LookupWindow unless WithLookupLimit
// says otherwise.
const DefaultLookupLimit = 100

// LookupWindow is the sliding window the allowance is counted over.
const LookupWindow = time.Hour

// lookupLockClass is the high half of the PostgreSQL advisory lock key that serializes one
// account's lookups ("gzlk"); the low half is the account id (see overLimit).
const lookupLockClass = 0x677a6c6b

// WithLookupLimit sets how many limited actions (LimitedActions) one account may take per
// LookupWindow; n <= 0 keeps DefaultLookupLimit.
func WithLookupLimit(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.lookupLimit = n
		}
	}
}

// LookupLimit returns the allowance per LookupWindow the store enforces.
func (s *Store) LookupLimit() int {
	if s.lookupLimit <= 0 {
		return DefaultLookupLimit
	}
	return s.lookupLimit
}

// CheckReason validates the reason a caller gives for an exact lookup: required, at most 200
// characters, no control characters, and no run of 6 or more digits (a reason is recorded in
// the audit log, which never holds an ID number or phone). It returns "" or a Chinese message.
func CheckReason(reason string) string {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "请说明查询理由（reason），例如“核实低保申请材料”"
	}
	if utf8.RuneCountInString(reason) > 200 {
		return "查询理由不能超过200个字"
	}
	digits := 0
	for _, c := range reason {
		if unicode.IsControl(c) {
			return "查询理由不能包含换行或控制字符"
		}
		if c >= '0' && c <= '9' {
			digits++
			if digits >= 6 {
				return "查询理由中不能写证件号或电话号码"
			}
		} else {
			digits = 0
		}
	}
	return ""
}

// overLimit takes the per-account lock (PostgreSQL: an advisory lock held to the end of tx;
// SQLite: the single writer already serializes) and counts sc's audit records of
// LimitedActions with result ok in the last LookupWindow. When they reached the allowance it
// returns a *model.RateLimitError saying when the oldest of them leaves the window; nil while
// the caller may go on, and then must queue its own record of a limited action in tx. An
// internal caller (authz.System) has no allowance.
func (tx *Tx) overLimit(ctx context.Context, sc authz.Scope) (*model.RateLimitError, error) {
	if sc.All && sc.UserID == 0 {
		return nil, nil
	}
	if tx.s.d.name == "postgres" {
		// One bigint key: the class in the high 32 bits, the account id's low 32 bits below it. Two
		// accounts whose ids differ only above 2³² would share a lock: they would queue, not leak.
		key := lookupLockClass<<32 | sc.UserID&0xffffffff
		if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, key); err != nil {
			return nil, fmt.Errorf("lookup lock: %w", err)
		}
	}
	limit := tx.s.LookupLimit()
	since := tx.s.auditNow().Add(-LookupWindow)
	args := []any{sc.UserID, since}
	for _, a := range LimitedActions {
		args = append(args, a)
	}
	where := `actor_id = ? AND at >= ? AND result = 'ok' AND action IN (` + inList(len(LimitedActions)) + `)`
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE `+where, args, &n); err != nil {
		return nil, err
	}
	if n < limit {
		return nil, nil
	}
	// The allowance comes back when the (n-limit+1)th oldest record leaves the window.
	var oldest time.Time
	if err := tx.queryRow(ctx, `SELECT at FROM audit_log WHERE `+where+` ORDER BY at, id LIMIT 1 OFFSET `+fmt.Sprint(n-limit), args, &oldest); err != nil {
		return nil, err
	}
	wait := oldest.Add(LookupWindow).Sub(tx.s.auditNow())
	wait = max(wait.Truncate(time.Second)+time.Second, time.Second)
	return &model.RateLimitError{RetryAfter: wait,
		Message: fmt.Sprintf("每个账号每小时最多按身份证号或电话精确查询%d次，请于%d分钟后再试", limit, int(wait.Minutes())+1)}, nil
}

// limited runs fn in a transaction charged to sc's lookup allowance. fn must queue an audit
// record of one of LimitedActions. Over the allowance fn is not called: a denied record of
// action is written (detail names the limit) and the *model.RateLimitError is returned.
func (s *Store) limited(ctx context.Context, sc authz.Scope, action string, fn func(tx *Tx) error) error {
	var over *model.RateLimitError
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		if over, err = tx.overLimit(ctx, sc); err != nil || over != nil {
			if over != nil {
				scope := sc.Path
				tx.audits = append(tx.audits, auditEntry{sc: sc, action: action, objectType: "resident",
					detail: fmt.Sprintf("rate limit: %d per %s", s.LookupLimit(), LookupWindow), result: model.AuditDenied, scope: &scope})
			}
			return err
		}
		return fn(tx)
	})
	if err == nil && over != nil {
		return over
	}
	return err
}

// lookupResidents is Residents with an ID number or phone: refused (and the refusal recorded)
// for a role that sees the field masked, since matching a number against a masked list would
// reveal it; otherwise charged to the caller's allowance and recorded with the matching ids
// and f.Reason.
func (s *Store) lookupResidents(ctx context.Context, sc authz.Scope, f ResidentFilter) (*Page[*model.Resident], error) {
	var by []string
	for _, x := range []struct {
		value string
		field authz.Field
	}{{f.IDNumber, authz.FieldIDNumber}, {f.Phone, authz.FieldPhone}} {
		if x.value == "" {
			continue
		}
		if !sc.CanSee(x.field) {
			if err := s.RecordDenied(ctx, sc, ActionLookup, "masked field "+string(x.field)); err != nil {
				return nil, err
			}
			return nil, &model.ForbiddenError{Message: "您的角色看到的" + fieldLabel(x.field) + "是脱敏的，不能按它查询或筛选"}
		}
		by = append(by, string(x.field))
	}
	if msg := CheckReason(f.Reason); msg != "" {
		return nil, fieldErr("reason", msg)
	}
	var page *Page[*model.Resident]
	err := s.limited(ctx, sc, ActionLookup, func(tx *Tx) error {
		var err error
		if page, err = tx.conn.residents(ctx, sc, f); err != nil {
			return err
		}
		ids := make([]int64, len(page.Items))
		for i, r := range page.Items {
			ids[i] = r.ID
		}
		detail := fmt.Sprintf("by=%s matched=%d reason=%s", strings.Join(by, ","), page.Total, strings.TrimSpace(f.Reason))
		if len(ids) == 0 {
			tx.auditAt(sc, sc.Path, ActionLookup, "resident", nil, detail)
		} else {
			tx.audit(sc, ActionLookup, "resident", ids, detail)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

func fieldLabel(f authz.Field) string {
	switch f {
	case authz.FieldIDNumber:
		return "身份证号"
	case authz.FieldPhone:
		return "联系电话"
	}
	return string(f)
}
