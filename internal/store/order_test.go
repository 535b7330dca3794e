package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// orderWorld: two households of the stairwell with linked resident accounts, a household of
// the second community; staff and a grid leader of the community; a party member account (a
// taker once it takes an order) and a registered volunteer; a volunteer of the other
// community. The clock stands still at 2 June 2026, 9:00 (Shanghai) until a test moves it.
type orderWorld struct {
	tree
	hh, neighbour, far      *model.Household
	res, neighbourRes       authz.Scope
	staff, grid, otherStaff authz.Scope
	member, volunteer, away authz.Scope
	volunteerTaker          *model.OrderTaker
	clock                   *time.Time
	mu                      *sync.Mutex
	cats                    []*model.OrderCategory
}

func mustOrderWorld(t *testing.T, st *store.Store) *orderWorld {
	t.Helper()
	ctx := context.Background()
	w := &orderWorld{tree: mustTree(t, st), mu: &sync.Mutex{}}
	at := time.Date(2026, 6, 2, 9, 0, 0, 0, model.Shanghai)
	w.clock = &at
	st.SetNow(func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return *w.clock })
	link := func(name string, h *model.Household, who string) authz.Scope {
		u := storetest.RawUser(t, st, name, model.RoleResident, w.stairwell)
		if err := st.LinkResident(ctx, authz.System(), u.ID, mustResidentNamed(t, st, h, who).ID); err != nil {
			t.Fatal(err)
		}
		return authz.ForUser(u)
	}
	w.hh = mustHousehold(t, st, w.stairwell, "1栋1单元301室", model.ResidentInput{Name: "王奶奶", IDNumber: validID("510781", "19400101", 501), Relation: model.RelationHead})
	w.neighbour = mustHousehold(t, st, w.stairwell, "1栋1单元302室", model.ResidentInput{Name: "李大哥", IDNumber: validID("510781", "19800101", 502), Relation: model.RelationHead})
	w.far = mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "远处", IDNumber: validID("510781", "19800101", 503), Relation: model.RelationHead})
	w.res = link("wang", w.hh, "王奶奶")
	w.neighbourRes = link("li", w.neighbour, "李大哥")
	w.staff = authz.ForUser(storetest.RawUser(t, st, "staff", model.RoleCommunityStaff, w.community))
	w.grid = authz.ForUser(storetest.RawUser(t, st, "grid", model.RoleGridLeader, w.tree.grid))
	w.otherStaff = authz.ForUser(storetest.RawUser(t, st, "staff2", model.RoleCommunityStaff, w.community2))
	branch := storetest.PartyOrg(t, st, "grid_branch", "branch", "第一网格党支部", w.tree.grid, 0)
	mu := storetest.RawUser(t, st, "member", model.RoleMember, w.tree.grid)
	storetest.PartyMember(t, st, "张党员", branch, mu.ID)
	w.member = authz.ForUser(mu)
	vu := storetest.RawUser(t, st, "volunteer", model.RoleResident, w.stairwell)
	w.volunteer = authz.ForUser(vu)
	var err error
	w.volunteerTaker, err = st.RegisterTaker(ctx, w.staff, store.TakerInput{UserID: vu.ID, Kind: "volunteer", Name: "赵志愿", TerritoryID: w.tree.grid.ID, Skills: "维修"})
	if err != nil {
		t.Fatal(err)
	}
	au := storetest.RawUser(t, st, "away", model.RoleResident, w.stairwell2)
	if _, err := st.RegisterTaker(ctx, w.otherStaff, store.TakerInput{UserID: au.ID, Kind: "volunteer", Name: "东胜志愿者", TerritoryID: w.community2.ID}); err != nil {
		t.Fatal(err)
	}
	w.away = authz.ForUser(au)
	if w.cats, err = st.OrderCategories(ctx, w.res, w.community.ID); err != nil || len(w.cats) != len(model.DefaultOrderCategories) {
		t.Fatalf("categories: %d, %v", len(w.cats), err)
	}
	return w
}

func (w *orderWorld) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	*w.clock = w.clock.Add(d)
}

func (w *orderWorld) place(t *testing.T, st *store.Store, sc authz.Scope, h int64) *model.Order {
	t.Helper()
	o, created, err := st.PlaceOrder(context.Background(), sc, model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: h, Description: "帮忙买药", PreferredTime: "今天下午"}, nil)
	if err != nil || !created {
		t.Fatalf("place: %v (created %v)", err, created)
	}
	return o
}

// unitLeader makes the account of the leader of unit, scoped to node, as a unit's election makes
// it.
func unitLeader(t *testing.T, st *store.Store, name string, node *model.Territory, unit *model.Unit) *model.User {
	t.Helper()
	u := storetest.RawUser(t, st, name, model.RoleUnitLeader, node)
	storetest.Exec(t, st, `UPDATE users SET unit_id = ? WHERE id = ?`, unit.ID, u.ID)
	u.UnitID = unit.ID
	return u
}

func transition(st *store.Store, sc authz.Scope, id int64, a model.OrderAction, extra ...func(*model.OrderTransitionInput)) (*model.Order, error) {
	in := model.OrderTransitionInput{Action: a, Reason: "测试"}
	for _, f := range extra {
		f(&in)
	}
	return st.TransitionOrder(context.Background(), sc, id, in)
}

