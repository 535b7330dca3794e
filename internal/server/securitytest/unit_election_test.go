package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// unitlead's part of the matrix: unit leader elections and appointments. The unit leader
// account leads w.unit (own, same household, same unit, and one household in building bg) and
// is linked to a head of the same-unit household, so it votes for that household. Each
// relation's unit (unitAct's) has a standing open election whose candidates are heads added to
// its households; votes and proxy votes are lenient (one household, one vote: every case after
// the first is a 409, the handler ran). Closing consumes an election: it gets a fresh unit with
// an election of its own. Residents and members reach the elections of their own household's
// unit, unit leaders their unit's (electionReach), staff by territory.

const (
	elUnitObj     objKind = 1300 // the relation's unit, for its elections and its leader
	elElectionObj objKind = 1301 // the standing open election of the relation's unit
	elCloseObj    objKind = 1302 // a fresh open election of a fresh unit at the relation
)

const (
	electionRead  routeKind = 2100 + iota // see a unit's elections: field workers by territory, unit leaders, members and residents their own unit's
	electionWrite                         // open, close, proxy votes, appoint: staff
	electionVote                          // one's own household's vote: residents, members, unit leaders
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case electionRead:
			return fieldWorker(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		case electionWrite:
			return staffRole(r), true
		case electionVote:
			return r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		}
		return false, false
	})
	extraKindNames[electionRead] = "unit election read"
	extraKindNames[electionWrite] = "unit election write"
	extraKindNames[electionVote] = "unit vote"
}

// electionKind: the unit election routes, which a resident, member or unit leader reaches in
// its own unit only (the same-unit relation and below).
func electionKind(k routeKind) bool {
	return k == electionRead || k == electionWrite || k == electionVote
}

type electionWorld struct {
	heads     map[relation]map[int64]int64 // household → its head resident, per relation's unit
	elections map[relation]int64
}

var (
	electionMu     sync.Mutex
	electionWorlds = map[*fixture]*electionWorld{}
)

// head adds a household head to household h (registered like every fixture resident).
func (w *world) head(h int64) int64 {
	w.tb.Helper()
	r, err := w.st.CreateResident(context.Background(), authz.System(), model.ResidentInput{HouseholdID: h,
		Name: fmt.Sprintf("户主%d", w.nextSeq()), IDNumber: w.idNumber(), Relation: model.RelationHead})
	if err != nil {
		w.tb.Fatalf("head of %d: %v", h, err)
	}
	w.mu.Lock()
	w.residentOf[r.ID] = h
	w.mu.Unlock()
	return r.ID
}

// openElection opens an election of unit (as the system) closing in 60 days.
func (w *world) openElection(unit int64) int64 {
	w.tb.Helper()
	e, err := w.st.OpenUnitElection(context.Background(), authz.System(), unit, model.ElectionInput{ClosesAt: time.Now().Add(60 * 24 * time.Hour), TermMonths: 36})
	if err != nil {
		w.tb.Fatalf("election of unit %d: %v", unit, err)
	}
	return e.ID
}

func (w *world) electionWorld() *electionWorld {
	w.tb.Helper()
	u := w.unitAct()
	electionMu.Lock()
	defer electionMu.Unlock()
	if e, ok := electionWorlds[w.fixture]; ok {
		return e
	}
	e := &electionWorld{heads: map[relation]map[int64]int64{}, elections: map[relation]int64{}}
	byUnit := map[int64]map[int64]int64{}
	for _, rel := range placed {
		unit := u.units[rel]
		if byUnit[unit] == nil {
			byUnit[unit] = map[int64]int64{}
			for _, h := range u.members[rel] {
				byUnit[unit][h] = w.head(h)
			}
			// The unit leader votes for the same-unit household, whose head it is.
			if rel == relOwn {
				if err := w.st.LinkResident(context.Background(), authz.System(), w.users[model.RoleUnitLeader].ID, byUnit[unit][w.targets[relUnit].household.ID]); err != nil {
					w.tb.Fatal(err)
				}
			}
			e.elections[rel] = w.openElection(unit)
		} else {
			e.elections[rel] = e.elections[relOwn]
		}
		e.heads[rel] = byUnit[unit]
	}
	electionWorlds[w.fixture] = e
	return e
}

func (w *world) electionObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	switch kind {
	case elUnitObj:
		return w.unitAct().units[rel]
	case elElectionObj:
		return w.electionWorld().elections[rel]
	case elCloseObj:
		// Every household has voted (by proxy): closable before its closing time.
		unit := w.freshUnitAt(rel)
		hs := w.unitHouseholdsOf(unit)
		w.head(hs[0])
		id := w.openElection(unit)
		ctx := context.Background()
		e, err := w.st.UnitElection(ctx, authz.System(), id)
		if err != nil {
			w.tb.Fatalf("election %d: %v", id, err)
		}
		for _, h := range hs {
			if err := w.st.ProxyVote(ctx, authz.System(), id, h, e.Candidates[0].ID); err != nil {
				w.tb.Fatalf("proxy vote in election %d: %v", id, err)
			}
		}
		return id
	}
	return 0
}

