package securitytest_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"mime/multipart"
	"net/url"
	"strconv"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The orders' pages (issue 10 item 7) in the matrix. Who reaches an order is the part it plays
// in it (store/order.go), not its territory alone: staff and grid leaders dispatch the orders of
// their territory; a unit leader reads its unit's households' orders; a resident or member the
// orders of its own household (the own and same-household relations); a partner is no taker
// here and reaches none. The matrix's orders are of a category that waits for a dispatcher
// (not open for claiming), so no member reads them as a candidate taker; those of the unit
// leader's unit are placed by the unit leader on behalf of the household, so it may cancel
// them as their requester. The write route cancels a fresh order.

const orderPageObj objKind = 1500 // an order of the relation's household

const (
	orderRead  routeKind = 2300 + iota // the orders' pages and lists: everyone but the auditor
	orderPlace                         // place an order: staff, grid and unit leaders, members, residents
	orderWork                          // act on an order (cancel): as orderRead
	orderAdmin                         // a community's categories and takers: staff
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case orderRead, orderWork:
			return r != model.RoleAuditor, true
		case orderPlace:
			return r != model.RoleAuditor && r != model.RolePartner, true
		case orderAdmin:
			return staffRole(r), true
		}
		return false, false
	})
	extraReach = append(extraReach, func(w *world, r model.Role, k routeKind) (relation, bool) {
		if k != orderRead && k != orderPlace && k != orderWork && k != orderAdmin {
			return 0, false
		}
		switch r {
		case model.RoleUnitLeader:
			return relUnit, true
		case model.RoleResident, model.RoleMember:
			return relHousehold, true
		case model.RolePartner:
			return relOwn - 1, true // no order at all
		}
		return w.reach(r), true
	})
	extraKindNames[orderRead] = "order read"
	extraKindNames[orderPlace] = "order place"
	extraKindNames[orderWork] = "order work"
	extraKindNames[orderAdmin] = "order admin"
}

type orderPageWorld struct {
	communities map[relation]int64
	taker       string             // the username of an account the settings register as a taker
	cats        map[relation]int64 // the matrix's category of the relation's community
	standing    map[relation]int64
}

var (
	orderPageMu     sync.Mutex
	orderPageWorlds = map[*fixture]*orderPageWorld{}
)

func (w *world) orderPages() *orderPageWorld {
	w.tb.Helper()
	orderPageMu.Lock()
	defer orderPageMu.Unlock()
	if o, ok := orderPageWorlds[w.fixture]; ok {
		return o
	}
	ctx := context.Background()
	o := &orderPageWorld{communities: map[relation]int64{}, cats: map[relation]int64{}, standing: map[relation]int64{}, taker: "matrix_order_taker"}
	if _, err := w.st.CreateUser(ctx, authz.System(), store.UserInput{Username: o.taker, DisplayName: "矩阵志愿者", Password: testPassword,
		Role: model.RoleResident, ScopeID: w.targets[relOwn].node.ID}); err != nil {
		w.tb.Fatal(err)
	}
	byCommunity := map[int64]int64{}
	for _, rel := range placed {
		var community int64
		if err := w.st.DB().QueryRowContext(ctx, fmt.Sprintf(`SELECT community_id FROM households WHERE id = %d`, w.targets[rel].household.ID)).Scan(&community); err != nil {
			w.tb.Fatal(err)
		}
		o.communities[rel] = community
		if id, ok := byCommunity[community]; ok {
			o.cats[rel] = id
			continue
		}
		c, err := w.st.SaveOrderCategory(ctx, authz.System(), community, 0, store.OrderCategoryInput{Name: "矩阵订单", TakeWithinHours: 24, FinishWithinHours: 72, Active: true})
		if err != nil {
			w.tb.Fatalf("order category at %s: %v", rel, err)
		}
		byCommunity[community], o.cats[rel] = c.ID, c.ID
	}
	orderPageWorlds[w.fixture] = o
	for _, rel := range placed {
		o.standing[rel] = w.placeOrder(o, rel)
	}
	return o
}

// placeOrder places an order for the relation's household: by the unit leader for the
// households of its unit, by the system for the rest.
func (w *world) placeOrder(o *orderPageWorld, rel relation) int64 {
	sc := authz.System()
	if rel <= relUnit {
		sc = authz.ForUser(w.users[model.RoleUnitLeader])
	}
	ord, _, err := w.st.PlaceOrder(context.Background(), sc, model.OrderInput{CategoryID: o.cats[rel], HouseholdID: w.targets[rel].household.ID,
		Description: fmt.Sprintf("矩阵订单%d", w.nextSeq())}, nil)
	if err != nil {
		w.tb.Fatalf("order at %s: %v", rel, err)
	}
	return ord.ID
}

func (w *world) orderPageObject(rel relation, fresh bool) int64 {
	o := w.orderPages()
	if fresh {
		return w.placeOrder(o, rel)
	}
	return o.standing[rel]
}

func orderPlaceBody(w *world, rel relation, _ int64) (string, []byte) {
	o := w.orderPages()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	seq := w.nextSeq()
	_ = mw.WriteField("category_id", strconv.FormatInt(o.cats[rel], 10))
	_ = mw.WriteField("household_id", strconv.FormatInt(w.targets[rel].household.ID, 10))
	_ = mw.WriteField("description", fmt.Sprintf("矩阵下单%d", seq))
	_ = mw.WriteField("idem_key", fmt.Sprintf("matrix-%d", seq))
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func orderCommunityQuery(w *world, rel relation) string {
	return "community=" + strconv.FormatInt(w.orderPages().communities[rel], 10)
}

func orderCategoryForm(w *world, rel relation, _ int64) url.Values {
	return url.Values{"community": {strconv.FormatInt(w.orderPages().communities[rel], 10)}, "name": {fmt.Sprintf("矩阵类别%d", w.nextSeq())},
		"take_within_hours": {"24"}, "finish_within_hours": {"72"}, "active": {"on"}}
}

func orderTakerForm(w *world, rel relation, _ int64) url.Values {
	o := w.orderPages()
	return url.Values{"community": {strconv.FormatInt(o.communities[rel], 10)}, "username": {o.taker}, "kind": {"volunteer"}, "name": {"矩阵志愿者"},
		"territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}}
}

var orderPageObjKinds = map[string]objKind{
	"/orders/{id}": orderPageObj,
}

var orderPageSpecs = map[string]spec{
	"GET /orders":                      {kind: orderRead},
	"GET /orders/mine":                 {kind: orderRead},
	"GET /orders/near":                 {kind: orderRead},
	"GET /orders/taking":               {kind: orderRead},
	"GET /orders/new":                  {kind: orderPlace},
	"POST /orders/new":                 {kind: orderPlace, scoped: true, ref: true, body: orderPlaceBody},
	"GET /orders/settings":             {kind: orderAdmin, scoped: true, query: orderCommunityQuery},
	"POST /orders/settings/categories": {kind: orderAdmin, scoped: true, body: formBody(orderCategoryForm)},
	"POST /orders/settings/takers":     {kind: orderAdmin, scoped: true, ref: true, body: formBody(orderTakerForm)},
	"GET /orders/{id}":                 {kind: orderRead, scoped: true},
	"POST /orders/{id}/act":            {kind: orderWork, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"action": {"cancel"}} })},
}

func init() {
	maps.Copy(specs, orderPageSpecs)
	maps.Copy(objKinds, orderPageObjKinds)
}
