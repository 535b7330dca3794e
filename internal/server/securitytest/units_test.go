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

// units' part of the matrix (joint-building units, issue 9). The relations inside the unit
// leader's unit (own, same household, same unit) have that unit as their standing unit, the
// others a unit of two households of their own at the relation's stairwell, and a standing compound of 24
// households in the relation's grid: every proposal for it is the same two draft units of 12
// (the partition is deterministic), so the adjustments' bodies can name a household and the
// draft indexes without knowing the proposal. A confirm consumes its proposal's households,
// so its proposal is for a fresh compound of three households (one draft out of bounds, given
// an override reason in the body).

const (
	unitObj            objKind = 1100 // a unit at the relation's stairwell
	proposalObj        objKind = 1101 // a draft proposal for the relation's standing compound
	confirmProposalObj objKind = 1102 // a draft proposal for a fresh compound of the relation
)

type unitFixture struct {
	units     map[relation]int64
	compounds map[relation]*model.Territory
	first     map[relation]int64 // the first household of the standing compound
}

var (
	unitMu    sync.Mutex
	unitWorld = map[*fixture]*unitFixture{}
)

// gridOf is the grid the relation's stairwell lies in (world_test.go, party_org_test.go).
func (w *world) gridOf(rel relation) *model.Territory {
	switch rel {
	case relCommunity:
		return w.g2
	case relStreet:
		return w.g3
	case relOther:
		return w.g4
	}
	return w.g1
}

func (w *world) unitFixture() *unitFixture {
	unitMu.Lock()
	defer unitMu.Unlock()
	f, ok := unitWorld[w.fixture]
	if !ok {
		f = &unitFixture{units: map[relation]int64{}, compounds: map[relation]*model.Territory{}, first: map[relation]int64{}}
		unitWorld[w.fixture] = f
	}
	return f
}

// freshUnitAt forms a new unit of two new households at the relation's stairwell.
func (w *world) freshUnitAt(rel relation) int64 {
	w.tb.Helper()
	node := w.targets[rel].node
	a, b := w.household(node), w.household(node)
	us, err := w.st.FormUnits(context.Background(), authz.System(), []model.UnitDraft{{Name: fmt.Sprintf("矩阵联建单元%d", w.nextSeq()),
		Basis: model.UnitOverride, OverrideReason: "矩阵", Households: []int64{a.ID, b.ID}}})
	if err != nil {
		w.tb.Fatalf("unit at %s: %v", rel, err)
	}
	return us[0].ID
}

// compoundOf makes a compound of n households in the relation's grid; it returns the compound
// and its first household.
func (w *world) compoundOf(rel relation, n int) (*model.Territory, int64) {
	w.tb.Helper()
	c := w.node(w.gridOf(rel), model.KindCompound, fmt.Sprintf("矩阵联建小区%d", w.nextSeq()))
	var first int64
	for i := range n {
		h := w.household(c)
		if i == 0 {
			first = h.ID
		}
	}
	return c, first
}

func (w *world) propose(node *model.Territory) int64 {
	w.tb.Helper()
	p, err := w.st.ProposeUnits(context.Background(), authz.System(), node.ID, model.PartitionOptions{})
	if err != nil {
		w.tb.Fatalf("proposal for %s: %v", node.Name, err)
	}
	return p.ID
}

// standingCompound is the relation's compound of 24 households, made on first use.
func (w *world) standingCompound(rel relation) (*model.Territory, int64) {
	f := w.unitFixture()
	unitMu.Lock()
	defer unitMu.Unlock()
	if c, ok := f.compounds[rel]; ok {
		return c, f.first[rel]
	}
	c, first := w.compoundOf(rel, 24)
	f.compounds[rel], f.first[rel] = c, first
	return c, first
}

func (w *world) unitObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	if kind != unitObj {
		return w.freshUnitObject(kind, rel)
	}
	f := w.unitFixture()
	unitMu.Lock()
	defer unitMu.Unlock()
	if id, ok := f.units[rel]; ok {
		return id
	}
	if rel <= relUnit {
		// The own, same household and same unit relations lie in the unit the unit_leader
		// account leads (world_test.go): their standing unit is that one.
		f.units[rel] = w.unit.ID
	} else {
		f.units[rel] = w.freshUnitAt(rel)
	}
	return f.units[rel]
}

func (w *world) freshUnitObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	switch kind {
	case unitObj:
		return w.freshUnitAt(rel)
	case proposalObj:
		c, _ := w.standingCompound(rel)
		return w.propose(c)
	case confirmProposalObj:
		c, _ := w.compoundOf(rel, 3)
		return w.propose(c)
	}
	w.tb.Fatalf("no unit object of kind %d", kind)
	return 0
}

// unitHouseholdsOf lists the households of unit id (for a split's body).
func (w *world) unitHouseholdsOf(id int64) []int64 {
	w.tb.Helper()
	hs, err := w.st.UnitHouseholds(context.Background(), authz.System(), id)
	if err != nil {
		w.tb.Fatalf("households of unit %d: %v", id, err)
	}
	var ids []int64
	for _, h := range hs {
		ids = append(ids, h.ID)
	}
	return ids
}

