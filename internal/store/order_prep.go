package store

import (
	"context"
	"errors"
	"slices"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// What placing or changing an order reads is read before it writes (readThenWrite): the
// caller as the orders see it, the household, category and order it names, and who follows
// the order's page. On SQLite these reads run on the read pool before the transaction queues
// for the one write connection every order of the city shares, beside other requests'
// transactions; the transaction then writes, deciding what must be decided there — the
// idempotency key, and the order's status and version, checked again before the order read is
// used. What is read early and not checked again (the caller's household, taker and posts, a
// household moved out, a category retired, who follows the order) can be a moment old: a race
// with it is one a user could not tell from a request sent a moment earlier. The order a place
// or a transition answers with is made of these reads and of what the transaction wrote (not
// read back): what the order shows of other rows — its household's address and unit, its
// taker's name, its category's name — is as read before, so a change of one of those in that
// moment shows at the next read of the order, as it would after a request sent a moment
// earlier; the transition itself was decided on the same reads. Moving these reads
// out of SQLite's writer took its statements for an order from 54 to 29 (docs/benchmarks.md,
// issue 10, fifth pass).

// readThenWrite runs read, then write in a transaction. On SQLite with group commit read runs
// on the read pool before the transaction queues for the one writer, which then runs write
// alone. On PostgreSQL, whose transactions run side by side, both run in the one transaction:
// there its statements keep their cached plans, while the read pool plans every statement for
// its values (openPostgres) — reading an order's caller, order and followers there took the
// flow from 87–116 to 67 orders/s.
func (s *Store) readThenWrite(ctx context.Context, read func(c conn) error, write func(tx *Tx) error) error {
	if s.batch == nil {
		return s.Tx(ctx, func(tx *Tx) error {
			if err := read(tx.conn); err != nil {
				return err
			}
			return write(tx)
		})
	}
	if err := read(s.reader()); err != nil {
		return err
	}
	return s.Tx(ctx, write)
}

// placing is what placing an order names, read before its transaction (prepPlace).
type placing struct {
	h    *model.Household
	cat  *model.OrderCategory
	name string // the name history records for whoever places it
	aud  orderAudience
	// err refuses the input; the transaction still answers a replayed idempotency key first.
	err error
	// placed is the order the transaction inserted, as inserted, with its history (nil: none).
	placed *model.Order
}

// prepPlace reads what in names for oc: the household (oc's own when in names none), which
// oc must be allowed to place for, and an active category of its community.
func (c conn) prepPlace(ctx context.Context, oc *orderCaller, in model.OrderInput) (*placing, error) {
	sc := oc.sc
	p := &placing{}
	refuse := func(field, msg string) (*placing, error) {
		p.err = fieldErr(field, msg)
		return p, nil
	}
	hid := in.HouseholdID
	if hid == 0 {
		hid = oc.own
	}
	if hid == 0 {
		return refuse("household_id", "您的账号还没有关联住户，请联系社区工作人员代为下单")
	}
	onBehalf := hid != oc.own
	if onBehalf && !dispatcherRole(sc.Role) && sc.Role != model.RoleUnitLeader {
		return refuse("household_id", "只能为自己家下单")
	}
	h, err := c.household(ctx, sc, hid)
	if errors.Is(err, model.ErrNotFound) && !onBehalf {
		// One's own household, read as itself: a resident's territory scope may be narrower.
		h, err = c.household(ctx, authz.System(), hid)
	}
	if errors.Is(err, model.ErrNotFound) {
		return refuse("household_id", "没有这一户，或不在您的管辖范围内")
	} else if err != nil {
		return nil, err
	}
	if h.MovedOutAt != nil {
		return refuse("household_id", "该户已迁出")
	}
	var community int64
	if err := c.queryRow(ctx, `SELECT community_id FROM households WHERE id = ?`, []any{hid}, &community); err != nil {
		return nil, err
	}
	cat, err := c.orderCategory(ctx, in.CategoryID)
	if err != nil || cat.CommunityID != community || !cat.Active {
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
		return refuse("category_id", "本社区没有这个服务类别")
	}
	p.h, p.cat = h, cat
	if p.name = oc.name; p.name == "" {
		if p.name, err = c.authorName(ctx, sc.UserID); err != nil {
			return nil, err
		}
	}
	if p.aud, err = c.orderAudience(ctx, h.ID, sc.UserID); err != nil {
		return nil, err
	}
	return p, nil
}

// transition is what a transition reads of its order before its transaction (prepTransition),
// and what the transaction made of that order.
type transition struct {
	o       *model.Order // as oc reads it
	cat     *model.OrderCategory
	aud     orderAudience
	history []model.OrderEvent // o's history
	// after is o as the transition left it and event the step it added to the history (nil:
	// the transaction read the order again, since another transition came between).
	after *model.Order
	event model.OrderEvent
}

// changed records in p what the transaction made of order o: next, with history event. It
// keeps it only when o is the order p read (the answer is then p's history and event, read
// before the transaction); a nil o forgets what an earlier run of the transaction recorded.
func (p *transition) changed(o, next *model.Order, event model.OrderEvent) {
	if p == nil {
		return
	}
	if o == nil || o != p.o {
		p.after = nil
		return
	}
	p.after, p.event = next, event
}

// answer is the order as oc reads it after the transition: made of what the transaction
// wrote, without reading it back (nil when the transaction read the order again).
func (p *transition) answer(oc *orderCaller) *model.Order {
	if p == nil || p.after == nil {
		return nil
	}
	o := p.after
	o.History = append(slices.Clip(p.history), p.event)
	return oc.answer(o)
}

// prepTransition reads order id as oc may read it, its category and its followers; nil when
// oc may not read it (the transaction then reads it again and says why: a claim lost to
// another taker is told so).
func (c conn) prepTransition(ctx context.Context, oc *orderCaller, id int64) (*transition, error) {
	o, _, err := c.orderFor(ctx, oc, id)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	p := &transition{o: o}
	if p.cat, err = c.orderCategory(ctx, o.CategoryID); err != nil {
		return nil, err
	}
	if p.history, err = c.orderHistory(ctx, id); err != nil {
		return nil, err
	}
	if p.aud, err = c.orderAudience(ctx, o.HouseholdID, o.PlacedBy); err != nil {
		return nil, err
	}
	return p, nil
}

// current is order id and its category: p's as read before the transaction (the UPDATE that
// changes it checks its version: transitionOrder), read inside tx when p is nil.
func (p *transition) current(ctx context.Context, tx *Tx, oc *orderCaller, id int64) (*model.Order, *model.OrderCategory, error) {
	if p != nil {
		return p.o, p.cat, nil
	}
	o, _, err := tx.orderFor(ctx, oc, id)
	if err != nil {
		return nil, nil, err
	}
	cat, err := tx.orderCategory(ctx, o.CategoryID)
	if err != nil {
		return nil, nil, err
	}
	return o, cat, nil
}

// audience is o's audience: p's (an order's household, placer and path never change), or read
// inside tx when p is nil.
func (p *transition) audience(ctx context.Context, tx *Tx, o *model.Order) (orderAudience, error) {
	if p != nil {
		return p.aud, nil
	}
	return tx.orderAudience(ctx, o.HouseholdID, o.PlacedBy)
}

// orderAudience is who hears of an order's changes besides its takers and its territory's
// dispatchers (orderPublish).
type orderAudience struct {
	// followers are the accounts whose open pages follow the order: the household's linked
	// accounts, the leaders of its unit whose scope holds the household (their board holds the
	// unit's orders; they follow no path, which would tell them of the other units' orders
	// there; a household outside a leader's scope is not theirs to read, ContainsHousehold) and
	// the placer.
	followers []int64
	// household are the household's linked accounts that are not disabled: the in-app messages
	// meant for the household go to them (orderNotify, as notifyHousehold would send them).
	household []int64
}

// orderAudience reads the audience of an order of household placed by account placedBy (0:
// none). Read before the transaction like the rest (readThenWrite): an account linked or
// disabled in that moment is told from the next change on.
func (c conn) orderAudience(ctx context.Context, household, placedBy int64) (orderAudience, error) {
	var a orderAudience
	type row struct {
		user        int64
		ofHousehold bool
		disabled    bool
	}
	rows, err := queryAll(ctx, c, `SELECT u.id, 1, u.disabled FROM users u JOIN residents r ON r.id = u.resident_id WHERE r.household_id = ?
		UNION ALL SELECT u.id, 0, u.disabled FROM households h JOIN users u ON u.unit_id = h.unit_id JOIN territories t ON t.id = u.scope_id
			WHERE h.id = ? AND u.role = 'unit_leader' AND substr(h.path, 1, length(t.path)) = t.path`, []any{household, household},
		func(r rowScanner) (row, error) {
			var x row
			return x, r.Scan(&x.user, &x.ofHousehold, &x.disabled)
		})
	if err != nil {
		return a, err
	}
	for _, x := range rows {
		a.followers = append(a.followers, x.user)
		if x.ofHousehold && !x.disabled {
			a.household = append(a.household, x.user)
		}
	}
	a.followers = append(a.followers, placedBy)
	return a, nil
}
