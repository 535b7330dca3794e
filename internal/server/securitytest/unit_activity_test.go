package securitytest_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"mime/multipart"
	"strconv"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store/storetest"
)

// unitact's part of the matrix: the units' joint activities and coverage. The unit leader
// account leads the world's unit (the own and the same-unit households, and one in building
// bg); every other relation has a unit of its own household. A unit leader reaches its unit's
// records only (peopleKind: relUnit), a list under a node as far as its anchor (node). Each unit has a standing environment record
// with a photo; the case route works on fresh hardship records with a case. A unit leader
// records and reads its own unit's activities (its reach, relUnit) and moves no hardship case
// (hardship is withheld from it); coverage is staff's.

const (
	actUnitObj   objKind = 1200 // the relation's unit
	actRecordObj objKind = 1201 // the relation's standing record (with a photo)
	actCaseObj   objKind = 1202 // a fresh hardship record of the relation's unit, with a case
)

// unitActRoles: the oracle's kinds of these routes.
const (
	unitActRead     routeKind = 2000 + iota // list and read records and photos: field workers by territory, a unit leader its own unit
	unitActWrite                            // record activities: as unitActRead
	unitActCase                             // move a hardship case: field workers (they see hardship), not unit leaders
	unitActCoverage                         // coverage and the attention list: staff
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case unitActRead, unitActWrite:
			return fieldWorker(r) || r == model.RoleUnitLeader, true
		case unitActCase:
			return fieldWorker(r), true
		case unitActCoverage:
			return staffRole(r), true
		}
		return false, false
	})
	extraKindNames[unitActRead] = "unit activity read"
	extraKindNames[unitActWrite] = "unit activity write"
	extraKindNames[unitActCase] = "unit hardship case"
	extraKindNames[unitActCoverage] = "unit coverage"
}

type unitActWorld struct {
	units   map[relation]int64
	members map[relation][]int64
	records map[relation]int64
}

var (
	unitActMu     sync.Mutex
	unitActWorlds = map[*fixture]*unitActWorld{}
)

// unitAct is the fixture's units, made on first use: the unit leader's (w.unit) for relOwn,
// relHousehold and relUnit, one of its household for each other relation.
func (w *world) unitAct() *unitActWorld {
	w.tb.Helper()
	unitActMu.Lock()
	defer unitActMu.Unlock()
	if u, ok := unitActWorlds[w.fixture]; ok {
		return u
	}
	u := &unitActWorld{units: map[relation]int64{}, members: map[relation][]int64{}, records: map[relation]int64{}}
	own := []int64{w.targets[relOwn].household.ID, w.targets[relUnit].household.ID}
	for _, rel := range []relation{relOwn, relHousehold, relUnit} {
		u.units[rel], u.members[rel] = w.unit.ID, own // the unit the unit_leader account leads (world_test.go)
	}
	for _, rel := range []relation{relGrid, relCommunity, relStreet, relOther} {
		h := w.targets[rel].household.ID
		// Another area's fixture (duty) may have formed the household's unit already.
		if id, err := w.st.UnitOfHousehold(context.Background(), authz.System(), h); err != nil {
			w.tb.Fatal(err)
		} else if id != 0 {
			u.units[rel], u.members[rel] = id, []int64{h}
			continue
		}
		u.units[rel], u.members[rel] = storetest.MustUnit(w.tb, w.st, fmt.Sprintf("矩阵活动联建单元%d", rel), h).ID, []int64{h}
	}
	for _, rel := range placed {
		a, err := w.st.RecordUnitActivity(context.Background(), authz.System(), u.units[rel], model.UnitActivityInput{Category: model.ActivityEnvironment,
			Households: u.members[rel], Description: "矩阵活动"}, [][]byte{modeltest.JPEG(w.tb, 16, 16)})
		if err != nil {
			w.tb.Fatalf("record at %s: %v", rel, err)
		}
		u.records[rel] = a.ID
	}
	unitActWorlds[w.fixture] = u
	return u
}

// unitActObject is the standing (or, for the case, a fresh) object of kind at rel.
func (w *world) unitActObject(kind objKind, rel relation) int64 {
	u := w.unitAct()
	switch kind {
	case actUnitObj:
		return u.units[rel]
	case actRecordObj:
		return u.records[rel]
	case actCaseObj:
		a, err := w.st.RecordUnitActivity(context.Background(), authz.System(), u.units[rel], model.UnitActivityInput{Category: model.ActivityHardship,
			Households: u.members[rel], Description: "矩阵帮扶", CaseHouseholdID: u.members[rel][0]}, nil)
		if err != nil {
			w.tb.Fatalf("hardship record at %s: %v", rel, err)
		}
		return a.ID
	}
	return 0
}

func unitActBody(w *world, rel relation, _ int64) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("category", "safety")
	_ = mw.WriteField("description", fmt.Sprintf("矩阵巡逻%d", w.nextSeq()))
	_ = mw.WriteField("households", strconv.FormatInt(w.unitAct().members[rel][0], 10))
	fw, _ := mw.CreateFormFile("photos", "IMG_0001.jpg")
	_, _ = fw.Write(modeltest.JPEG(w.tb, 12, 12))
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func coverageQuery(w *world, rel relation) string {
	return "territory=" + strconv.FormatInt(w.targets[rel].node.ID, 10)
}

var unitActPatternKinds = map[string]objKind{
	"/api/v1/units/{id}/activities": actUnitObj,
	"/api/v1/activities/{id}/case":  actCaseObj,
	"/units/{id}/activities":        actUnitObj,
	"/units/{id}/activities/new":    actUnitObj,
}

var unitActObjKinds = map[string]objKind{
	"/api/v1/activities/{id}": actRecordObj,
}

var unitActSpecs = map[string]spec{
	"GET /api/v1/units/{id}/activities":      {kind: unitActRead, scoped: true},
	"POST /api/v1/units/{id}/activities":     {kind: unitActWrite, scoped: true, body: unitActBody},
	"GET /api/v1/activities":                 {kind: unitActRead, scoped: true, node: true, query: underNode},
	"GET /api/v1/activities/{id}":            {kind: unitActRead, scoped: true},
	"GET /api/v1/activities/{id}/photos/{n}": {kind: unitActRead, scoped: true},
	"POST /api/v1/activities/{id}/case":      {kind: unitActCase, scoped: true, fresh: true, body: jsonBody(`{"from":"reported","to":"helping","note":"矩阵"}`)},
	"GET /api/v1/units/coverage":             {kind: unitActCoverage, scoped: true, query: coverageQuery},
	"GET /api/v1/units/attention":            {kind: unitActCoverage, scoped: true, query: coverageQuery},
	"GET /units/activities":                  {kind: unitActRead},
	"GET /units/{id}/activities":             {kind: unitActRead, scoped: true},
	"GET /units/{id}/activities/new":         {kind: unitActWrite, scoped: true},
	"POST /units/{id}/activities/new":        {kind: unitActWrite, scoped: true, body: unitActBody},
	"GET /units/coverage":                    {kind: unitActCoverage, scoped: true, query: coverageQuery},
}

func init() {
	maps.Copy(specs, unitActSpecs)
	maps.Copy(patternKinds, unitActPatternKinds)
	maps.Copy(objKinds, unitActObjKinds)
}
