package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// timebank's part of the matrix: the time bank of service hours. The self routes work on the
// caller's own balances (any account but the auditor's; an account with no balance of the kind
// asked is refused on the merits, lenient); staff and grid leaders read the takers of their
// territory, staff correct them. Each relation has a taker: the relation's subject account
// registered as a volunteer at the relation's stairwell.

const tbTakerObj objKind = 1400 // the relation's taker

const (
	tbSelf    routeKind = 2200 + iota // one's own time bank: any account but the auditor's
	tbRead                            // a taker's record, ledger and certificate: staff and grid leaders by territory
	tbCorrect                         // correct a taker's balance: staff by territory
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case tbSelf:
			return r != model.RoleAuditor, true
		case tbRead:
			return fieldWorker(r), true
		case tbCorrect:
			return staffRole(r), true
		}
		return false, false
	})
	extraKindNames[tbSelf] = "timebank self"
	extraKindNames[tbRead] = "timebank read"
	extraKindNames[tbCorrect] = "timebank correct"
}

var (
	tbMu     sync.Mutex
	tbTakers = map[*fixture]map[relation]int64{}
)

// timebankTaker is the relation's taker, registered on first use.
func (w *world) timebankTaker(rel relation) int64 {
	w.tb.Helper()
	tbMu.Lock()
	defer tbMu.Unlock()
	m, ok := tbTakers[w.fixture]
	if !ok {
		m = map[relation]int64{}
		for _, r := range placed {
			t := w.targets[r]
			tk, err := w.st.RegisterTaker(context.Background(), authz.System(), store.TakerInput{UserID: t.subject.ID, Kind: "volunteer",
				Name: fmt.Sprintf("矩阵志愿者%d", r), TerritoryID: t.node.ID})
			if err != nil {
				w.tb.Fatalf("taker at %s: %v", r, err)
			}
			m[r] = tk.ID
		}
		tbTakers[w.fixture] = m
	}
	return m[rel]
}

var timebankSpecs = map[string]spec{
	"GET /api/v1/timebank":             {kind: tbSelf},
	"POST /api/v1/timebank/spends":     {kind: tbSelf, lenient: true, body: jsonBody(`{"order_id":"1","minutes":30}`)},
	"POST /api/v1/timebank/gifts":      {kind: tbSelf, lenient: true, body: jsonBody(`{"household_id":"1","minutes":30}`)},
	"GET /api/v1/timebank/households":  {kind: tbSelf, query: func(*world, relation) string { return "q=" + "单元" }},
	"GET /api/v1/timebank/certificate": {kind: tbSelf, lenient: true},

	"GET /api/v1/timebank/takers/{id}":              {kind: tbRead, scoped: true},
	"GET /api/v1/timebank/takers/{id}/certificate":  {kind: tbRead, scoped: true},
	"POST /api/v1/timebank/takers/{id}/corrections": {kind: tbCorrect, scoped: true, body: jsonBody(`{"minutes":1,"reason":"矩阵"}`)},

	"GET /timebank":             {kind: tbSelf},
	"POST /timebank/spend":      {kind: tbSelf, lenient: true, body: formBody(tbForm("order_id"))},
	"POST /timebank/give":       {kind: tbSelf, lenient: true, body: formBody(tbForm("household_id"))},
	"GET /timebank/certificate": {kind: tbSelf},

	"GET /timebank/takers/{id}":             {kind: tbRead, scoped: true},
	"GET /timebank/takers/{id}/certificate": {kind: tbRead, scoped: true},
	"POST /timebank/takers/{id}/correct": {kind: tbCorrect, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"minutes": {"1"}, "reason": {"矩阵"}}
	})},
}

// tbForm is a spend or gift form naming object 1 in field.
func tbForm(field string) func(*world, relation, int64) url.Values {
	return func(*world, relation, int64) url.Values {
		return url.Values{field: {"1"}, "hours": {"0.5"}}
	}
}

var timebankObjKinds = map[string]objKind{
	"/api/v1/timebank/takers/{id}": tbTakerObj,
	"/timebank/takers/{id}":        tbTakerObj,
}

func init() {
	maps.Copy(specs, timebankSpecs)
	maps.Copy(objKinds, timebankObjKinds)
}