// TestOrderFlow: a resident places an order, open for claiming; a member of the community
// claims it (and becomes a taker), marks it done with the hours, earns points; the resident
// rates it; staff close it. Each step is in the history with who and why; each party sees
// what it may and no more.
func TestOrderFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		o := w.place(t, st, w.res, 0)
		if o.Status != model.OrderOpen || o.HouseholdID != w.hh.ID || o.OnBehalf || o.Level != model.LevelGrid || o.DueAt == nil {
			t.Fatalf("placed: %+v", o)
		}
		// A candidate of the community sees the service, not who or where exactly.
		near, err := st.Orders(ctx, w.member, store.OrderFilter{View: store.OrdersNear})
		if err != nil || near.Total != 1 || near.Items[0].Address != "" || near.Items[0].HouseholdID != 0 || near.Items[0].PlacedByName != "" {
			t.Fatalf("near: %+v, %v", near, err)
		}
		got, err := st.Order(ctx, w.member, o.ID)
		if err != nil || got.Address != "" || len(got.Actions) != 1 || got.Actions[0] != model.ActClaim {
			t.Fatalf("candidate's view: %+v, %v", got, err)
		}
		// Another community's volunteer, and a neighbour, do not see it.
		for name, sc := range map[string]authz.Scope{"away": w.away, "neighbour": w.neighbourRes, "other staff": w.otherStaff} {
			if _, err := st.Order(ctx, sc, o.ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("%s reads the order: %v", name, err)
			}
		}
		// Not the resident's to claim; not the neighbour's to rate.
		if _, err := transition(st, w.res, o.ID, model.ActClaim); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("the requester claims: %v", err)
		}
		if _, err := transition(st, w.res, o.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars = 5 }); !errors.Is(err, model.ErrConflict) {
			t.Errorf("rating an open order: %v", err)
		}
		taken, err := transition(st, w.member, o.ID, model.ActClaim)
		if err != nil || taken.Status != model.OrderTaken || taken.Taker == nil || taken.Taker.Name != "张党员" || taken.Address == "" {
			t.Fatalf("claimed: %+v, %v", taken, err)
		}
		if _, err := transition(st, w.volunteer, o.ID, model.ActClaim); !errors.Is(err, model.ErrConflict) {
			t.Errorf("a second claim: %v", err)
		}
		w.advance(2 * time.Hour)
		done, err := transition(st, w.member, o.ID, model.ActDone, func(in *model.OrderTransitionInput) { in.Hours = 1.5 })
		if err != nil || done.Status != model.OrderDone || done.Minutes != 90 {
			t.Fatalf("done: %+v, %v", done, err)
		}
		if _, err := transition(st, w.neighbourRes, o.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars = 1 }); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a neighbour rates: %v", err)
		}
		if _, err := transition(st, w.res, o.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars = 6 }); fieldOf(err) != "stars" {
			t.Errorf("six stars: %v", err)
		}
		rated, err := transition(st, w.res, o.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars = 5; in.Comment = "很及时" })
		if err != nil || rated.Status != model.OrderRated || rated.Stars != 5 {
			t.Fatalf("rated: %+v, %v", rated, err)
		}
		if _, err := transition(st, w.res, o.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars = 1 }); !errors.Is(err, model.ErrConflict) {
			t.Errorf("rating twice: %v", err)
		}
		closed, err := transition(st, w.staff, o.ID, model.ActClose)
		if err != nil || closed.Status != model.OrderClosed {
			t.Fatalf("closed: %+v, %v", closed, err)
		}
		var actions []string
		for _, e := range closed.History {
			actions = append(actions, string(e.Action)+":"+e.ActorName)
		}
		if want := "[place:wang claim:member done:member rate:wang close:staff]"; fmt.Sprint(actions) != want {
			t.Errorf("history %v, want %s", actions, want)
		}
		// The member's service: 90 minutes, load back to 0, points in the ledger.
		takers, err := st.OrderTakers(ctx, w.staff, 0, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, tk := range takers.Items {
			if tk.Kind == "member" {
				found = true
				if tk.Minutes != 90 || tk.OpenOrders != 0 {
					t.Errorf("member taker: %+v", tk)
				}
			}
		}
		if !found {
			t.Errorf("the member was not registered as a taker: %+v", takers.Items)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM party_points_entries WHERE source = 'order' AND source_id = $1`, o.ID); n != 1 {
			t.Errorf("points entries for the order: %d", n)
		}
		// The household was told.
		ns, err := st.Notifications(ctx, w.res, 10, "")
		if err != nil || ns.Total < 2 {
			t.Errorf("notifications of the household: %+v, %v", ns, err)
		}
	})
}

// TestOrderOnBehalfAndDispatch: staff place an order for a resident without a smartphone
// (recorded as such); a resident cannot place one for a neighbour; a dispatched order waits for
// the assigned taker, who declines it back to dispatch; cancelling before it is taken.
func TestOrderOnBehalfAndDispatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		if _, _, err := st.PlaceOrder(ctx, w.res, model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: w.neighbour.ID, Description: "x"}, nil); fieldOf(err) != "household_id" {
			t.Errorf("for a neighbour: %v", err)
		}
		if _, _, err := st.PlaceOrder(ctx, w.otherStaff, model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: w.hh.ID, Description: "x"}, nil); fieldOf(err) != "household_id" {
			t.Errorf("out of scope: %v", err)
		}
		if _, _, err := st.PlaceOrder(ctx, w.staff, model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: w.far.ID, Description: "x"}, nil); fieldOf(err) != "household_id" {
			t.Errorf("staff for another community's household: %v", err)
		}
		if _, _, err := st.PlaceOrder(ctx, w.staff, model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: w.hh.ID}, nil); fieldOf(err) != "description" {
			t.Errorf("no description: %v", err)
		}
		if _, _, err := st.PlaceOrder(ctx, w.staff, model.OrderInput{CategoryID: w.cats[0].ID, HouseholdID: w.hh.ID, Description: "x"}, [][]byte{[]byte("not an image")}); fieldOf(err) != "photos[0]" {
			t.Errorf("a photo that is not one: %v", err)
		}
		// Staff register the volunteers of their own area only.
		if _, err := st.RegisterTaker(ctx, w.otherStaff, store.TakerInput{UserID: w.volunteer.UserID, Kind: "volunteer", Name: "外区", TerritoryID: w.community2.ID}); fieldOf(err) != "user_id" {
			t.Errorf("registering an account of another community: %v", err)
		}
		o := w.place(t, st, w.staff, w.hh.ID)
		if !o.OnBehalf || o.PlacedByName != "staff" {
			t.Errorf("on behalf: %+v", o)
		}
		// The household reads it as its own.
		if mine, err := st.Orders(ctx, w.res, store.OrderFilter{View: store.OrdersMine}); err != nil || mine.Total != 1 {
			t.Errorf("mine: %+v, %v", mine, err)
		}
		if _, err := transition(st, w.grid, o.ID, model.ActDispatch, func(in *model.OrderTransitionInput) { in.TakerID = 987654 }); fieldOf(err) != "taker_id" {
			t.Errorf("dispatch to nobody: %v", err)
		}
		d, err := transition(st, w.grid, o.ID, model.ActDispatch, func(in *model.OrderTransitionInput) { in.TakerID = w.volunteerTaker.ID })
		if err != nil || d.Status != model.OrderDispatched || d.Taker.ID != w.volunteerTaker.ID {
			t.Fatalf("dispatched: %+v, %v", d, err)
		}
		if _, err := transition(st, w.member, o.ID, model.ActAccept); !errors.Is(err, model.ErrNotFound) && !errors.Is(err, model.ErrForbidden) {
			t.Errorf("someone else accepts: %v", err)
		}
		if _, err := transition(st, w.volunteer, o.ID, model.ActDecline, func(in *model.OrderTransitionInput) { in.Reason = "" }); fieldOf(err) != "reason" {
			t.Errorf("decline without a reason: %v", err)
		}
		back, err := transition(st, w.volunteer, o.ID, model.ActDecline)
		if err != nil || back.Status != model.OrderPlaced || back.Taker != nil {
			t.Fatalf("declined: %+v, %v", back, err)
		}
		c, err := transition(st, w.res, o.ID, model.ActCancel)
		if err != nil || c.Status != model.OrderCancelled {
			t.Fatalf("cancelled: %+v, %v", c, err)
		}
		tk, _ := st.OrderTakers(ctx, w.staff, w.tree.grid.ID, 10, "")
		for _, x := range tk.Items {
			if x.OpenOrders != 0 {
				t.Errorf("taker %s still loaded: %d", x.Name, x.OpenOrders)
			}
		}
	})
}

// TestOrderTransitionReadBefore: a transition reads its order before it queues for the writer
// (order_prep.go); a transition committed in between is seen, not judged on the order as it
// was read. The resident rates while the taker marks the order done: the rating, read when the
// order was still taken, lands on the done order. A volunteer whose claim read the order open
// loses to the claim committed in between with 409 已被他人接单, and the order keeps one taker.
func TestOrderTransitionReadBefore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		o := w.place(t, st, w.res, 0)
		if _, err := transition(st, w.volunteer, o.ID, model.ActClaim); err != nil {
			t.Fatal(err)
		}
		rated, err := st.TransitionOrderAfter(ctx, w.res, o.ID, model.OrderTransitionInput{Action: model.ActRate, Stars: 4}, func() {
			if _, err := transition(st, w.volunteer, o.ID, model.ActDone, func(in *model.OrderTransitionInput) { in.Hours = 1 }); err != nil {
				t.Error(err)
			}
		})
		if err != nil || rated.Status != model.OrderRated || rated.Stars != 4 {
			t.Fatalf("rate read before done: %+v, %v", rated, err)
		}
		var actions []model.OrderAction
		for _, e := range rated.History {
			actions = append(actions, e.Action)
		}
		if want := []model.OrderAction{model.ActPlace, model.ActClaim, model.ActDone, model.ActRate}; !slices.Equal(actions, want) {
			t.Errorf("history %v, want %v", actions, want)
		}

		o = w.place(t, st, w.res, 0)
		_, err = st.TransitionOrderAfter(ctx, w.volunteer, o.ID, model.OrderTransitionInput{Action: model.ActClaim}, func() {
			if _, err := transition(st, w.member, o.ID, model.ActClaim); err != nil {
				t.Error(err)
			}
		})
		var ce *model.ConflictError
		if !errors.As(err, &ce) || ce.Message != "已被他人接单" {
			t.Fatalf("claim read before another's claim: %v, want 已被他人接单", err)
		}
		got, err := st.Order(ctx, w.member, o.ID)
		if err != nil || got.Status != model.OrderTaken || got.Taker == nil || got.Taker.UserID != w.member.UserID {
			t.Fatalf("order after the race: %+v, %v", got, err)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM order_events WHERE order_id = $1 AND action = 'claim'`, o.ID); n != 1 {
			t.Errorf("%d claim events, want 1", n)
		}
	})
}

