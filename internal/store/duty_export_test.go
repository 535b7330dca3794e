package store

import (
	"context"

	"gongzhi/internal/authz"
)

// MoveUnitHouseholds adds and removes households of unit through setUnitHouseholds, as the
// unit features that move households do (tests of the rotation's hook).
func (s *Store) MoveUnitHouseholds(ctx context.Context, unitID int64, add, remove []int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		return tx.setUnitHouseholds(ctx, authz.System(), unitID, add, remove, "test")
	})
}
