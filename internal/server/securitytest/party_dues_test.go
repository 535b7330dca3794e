package securitytest_test

import (
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/model"
)

// partydues' part of the matrix: the member objects of the world (memberObj: a registered member
// of the relation's group; at relOwn the member account's own record, in the group it is
// secretary of). Dues are sensitive: the oracle refuses grid leaders; a member account reaches
// only its own org (partyReach).

func duesPaymentJSON(*world, relation, int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"month":%q,"amount":"1.50","paid_by":"矩阵代缴人"}`, time.Now().In(model.Shanghai).Format("2006-01"))
}

func duesPaymentForm(*world, relation, int64) url.Values {
	now := time.Now().In(model.Shanghai)
	return url.Values{"month": {now.Format("2006-01")}, "amount": {"1.50"}, "paid_on": {now.Format(time.DateOnly)}}
}

// duesOrgQuery names the relation's group, where its member is on the roster.
func duesOrgQuery(w *world, rel relation) string {
	return "org=" + strconv.FormatInt(w.targets[rel].org, 10)
}

var duesSpecs = map[string]spec{
	"GET /api/v1/party/dues":                        {kind: duesRead},
	"GET /api/v1/party/dues/members":                {kind: duesRead},
	"GET /api/v1/party/dues/members/{id}":           {kind: duesRead, scoped: true},
	"POST /api/v1/party/dues/members/{id}/payments": {kind: duesWrite, scoped: true, fresh: true, body: duesPaymentJSON},
	"PUT /api/v1/party/dues/members/{id}/income":    {kind: duesWrite, scoped: true, body: jsonBody(`{"income":"3200.00"}`)},
	"GET /api/v1/party/dues/statement":              {kind: duesRead, scoped: true, query: duesOrgQuery},
	"GET /api/v1/party/dues/me":                     {kind: partySelf},
}

var duesObjKinds = map[string]objKind{
	"/api/v1/party/dues/members/{id}": memberObj,
	"/party/dues/members/{id}":        memberObj,
}

func init() {
	maps.Copy(specs, duesSpecs)
	maps.Copy(objKinds, duesObjKinds)
}