// TestOrderAnswerAsRead: the order a place or a transition answers with is made of what its
// transaction wrote, not read back; through every edge of the machine, by every part, it is
// the order as its caller then reads it (Order), history and actions included — or, for a
// taker whose part ended (declining), the withheld order a system read gives.
func TestOrderAnswerAsRead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		check := func(what string, sc authz.Scope, got *model.Order, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			want, err := st.Order(ctx, sc, got.ID)
			if errors.Is(err, model.ErrNotFound) {
				// Where the order stands, not who or where it is.
				if want, err = st.Order(ctx, authz.System(), got.ID); err == nil {
					want.HouseholdID, want.Address, want.Contact, want.PlacedByName, want.UnitID = 0, "", "", "", 0
					want.Taker, want.Actions, want.History = nil, nil, nil
				}
			}
			if err != nil {
				t.Fatalf("%s: read: %v", what, err)
			}
			w.advance(time.Minute)
			if !reflect.DeepEqual(utcOrder(got), utcOrder(want)) {
				t.Errorf("%s: answered\n%s\nread\n%s", what, orderDump(got), orderDump(want))
			}
		}
		step := func(sc authz.Scope, id int64, a model.OrderAction, extra ...func(*model.OrderTransitionInput)) {
			t.Helper()
			o, err := transition(st, sc, id, a, extra...)
			check(string(a), sc, o, err)
		}
		hours := func(in *model.OrderTransitionInput) { in.Hours = 1.5 }
		to := func(id int64) func(*model.OrderTransitionInput) {
			return func(in *model.OrderTransitionInput) { in.TakerID = id }
		}
		for i, cat := range w.cats[:2] {
			in := model.OrderInput{CategoryID: cat.ID, Description: "帮忙修水管", PreferredTime: "周六上午", Contact: "139", IdempotencyKey: fmt.Sprintf("answer-%d", i)}
			o, created, err := st.PlaceOrder(ctx, w.res, in, [][]byte{modeltest.JPEG(t, 40, 30)})
			if !created || o.Photos != 1 {
				t.Fatalf("not created with its photo: %+v, %v", o, err)
			}
			check("place", w.res, o, err)
			// The same key and body again: the order created then, read (created false).
			o, created, err = st.PlaceOrder(ctx, w.res, in, [][]byte{modeltest.JPEG(t, 40, 30)})
			if created {
				t.Fatal("replayed key created another order")
			}
			check("place replayed", w.res, o, err)
			if o.Status == model.OrderPlaced {
				step(w.staff, o.ID, model.ActOpen)
			}
			step(w.member, o.ID, model.ActClaim)
			step(w.member, o.ID, model.ActDecline)
			step(w.staff, o.ID, model.ActDispatch, to(w.volunteerTaker.ID))
			step(w.volunteer, o.ID, model.ActAccept)
			step(w.volunteer, o.ID, model.ActDone, hours)
			step(w.res, o.ID, model.ActRate, func(in *model.OrderTransitionInput) { in.Stars, in.Comment = 5, "很及时" })
			step(w.res, o.ID, model.ActReopen)
			step(w.grid, o.ID, model.ActEscalate)
			step(w.staff, o.ID, model.ActDispatch, to(w.volunteerTaker.ID))
			step(w.grid, o.ID, model.ActAccept)
			step(w.staff, o.ID, model.ActDone, hours)
			step(w.staff, o.ID, model.ActClose)

			o, created, err = st.PlaceOrder(ctx, w.staff, model.OrderInput{CategoryID: cat.ID, HouseholdID: w.neighbour.ID, Description: "陪同就医"}, nil)
			if !created {
				t.Fatalf("not created: %v", err)
			}
			check("place on behalf", w.staff, o, err)
			// The other edges: decline from dispatched, escalate from taken, open and dispatch
			// from escalated, cancel by a dispatcher and by the household.
			if o.Status == model.OrderOpen {
				step(w.staff, o.ID, model.ActDispatch, to(w.volunteerTaker.ID))
			} else {
				step(w.grid, o.ID, model.ActDispatch, to(w.volunteerTaker.ID))
			}
			step(w.volunteer, o.ID, model.ActDecline)
			step(w.staff, o.ID, model.ActDispatch, to(w.volunteerTaker.ID))
			step(w.volunteer, o.ID, model.ActAccept)
			step(w.staff, o.ID, model.ActEscalate)
			step(w.staff, o.ID, model.ActOpen)
			step(w.member, o.ID, model.ActClaim)
			step(w.grid, o.ID, model.ActEscalate)
			step(w.staff, o.ID, model.ActDispatch, to(w.volunteerTaker.ID))
			step(w.staff, o.ID, model.ActCancel)

			o, created, err = st.PlaceOrder(ctx, w.neighbourRes, model.OrderInput{CategoryID: cat.ID, Description: "帮忙搬花盆"}, nil)
			if !created {
				t.Fatalf("not created: %v", err)
			}
			check("place by the household", w.neighbourRes, o, err)
			step(w.neighbourRes, o.ID, model.ActCancel)
		}
	})
}

