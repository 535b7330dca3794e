package store

import (
	"context"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Dispatching by post (issue 10 item 1: "a branch secretary or staff assigns a taker"). Staff
// and grid leaders dispatch the orders of their territory by role (dispatcherRole). The current
// secretary or deputy secretary of a grid branch, a community committee or a street committee
// dispatches the orders of the territory the organization is anchored on, whatever the
// account's role and wherever its own scope lies (a branch secretary's account is scoped to the
// stairwell they live in): the post, found as ManagesOrg finds it (managedOrgsInner), decides.
// A building group's leader or a functional group's secretary does not dispatch.

// dispatchPosts are the paths whose orders account user dispatches by post.
func (c conn) dispatchPosts(ctx context.Context, user int64) ([]string, error) {
	if user == 0 {
		return nil, nil
	}
	return queryAll(ctx, c, `SELECT DISTINCT g.path FROM party_orgs g
		WHERE g.status = 'active' AND g.kind IN ('street_committee', 'community_committee', 'grid_branch')
		AND g.id IN (`+managedOrgsInner+`) ORDER BY g.path`, []any{user, user},
		func(r rowScanner) (string, error) {
			var p string
			return p, r.Scan(&p)
		})
}

// dispatches reports whether oc dispatches an order at path: by role and scope, or by post.
func (oc *orderCaller) dispatches(path string) bool {
	if dispatcherRole(oc.sc.Role) && oc.sc.Contains(path) {
		return true
	}
	for _, p := range oc.posts {
		if p != "" && strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// DispatchesOrders reports whether sc sees a dispatch board: staff and grid leaders by role,
// unit leaders for their unit, anyone else by a secretary's post.
func (s *Store) DispatchesOrders(ctx context.Context, sc authz.Scope) (bool, error) {
	if sc.All || dispatcherRole(sc.Role) || sc.UnitBound() {
		return true, nil
	}
	posts, err := s.reader().dispatchPosts(ctx, sc.UserID)
	return len(posts) > 0, err
}

// dispatchSubtree narrows w to the orders oc dispatches by post, under node under when it is not 0
// (a node outside every post is model.ErrNotFound, as one outside a scope is).
func (c conn) dispatchSubtree(ctx context.Context, oc *orderCaller, under int64, w *filter) error {
	if under != 0 {
		t, err := c.territory(ctx, authz.System(), under)
		if err != nil {
			return err
		}
		if !oc.dispatches(t.Path) {
			return model.ErrNotFound
		}
		lo, hi := authz.PathRange(t.Path)
		w.add("o.path >= ? AND o.path < ?", lo, hi)
		return nil
	}
	where, args := "", []any{}
	for i, p := range oc.posts {
		if i > 0 {
			where += " OR "
		}
		lo, hi := authz.PathRange(p)
		where += "(o.path >= ? AND o.path < ?)"
		args = append(args, lo, hi)
	}
	w.add("("+where+")", args...)
	return nil
}
