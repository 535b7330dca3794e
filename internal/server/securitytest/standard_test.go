package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The service standards' part of the matrix (基本公共服务达标, issue 12 item 5). Items are kept
// by a street (s1 for the relations up to same street, s2 at other street), values and
// compliance belong to a community (communityOfRel); everything is reached by territory alone,
// as the burden register's catalogues are (burden_test.go).

const (
	standardItemObj      objKind = 2410 + iota // a manual item of the relation's street catalogue
	standardCommunityObj                       // the relation's community, whose compliance page the route shows
)

const (
	standardRead    routeKind = 3310 + iota // see the catalogue and compliance: staff by territory
	standardWrite                           // enter a manual item's value: staff by territory
	standardCatalog                         // keep the catalogue: street, district and system administrators
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case standardRead, standardWrite:
			return staffRole(r), true
		case standardCatalog:
			return r == model.RoleSystemAdmin || r == model.RoleDistrictAdmin || r == model.RoleStreetAdmin, true
		}
		return false, false
	})
	extraKindNames[standardRead] = "standard read"
	extraKindNames[standardWrite] = "standard write"
	extraKindNames[standardCatalog] = "standard catalog"
}

var (
	standardMu    sync.Mutex
	standardItems = map[*fixture]map[int64]int64{} // by street
)

// standardItem is the manual item of the relation's street (made once per fixture).
func (w *world) standardItem(rel relation) int64 {
	w.tb.Helper()
	standardMu.Lock()
	defer standardMu.Unlock()
	items, ok := standardItems[w.fixture]
	if !ok {
		items = map[int64]int64{}
		for _, s := range []*model.Territory{w.s1, w.s2} {
			it, err := w.st.SaveStandardItem(context.Background(), authz.System(), 0, model.StandardItemInput{OwnerID: s.ID, Code: "BZ-01", Name: "服务中心每周开放不少于 40 小时",
				Method: model.StandardManual, Op: ">=", Threshold: "40", Unit: "小时"})
			if err != nil {
				w.tb.Fatalf("standard item: %v", err)
			}
			items[s.ID] = it.ID
		}
		standardItems[w.fixture] = items
	}
	return items[w.streetOfRel(rel).ID]
}

func (w *world) standardObject(kind objKind, rel relation) int64 {
	switch kind {
	case standardItemObj:
		return w.standardItem(rel)
	case standardCommunityObj:
		w.standardItem(rel)
		return w.communityOfRel(rel).ID
	}
	return 0
}

var standardSpecs = map[string]spec{
	"GET /api/v1/standards/items": {kind: standardRead},
	"POST /api/v1/standards/items": {kind: standardCatalog, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"owner_id":"%d","code":"JZ-%d","name":"矩阵达标事项","method":"auto","metric":"grid_branch_percent","op":">=","threshold":"100","unit":"%%"}`,
			w.streetOfRel(rel).ID, w.nextSeq())
	}},
	"PUT /api/v1/standards/items/{id}": {kind: standardCatalog, scoped: true, body: jsonBody(`{"code":"BZ-01","name":"服务中心每周开放不少于 40 小时","method":"manual","op":">=","threshold":"40","unit":"小时"}`)},
	"POST /api/v1/standards/values": {kind: standardWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"item_id":"%d","community_id":"%d","value":"42","evidence":"开放时间公示牌"}`, w.standardItem(rel), w.communityOfRel(rel).ID)
	}},
	"GET /api/v1/standards/compliance": {kind: standardRead, scoped: true, query: func(w *world, rel relation) string {
		w.standardItem(rel)
		return "territory=" + strconv.FormatInt(w.communityOfRel(rel).ID, 10)
	}},

	// The pages: the overview with the catalogue and its form, a community's page with the
	// value forms.
	"GET /standards": {kind: standardRead},
	"POST /standards/items": {kind: standardCatalog, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"owner_id": {strconv.FormatInt(w.streetOfRel(rel).ID, 10)}, "code": {fmt.Sprintf("YM-%d", w.nextSeq())}, "name": {"矩阵页面达标事项"},
			"method": {"manual"}, "op": {">="}, "threshold": {"1"}, "unit": {"项"}}
	})},
	"POST /standards/items/{id}": {kind: standardCatalog, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"code": {"BZ-01"}, "name": {"服务中心每周开放不少于 40 小时"}, "method": {"manual"}, "op": {">="}, "threshold": {"40"}, "unit": {"小时"}, "active": {"1"}}
	})},
	"GET /standards/compliance.xlsx":  {kind: standardRead},
	"GET /standards/communities/{id}": {kind: standardRead, scoped: true},
	"POST /standards/values": {kind: standardWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"item_id": {strconv.FormatInt(w.standardItem(rel), 10)}, "community_id": {strconv.FormatInt(w.communityOfRel(rel).ID, 10)}, "value": {"42"}, "evidence": {"公示牌"}}
	})},
}

func init() {
	maps.Copy(specs, standardSpecs)
	objKinds["/api/v1/standards/items/{id}"] = standardItemObj
	objKinds["/standards/communities/{id}"] = standardCommunityObj
	objKinds["/standards/items/{id}"] = standardItemObj
}