// utcOrder is a copy of o with its times in UTC (a time read back carries another *Location
// for the same instant).
func utcOrder(o *model.Order) model.Order {
	c := *o
	c.PlacedAt, c.UpdatedAt = c.PlacedAt.UTC(), c.UpdatedAt.UTC()
	for _, p := range []**time.Time{&c.TakenAt, &c.DoneAt, &c.DueAt} {
		if *p != nil {
			t := (*p).UTC()
			*p = &t
		}
	}
	c.History = slices.Clone(c.History)
	for i := range c.History {
		c.History[i].At = c.History[i].At.UTC()
	}
	return c
}

func orderDump(o *model.Order) string {
	s := fmt.Sprintf("%+v", *o)
	for _, p := range []**time.Time{&o.TakenAt, &o.DoneAt, &o.DueAt} {
		if *p != nil {
			s += fmt.Sprintf(" %v", **p)
		}
	}
	if o.Taker != nil {
		s += fmt.Sprintf(" taker %+v", *o.Taker)
	}
	return s
}

// TestOrderClaimRace: fifty takers claim one order at the same moment: exactly one succeeds,
// the others get a conflict "已被他人接单"; the winner's load is one.
func TestOrderClaimRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		const n = 50
		takers := make([]authz.Scope, n)
		for i := range n {
			u := storetest.RawUser(t, st, fmt.Sprintf("v%d", i), model.RoleResident, w.stairwell)
			if _, err := st.RegisterTaker(ctx, w.staff, store.TakerInput{UserID: u.ID, Kind: "volunteer", Name: fmt.Sprintf("志愿者%d", i), TerritoryID: w.community.ID}); err != nil {
				t.Fatal(err)
			}
			takers[i] = authz.ForUser(u)
		}
		o := w.place(t, st, w.res, 0)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = transition(st, takers[i], o.ID, model.ActClaim)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			var ce *model.ConflictError
			switch {
			case err == nil:
				won++
			case errors.As(err, &ce) && ce.Message == "已被他人接单":
			default:
				t.Errorf("claim: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d claims succeeded, want exactly 1", won)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM order_events WHERE order_id = $1 AND action = 'claim'`, o.ID); n != 1 {
			t.Errorf("%d claim events", n)
		}
		if n := mustCount(t, st, `SELECT SUM(open_orders) FROM order_takers`); n != 1 {
			t.Errorf("load %d, want 1", n)
		}
		// Double transitions: the taker marking it done twice at once, the resident rating twice.
		got, _ := st.Order(ctx, authz.System(), o.ID)
		var winner authz.Scope
		for _, sc := range takers {
			if tk, _ := st.OrderTakers(ctx, w.staff, 0, 100, ""); tk != nil {
				for _, x := range tk.Items {
					if x.ID == got.Taker.ID && x.UserID == sc.UserID {
						winner = sc
					}
				}
			}
		}
		for _, step := range []struct {
			sc authz.Scope
			a  model.OrderAction
		}{{winner, model.ActDone}, {w.res, model.ActRate}} {
			errs := make([]error, 10)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = transition(st, step.sc, o.ID, step.a, func(in *model.OrderTransitionInput) { in.Stars = 4; in.Hours = 1 })
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !errors.Is(err, model.ErrConflict) {
					t.Errorf("%s: %v", step.a, err)
				}
			}
			if ok != 1 {
				t.Errorf("%s: %d succeeded, want 1", step.a, ok)
			}
		}
		if n := mustCount(t, st, `SELECT minutes FROM order_takers WHERE id = $1`, got.Taker.ID); n != 60 {
			t.Errorf("minutes credited %d, want 60 (once)", n)
		}
	})
}

// TestOrderIdempotency: the same key and body resent (also at once) gives the one order; the
// same key with another body is refused and changes nothing.
func TestOrderIdempotency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		in := model.OrderInput{CategoryID: w.cats[1].ID, Description: "水管漏水", IdempotencyKey: "k-1"}
		var wg sync.WaitGroup
		ids := make([]int64, 20)
		created := make([]bool, 20)
		errs := make([]error, 20)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, c, err := st.PlaceOrder(ctx, w.res, in, nil)
				errs[i], created[i] = err, c
				if o != nil {
					ids[i] = o.ID
				}
			}()
		}
		wg.Wait()
		n := 0
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("resend %d: %d, %v (first %d)", i, ids[i], errs[i], ids[0])
			}
			if created[i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d calls created, want 1", n)
		}
		other := in
		other.Description = "别的事"
		if _, _, err := st.PlaceOrder(ctx, w.res, other, nil); !errors.Is(err, model.ErrConflict) {
			t.Errorf("same key, other body: %v", err)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM orders`); n != 1 {
			t.Errorf("%d orders", n)
		}
		// Another account may use the same key.
		if _, c, err := st.PlaceOrder(ctx, w.neighbourRes, in, nil); err != nil || !c {
			t.Errorf("the same key by another account: %v, %v", c, err)
		}
	})
}

