package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOrderDispatchByPost: the secretary of a grid branch, whose own account is a member's
// scoped to the stairwell where they live, dispatches the orders of the branch's grid by the
// post: lists them on the board, sees the ranked takers, dispatches, accepts and marks done for
// a taker without a phone (recorded as such), and hears each change live. Orders of another
// grid stay out of reach; without the post (before it, after it ends) nothing of it.
func TestOrderDispatchByPost(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		w := mustOrderWorld(t, st)
		grid2, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: w.community.ID, Kind: model.KindGrid, Name: "第二网格"})
		if err != nil {
			t.Fatal(err)
		}
		stair2, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: grid2.ID, Kind: model.KindStairwell, Name: "5栋1单元"})
		if err != nil {
			t.Fatal(err)
		}
		other := mustHousehold(t, st, stair2, "5栋1单元101室", model.ResidentInput{Name: "孙阿姨", IDNumber: validID("510781", "19500101", 504), Relation: model.RelationHead})

		branch := int64(mustCount(t, st, `SELECT id FROM party_orgs WHERE territory_id = $1 AND kind = 'grid_branch'`, w.tree.grid.ID))
		su := storetest.RawUser(t, st, "secretary", model.RoleMember, w.stairwell)
		sec := authz.ForUser(su)
		mid := storetest.PartyMember(t, st, "钱书记", branch, su.ID)

		mine := w.place(t, st, w.res, 0)
		far, _, err := st.PlaceOrder(ctx, w.staff, model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: other.ID, Description: "修水管"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		board := func() []int64 {
			t.Helper()
			p, err := st.Orders(ctx, sec, store.OrderFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, o := range p.Items {
				ids = append(ids, o.ID)
			}
			return ids
		}

		// Without the post: a member's own orders only, and no dispatching.
		if ids := board(); len(ids) != 0 {
			t.Errorf("before the post the board lists %v", ids)
		}
		if ok, err := st.DispatchesOrders(ctx, sec); err != nil || ok {
			t.Errorf("before the post: dispatches %v, %v", ok, err)
		}
		// (The orders are open for claiming: as a member of the community, a candidate taker,
		// the secretary reads them withheld, and may claim, not dispatch.)
		if _, err := transition(st, sec, mine.ID, model.ActDispatch, func(in *model.OrderTransitionInput) { in.TakerID = w.volunteerTaker.ID }); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("dispatch before the post: %v", err)
		}

		post, err := st.AddPost(ctx, sys, branch, model.PostInput{Post: model.PostSecretary, MemberID: mid, StartsOn: *w.clock})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := st.DispatchesOrders(ctx, sec); err != nil || !ok {
			t.Errorf("with the post: dispatches %v, %v", ok, err)
		}
		if ids := board(); !slices.Equal(ids, []int64{mine.ID}) {
			t.Errorf("the branch's board lists %v, want only %d (order %d is another grid's)", ids, mine.ID, far.ID)
		}
		if _, err := st.Orders(ctx, sec, store.OrderFilter{Under: grid2.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the board under another grid: %v", err)
		}
		if p, err := st.Orders(ctx, sec, store.OrderFilter{Under: w.building.ID}); err != nil || len(p.Items) != 1 {
			t.Errorf("the board under a building of the grid: %v", err)
		}
		if _, err := transition(st, sec, far.ID, model.ActDispatch, func(in *model.OrderTransitionInput) { in.TakerID = w.volunteerTaker.ID }); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("dispatch another grid's order: %v", err)
		}
		if sg, err := st.SuggestTakers(ctx, sec, mine.ID, 0); err != nil || len(sg) == 0 {
			t.Errorf("suggestions: %v, %v", sg, err)
		}

		// Dispatch, then accept and mark done for the taker (no phone): the history says so.
		// The secretary's open board hears the order's changes: the branch's territory is a
		// subtree its follower reads (one row per change, however many follow it).
		live, err := st.FollowEvents(ctx, sec, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		if _, err := transition(st, sec, mine.ID, model.ActDispatch, func(in *model.OrderTransitionInput) { in.TakerID = w.volunteerTaker.ID }); err != nil {
			t.Fatalf("dispatch by post: %v", err)
		}
		if _, err := transition(st, sec, mine.ID, model.ActAccept); err != nil {
			t.Fatalf("accept on behalf: %v", err)
		}
		o, err := transition(st, sec, mine.ID, model.ActDone, func(in *model.OrderTransitionInput) { in.Hours = 1.5 })
		if err != nil {
			t.Fatalf("done on behalf: %v", err)
		}
		if o.Status != model.OrderDone {
			t.Fatalf("status %s", o.Status)
		}
		var got []string
		for _, e := range o.History {
			got = append(got, string(e.Action)+":"+e.ActorName+":"+e.Reason)
		}
		last := got[len(got)-1]
		if !strings.HasPrefix(last, "done:secretary:代接单人操作") || !strings.Contains(last, "1.5 小时") {
			t.Errorf("history %q", got)
		}
		if n := mustCount(t, st, `SELECT minutes FROM order_takers WHERE id = $1`, w.volunteerTaker.ID); n != 90 {
			t.Errorf("taker's minutes %d, want 90", n)
		}
		if got := pending(t, live); subjects(got) != fmt.Sprintf("[order.changed order:%[1]d {\"status\":\"dispatched\"}][order.changed order:%[1]d {\"status\":\"taken\"}][order.changed order:%[1]d {\"status\":\"done\"}]", mine.ID) {
			t.Errorf("the secretary's board heard %s, want the three changes of order %d", subjects(got), mine.ID)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM events WHERE user_id = $1`, su.ID); n != 0 {
			t.Errorf("%d events written for the secretary's account, want none (its board reads the path's)", n)
		}

		// The post ends: the board and the order are gone again.
		if err := st.EndPost(ctx, sys, post.ID); err != nil {
			t.Fatal(err)
		}
		if ids := board(); len(ids) != 0 {
			t.Errorf("after the post ended the board lists %v", ids)
		}
		if _, err := transition(st, sec, mine.ID, model.ActClose); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("close after the post ended: %v", err)
		}
		// Nor its live updates: a stream opened now, and the open one once it reads its
		// subtrees again (every followPathsEvery), hear nothing of the grid's orders.
		fresh, err := st.FollowEvents(ctx, sec, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		if err := live.Refollow(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := transition(st, w.res, mine.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars = 5 }); err != nil {
			t.Fatal(err)
		}
		if got := append(pending(t, fresh), pending(t, live)...); len(got) != 0 {
			t.Errorf("after the post ended the secretary heard %s", subjects(got))
		}
	})
}
