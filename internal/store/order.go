package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Volunteer service by orders (issue 10). An order lies at its household's path, so territory
// scope works on it as on the household. Who may do what is decided per order by the parts the
// caller plays in it (model.OrderActor: requester, taker, candidate, dispatcher) and by
// model.OrderTransition; every change of status is one conditional UPDATE on the status and
// version read, so of two changes racing on an order exactly one has an effect (the other is a
// ConflictError).
//
// Who reads an order: its requester (the household's linked accounts, or whoever placed it),
// its taker, dispatchers (staff and grid leaders) whose territory holds it, the unit leader of
// its household's unit, and — while it is open for claiming — the registered takers of its
// community, who see what the service is and where (the node), not the household's address,
// contact or who placed it (withholdOrder) until one of them takes it.

const orderColumns = `o.id, o.community_id, o.territory_id, o.path, o.household_id, h.address, COALESCE(h.unit_id, 0), o.category_id, c.name,
	o.description, o.preferred_time, o.contact, o.status, o.level, COALESCE(o.taker_id, 0), COALESCE(t.name, ''), COALESCE(t.kind, ''), COALESCE(t.user_id, 0),
	COALESCE(o.placed_by, 0), o.placed_by_name, o.on_behalf, o.stars, o.comment, o.minutes, o.placed_at, o.taken_at, o.done_at, o.due_at, o.updated_at, o.version, o.photos`

const orderFrom = ` FROM orders o JOIN households h ON h.id = o.household_id JOIN order_categories c ON c.id = o.category_id LEFT JOIN order_takers t ON t.id = o.taker_id`

func scanOrder(r rowScanner) (*model.Order, error) {
	o := &model.Order{}
	var takerID, takerUser int64
	var takerName, takerKind string
	var taken, done, due sql.NullTime
	if err := r.Scan(&o.ID, &o.CommunityID, &o.TerritoryID, &o.Path, &o.HouseholdID, &o.Address, &o.UnitID, &o.CategoryID, &o.Category,
		&o.Description, &o.PreferredTime, &o.Contact, &o.Status, &o.Level, &takerID, &takerName, &takerKind, &takerUser,
		&o.PlacedBy, &o.PlacedByName, &o.OnBehalf, &o.Stars, &o.Comment, &o.Minutes, &o.PlacedAt, &taken, &done, &due, &o.UpdatedAt, &o.Version, &o.Photos); err != nil {
		return nil, err
	}
	if takerID != 0 {
		o.Taker = &model.OrderTaker{ID: takerID, Name: takerName, Kind: takerKind, UserID: takerUser}
	}
	for _, x := range []struct {
		v   sql.NullTime
		dst **time.Time
	}{{taken, &o.TakenAt}, {done, &o.DoneAt}, {due, &o.DueAt}} {
		if x.v.Valid {
			t := x.v.Time
			*x.dst = &t
		}
	}
	return o, nil
}

// dispatcherRole reports whether r dispatches the orders of its territory.
func dispatcherRole(r model.Role) bool {
	switch r {
	case model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin, model.RoleCommunityStaff, model.RoleGridLeader:
		return true
	}
	return false
}

// orderCaller is the caller as the orders see it: its scope, its own household (0: none) and
// the taker it acts as (nil: none; a member not yet registered has one with ID 0, registered
// when it first takes an order).
type orderCaller struct {
	sc     authz.Scope
	own    int64
	taker  *model.OrderTaker
	system bool     // the time limits
	name   string   // the name history records for the caller: its account's display name, or its username ("": none)
	posts  []string // the paths it dispatches by a secretary's post (order_dispatch.go)
}

func (c conn) orderCaller(ctx context.Context, sc authz.Scope) (*orderCaller, error) {
	oc := &orderCaller{sc: sc}
	var err error
	if sc.UserID != 0 {
		// Its own household (ownHousehold) and its name (authorName), in one read.
		var own sql.NullInt64
		var name, username string
		err := c.queryRow(ctx, `SELECT u.display_name, u.username, r.household_id FROM users u LEFT JOIN residents r ON r.id = u.resident_id WHERE u.id = ?`,
			[]any{sc.UserID}, &name, &username, &own)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
		oc.own, oc.name = own.Int64, cmp.Or(name, username)
	}
	if oc.taker, err = c.takerOfUser(ctx, sc); err != nil {
		return nil, err
	}
	if !sc.All && !dispatcherRole(sc.Role) {
		if oc.posts, err = c.dispatchPosts(ctx, sc.UserID); err != nil {
			return nil, err
		}
	}
	return oc, nil
}

// actors are the parts oc plays in o.
func (oc *orderCaller) actors(o *model.Order) []model.OrderActor {
	var out []model.OrderActor
	if oc.system {
		return []model.OrderActor{model.ActorSystem}
	}
	requester := oc.requester(o)
	if requester {
		out = append(out, model.ActorRequester)
	}
	if oc.holds(o) {
		out = append(out, model.ActorTaker)
	} else if oc.taker != nil && oc.taker.Active && oc.taker.CommunityID == o.CommunityID && !requester {
		out = append(out, model.ActorCandidate)
	}
	if oc.dispatches(o.Path) {
		out = append(out, model.ActorDispatcher)
	}
	return out
}

func (oc *orderCaller) requester(o *model.Order) bool {
	return (oc.own != 0 && oc.own == o.HouseholdID) || (oc.sc.UserID != 0 && oc.sc.UserID == o.PlacedBy)
}

// visible reports whether oc may read o at all, and whether only as a candidate (withheld).
func (oc *orderCaller) visible(o *model.Order) (ok, candidateOnly bool) {
	if oc.sc.All {
		return true, false
	}
	as := oc.actors(o)
	if oc.sc.UnitBound() && oc.sc.ContainsHousehold(o.Path, o.UnitID) {
		return true, false
	}
	for _, a := range as {
		if a != model.ActorCandidate {
			return true, false
		}
	}
	if slices.Contains(as, model.ActorCandidate) && o.Status == model.OrderOpen {
		return true, true
	}
	return false, false
}