// TestOrderLimits: an order not taken within its category's limit is escalated to the
// community; one taken but not done is reminded once, then escalated (its taker released).
func TestOrderLimits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		a := w.place(t, st, w.res, 0)
		b := w.place(t, st, w.neighbourRes, 0)
		if _, err := transition(st, w.volunteer, b.ID, model.ActClaim); err != nil {
			t.Fatal(err)
		}
		if n, err := st.SweepOrderLimits(ctx); err != nil || n != (store.OrderLimits{}) {
			t.Fatalf("nothing due yet: %+v, %v", n, err)
		}
		w.advance(25 * time.Hour)
		if n, err := st.SweepOrderLimits(ctx); err != nil || n.Escalated != 1 {
			t.Fatalf("after 25 h: %+v, %v", n, err)
		}
		if o, _ := st.Order(ctx, authz.System(), a.ID); o.Status != model.OrderEscalated || o.Level != model.LevelCommunity {
			t.Errorf("not taken in time: %s %s", o.Status, o.Level)
		}
		w.advance(48 * time.Hour) // 73 h after being taken (limit 72)
		if n, err := st.SweepOrderLimits(ctx); err != nil || n.Reminded != 1 {
			t.Fatalf("after 73 h: %+v, %v", n, err)
		}
		w.advance(73 * time.Hour)
		if n, err := st.SweepOrderLimits(ctx); err != nil || n.Escalated != 1 {
			t.Fatalf("after the second limit: %+v, %v", n, err)
		}
		o, _ := st.Order(ctx, authz.System(), b.ID)
		if o.Status != model.OrderEscalated || o.Taker != nil {
			t.Errorf("not done in time: %+v", o)
		}
		var seen []string
		for _, e := range o.History {
			seen = append(seen, string(e.Action)+":"+e.ActorName)
		}
		if want := "[place:li claim:volunteer remind:系统 escalate:系统]"; fmt.Sprint(seen) != want {
			t.Errorf("history %v, want %s", seen, want)
		}
		if n := mustCount(t, st, `SELECT SUM(open_orders) FROM order_takers`); n != 0 {
			t.Errorf("load %d after the escalation", n)
		}
	})
}

