package store

import (
	"context"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// TransitionOrderAfter is TransitionOrder with between run after the order was read for the
// transition and before its transaction (order_prep.go).
func (s *Store) TransitionOrderAfter(ctx context.Context, sc authz.Scope, id int64, in model.OrderTransitionInput, between func()) (*model.Order, error) {
	return s.transitionOrder(ctx, sc, id, in, between)
}
