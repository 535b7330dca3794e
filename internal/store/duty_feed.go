package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Private feed tokens: a calendar app subscribes to one duty feed (a unit's or a household's)
// by a URL that carries a token instead of a login. Only the token's hash is stored; the token
// reads that one feed, with no more than its account may read now, and nothing else; a revoked
// token, or one whose account is disabled, reads nothing.

// DutyFeedToken is a private feed link as its owner sees it (the token itself is shown once).
type DutyFeedToken struct {
	ID          int64
	UnitID      int64
	HouseholdID int64 // 0: the unit's feed
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

// CreateDutyFeedToken makes a private link to the duty feed of unit (householdID 0) or of a
// household, for a caller who may read that feed; the caller's earlier link to the same feed is
// revoked. It returns the token (shown once) and its record.
func (s *Store) CreateDutyFeedToken(ctx context.Context, sc authz.Scope, unitID, householdID int64) (string, *DutyFeedToken, error) {
	if sc.UserID == 0 {
		return "", nil, model.ErrForbidden
	}
	var d *UnitDuty
	var err error
	if householdID != 0 {
		d, err = s.HouseholdDuty(ctx, sc, householdID)
	} else {
		d, err = s.UnitDuty(ctx, sc, unitID)
	}
	if err != nil {
		return "", nil, err
	}
	token, hash, err := authz.NewToken()
	if err != nil {
		return "", nil, err
	}
	t := &DutyFeedToken{UnitID: d.Unit.ID, HouseholdID: householdID, CreatedAt: now()}
	err = s.Tx(ctx, func(tx *Tx) error {
		q := `UPDATE duty_feed_tokens SET revoked_at = ? WHERE user_id = ? AND unit_id = ? AND revoked_at IS NULL AND `
		args := []any{t.CreatedAt, sc.UserID, t.UnitID}
		if householdID != 0 {
			q += `household_id = ?`
			args = append(args, householdID)
		} else {
			q += `household_id IS NULL`
		}
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `INSERT INTO duty_feed_tokens (user_id, unit_id, household_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			[]any{sc.UserID, t.UnitID, nullID(householdID), hash, t.CreatedAt}, &t.ID); err != nil {
			return err
		}
		tx.auditAt(sc, d.Unit.Path, "unit.duty.feed_token", "unit", []int64{t.UnitID}, "")
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// DutyFeedTokens lists the caller's live private links to the feeds of unit.
func (s *Store) DutyFeedTokens(ctx context.Context, sc authz.Scope, unitID int64) ([]*DutyFeedToken, error) {
	return queryAll(ctx, s.reader(), `SELECT id, unit_id, COALESCE(household_id, 0), created_at, revoked_at FROM duty_feed_tokens
		WHERE user_id = ? AND unit_id = ? AND revoked_at IS NULL ORDER BY id`, []any{sc.UserID, unitID}, scanFeedToken)
}

func scanFeedToken(r rowScanner) (*DutyFeedToken, error) {
	var t DutyFeedToken
	var revoked sql.NullTime
	if err := r.Scan(&t.ID, &t.UnitID, &t.HouseholdID, &t.CreatedAt, &revoked); err != nil {
		return nil, err
	}
	if revoked.Valid {
		t.RevokedAt = &revoked.Time
	}
	return &t, nil
}

// RevokeDutyFeedToken revokes the caller's private link id; ErrNotFound when it is not the
// caller's or already revoked.
func (s *Store) RevokeDutyFeedToken(ctx context.Context, sc authz.Scope, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.exec(ctx, `UPDATE duty_feed_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, now(), id, sc.UserID)
		if err != nil {
			return err
		}
		if k, _ := r.RowsAffected(); k != 1 || sc.UserID == 0 {
			return model.ErrNotFound
		}
		tx.audit(sc, "unit.duty.feed_revoke", "unit", nil, "")
		return nil
	})
}

// DutyFeedByToken returns the feed a private link reads: the unit's rotation (Own set for a
// household's feed) as the link's account may read it now. ErrNotFound for an unknown or
// revoked token, a disabled account, or a feed the account may no longer read.
func (s *Store) DutyFeedByToken(ctx context.Context, token string) (*UnitDuty, error) {
	c := s.reader()
	var userID, unitID int64
	var household sql.NullInt64
	err := c.queryRow(ctx, `SELECT user_id, unit_id, household_id FROM duty_feed_tokens WHERE token_hash = ? AND revoked_at IS NULL`,
		[]any{authz.TokenHash(token)}, &userID, &unitID, &household)
	if err != nil {
		return nil, err
	}
	u, err := c.user(ctx, `u.id = ?`, userID)
	if errors.Is(err, model.ErrNotFound) || err == nil && u.Disabled {
		return nil, model.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	sc := authz.ForUser(u)
	if household.Valid {
		return s.HouseholdDuty(ctx, sc, household.Int64)
	}
	return s.UnitDuty(ctx, sc, unitID)
}