// TestOrderEvents: placing and claiming publish "order.changed" on subject order:ID to the
// household's account, the taker's (the claim), the leader of the household's unit and the
// dispatchers of the order's territory (staff, the grid leader: through its path, no row of
// their own), and to nobody else.
func TestOrderEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustOrderWorld(t, st)
		// The leader of the household's unit follows its orders; the leader of the neighbour's
		// unit, in the same building, does not.
		leader := func(name string, u *model.Unit) authz.Scope {
			return authz.ForUser(unitLeader(t, st, name, w.building, u))
		}
		lead := leader("leader", storetest.MustUnit(t, st, "一号联建单元", w.hh.ID))
		otherLead := leader("otherlead", storetest.MustUnit(t, st, "二号联建单元", w.neighbour.ID))
		o := w.place(t, st, w.res, 0)
		if _, err := transition(st, w.volunteer, o.ID, model.ActClaim); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			sc   authz.Scope
			want int
		}{"household": {w.res, 2}, "taker": {w.volunteer, 1}, "neighbour": {w.neighbourRes, 0}, "member": {w.member, 0},
			"staff": {w.staff, 2}, "grid leader": {w.grid, 2}, "another community's staff": {w.otherStaff, 0},
			"the unit's leader": {lead, 2}, "another unit's leader": {otherLead, 0}} {
			f, err := st.FollowEvents(context.Background(), c.sc, 0)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range pending(t, f) {
				if e.Kind == "order.changed" && e.Subject == fmt.Sprintf("order:%d", o.ID) {
					n++
				}
			}
			f.Close()
			if n != c.want {
				t.Errorf("%s: %d events, want %d", name, n, c.want)
			}
		}
	})
}

// TestOrderNotifications: a claim and a done order send their in-app message to each account
// linked to the order's household that is not disabled — the accounts read before the
// transaction, with the order's followers — and to no other follower (the unit's leader).
func TestOrderNotifications(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		link := func(name, who string, serial int) *model.User {
			r, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: w.hh.ID, Name: who,
				IDNumber: validID("510781", "19700101", serial), Relation: model.RelationChild})
			if err != nil {
				t.Fatal(err)
			}
			u := storetest.RawUser(t, st, name, model.RoleResident, w.stairwell)
			if err := st.LinkResident(ctx, authz.System(), u.ID, r.ID); err != nil {
				t.Fatal(err)
			}
			return u
		}
		son := link("son", "王小明", 601)
		gone := link("gone", "王二", 602)
		if _, err := st.AdminAccount(ctx, authz.System(), gone.ID, store.ActionDisable); err != nil {
			t.Fatal(err)
		}
		lead := authz.ForUser(unitLeader(t, st, "leader", w.building, storetest.MustUnit(t, st, "一号联建单元", w.hh.ID)))
		o := w.place(t, st, w.res, 0)
		for _, a := range []model.OrderAction{model.ActClaim, model.ActDone} {
			if _, err := transition(st, w.volunteer, o.ID, a); err != nil {
				t.Fatal(a, err)
			}
		}
		for name, c := range map[string]struct {
			sc   authz.Scope
			want []string
		}{"the placer": {w.res, []string{"order.done", "order.claim"}}, "another account of the household": {authz.ForUser(son), []string{"order.done", "order.claim"}},
			"a disabled account of the household": {authz.ForUser(gone), nil}, "the unit's leader": {lead, nil}} {
			p, err := st.Notifications(ctx, c.sc, 50, "")
			if err != nil {
				t.Fatal(err)
			}
			var kinds, ids []string
			for _, n := range p.Items {
				if n.Link == fmt.Sprintf("/orders/%d", o.ID) {
					kinds = append(kinds, n.Kind)
					ids = append(ids, strconv.FormatInt(n.ID, 10))
				}
			}
			if !slices.Equal(kinds, c.want) {
				t.Errorf("%s: notifications %v, want %v", name, kinds, c.want)
			}
			// Each arrived on the account's open pages as a "notification" event naming it.
			f, err := st.FollowEvents(ctx, c.sc, 0)
			if err != nil {
				t.Fatal(err)
			}
			var told []string
			for _, e := range pending(t, f) {
				var d struct {
					ID   string `json:"id"`
					Link string `json:"link"`
				}
				if e.Kind == model.EventNotification && json.Unmarshal(e.Data, &d) == nil && d.Link == fmt.Sprintf("/orders/%d", o.ID) {
					told = append([]string{d.ID}, told...)
				}
			}
			f.Close()
			if !slices.Equal(told, ids) {
				t.Errorf("%s: notification events name %v, want the notifications %v", name, told, ids)
			}
		}
	})
}

