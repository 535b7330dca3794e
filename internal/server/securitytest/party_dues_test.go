package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
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

func duesIncomeForm(*world, relation, int64) url.Values {
	return url.Values{"income": {"3200.00"}}
}

// duesOrgQuery names the relation's group, where its member is on the roster.
func duesOrgQuery(w *world, rel relation) string {
	return "org=" + strconv.FormatInt(w.targets[rel].org, 10)
}

// pointsEntry appends a ledger entry to the relation's member (for a correction to name).
func (w *world) pointsEntry(rel relation) int64 {
	w.tb.Helper()
	member, seq := w.targets[rel].member, int64(w.nextSeq())
	if err := w.st.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.AwardPoints(context.Background(), member, model.PointsDuty, seq, "矩阵积分", 0)
		return err
	}); err != nil {
		w.tb.Fatalf("points entry at %s: %v", rel, err)
	}
	return w.insertID(`SELECT id FROM party_points_entries WHERE member_id = ? AND source = 'duty' AND source_id = ?`, member, seq)
}

func pointsCorrectionJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"entry_id":"%d","points":-1,"reason":"矩阵更正"}`, w.pointsEntry(rel))
}

func pointsRuleQuery(w *world, rel relation) string {
	return "community=" + strconv.FormatInt(w.communityOf(rel).ID, 10)
}

func pointsRuleJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"community_id":"%d","source":"duty","points":3}`, w.communityOf(rel).ID)
}

var duesSpecs = map[string]spec{
	"GET /api/v1/party/dues":                        {kind: duesRead},
	"GET /api/v1/party/dues/members":                {kind: duesRead},
	"GET /api/v1/party/dues/members/{id}":           {kind: duesRead, scoped: true},
	"POST /api/v1/party/dues/members/{id}/payments": {kind: duesWrite, scoped: true, fresh: true, body: duesPaymentJSON},
	"PUT /api/v1/party/dues/members/{id}/income":    {kind: duesWrite, scoped: true, body: jsonBody(`{"income":"3200.00"}`)},
	"GET /api/v1/party/dues/statement":              {kind: duesRead, scoped: true, query: duesOrgQuery},
	"GET /api/v1/party/dues/me":                     {kind: partySelf},

	"GET /party/dues":                              {kind: duesRead},
	"GET /party/dues/statement.xlsx":               {kind: duesRead, scoped: true, query: duesOrgQuery},
	"GET /party/dues/members/{id}/pay":             {kind: duesWrite, scoped: true},
	"POST /party/dues/members/{id}/pay":            {kind: duesWrite, scoped: true, fresh: true, body: formBody(duesPaymentForm)},
	"GET /party/dues/members/{id}/income":          {kind: duesWrite, scoped: true},
	"POST /party/dues/members/{id}/income":         {kind: duesWrite, scoped: true, body: formBody(duesIncomeForm)},
	"POST /party/dues/members/{id}/income/preview": {kind: duesWrite, scoped: true, body: formBody(duesIncomeForm)},

	"GET /api/v1/party/points/rules":                     {kind: pointsWrite, scoped: true, query: pointsRuleQuery},
	"PUT /api/v1/party/points/rules":                     {kind: pointsWrite, scoped: true, body: pointsRuleJSON},
	"GET /api/v1/party/points/members/{id}":              {kind: pointsProfile, scoped: true},
	"GET /api/v1/party/points/members/{id}/ledger":       {kind: pointsWrite, scoped: true},
	"POST /api/v1/party/points/members/{id}/corrections": {kind: pointsWrite, scoped: true, body: pointsCorrectionJSON},

	"GET /party/points/rules": {kind: pointsWrite},
	"POST /party/points/rules": {kind: pointsWrite, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"community_id": {strconv.FormatInt(w.communityOf(rel).ID, 10)}, "points_meeting": {"2"}, "points_activity": {"3"},
			"points_course": {"5"}, "points_order": {"5"}, "points_duty": {"2"}}
	})},
	"GET /party/points/members/{id}": {kind: pointsProfile, scoped: true},
	"POST /party/points/members/{id}/correct": {kind: pointsWrite, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"entry_id": {strconv.FormatInt(w.pointsEntry(rel), 10)}, "points": {"-1"}, "reason": {"矩阵更正"}}
	})},
}

var duesObjKinds = map[string]objKind{
	"/api/v1/party/dues/members/{id}":   memberObj,
	"/party/dues/members/{id}":          memberObj,
	"/api/v1/party/points/members/{id}": memberObj,
	"/party/points/members/{id}":        memberObj,
}

func init() {
	maps.Copy(specs, duesSpecs)
	maps.Copy(objKinds, duesObjKinds)
}
