package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// orders' part of the matrix for the API (volunteer service by orders, issue 10; the pages'
// part is order_page_test.go). Each relation's standing household has a standing order placed
// by the system, waiting for a dispatcher (a category that does not open on placing), with a
// photo. The resident and member accounts live in the own household (relOwn and relHousehold),
// so they are the requester of those two; both are also registered volunteers of community c1
// (the time bank's fixture), so they may claim the open orders of c1 but their own household's.
// Dispatchers are staff and grid leaders by territory; a unit leader reads the orders of its
// unit's households.

const (
	orderObj         objKind = 1600 // the relation's standing order (placed, with a photo)
	orderOpenObj     objKind = 1601 // a fresh open order of the relation's household (claim)
	orderPlacedObj   objKind = 1602 // a fresh placed order of the relation's household (escalate)
	orderCategoryObj objKind = 1603 // the standing category of the relation's community
)

const (
	apiOrderRead      routeKind = 2400 + iota // read an order: its household, its taker, dispatchers by territory, a unit leader its unit's households
	apiOrderPlace                             // place an order: for one's own household; on behalf: staff and grid leaders by territory, a unit leader its unit
	orderClaim                                // claim an open order: a registered taker of its community, not its own household's
	orderDispatch                             // a dispatcher's transition (escalate): staff and grid leaders by territory
	orderCategoryRead                         // a community's categories: anyone whose scope reaches or lies in it, and its households
	apiOrderAdmin                             // categories and takers: staff
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case apiOrderRead, orderClaim, orderDispatch, orderCategoryRead:
			// Who may do the route at all; what the order lets the caller do is orderExpected's.
			return r != model.RoleAuditor, true
		case apiOrderPlace:
			return r != model.RoleAuditor && r != model.RolePartner, true
		case apiOrderAdmin:
			return staffRole(r), true
		}
		return false, false
	})
	extraKindNames[apiOrderRead] = "order read"
	extraKindNames[apiOrderPlace] = "order place"
	extraKindNames[orderClaim] = "order claim"
	extraKindNames[orderDispatch] = "order dispatch"
	extraKindNames[orderCategoryRead] = "order categories"
	extraKindNames[apiOrderAdmin] = "order admin"
}

func orderKind(k routeKind) bool {
	return k == apiOrderRead || k == apiOrderPlace || k == orderClaim || k == orderDispatch || k == orderCategoryRead
}

// orderReach is the farthest relation whose orders a role reads: dispatchers their territory,
// a unit leader its unit, a household (resident, member) its own; a partner is no taker here
// and reads none.
func (w *world) orderReach(role model.Role) (relation, bool) {
	switch {
	case fieldWorker(role):
		return w.reach(role), true
	case role == model.RoleUnitLeader:
		return relUnit, true
	case role == model.RoleResident, role == model.RoleMember:
		return relHousehold, true
	}
	return 0, false
}

// orderExpected is the oracle's decision on an order route, past may.
func (w *world) orderExpected(sp spec, role model.Role, rel relation) decision {
	if !sp.scoped {
		return allow // the list: a dispatcher's territory, anyone else's own orders
	}
	reach, any := w.orderReach(role)
	visible := any && rel <= reach
	switch sp.kind {
	case apiOrderRead:
		if visible {
			return allow
		}
		return notFound
	case apiOrderPlace:
		// On behalf is a dispatcher's and a unit leader's; a household places its own.
		if visible {
			return allow
		}
		return invalidRef
	case orderClaim:
		// The resident and member accounts are registered takers of c1 (timebank_test.go
		// registers every relation's subject account as a volunteer; orders() makes sure).
		if (role == model.RoleMember || role == model.RoleResident) && rel >= relUnit && rel <= relCommunity {
			return allow // an open order of its community, not its own household's
		}
		if visible {
			return forbidden // it reads the order but plays no part that claims it
		}
		return notFound
	case orderDispatch:
		if visible && fieldWorker(role) {
			return allow
		}
		if visible {
			return forbidden
		}
		return notFound
	case orderCategoryRead:
		// The community of the relation: own to same-community lie in c1.
		r := max(w.reach(role), relCommunity)
		if rel <= r {
			return allow
		}
		return notFound
	}
	return allow
}

type ordersWorld struct {
	categories map[relation]int64 // the relation's community's category (does not open on placing)
	orders     map[relation]int64
}

var (
	ordersMu     sync.Mutex
	ordersWorlds = map[*fixture]*ordersWorld{}
)