// TestOrderEventsLeaderAnchor: a unit's leader reads, and follows, the orders of the households
// of its unit. A household that moves into the unit from another stairwell widens the unit's
// anchor and its leader's scope with it (the scope stayed the old stairwell: the leader could
// not read the household). A leader whose scope does not hold a household of its unit is not
// sent its orders' events either, as it may not read them (ContainsHousehold).
func TestOrderEventsLeaderAnchor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		unit := storetest.MustUnit(t, st, "一号联建单元", w.hh.ID)
		lu := unitLeader(t, st, "leader", w.stairwell, unit)
		sw2, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: w.building.ID, Kind: model.KindStairwell, Name: "2单元"})
		if err != nil {
			t.Fatal(err)
		}
		moved := mustHousehold(t, st, sw2, "1栋2单元101室")
		storetest.MustUnit(t, st, "二号联建单元", moved.ID, mustHousehold(t, st, sw2, "1栋2单元102室").ID)
		if err := st.MoveHouseholdToUnit(ctx, authz.System(), moved.ID, unit.ID); err != nil {
			t.Fatal(err)
		}
		leader := func() authz.Scope {
			u, err := st.User(ctx, authz.System(), lu.ID)
			if err != nil {
				t.Fatal(err)
			}
			return authz.ForUser(u)
		}
		lead := leader()
		if lead.Path != w.building.Path {
			t.Fatalf("the leader's scope is %s after the unit's anchor moved to the building %s", lead.Path, w.building.Path)
		}
		// events: how many events of each of orders the scope's follower is sent.
		events := func(sc authz.Scope, orders ...*model.Order) []int {
			f, err := st.FollowEvents(ctx, sc, -1)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, o := range orders {
				if _, err := transition(st, w.staff, o.ID, model.ActCancel); err != nil {
					t.Fatal(err)
				}
			}
			n := map[string]int{}
			for _, e := range pending(t, f) {
				n[e.Subject]++
			}
			var out []int
			for _, o := range orders {
				out = append(out, n[fmt.Sprintf("order:%d", o.ID)])
			}
			return out
		}
		outside, inside := w.place(t, st, w.staff, moved.ID), w.place(t, st, w.staff, w.hh.ID)
		for _, o := range []*model.Order{outside, inside} {
			if _, err := st.Order(ctx, lead, o.ID); err != nil {
				t.Errorf("the leader reads order %d of its unit: %v", o.ID, err)
			}
		}
		if got := events(lead, outside, inside); !slices.Equal(got, []int{1, 1}) {
			t.Errorf("the leader is sent %v events of its unit's two orders, want 1 each", got)
		}
		// A scope that does not hold the moved household (set by hand: the store keeps it in step).
		storetest.Exec(t, st, `UPDATE users SET scope_id = ? WHERE id = ?`, w.stairwell.ID, lu.ID)
		stale := leader()
		outside, inside = w.place(t, st, w.staff, moved.ID), w.place(t, st, w.staff, w.hh.ID)
		if _, err := st.Order(ctx, stale, outside.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("a leader scoped to the stairwell reads the order of the household outside it: %v", err)
		}
		if got := events(stale, outside, inside); !slices.Equal(got, []int{0, 1}) {
			t.Errorf("a leader scoped to the stairwell is sent %v events (outside, inside), want [0 1]", got)
		}
	})
}

// TestOrderContactMasked: an order's contact (a phone, mostly) is read in full by its household,
// whoever placed it, the taker holding it, staff and grid leaders; a unit leader and a member
// dispatching by a secretary's post read it masked, as they read the register's phones — on
// the order and on the board.
func TestOrderContactMasked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		lu := unitLeader(t, st, "leader", w.stairwell, storetest.MustUnit(t, st, "一号联建单元", w.hh.ID))
		branch := int64(mustCount(t, st, `SELECT id FROM party_orgs WHERE territory_id = $1 AND kind = 'grid_branch'`, w.tree.grid.ID))
		su := storetest.RawUser(t, st, "secretary", model.RoleMember, w.stairwell)
		mid := storetest.PartyMember(t, st, "钱书记", branch, su.ID)
		if _, err := st.AddPost(ctx, authz.System(), branch, model.PostInput{Post: model.PostSecretary, MemberID: mid, StartsOn: *w.clock}); err != nil {
			t.Fatal(err)
		}
		const contact, masked = "王奶奶 13812345678", "王奶奶 138****5678"
		o, _, err := st.PlaceOrder(ctx, w.res, model.OrderInput{CategoryID: w.cats[0].ID, Description: "帮忙买药", Contact: contact}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := transition(st, w.volunteer, o.ID, model.ActClaim); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			sc   authz.Scope
			view store.OrderView
			want string
		}{"the household": {w.res, store.OrdersMine, contact}, "the taker": {w.volunteer, store.OrdersTaking, contact},
			"staff": {w.staff, store.OrdersInScope, contact}, "the grid leader": {w.grid, store.OrdersInScope, contact},
			"the unit's leader": {authz.ForUser(lu), store.OrdersInScope, masked}, "the secretary by post": {authz.ForUser(su), store.OrdersInScope, masked}} {
			got, err := st.Order(ctx, c.sc, o.ID)
			if err != nil {
				t.Fatalf("%s reads the order: %v", name, err)
			}
			if got.Contact != c.want {
				t.Errorf("%s reads the contact %q, want %q", name, got.Contact, c.want)
			}
			p, err := st.Orders(ctx, c.sc, store.OrderFilter{View: c.view})
			if err != nil {
				t.Fatalf("%s lists: %v", name, err)
			}
			listed := false
			for _, l := range p.Items {
				if l.ID == o.ID {
					listed = true
					if l.Contact != c.want {
						t.Errorf("%s lists the contact %q, want %q", name, l.Contact, c.want)
					}
				}
			}
			if !listed {
				t.Errorf("%s does not list the order", name)
			}
		}
	})
}

