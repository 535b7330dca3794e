package store

import (
	"context"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The demo city's orders (demo/order.go) go through the real order functions (placeOrder,
// transitionOrder) at the times they took place (AsOf), acting for households and takers that
// have no account: each step says whose part it plays and the name history records.

// DemoTakers registers up to n party members of community who serve as volunteers and have no
// taker yet (kind member, no account: they are dispatched by staff), with skills drawn by the
// caller; it returns the takers of the community, registered before or now.
func (s *Store) DemoTakers(ctx context.Context, community int64, n int, skills func(i int) string) ([]*model.OrderTaker, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		type m struct {
			id         int64
			name, path string
		}
		ms, err := queryAll(ctx, tx.conn, `SELECT id, name, path FROM party_members WHERE community_id = ? AND left_on IS NULL
			AND id NOT IN (SELECT member_id FROM order_takers WHERE member_id IS NOT NULL) ORDER BY id LIMIT ?`, []any{community, n},
			func(r rowScanner) (m, error) {
				var x m
				err := r.Scan(&x.id, &x.name, &x.path)
				return x, err
			})
		if err != nil {
			return err
		}
		for i, x := range ms {
			var node int64
			if err := tx.queryRow(ctx, `SELECT COALESCE((SELECT id FROM territories WHERE path = ?), ?)`, []any{x.path, community}, &node); err != nil {
				return err
			}
			path := x.path
			if node == community {
				if err := tx.queryRow(ctx, `SELECT path FROM territories WHERE id = ?`, []any{community}, &path); err != nil {
					return err
				}
			}
			if _, err := tx.exec(ctx, `INSERT INTO order_takers (kind, name, member_id, community_id, territory_id, path, skills, availability, created_at)
				VALUES ('member', ?, ?, ?, ?, ?, ?, ?, ?)`, x.name, x.id, community, node, path, skills(i), []string{"周末全天", "工作日晚上", "随时可联系", "上午"}[i%4], tx.s.now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, s.reader(), `SELECT `+takerColumns+` FROM order_takers WHERE community_id = ? ORDER BY id`, []any{community}, scanTaker)
}

// PlaceDemoOrder places an order for household as its own (onBehalf false: placed by the
// household, named placedBy) or through staff (onBehalf true).
func (s *Store) PlaceDemoOrder(ctx context.Context, household int64, in model.OrderInput, placedBy string, onBehalf bool) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	in.HouseholdID = household
	oc := &orderCaller{sc: authz.System(), own: household, name: placedBy}
	if onBehalf {
		oc.own = 0
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		id, _, err = tx.placeOrder(ctx, oc, in, nil)
		return err
	})
	return id, err
}

// StepDemoOrder takes a transition of order id as the part the step plays: the household
// (household != 0: rate, reopen, cancel), the taker taker (claim, accept, decline, done) or a
// dispatcher (neither), named name in the history.
func (s *Store) StepDemoOrder(ctx context.Context, id, household, taker int64, name string, in model.OrderTransitionInput) error {
	if err := in.Validate(); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		oc := &orderCaller{sc: authz.System(), own: household, name: name}
		if taker != 0 {
			t, err := tx.orderTaker(ctx, taker)
			if err != nil {
				return err
			}
			oc.taker = t
		}
		return tx.transitionOrder(ctx, oc, id, in)
	})
}