func (w *world) orders() *ordersWorld {
	w.tb.Helper()
	ordersMu.Lock()
	defer ordersMu.Unlock()
	if o, ok := ordersWorlds[w.fixture]; ok {
		return o
	}
	ctx := context.Background()
	o := &ordersWorld{categories: map[relation]int64{}, orders: map[relation]int64{}}
	// The time bank's fixture registers the relations' subject accounts (the resident's and
	// the member's among them) as takers on first use: registered here first, so that what
	// the accounts may claim does not depend on which routes ran before.
	ordersMu.Unlock()
	w.timebankTaker(relOwn)
	ordersMu.Lock()
	if o, ok := ordersWorlds[w.fixture]; ok {
		return o
	}
	byCommunity := map[int64]int64{}
	for _, rel := range placed {
		c := w.communityOf(rel).ID
		if id, ok := byCommunity[c]; ok {
			o.categories[rel] = id
			continue
		}
		cat, err := w.st.SaveOrderCategory(ctx, authz.System(), c, 0, store.OrderCategoryInput{Name: "矩阵服务", TakeWithinHours: 24, FinishWithinHours: 72, Active: true})
		if err != nil {
			w.tb.Fatalf("category of %s: %v", rel, err)
		}
		byCommunity[c], o.categories[rel] = cat.ID, cat.ID
	}
	for _, rel := range placed {
		ord, _, err := w.st.PlaceOrder(ctx, authz.System(), model.OrderInput{CategoryID: o.categories[rel], HouseholdID: w.targets[rel].household.ID,
			Description: "矩阵订单"}, [][]byte{modeltest.JPEG(w.tb, 16, 16)})
		if err != nil {
			w.tb.Fatalf("order at %s: %v", rel, err)
		}
		o.orders[rel] = ord.ID
	}
	ordersWorlds[w.fixture] = o
	return o
}

func (w *world) orderObject(kind objKind, rel relation) int64 {
	o := w.orders()
	switch kind {
	case orderObj:
		return o.orders[rel]
	case orderCategoryObj:
		return o.categories[rel]
	case orderOpenObj, orderPlacedObj:
		ord, _, err := w.st.PlaceOrder(context.Background(), authz.System(), model.OrderInput{CategoryID: o.categories[rel], HouseholdID: w.targets[rel].household.ID,
			Description: fmt.Sprintf("矩阵新单%d", w.nextSeq())}, nil)
		if err != nil {
			w.tb.Fatalf("fresh order at %s: %v", rel, err)
		}
		if kind == orderOpenObj && ord.Status == model.OrderPlaced {
			if _, err := w.st.TransitionOrder(context.Background(), authz.System(), ord.ID, model.OrderTransitionInput{Action: model.ActOpen}); err != nil {
				w.tb.Fatalf("open order at %s: %v", rel, err)
			}
		}
		return ord.ID
	}
	return 0
}

func orderBody(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"category_id":"%d","household_id":"%d","description":"矩阵下单%d"}`,
		w.orders().categories[rel], w.targets[rel].household.ID, w.nextSeq())
}

func orderCategoryBody(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"community_id":"%d","name":"矩阵类别%d","open_on_place":false,"take_within_hours":24,"finish_within_hours":48}`,
		w.communityOf(rel).ID, w.nextSeq())
}

func orderTakerBody(w *world, rel relation, _ int64) (string, []byte) {
	u := storetest.RawUser(w.tb, w.st, fmt.Sprintf("taker%d", w.nextSeq()), model.RoleResident, w.targets[rel].node)
	return "application/json", fmt.Appendf(nil, `{"user_id":"%d","kind":"volunteer","name":"矩阵志愿者","territory_id":"%d"}`, u.ID, w.targets[rel].node.ID)
}

func apiOrderCommunityQuery(w *world, rel relation) string {
	return "community=" + strconv.FormatInt(w.communityOf(rel).ID, 10)
}

var ordersPatternKinds = map[string]objKind{
	"/api/v1/orders/{id}/claim":       orderOpenObj,
	"/api/v1/orders/{id}/transitions": orderPlacedObj,
	"/api/v1/orders/categories/{id}":  orderCategoryObj,
}

var ordersObjKinds = map[string]objKind{
	"/api/v1/orders/{id}": orderObj,
}

var ordersSpecs = map[string]spec{
	"GET /api/v1/orders":                   {kind: apiOrderRead},
	"POST /api/v1/orders":                  {kind: apiOrderPlace, scoped: true, ref: true, body: orderBody},
	"GET /api/v1/orders/{id}":              {kind: apiOrderRead, scoped: true},
	"GET /api/v1/orders/{id}/photos/{n}":   {kind: apiOrderRead, scoped: true},
	"POST /api/v1/orders/{id}/claim":       {kind: orderClaim, scoped: true, fresh: true},
	"GET /api/v1/orders/{id}/suggestions":  {kind: orderDispatch, scoped: true},
	"POST /api/v1/orders/{id}/transitions": {kind: orderDispatch, scoped: true, fresh: true, body: jsonBody(`{"action":"escalate","reason":"矩阵上报"}`)},
	"GET /api/v1/orders/categories":        {kind: orderCategoryRead, scoped: true, query: apiOrderCommunityQuery},
	"POST /api/v1/orders/categories":       {kind: apiOrderAdmin, scoped: true, body: orderCategoryBody},
	"PUT /api/v1/orders/categories/{id}":   {kind: apiOrderAdmin, scoped: true, body: orderCategoryBody},
	"GET /api/v1/orders/takers":            {kind: apiOrderAdmin, scoped: true, query: underNode},
	"POST /api/v1/orders/takers":           {kind: apiOrderAdmin, scoped: true, ref: true, body: orderTakerBody},
}

func init() {
	maps.Copy(specs, ordersSpecs)
	maps.Copy(patternKinds, ordersPatternKinds)
	maps.Copy(objKinds, ordersObjKinds)
}