// TestSuggestTakers: for an order, the takers of its community ranked by skills, closeness and
// load, each with its reasons; a taker of another community is never suggested; only a
// dispatcher asks.
func TestSuggestTakers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		// A second volunteer of the building, skilled for the category (代办跑腿), and busy.
		u := storetest.RawUser(t, st, "near", model.RoleResident, w.stairwell)
		near, err := st.RegisterTaker(ctx, w.staff, store.TakerInput{UserID: u.ID, Kind: "volunteer", Name: "楼里的志愿者", TerritoryID: w.building.ID, Skills: "代办跑腿", Availability: "晚上"})
		if err != nil {
			t.Fatal(err)
		}
		o := w.place(t, st, w.res, 0)
		got, err := st.SuggestTakers(ctx, w.grid, o.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Taker.ID != near.ID || got[0].Reason == "" || !strings.Contains(got[0].Reason, "特长对口") || !strings.Contains(got[0].Reason, "同在1栋") {
			for _, g := range got {
				t.Logf("%s %d %s", g.Taker.Name, g.Score, g.Reason)
			}
			t.Fatalf("suggestions: %d, first %+v", len(got), got[0])
		}
		if _, err := st.SuggestTakers(ctx, w.res, o.ID, 0); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("the household asks: %v", err)
		}
		if _, err := st.SuggestTakers(ctx, w.otherStaff, o.ID, 0); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("staff of another community: %v", err)
		}
	})
}

// TestOrderBoardPages: the dispatch board pages through every order of the caller's subtree,
// newest first, with the total on each page — for a subtree holding most of the city's orders
// (read from the newest id back on SQLite, its total from the statistics) and for one holding
// few of them (read from the path index), with and without a filter (the total counted; a
// status at a community or above read community by community from the status index).
func TestOrderBoardPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		otherCats, err := st.OrderCategories(ctx, w.otherStaff, w.community2.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 40 {
			switch {
			case i == 17: // the second community's only order: 1 in 41, under a twentieth
				if _, _, err := st.PlaceOrder(ctx, w.otherStaff, model.OrderInput{CategoryID: otherCats[0].ID, HouseholdID: w.far.ID, Description: "远处的一单"}, nil); err != nil {
					t.Fatal(err)
				}
			case i%2 == 0:
				w.place(t, st, w.res, 0)
			default:
				w.place(t, st, w.staff, w.neighbour.ID)
			}
		}
		if _, err := transition(st, w.member, w.place(t, st, w.res, 0).ID, model.ActClaim); err != nil {
			t.Fatal(err)
		}
		want := func(prefix string, status model.OrderStatus) []int64 {
			lo, hi := authz.PathRange(prefix)
			q := `SELECT id FROM orders WHERE path >= $1 AND path < $2`
			args := []any{lo, hi}
			if status != "" {
				q += ` AND status = $3`
				args = append(args, string(status))
			}
			rows, err := st.DB().QueryContext(ctx, q+` ORDER BY id DESC`, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			return ids
		}
		for _, c := range []struct {
			name   string
			sc     authz.Scope
			under  int64
			prefix string
			status model.OrderStatus
		}{
			{"city", authz.System(), 0, "", ""},
			{"street", authz.System(), w.street.ID, w.street.Path, ""},
			{"community", w.staff, 0, w.community.Path, ""},
			{"community open", w.staff, 0, w.community.Path, model.OrderOpen},
			{"community taken", w.staff, 0, w.community.Path, model.OrderTaken},
			{"city open", authz.System(), 0, "", model.OrderOpen},
			{"street taken", authz.System(), w.street.ID, w.street.Path, model.OrderTaken},
			{"grid", w.grid, 0, w.tree.grid.Path, ""},
			{"grid open", w.grid, 0, w.tree.grid.Path, model.OrderOpen},
			{"second community", w.otherStaff, 0, w.community2.Path, ""},
		} {
			exp := want(c.prefix, c.status)
			var got []int64
			cursor := ""
			for {
				p, err := st.Orders(ctx, c.sc, store.OrderFilter{Under: c.under, Status: c.status, Limit: 7, Cursor: cursor})
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if p.Total != int64(len(exp)) {
					t.Fatalf("%s: total %d, want %d", c.name, p.Total, len(exp))
				}
				for _, o := range p.Items {
					got = append(got, o.ID)
				}
				if cursor = p.Next; cursor == "" {
					break
				}
			}
			if !slices.Equal(got, exp) || len(exp) == 0 {
				t.Errorf("%s: pages %v, want %v", c.name, got, exp)
			}
		}
	})
}
