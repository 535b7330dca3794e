package store

import (
	"context"
	"database/sql"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// CastDemoBallot casts the own ballot of voter (a household or resident on the roll of vote
// id) as CastBallot does — its roll row flipped once, the ballot stored under a fresh receipt
// code with nothing joining the two, the turnout counted — for a demo voter that has no
// account: cast by the resident itself, or for a household by its head (none when it has no
// head). Staff's proxy ballots go through ProxyBallot. A voter not on the roll or already
// voted is a *model.ConflictError; other errors as CastBallot.
func (s *Store) CastDemoBallot(ctx context.Context, id, voter int64, choices []int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		v, _, err := tx.vote(ctx, authz.System(), id)
		if err != nil {
			return err
		}
		castBy := voter
		if v.Rule == model.RuleHousehold {
			var head sql.NullInt64
			if err := tx.queryRow(ctx, `SELECT MIN(id) FROM residents WHERE household_id = ? AND relation = ?`,
				[]any{voter, string(model.RelationHead)}, &head); err != nil {
				return err
			}
			castBy = head.Int64
		}
		_, err = tx.castBallot(ctx, authz.System(), v, voter, castBy, choices, false)
		return err
	})
}