var unitObjKinds = map[string]objKind{
	"/api/v1/units/{id}":          unitObj,
	"/api/v1/unit-proposals/{id}": proposalObj,
	"/units/{id}":                 unitObj,
	"/unit-proposals/{id}":        proposalObj,
}

var unitPatternKinds = map[string]objKind{
	"/api/v1/unit-proposals/{id}/confirm": confirmProposalObj,
	"/unit-proposals/{id}/confirm":        confirmProposalObj,
}

var unitSpecs = map[string]spec{
	"GET /api/v1/units": {kind: unitRead},
	"GET /api/v1/units/suggestions": {kind: unitWrite, scoped: true, query: func(w *world, rel relation) string {
		return fmt.Sprintf("household_id=%d", w.household(w.targets[rel].node).ID)
	}},
	"GET /api/v1/units/{id}": {kind: unitRead, scoped: true},
	"POST /api/v1/units/{id}/households": {kind: unitWrite, scoped: true, fresh: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"household_id":"%d"}`, w.household(w.targets[rel].node).ID)
	}},
	"POST /api/v1/units/{id}/merge": {kind: unitWrite, scoped: true, fresh: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"into_id":"%d"}`, w.freshUnitAt(rel))
	}},
	"POST /api/v1/units/{id}/split": {kind: unitWrite, scoped: true, fresh: true, body: func(w *world, _ relation, id int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"households":["%d"],"override_reason":"矩阵拆分"}`, w.unitHouseholdsOf(id)[0])
	}},
	"POST /api/v1/units/{id}/dissolve": {kind: unitWrite, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵解散"}`)},
	"GET /api/v1/units/proposals":      {kind: unitWrite},
	"POST /api/v1/units/proposals": {kind: unitWrite, scoped: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		c, _ := w.compoundOf(rel, 3)
		return "application/json", fmt.Appendf(nil, `{"node_id":"%d"}`, c.ID)
	}},
	"GET /api/v1/unit-proposals/{id}": {kind: unitWrite, scoped: true},
	"POST /api/v1/unit-proposals/{id}/moves": {kind: unitWrite, scoped: true, fresh: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		_, first := w.standingCompound(rel)
		return "application/json", fmt.Appendf(nil, `{"version":1,"household_id":"%d","to":1}`, first)
	}},
	"POST /api/v1/unit-proposals/{id}/merges":  {kind: unitWrite, scoped: true, fresh: true, body: jsonBody(`{"version":1,"a":0,"b":1}`)},
	"POST /api/v1/unit-proposals/{id}/splits":  {kind: unitWrite, scoped: true, fresh: true, body: jsonBody(`{"version":1,"unit":0}`)},
	"POST /api/v1/unit-proposals/{id}/renames": {kind: unitWrite, scoped: true, fresh: true, body: jsonBody(`{"version":1,"unit":0,"name":"矩阵改名"}`)},
	"POST /api/v1/unit-proposals/{id}/confirm": {kind: unitWrite, scoped: true, fresh: true, body: jsonBody(`{"version":1,"override_reasons":{"0":"矩阵特批"}}`)},
	"POST /api/v1/unit-proposals/{id}/discard": {kind: unitWrite, scoped: true, fresh: true, body: jsonBody(`{"version":1}`)},

	// pages
	"GET /units":      {kind: unitRead},
	"GET /units/{id}": {kind: unitRead, scoped: true},
	"POST /units/{id}/dissolve": {kind: unitWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"reason": {"矩阵解散"}}
	})},
	"GET /unit-proposals": {kind: unitWrite},
	"POST /unit-proposals": {kind: unitWrite, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		c, _ := w.compoundOf(rel, 3)
		return url.Values{"node_id": {strconv.FormatInt(c.ID, 10)}}
	})},
	"GET /unit-proposals/{id}": {kind: unitWrite, scoped: true},
	"POST /unit-proposals/{id}/move": {kind: unitWrite, scoped: true, fresh: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		_, first := w.standingCompound(rel)
		return url.Values{"version": {"1"}, "unit": {"0"}, "household_id": {strconv.FormatInt(first, 10)}, "to": {"2"}}
	})},
	"POST /unit-proposals/{id}/merge": {kind: unitWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"version": {"1"}, "unit": {"0"}, "b": {"2"}}
	})},
	"POST /unit-proposals/{id}/split": {kind: unitWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"version": {"1"}, "unit": {"0"}}
	})},
	"POST /unit-proposals/{id}/rename": {kind: unitWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"version": {"1"}, "unit": {"0"}, "name": {"矩阵改名"}}
	})},
	"POST /unit-proposals/{id}/confirm": {kind: unitWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"version": {"1"}, "units[0].override_reason": {"矩阵特批"}}
	})},
	"POST /unit-proposals/{id}/discard": {kind: unitWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"version": {"1"}}
	})},
}

func init() {
	maps.Copy(specs, unitSpecs)
	maps.Copy(patternKinds, unitPatternKinds)
	maps.Copy(objKinds, unitObjKinds)
}