// electionHead is a head of the relation's unit (for an appointment) and its household.
func (w *world) electionHead(rel relation) (household, resident int64) {
	e := w.electionWorld()
	h := w.unitAct().members[rel][0]
	return h, e.heads[rel][h]
}

// electionCandidate is a candidate of the relation's standing election.
func (w *world) electionCandidate(rel relation) int64 {
	w.tb.Helper()
	el, err := w.st.UnitElection(context.Background(), authz.System(), w.electionWorld().elections[rel])
	if err != nil || len(el.Candidates) == 0 {
		w.tb.Fatalf("candidates at %s: %v", rel, err)
	}
	return el.Candidates[0].ID
}

var electionPatternKinds = map[string]objKind{
	"/api/v1/units/{id}/elections":            elUnitObj,
	"/api/v1/units/{id}/leader":               elUnitObj,
	"/api/v1/unit-elections/{id}/close":       elCloseObj,
	"/api/v1/unit-elections/{id}/votes":       elElectionObj,
	"/api/v1/unit-elections/{id}/proxy-votes": elElectionObj,
	"/units/{id}/elections/new":               elUnitObj,
	"/units/{id}/leader/appoint":              elUnitObj,
	"/unit-elections/{id}/close":              elCloseObj,
	"/unit-elections/{id}/proxy-votes":        elElectionObj,
}

var electionObjKinds = map[string]objKind{
	"/api/v1/unit-elections/{id}": elElectionObj,
	"/unit-elections/{id}":        elElectionObj,
}

var electionSpecs = map[string]spec{
	"GET /api/v1/units/{id}/elections": {kind: electionRead, scoped: true},
	"POST /api/v1/units/{id}/elections": {kind: electionWrite, scoped: true, lenient: true, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"closes_at":%q}`, time.Now().Add(48*time.Hour).Format(time.RFC3339))
	}},
	"POST /api/v1/units/{id}/leader": {kind: electionWrite, scoped: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		_, r := w.electionHead(rel)
		return "application/json", fmt.Appendf(nil, `{"resident_id":"%d","reason":"矩阵指定"}`, r)
	}},
	"GET /api/v1/unit-elections/{id}": {kind: electionRead, scoped: true},
	"POST /api/v1/unit-elections/{id}/votes": {kind: electionVote, scoped: true, lenient: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"candidate_id":"%d"}`, w.electionCandidate(rel))
	}},
	"POST /api/v1/unit-elections/{id}/proxy-votes": {kind: electionWrite, scoped: true, lenient: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		h, _ := w.electionHead(rel)
		return "application/json", fmt.Appendf(nil, `{"candidate_id":"%d","household_id":"%d"}`, w.electionCandidate(rel), h)
	}},
	"POST /api/v1/unit-elections/{id}/close": {kind: electionWrite, scoped: true, fresh: true},
	// The staff pages: open an election (the standing one makes a valid request a 409),
	// appoint, follow an election, proxy votes, close.
	"GET /units/{id}/elections/new": {kind: electionWrite, scoped: true},
	"POST /units/{id}/elections/new": {kind: electionWrite, scoped: true, lenient: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		_, r := w.electionHead(rel)
		return url.Values{"closes_at": {time.Now().Add(48 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")}, "term_months": {"36"},
			"candidates": {strconv.FormatInt(r, 10)}}
	})},
	"GET /units/{id}/leader/appoint": {kind: electionWrite, scoped: true},
	"POST /units/{id}/leader/appoint": {kind: electionWrite, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		_, r := w.electionHead(rel)
		return url.Values{"resident_id": {strconv.FormatInt(r, 10)}, "term_months": {"36"}, "reason": {"矩阵指定"}}
	})},
	"GET /unit-elections/{id}": {kind: electionRead, scoped: true},
	"POST /unit-elections/{id}/proxy-votes": {kind: electionWrite, scoped: true, lenient: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		h, _ := w.electionHead(rel)
		return url.Values{"household_id": {strconv.FormatInt(h, 10)}, "candidate_id": {strconv.FormatInt(w.electionCandidate(rel), 10)}}
	})},
	"POST /unit-elections/{id}/close": {kind: electionWrite, scoped: true, fresh: true},
	// The pages: a household's own unit's election (not scoped: the caller's own).
	"GET /me/unit-election": {kind: electionVote},
	"POST /me/unit-election": {kind: electionVote, lenient: true, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"election_id": {strconv.FormatInt(w.electionWorld().elections[relOwn], 10)}, "candidate_id": {strconv.FormatInt(w.electionCandidate(relOwn), 10)}}
	})},
}

func init() {
	maps.Copy(specs, electionSpecs)
	maps.Copy(patternKinds, electionPatternKinds)
	maps.Copy(objKinds, electionObjKinds)
}