// guardContact masks o's contact (free text, mostly a phone: model.MaskContact) unless oc may
// see it in full: the household's accounts and whoever placed it, the taker holding it, and the
// roles that see phones in full (staff and grid leaders, authz.FieldPhone). A unit leader, or a
// member dispatching by a secretary's post, reads the order with it masked, as it reads the
// register's phones.
func (oc *orderCaller) guardContact(o *model.Order) {
	if o.Contact == "" || oc.system || oc.sc.CanSee(authz.FieldPhone) || oc.requester(o) || oc.holds(o) {
		return
	}
	o.Contact = model.MaskContact(o.Contact)
}

// holds reports whether oc is the taker holding o.
func (oc *orderCaller) holds(o *model.Order) bool {
	return oc.taker != nil && o.Taker != nil && oc.taker.ID != 0 && o.Taker.ID == oc.taker.ID
}

// withholdOrder clears what a candidate taker may not see of an open order.
func withholdOrder(o *model.Order) {
	o.HouseholdID = 0
	o.Address = ""
	o.Contact = ""
	o.PlacedByName = ""
	o.UnitID = 0
}

// orderFor reads order id as oc may: model.ErrNotFound when it is not oc's to read.
func (c conn) orderFor(ctx context.Context, oc *orderCaller, id int64) (*model.Order, bool, error) {
	o, err := queryOne(ctx, c, `SELECT `+orderColumns+orderFrom+` WHERE o.id = ?`, []any{id}, scanOrder)
	if err != nil {
		return nil, false, err
	}
	ok, candidate := oc.visible(o)
	if !ok {
		return nil, false, model.ErrNotFound
	}
	return o, candidate, nil
}

// readOrder is order id as sc may read it, with the caller as the orders see it; candidate
// says it reads it only as a candidate taker (withheld).
func (c conn) readOrder(ctx context.Context, sc authz.Scope, id int64) (oc *orderCaller, o *model.Order, candidate bool, err error) {
	if oc, err = c.orderCaller(ctx, sc); err != nil {
		return nil, nil, false, err
	}
	o, candidate, err = c.orderFor(ctx, oc, id)
	return oc, o, candidate, err
}

// Order reads an order with its history and the actions the caller may take now.
func (s *Store) Order(ctx context.Context, sc authz.Scope, id int64) (*model.Order, error) {
	c := s.reader()
	oc, err := c.orderCaller(ctx, sc)
	if err != nil {
		return nil, err
	}
	return c.orderView(ctx, oc, id)
}

// orderView is Order for the caller as the orders see it (a transition's response reuses the
// caller its transaction worked out: no part of it changes with the transition but the taker
// a claim registers, which the transaction sets in oc).
func (c conn) orderView(ctx context.Context, oc *orderCaller, id int64) (*model.Order, error) {
	o, candidate, err := c.orderFor(ctx, oc, id)
	if err != nil {
		return nil, err
	}
	if o.History, err = c.orderHistory(ctx, id); err != nil {
		return nil, err
	}
	oc.present(o, candidate)
	return o, nil
}

// present fills in o, with its history, the actions oc may take now, masks the contact where oc
// may not see it in full (guardContact) and withholds what a candidate taker may not see.
func (oc *orderCaller) present(o *model.Order, candidate bool) {
	o.Actions = model.OrderActions(o.Status, oc.actors(o))
	oc.guardContact(o)
	if candidate {
		withholdOrder(o)
		// Who acted is a name of staff or of a neighbour: a candidate sees what happened.
		for i := range o.History {
			o.History[i].ActorName = ""
		}
	}
}

// answer is o, with its history, as oc learns it after changing it: as oc reads it, or —
// when oc's part in it ended with the change (a taker declining) — where it stands, not who
// or where it is.
func (oc *orderCaller) answer(o *model.Order) *model.Order {
	if ok, candidate := oc.visible(o); ok {
		oc.present(o, candidate)
		return o
	}
	withholdOrder(o)
	o.Taker, o.Actions, o.History = nil, nil, nil
	return o
}

func (c conn) orderHistory(ctx context.Context, id int64) ([]model.OrderEvent, error) {
	return queryAll(ctx, c, `SELECT action, from_status, to_status, actor_name, reason, at FROM order_events WHERE order_id = ? ORDER BY id`, []any{id},
		func(r rowScanner) (model.OrderEvent, error) {
			var e model.OrderEvent
			err := r.Scan(&e.Action, &e.From, &e.To, &e.ActorName, &e.Reason, &e.At)
			return e, err
		})
}

// PlaceOrder places an order for a household: the caller's own (in.HouseholdID 0 or its own)
// or, on behalf of a resident without a smartphone, any current household in the scope of staff,
// a grid leader or a unit leader (recorded as such, with who acted). photos are the uploaded
// bytes (at most model.PhotosPerEntry, each checked and re-encoded). A non-empty
// in.IdempotencyKey makes the call safe to resend: the key the caller used before with the same
// body gives the order created then (created false); with another body it is a ConflictError.
// The order returned is as the caller reads it (Order), with the actions it may take now.
func (s *Store) PlaceOrder(ctx context.Context, sc authz.Scope, in model.OrderInput, photos [][]byte) (o *model.Order, created bool, err error) {
	v := &model.ValidationError{}
	if err := in.Validate(); err != nil {
		errors.As(err, &v)
	}
	checked, err := checkPhotos(v, photos)
	if err != nil {
		return nil, false, err
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	// What the order names is read first (readThenWrite: on SQLite before it queues for the
	// one writer).
	var oc *orderCaller
	var p *placing
	var id int64
	err = s.readThenWrite(ctx, func(c conn) error {
		var err error
		if oc, err = c.orderCaller(ctx, sc); err != nil {
			return err
		}
		if p, err = c.prepPlace(ctx, oc, in); err != nil || p.h == nil {
			return err
		}
		// Known before the transaction, so that it does not read it on the writer.
		_, err = s.orderStatDepth(ctx, c, p.h.Path)
		return err
	}, func(tx *Tx) error {
		var err error
		id, created, err = tx.placeOrder(ctx, oc, in, checked, p)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	// As the caller reads it, with the caller the transaction worked out (as TransitionOrder's
	// answer): the API answers with it, without working the caller out again. Whoever placed
	// an order reads it (requester); a new one is made of what the transaction inserted, one
	// created before with the same idempotency key is read.
	if created && p.placed != nil {
		if ok, candidate := oc.visible(p.placed); ok {
			oc.present(p.placed, candidate)
			return p.placed, true, nil
		}
	}
	if o, err = s.reader().orderView(ctx, oc, id); err != nil {
		return nil, false, err
	}
	return o, created, nil
}

// placeOrder is PlaceOrder inside tx, the input validated, the photos checked and what the
// order names read (p). A replayed idempotency key is answered before p's refusal, if any.
func (tx *Tx) placeOrder(ctx context.Context, oc *orderCaller, in model.OrderInput, checked []*model.Photo, p *placing) (id int64, created bool, err error) {
	sc := oc.sc
	p.placed = nil
	err = func() error {
		if in.IdempotencyKey != "" {
			if id, err = tx.replayedOrder(ctx, sc, in); err != nil || id != 0 {
				return err
			}
		}
		if p.err != nil {
			return p.err
		}
		h, cat, name := p.h, p.cat, p.name
		onBehalf := h.ID != oc.own
		ts := tx.s.now()
		status := model.OrderPlaced
		if cat.OpenOnPlace {
			status = model.OrderOpen
		}
		due := ts.Add(time.Duration(cat.TakeWithinHours) * time.Hour)
		q := `INSERT INTO orders (community_id, territory_id, path, household_id, category_id, description, preferred_time, contact, status, level,
			placed_by, placed_by_name, on_behalf, idem_key, idem_fingerprint, photos, placed_at, due_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'grid', ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		args := []any{cat.CommunityID, h.TerritoryID, h.Path, h.ID, cat.ID, in.Description, in.PreferredTime, in.Contact, string(status),
			nullID(sc.UserID), name, onBehalf, in.IdempotencyKey, in.Fingerprint(), len(checked), ts, due, ts}
		if in.IdempotencyKey != "" {
			// Two creates with one key at once: the second waits for the first and inserts nothing.
			q += ` ON CONFLICT (placed_by, idem_key) WHERE idem_key <> '' DO NOTHING`
		}
		if id, err = tx.insertID(ctx, q, args...); err != nil {
			return err
		}
		if id == 0 {
			id, err = tx.replayedOrder(ctx, sc, in)
			if err == nil && id == 0 {
				err = errors.New("order: idempotency key conflict without a row")
			}
			return err
		}
		created = true
		if err := tx.orderStatsAddFacts(ctx, h.Path, cat.Name, model.OrderStatFacts{Status: status, PlacedAt: ts}, 1); err != nil {
			return err
		}
		blobs := make([]Blob, len(checked))
		for i, ph := range checked {
			blobs[i] = Blob{ID: blobID("order", ph.Data), ContentType: ph.ContentType, Size: int64(len(ph.Data)), Data: ph.Data}
			if _, err := tx.exec(ctx, `INSERT INTO order_photos (order_id, n, blob_id, content_type, size, width, height) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, i+1, blobs[i].ID, ph.ContentType, len(ph.Data), ph.Width, ph.Height); err != nil {
				return err
			}
		}
		if err := tx.storeBlobs(ctx, blobs); err != nil {
			return err
		}
		reason := ""
		if onBehalf {
			reason = "代居民下单"
		}
		ev, err := tx.orderEvent(ctx, id, model.ActPlace, "", status, sc.UserID, name, reason, ts)
		if err != nil {
			return err
		}
		// The order as placed, for the answer: what was inserted, with the defaults it took.
		p.placed = &model.Order{ID: id, CommunityID: cat.CommunityID, TerritoryID: h.TerritoryID, Path: h.Path, UnitID: h.UnitID, HouseholdID: h.ID,
			Address: h.Address, CategoryID: cat.ID, Category: cat.Name, Description: in.Description, PreferredTime: in.PreferredTime, Contact: in.Contact,
			Status: status, Level: model.LevelGrid, PlacedBy: sc.UserID, OnBehalf: onBehalf, PlacedByName: name, Photos: len(checked),
			PlacedAt: ts, DueAt: &due, UpdatedAt: ts, Version: 1, History: []model.OrderEvent{ev}}
		detail := fmt.Sprintf("%s，%s", cat.Name, status.Label())
		if onBehalf {
			detail += "，代居民下单"
		}
		tx.auditAt(sc, h.Path, "order.place", "order", []int64{id}, detail)
		return tx.orderPublish(ctx, id, h.Path, status, p.aud.followers)
	}()
	return id, created, err
}

// replayedOrder is the order sc created before with in's idempotency key: its id when the body
// matches, 0 when there is none, a ConflictError when the body differs.
func (tx *Tx) replayedOrder(ctx context.Context, sc authz.Scope, in model.OrderInput) (int64, error) {
	var id int64
	var fp string
	err := tx.queryRow(ctx, `SELECT id, idem_fingerprint FROM orders WHERE placed_by = ? AND idem_key = ?`, []any{sc.UserID, in.IdempotencyKey}, &id, &fp)
	switch {
	case errors.Is(err, model.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case fp != in.Fingerprint():
		return 0, &model.ConflictError{Message: "这个幂等键已用于另一份内容不同的订单，请换一个键"}
	}
	return id, nil
}

// orderEvent records a step of order id's history at time at, returning it as the history
// shows it.
func (tx *Tx) orderEvent(ctx context.Context, id int64, action model.OrderAction, from, to model.OrderStatus, actor int64, actorName, reason string, at time.Time) (model.OrderEvent, error) {
	_, err := tx.exec(ctx, `INSERT INTO order_events (order_id, action, from_status, to_status, actor_id, actor_name, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, string(action), string(from), string(to), nullID(actor), actorName, reason, at)
	return model.OrderEvent{Action: action, From: from, To: to, ActorName: actorName, Reason: reason, At: at}, err
}

// TransitionOrder applies in.Action to order id as sc, as model.OrderTransition allows from
// the status it is in: a *model.ConflictError when the order is not in a status the action
// starts from (claimed by another meanwhile: "已被他人接单"), a *model.ForbiddenError when the
// caller plays no part that may take it, model.ErrNotFound when it may not read the order.
func (s *Store) TransitionOrder(ctx context.Context, sc authz.Scope, id int64, in model.OrderTransitionInput) (*model.Order, error) {
	return s.transitionOrder(ctx, sc, id, in, nil)
}

// transitionOrder is TransitionOrder; between, when not nil, runs after the order is read and
// before the transaction (tests: another transition committed in between).
func (s *Store) transitionOrder(ctx context.Context, sc authz.Scope, id int64, in model.OrderTransitionInput, between func()) (*model.Order, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	// The caller, the order as it is now and who follows it are read first (readThenWrite: on
	// SQLite before the transition queues for the one writer); the transaction uses the order
	// read if its version is still the order's.
	var oc *orderCaller
	var p *transition
	err := s.readThenWrite(ctx, func(c conn) error {
		var err error
		if oc, err = c.orderCaller(ctx, sc); err != nil {
			return err
		}
		if p, err = c.prepTransition(ctx, oc, id); err != nil {
			return err
		}
		if p != nil {
			if _, err := s.orderStatDepth(ctx, c, p.o.Path); err != nil {
				return err
			}
		}
		if between != nil {
			between()
		}
		return nil
	}, func(tx *Tx) error {
		return tx.transitionOrder(ctx, oc, id, in, p)
	})
	if err != nil {
		return nil, err
	}
	if o := p.answer(oc); o != nil {
		return o, nil
	}
	o, err := s.reader().orderView(ctx, oc, id)
	if errors.Is(err, model.ErrNotFound) {
		// The caller's part ended with its transition: p.answer's case, read back.
		if o, err = s.Order(ctx, authz.System(), id); err == nil {
			o = oc.answer(o)
		}
	}
	return o, err
}

// transitionOrder is TransitionOrder inside tx. p is what was read of the order before the
// transaction (nil: nothing, all is read here). Its order is taken as it is, and the UPDATE's
// condition on the version checks it: should another transition have come between (the
// UPDATE matches no row), or should p's order refuse the transition, it is decided again on
// the order read here, so that every outcome is that of the order as it is now.
func (tx *Tx) transitionOrder(ctx context.Context, oc *orderCaller, id int64, in model.OrderTransitionInput, p *transition) (err error) {
	p.changed(nil, nil, model.OrderEvent{})
	updated := false
	if p != nil {
		defer func() {
			if err != nil && !updated {
				err = tx.transitionOrder(ctx, oc, id, in, nil)
			}
		}()
	}
	o, cat, err := p.current(ctx, tx, oc, id)
	if errors.Is(err, model.ErrNotFound) && in.Action == model.ActClaim {
		// A taker of the community who lost the race: the order is no longer open, so no longer
		// theirs to read; they learn only that it was taken.
		if raw, rerr := queryOne(ctx, tx.conn, `SELECT `+orderColumns+orderFrom+` WHERE o.id = ?`, []any{id}, scanOrder); rerr == nil &&
			slices.Contains(oc.actors(raw), model.ActorCandidate) {
			return &model.ConflictError{Message: "已被他人接单"}
		}
	}
	if err != nil {
		return err
	}
	actors := oc.actors(o)
	if in.Action == model.ActClaim && oc.requester(o) {
		return &model.ForbiddenError{Message: "不能接自己下的单"}
	}
	to, err := model.OrderTransition(o.Status, in.Action, actors)
	if err != nil {
		return err
	}
	ts := tx.s.now()
	takeBy := ts.Add(time.Duration(cat.TakeWithinHours) * time.Hour)
	finishBy := ts.Add(time.Duration(cat.FinishWithinHours) * time.Hour)
	sets := []string{"status = ?", "updated_at = ?", "version = version + 1"}
	args := []any{string(to), ts}
	// next is the order as the UPDATE leaves it: the statistics adjust by it and the caller's
	// answer is made of it, neither reading the row back.
	next := *o
	next.Status, next.UpdatedAt, next.Version = to, ts, o.Version+1
	set := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
		var t *time.Time
		if at, ok := v.(time.Time); ok {
			t = &at
		}
		switch col {
		case "taken_at":
			next.TakenAt = t
		case "done_at":
			next.DoneAt = t
		case "due_at":
			next.DueAt = t
		case "taker_id":
			next.Taker = nil // a taker it goes to is set with its name below
		case "stars":
			next.Stars, _ = v.(int)
		case "comment":
			next.Comment, _ = v.(string)
		case "minutes":
			next.Minutes, _ = v.(int)
		case "level":
			s, _ := v.(string)
			next.Level = model.DispatchLevel(s)
		}
	}
	takenBy := func(t *model.OrderTaker) {
		set("taker_id", t.ID)
		next.Taker = &model.OrderTaker{ID: t.ID, Name: t.Name, Kind: t.Kind, UserID: t.UserID}
	}
	var oldTaker, oldTakerUser int64
	if o.Taker != nil {
		oldTaker, oldTakerUser = o.Taker.ID, o.Taker.UserID
	}
	newTaker, newTakerUser := oldTaker, oldTakerUser
	switch in.Action {
	case model.ActDispatch:
		t, err := tx.orderTaker(ctx, in.TakerID)
		if errors.Is(err, model.ErrNotFound) || err == nil && (!t.Active || t.CommunityID != o.CommunityID) {
			return fieldErr("taker_id", "接单人须是本社区登记在册的志愿者、党员或共建单位")
		} else if err != nil {
			return err
		}
		if t.UserID != 0 && t.UserID == o.PlacedBy {
			return fieldErr("taker_id", "不能把订单派给下单人自己")
		}
		newTaker, newTakerUser = t.ID, t.UserID
		takenBy(t)
		set("due_at", takeBy)
	case model.ActOpen:
		newTaker = 0
		set("taker_id", nil)
		set("due_at", takeBy)
	case model.ActClaim:
		t, err := tx.registerTaker(ctx, oc)
		if err != nil {
			return err
		}
		newTaker, newTakerUser = t.ID, t.UserID
		takenBy(t)
		set("taken_at", ts)
		set("due_at", finishBy)
		set("reminded_at", nil)
	case model.ActAccept:
		set("taken_at", ts)
		set("due_at", finishBy)
		set("reminded_at", nil)
	case model.ActDecline, model.ActReopen:
		newTaker = 0
		set("taker_id", nil)
		set("taken_at", nil)
		set("due_at", takeBy)
		if in.Action == model.ActReopen {
			set("done_at", nil)
			set("stars", 0)
			set("comment", "")
		}
	case model.ActDone:
		set("done_at", ts)
		set("minutes", in.Minutes())
		set("due_at", nil)
	case model.ActRate:
		set("stars", in.Stars)
		set("comment", in.Comment)
	case model.ActClose, model.ActCancel:
		set("due_at", nil)
	case model.ActEscalate:
		newTaker = 0
		set("taker_id", nil)
		set("taken_at", nil)
		set("level", string(model.LevelCommunity))
		set("due_at", takeBy)
	case model.ActRemind:
		set("reminded_at", ts)
		set("due_at", finishBy)
	}
	args = append(args, id, string(o.Status), o.Version)
	r, err := tx.exec(ctx, `UPDATE orders SET `+joinSets(sets)+` WHERE id = ? AND status = ? AND version = ?`, args...)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		if in.Action == model.ActClaim {
			return &model.ConflictError{Message: "已被他人接单"}
		}
		return &model.ConflictError{Message: "订单刚刚有了变化，请刷新后再试"}
	}
	updated = true
	// The statistics: the order as it was (o, of the version the UPDATE matched), as it is.
	if err := tx.orderStatsAddFacts(ctx, o.Path, o.Category, orderStatFactsOf(o), -1); err != nil {
		return err
	}
	if err := tx.orderStatsAddFacts(ctx, o.Path, o.Category, orderStatFactsOf(&next), 1); err != nil {
		return err
	}
	// The load of the takers: the orders dispatched to or taken by each, not yet done.
	loaded := func(s model.OrderStatus) bool { return s == model.OrderDispatched || s == model.OrderTaken }
	// The taker unloaded is read by the same statement: a done order's (done is only ever taken
	// from a taker's taken order) is credited by orderServed below.
	var unloaded servedTaker
	if oldTaker != 0 && loaded(o.Status) && (newTaker != oldTaker || !loaded(to)) {
		if err := tx.queryRow(ctx, `UPDATE order_takers SET open_orders = open_orders - 1 WHERE id = ? RETURNING id, community_id, member_id`,
			[]any{oldTaker}, &unloaded.id, &unloaded.community, &unloaded.member); err != nil {
			return err
		}
	}
	if newTaker != 0 && loaded(to) && (newTaker != oldTaker || !loaded(o.Status)) {
		if _, err := tx.exec(ctx, `UPDATE order_takers SET open_orders = open_orders + 1 WHERE id = ?`, newTaker); err != nil {
			return err
		}
	}
	name := cmp.Or(oc.name, "系统")
	if !oc.system && oc.name == "" {
		if name, err = tx.authorName(ctx, oc.sc.UserID); err != nil {
			return err
		}
	}
	reason := in.Reason
	onBehalf := (in.Action == model.ActAccept || in.Action == model.ActDone) && !slices.Contains(actors, model.ActorTaker)
	switch in.Action {
	case model.ActRate:
		reason = fmt.Sprintf("%d 星", in.Stars)
		if in.Comment != "" {
			reason += "：" + in.Comment
		}
	case model.ActDone:
		reason = fmt.Sprintf("服务 %.1f 小时", float64(in.Minutes())/60)
	}
	if onBehalf {
		// A dispatcher acting for a taker without a phone or an account: the history says so.
		reason = strings.TrimSpace("代接单人操作 " + reason)
	}
	var actor int64
	if !oc.system {
		actor = oc.sc.UserID
	}
	ev, err := tx.orderEvent(ctx, id, in.Action, o.Status, to, actor, name, reason, ts)
	if err != nil {
		return err
	}
	p.changed(o, &next, ev)
	if in.Action == model.ActDone && unloaded.id != 0 {
		if err := tx.orderServed(ctx, o, unloaded, in.Minutes(), actor); err != nil {
			return err
		}
	}
	aud, err := p.audience(ctx, tx, o)
	if err != nil {
		return err
	}
	if err := tx.orderNotify(ctx, o, aud.household, in.Action, oldTaker, newTaker); err != nil {
		return err
	}
	if newTaker == 0 {
		newTakerUser = 0
	}
	if err := tx.orderPublish(ctx, id, o.Path, to, aud.followers, oldTakerUser, newTakerUser); err != nil {
		return err
	}
	auditSc := oc.sc
	if oc.system {
		auditSc = authz.System()
	}
	if in.Action == model.ActCancel {
		if err := tx.refundOrderSpends(ctx, auditSc, o, actor); err != nil {
			return err
		}
	}
	tx.auditAt(auditSc, o.Path, "order."+string(in.Action), "order", []int64{id}, fmt.Sprintf("%s → %s", o.Status.Label(), to.Label()))
	return nil
}

// servedTaker is the taker a transition unloaded, as the unloading statement returned it.
type servedTaker struct {
	id, community int64
	member        sql.NullInt64
}

// orderServed credits the taker of a done order, already unloaded by transitionOrder, with
// the service time and, when the taker is a party member, the points an order earns (the
// points ledger's PointsOrder rule). The minutes are banked in the taker's time bank
// (timebank.go) and counted on its record (order_takers.minutes) together, once per order and
// taker: a reopened order done again by the same taker adds to neither. A done order is the
// flow's busiest write: the taker's row is written again only when minutes were banked.
func (tx *Tx) orderServed(ctx context.Context, o *model.Order, t servedTaker, minutes int, by int64) error {
	banked, err := tx.bankOrderMinutes(ctx, o.ID, t.id, t.community, minutes, by)
	if err != nil {
		return err
	}
	if banked {
		if _, err := tx.exec(ctx, `UPDATE order_takers SET minutes = minutes + ? WHERE id = ?`, minutes, t.id); err != nil {
			return err
		}
	}
	if t.member.Valid {
		if _, err := tx.AwardPoints(ctx, t.member.Int64, model.PointsOrder, o.ID, "志愿服务："+o.Category, by); err != nil {
			return err
		}
	}
	return nil
}

// orderNotify tells the household (its accounts: orderAudience) and the takers concerned what
// changed (in-app messages).
func (tx *Tx) orderNotify(ctx context.Context, o *model.Order, householdUsers []int64, a model.OrderAction, oldTaker, newTaker int64) error {
	link := fmt.Sprintf("/orders/%d", o.ID)
	household := func(title, body string) error {
		return tx.notifyUsers(ctx, householdUsers, model.NotificationInput{Kind: "order." + string(a), Title: title, Body: body, Link: link})
	}
	taker := func(id int64, title, body string) error {
		var user sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT user_id FROM order_takers WHERE id = ?`, []any{id}, &user); err != nil || !user.Valid {
			return err
		}
		_, err := tx.Notify(ctx, model.NotificationInput{UserID: user.Int64, Kind: "order." + string(a), Title: title, Body: body, Link: link})
		return err
	}
	switch a {
	case model.ActClaim, model.ActAccept:
		return household("您的订单已有人接单", fmt.Sprintf("“%s”已有志愿者接单，请留意联系。", o.Category))
	case model.ActDone:
		return household("服务已完成，请评价", fmt.Sprintf("“%s”已完成，请为这次服务打分。", o.Category))
	case model.ActDispatch:
		return taker(newTaker, "您有新的派单", fmt.Sprintf("社区给您派了一单“%s”，请确认接单。", o.Category))
	case model.ActRate:
		if oldTaker != 0 {
			return taker(oldTaker, "居民评价了您的服务", fmt.Sprintf("“%s”收到了评价。", o.Category))
		}
	case model.ActRemind:
		if oldTaker != 0 {
			return taker(oldTaker, "订单催办", fmt.Sprintf("“%s”已超过约定时间，请尽快完成。", o.Category))
		}
	case model.ActEscalate, model.ActDecline:
		if a == model.ActEscalate && oldTaker != 0 {
			if err := taker(oldTaker, "订单已上报社区", fmt.Sprintf("“%s”超时未完成，已上报社区另行安排。", o.Category)); err != nil {
				return err
			}
		}
		return household("订单正在重新安排", fmt.Sprintf("“%s”正在重新安排接单人。", o.Category))
	}
	return nil
}

func joinSets(sets []string) string {
	out := ""
	for i, s := range sets {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// OrderView picks whose orders Orders lists.
type OrderView string

// The views.
const (
	OrdersInScope OrderView = ""       // dispatchers and unit leaders: the orders of their territory (unit); anyone else: mine
	OrdersMine    OrderView = "mine"   // the caller's household's orders and those it placed
	OrdersTaking  OrderView = "taking" // the orders the caller's taker holds or held
	OrdersNear    OrderView = "near"   // open orders of the caller's taker's community, to claim
)

// OrderFilter narrows Orders.
type OrderFilter struct {
	View       OrderView
	Under      int64 // a territory subtree (in scope view)
	Status     model.OrderStatus
	CategoryID int64
	Overdue    bool // only orders whose time limit has passed
	Limit      int
	Cursor     string
}

// Orders lists orders of a view, newest first, with the total. A view the caller has no part
// in lists nothing (a resident without a household has no "mine"; a caller who is no taker
// has no "near").
func (s *Store) Orders(ctx context.Context, sc authz.Scope, f OrderFilter) (*Page[*model.Order], error) {
	c := s.reader()
	oc, err := c.orderCaller(ctx, sc)
	if err != nil {
		return nil, err
	}
	w := filter{}
	empty := &Page[*model.Order]{}
	candidate := false
	// whole: the page lists every order of the subtree at path subtree (a board without filters).
	var subtree string
	whole := false
	byPost := f.View == OrdersInScope && !sc.All && !dispatcherRole(sc.Role) && !sc.UnitBound() && len(oc.posts) > 0
	if f.View == OrdersInScope && !sc.All && !dispatcherRole(sc.Role) && !sc.UnitBound() && !byPost {
		if f.Under != 0 {
			return nil, &model.ForbiddenError{Message: "只有社区工作人员、网格员和联建单元长可以查看辖区内的订单"}
		}
		f.View = OrdersMine // a household's orders are its own
	}
	switch {
	case byPost:
		if err := c.dispatchSubtree(ctx, oc, f.Under, &w); err != nil {
			return nil, err
		}
	case f.View == OrdersInScope:
		prefix, ok, err := c.subtree(ctx, sc, f.Under)
		if err != nil || !ok {
			return empty, err
		}
		subtree, whole = prefix, !sc.UnitBound()
		lo, hi := authz.PathRange(prefix)
		w.add("o.path >= ? AND o.path < ?", lo, hi)
		w.narrowToUnit(sc, "o.household_id")
	case f.View == OrdersMine:
		if oc.own == 0 && sc.UserID == 0 {
			return empty, nil
		}
		w.add("(o.household_id = ? OR o.placed_by = ?)", oc.own, sc.UserID)
	case f.View == OrdersTaking:
		if oc.taker == nil || oc.taker.ID == 0 {
			return empty, nil
		}
		w.add("o.taker_id = ?", oc.taker.ID)
	case f.View == OrdersNear:
		if oc.taker == nil || !oc.taker.Active {
			return empty, nil
		}
		candidate = true
		w.add("o.community_id = ? AND o.status = ?", oc.taker.CommunityID, string(model.OrderOpen))
		if oc.own != 0 {
			w.add("o.household_id <> ?", oc.own)
		}
		if sc.UserID != 0 {
			w.add("(o.placed_by IS NULL OR o.placed_by <> ?)", sc.UserID)
		}
	default:
		return nil, fieldErr("view", "视图应为 mine、taking、near 或留空")
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return nil, fieldErr("status", "没有这种订单状态")
		}
		if candidate && f.Status != model.OrderOpen {
			return empty, nil
		}
		w.add("o.status = ?", string(f.Status))
	}
	if f.CategoryID != 0 {
		w.add("o.category_id = ?", f.CategoryID)
	}
	if f.Overdue {
		w.add("o.due_at < ?", s.now())
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	byStatus := whole && f.Status != ""
	whole = whole && f.Status == "" && f.CategoryID == 0 && !f.Overdue
	var total, all int64 = -1, 0
	if whole {
		if total, all, err = c.orderTotals(ctx, subtree); err != nil {
			return nil, err
		}
	}
	from := `orders o`
	if byStatus {
		// A status of a community or more (待派单 on a street's board): the orders of that
		// status, community by community, from the (community_id, status, id) index, where the
		// path index read every order of the subtree to check its status (≈100 ms for a
		// street's 165,000, twice with the count). Below a community the path index is narrower.
		above, err := c.communityOrAbove(ctx, subtree)
		if err != nil {
			return nil, err
		}
		if above {
			lo, hi := authz.PathRange(subtree)
			w.add("o.community_id IN (SELECT id FROM territories WHERE kind = 'community' AND path >= ? AND path < ?)", lo, hi)
			if c.d.name == "sqlite" {
				from = `orders o INDEXED BY orders_status`
			}
		}
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("o.id < ?", cur.id)
	}
	// The page's ids first, from the orders alone (the (path, id) index covers a subtree's),
	// then their rows with the joins: joining every order of a street before sorting took
	// seconds at 500,000 orders.
	limit := clampLimit(f.Limit)
	// A subtree holding a twentieth of the orders or more (a street's 165,000 of 500,000): its
	// newest are found by walking the table from the newest id back, a few hundred rows, where
	// the (path, id) index made SQLite sort every order of the subtree by id (80 ms). Any other
	// board reads the subtree's orders from an index and sorts them; PostgreSQL, estimating
	// every path range at ~1,200 rows, walked the primary key back instead (150 ms for a
	// grid's 250 orders scattered among 500,000), which "id + 0" rules out.
	large := whole && total*20 >= all
	orderBy := `o.id DESC`
	switch {
	case large && c.d.name == "sqlite":
		from = `orders o NOT INDEXED`
	case !large && c.d.name == "postgres" && f.View == OrdersInScope:
		orderBy = `o.id + 0 DESC`
	}
	ids := `SELECT o.id FROM ` + from + ` WHERE ` + w.sql() + ` ORDER BY ` + orderBy + ` LIMIT ` + strconv.Itoa(limit+1)
	page, err := fetchPage(ctx, c, `SELECT `+orderColumns+orderFrom+` WHERE o.id IN (`+ids+`) ORDER BY o.id DESC`, w.args, limit,
		func(r rowScanner) (*model.Order, cursor, error) {
			o, err := scanOrder(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return o, cursor{key: "o", id: o.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	// Every condition is on the order's own columns and the joins never drop a row (foreign
	// keys): the total counts the orders alone, from the index, without joining a row each;
	// a whole subtree's is the maintained statistics' (orders are never deleted nor moved).
	if total >= 0 {
		page.Total = total
	} else if err := c.queryRow(ctx, `SELECT COUNT(*) FROM `+from+` WHERE `+count.sql(), count.args, &page.Total); err != nil {
		return nil, err
	}
	for _, o := range page.Items {
		if candidate {
			withholdOrder(o)
		}
		oc.guardContact(o)
	}
	return page, nil
}

// communityOrAbove reports whether the node at path prefix is a community or lies above one
// ("" is the whole tree).
func (c conn) communityOrAbove(ctx context.Context, prefix string) (bool, error) {
	kind, err := c.subtreeKind(ctx, prefix)
	return kind.Rank() <= model.KindCommunity.Rank(), err
}

// subtreeKind is the kind of the node at path prefix; "" for the whole tree (prefix "").
func (c conn) subtreeKind(ctx context.Context, prefix string) (model.TerritoryKind, error) {
	ids := model.PathIDs(prefix)
	if len(ids) == 0 {
		return "", nil
	}
	var kind model.TerritoryKind
	err := c.queryRow(ctx, `SELECT kind FROM territories WHERE id = ?`, []any{ids[len(ids)-1]}, &kind)
	return kind, err
}

// orderTotals are the orders ever placed under path (prefix "" the whole city) and in the whole
// city, from the maintained statistics (order_stat.go): a row per month and category at each;
// below the grids, where no rows are kept, the subtree's orders are counted.
func (c conn) orderTotals(ctx context.Context, prefix string) (under, all int64, err error) {
	path := cmp.Or(prefix, "/")
	kind, err := c.subtreeKind(ctx, prefix)
	if err != nil {
		return 0, 0, err
	}
	kept := orderStatKept(kind)
	if !kept {
		lo, hi := authz.PathRange(prefix)
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM orders WHERE path >= ? AND path < ?`, []any{lo, hi}, &under); err != nil {
			return 0, 0, err
		}
	}
	rows, err := c.query(ctx, `SELECT path, COALESCE(SUM(placed), 0) FROM order_stats WHERE path IN (?, '/') GROUP BY path`, path)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var n int64
		if err := rows.Scan(&p, &n); err != nil {
			return 0, 0, err
		}
		if p == path && kept {
			under = n
		}
		if p == "/" {
			all = n
		}
	}
	return under, all, rows.Err()
}

// OrderLimits are what one sweep of the time limits did.
type OrderLimits struct {
	Escalated, Reminded int
}

// SweepOrderLimits applies the categories' time limits to the orders whose limit has passed
// (at most 1000 a call): an order not taken in time is escalated to the community; one taken
// but not done in time is reminded once, then escalated when its second limit passes. Each is
// a transition of its own, decided like any other: an order a person changed meanwhile is
// left as they left it.
func (s *Store) SweepOrderLimits(ctx context.Context) (OrderLimits, error) {
	var n OrderLimits
	type due struct {
		id       int64
		status   model.OrderStatus
		level    model.DispatchLevel
		reminded bool
	}
	list, err := queryAll(ctx, s.reader(), `SELECT id, status, level, reminded_at IS NOT NULL FROM orders WHERE due_at <= ? ORDER BY due_at LIMIT 1000`,
		[]any{s.now()}, func(r rowScanner) (due, error) {
			var d due
			err := r.Scan(&d.id, &d.status, &d.level, &d.reminded)
			return d, err
		})
	if err != nil {
		return n, err
	}
	for _, d := range list {
		var a model.OrderAction
		switch {
		case d.status == model.OrderTaken && !d.reminded:
			a = model.ActRemind
		case d.status == model.OrderTaken, d.level == model.LevelGrid && d.status.Unassigned(), d.status == model.OrderDispatched && d.level == model.LevelGrid:
			a = model.ActEscalate
		default:
			// At the community already (or done): nothing further to escalate to; the limit stops.
			if _, err := s.write.ExecContext(ctx, s.d.rebind(`UPDATE orders SET due_at = NULL WHERE id = ? AND status = ?`), d.id, string(d.status)); err != nil {
				return n, s.d.mapErr(err)
			}
			continue
		}
		err := s.Tx(ctx, func(tx *Tx) error {
			return tx.transitionOrder(ctx, &orderCaller{sc: authz.System(), system: true}, d.id, model.OrderTransitionInput{Action: a, Reason: "超过时限"}, nil)
		})
		switch {
		case errors.Is(err, model.ErrConflict):
			continue // changed meanwhile
		case err != nil:
			return n, err
		case a == model.ActRemind:
			n.Reminded++
		default:
			n.Escalated++
		}
	}
	return n, nil
}

// OrderPlaceFor is what the place form needs for household id (0: the caller's own): the
// household and its community's active categories (the default ones created on first use). A
// *model.ValidationError on household_id when the caller has no household of its own; for
// another household than its own, model.ErrNotFound unless the caller places on behalf of
// residents (staff, grid and unit leaders) and its scope holds the household.
func (s *Store) OrderPlaceFor(ctx context.Context, sc authz.Scope, id int64) (*model.Household, []*model.OrderCategory, error) {
	c := s.reader()
	own, err := c.ownHousehold(ctx, sc)
	if err != nil {
		return nil, nil, err
	}
	if id == 0 {
		id = own
	}
	if id == 0 {
		return nil, nil, fieldErr("household_id", "您的账号还没有关联住户，请联系社区工作人员代为下单")
	}
	var h *model.Household
	if id == own {
		h, err = c.household(ctx, authz.System(), id)
	} else if dispatcherRole(sc.Role) || sc.Role == model.RoleUnitLeader {
		h, err = c.household(ctx, sc, id)
	} else {
		err = model.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	var community int64
	if err := c.queryRow(ctx, `SELECT community_id FROM households WHERE id = ?`, []any{id}, &community); err != nil {
		return nil, nil, err
	}
	cats, err := s.OrderCategories(ctx, authz.System(), community)
	if err != nil {
		return nil, nil, err
	}
	active := cats[:0]
	for _, cat := range cats {
		if cat.Active {
			active = append(active, cat)
		}
	}
	return h, active, nil
}

// OrderCategoriesInScope lists the categories of the communities sc's territory lies in or
// holds (for the dispatch board's filter), by community then id, at most 200.
func (s *Store) OrderCategoriesInScope(ctx context.Context, sc authz.Scope) ([]*model.OrderCategory, error) {
	w := filter{}
	if !sc.All {
		lo, hi := authz.PathRange(sc.Path)
		// A community under the scope, or the community a grid leader's scope lies in (one of
		// the nodes on its path): two index reads, not a scan of every node as a join on the
		// territories with a LIKE was (0.6 s at 1M households).
		ids := model.PathIDs(sc.Path)
		args := []any{string(model.KindCommunity), lo, hi}
		for _, id := range ids {
			args = append(args, id)
		}
		w.add("(c.community_id IN (SELECT id FROM territories WHERE kind = ? AND path >= ? AND path < ?) OR c.community_id IN ("+inList(len(ids))+"))", args...)
	}
	q := `SELECT c.id, c.community_id, c.name, c.open_on_place, c.take_within_hours, c.finish_within_hours, c.active
		FROM order_categories c`
	if len(w.args) > 0 {
		q += ` WHERE ` + w.sql()
	}
	return queryAll(ctx, s.reader(), q+` ORDER BY c.community_id, c.id LIMIT 200`, w.args, scanOrderCategory)
}

// OrderPhoto returns photo n (from 1) of an order sc may read, with its bytes; model.ErrNotFound
// when either is missing or the order is not sc's. A candidate taker sees the photos of an
// open order (they show the job, e.g. the broken tap).
func (s *Store) OrderPhoto(ctx context.Context, sc authz.Scope, id int64, n int) (*model.ActivityPhoto, *Blob, error) {
	c := s.reader()
	if _, _, _, err := c.readOrder(ctx, sc, id); err != nil {
		return nil, nil, err
	}
	p, err := queryOne(ctx, c, `SELECT n, blob_id, content_type, size, width, height FROM order_photos WHERE order_id = ? AND n = ?`, []any{id, n},
		func(r rowScanner) (*model.ActivityPhoto, error) {
			p := &model.ActivityPhoto{}
			err := r.Scan(&p.N, &p.BlobID, &p.ContentType, &p.Size, &p.Width, &p.Height)
			return p, err
		})
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Blobs().Get(ctx, p.BlobID)
	if err != nil {
		return nil, nil, err
	}
	return p, b, nil
}

// orderPublish tells the open pages of the order's parties that it changed (an "order.changed"
// event on subject order:ID, data {"status"}): its followers (orderAudience: the household's
// linked accounts, whoever placed it), the accounts of the takers it left and went to (0:
// none), and whoever follows a subtree holding its path (the dispatchers of its territory:
// followedPaths). Delivered when the transaction commits.
func (tx *Tx) orderPublish(ctx context.Context, id int64, path string, status model.OrderStatus, followers []int64, takerUsers ...int64) error {
	users := append(slices.Clone(followers), takerUsers...)
	return tx.Publish(ctx, model.EventInput{UserIDs: users, Path: path, Kind: "order.changed", Subject: fmt.Sprintf("order:%d", id), Data: map[string]string{"status": string(status)}})
}
