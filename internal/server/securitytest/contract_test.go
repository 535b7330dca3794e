package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Purchased services' part of the matrix (政府购买服务, issue 12 item 7). A contract belongs to
// a community, as a fund request does (fund_test.go): the relation's community. Staff reach
// the contracts of their territory; residents, members and unit leaders (linked to a household
// of c1, as for budgets) read and rate c1's: the community reach. Contracts are made as the
// system with a social organization registered at c1's street, paid from the funds world's
// budget line; a rating's fresh contract has a fresh accepted milestone, so no account rates
// twice.

const (
	contractObj      objKind = 2310 + iota // the standing contract of the relation's community
	contractFreshObj                       // a fresh contract with one pending milestone
)

// contractRatedObj is a fresh contract whose one milestone is accepted: only an accepted
// milestone takes a rating.
const contractRatedObj objKind = 2700

const (
	contractRead  routeKind = 3210 + iota // see contracts: staff by territory, residents, members, unit leaders of the community
	contractWrite                         // make contracts, add and accept milestones: staff by territory
	contractRate                          // rate a milestone once: residents, members, unit leaders of the community
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		household := r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident
		switch k {
		case contractRead:
			return staffRole(r) || household, true
		case contractWrite:
			return staffRole(r), true
		case contractRate:
			return household, true
		}
		return false, false
	})
	extraReach = append(extraReach, func(_ *world, r model.Role, k routeKind) (relation, bool) {
		if (k == contractRead || k == contractRate) && (r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident) {
			return relCommunity, true
		}
		return 0, false
	})
	extraKindNames[contractRead] = "contract read"
	extraKindNames[contractWrite] = "contract write"
	extraKindNames[contractRate] = "contract rate"
}

var (
	contractMu       sync.Mutex
	contractOrgs     = map[*fixture]int64{}
	contractStanding = map[*fixture]map[int64]int64{}
)

// contractOrg is the social organization of the fixture (registered at c1's street).
func (w *world) contractOrg() int64 {
	w.tb.Helper()
	w.electionWorld() // the unit leader's account is linked to the same-unit household's head
	w.fundWorld()
	contractMu.Lock()
	defer contractMu.Unlock()
	if id, ok := contractOrgs[w.fixture]; ok {
		return id
	}
	street := w.communityOfRel(relOwn).ParentID // the street of c1 and c2: c3 is under another street
	o, err := w.st.CreateOrganization(context.Background(), authz.System(), model.OrganizationInput{Type: model.OrgSocial, Name: "矩阵社工服务中心", TerritoryID: street})
	if err != nil {
		w.tb.Fatal(err)
	}
	contractOrgs[w.fixture] = o.ID
	return o.ID
}

// freshContract makes a contract of the relation's community with one milestone, as the system.
func (w *world) freshContract(rel relation) int64 {
	w.tb.Helper()
	org := w.contractOrg()
	ctx := context.Background()
	k, err := w.st.CreateContract(ctx, authz.System(), model.ContractInput{CommunityID: w.communityOfRel(rel).ID, OrganizationID: org, CategoryID: w.fundWorld().category,
		Title: fmt.Sprintf("矩阵合同%d", w.nextSeq()), Scope: "矩阵服务", Amount: "1000"})
	if err != nil {
		w.tb.Fatalf("contract at %s: %v", rel, err)
	}
	if _, err := w.st.AddContractMilestone(ctx, authz.System(), k.ID, model.ContractMilestoneInput{Title: "矩阵节点", KPI: "矩阵指标", DueOn: "2099-01-01", Amount: "10"}); err != nil {
		w.tb.Fatal(err)
	}
	return k.ID
}

func (w *world) contractObject(kind objKind, rel relation) int64 {
	switch kind {
	case contractFreshObj:
		return w.freshContract(rel)
	case contractRatedObj:
		id := w.freshContract(rel)
		if _, err := w.st.AcceptContractMilestone(context.Background(), authz.System(), id, w.firstMilestone(id)); err != nil {
			w.tb.Fatalf("accept the milestone of %d: %v", id, err)
		}
		return id
	}
	w.contractOrg()
	contractMu.Lock()
	m := contractStanding[w.fixture]
	id, ok := m[w.communityOfRel(rel).ID]
	contractMu.Unlock()
	if ok {
		return id
	}
	id = w.freshContract(rel)
	contractMu.Lock()
	defer contractMu.Unlock()
	if contractStanding[w.fixture] == nil {
		contractStanding[w.fixture] = map[int64]int64{}
	}
	if old, ok := contractStanding[w.fixture][w.communityOfRel(rel).ID]; ok {
		return old
	}
	contractStanding[w.fixture][w.communityOfRel(rel).ID] = id
	return id
}

// milestoneBody names the first milestone of contract id.
func milestoneBody(extra string) func(w *world, _ relation, id int64) (string, []byte) {
	return func(w *world, _ relation, id int64) (string, []byte) {
		k, err := w.st.Contract(context.Background(), authz.System(), id)
		if err != nil || len(k.Milestones) == 0 {
			w.tb.Fatalf("milestone of %d: %v", id, err)
		}
		return "application/json", fmt.Appendf(nil, `{"milestone_id":"%d"%s}`, k.Milestones[0].ID, extra)
	}
}

var contractPatternKinds = map[string]objKind{
	"/api/v1/contracts/{id}/milestones":  contractFreshObj,
	"/api/v1/contracts/{id}/acceptances": contractFreshObj,
	"/api/v1/contracts/{id}/ratings":     contractRatedObj,
	"/contracts/{id}/acceptances":        contractFreshObj,
	"/contracts/{id}/ratings":            contractRatedObj,
}

var contractObjKinds = map[string]objKind{
	"/api/v1/contracts/{id}": contractObj,
	"/contracts/{id}":        contractObj,
}

var contractSpecs = map[string]spec{
	"GET /api/v1/contracts": {kind: contractRead},
	"POST /api/v1/contracts": {kind: contractWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"community_id":"%d","organization_id":"%d","category_id":"%d","title":"矩阵新合同%d","scope":"矩阵","amount":"100"}`,
			w.communityOfRel(rel).ID, w.contractOrg(), w.fundWorld().category, w.nextSeq())
	}},
	"GET /api/v1/contracts/{id}":              {kind: contractRead, scoped: true},
	"POST /api/v1/contracts/{id}/milestones":  {kind: contractWrite, scoped: true, fresh: true, body: jsonBody(`{"title":"矩阵新节点","kpi":"指标","due_on":"2099-06-30","amount":"5"}`)},
	"POST /api/v1/contracts/{id}/acceptances": {kind: contractWrite, scoped: true, fresh: true, body: milestoneBody("")},
	"POST /api/v1/contracts/{id}/ratings":     {kind: contractRate, scoped: true, fresh: true, household: true, body: milestoneBody(`,"score":4`)},

	// The pages: the list, a contract's page and its forms (accept, rate).
	"GET /contracts":      {kind: contractRead},
	"GET /contracts/{id}": {kind: contractRead, scoped: true},
	"POST /contracts/{id}/acceptances": {kind: contractWrite, scoped: true, fresh: true, body: formBody(func(w *world, _ relation, id int64) url.Values {
		return url.Values{"milestone_id": {fmt.Sprint(w.firstMilestone(id))}}
	})},
	"POST /contracts/{id}/ratings": {kind: contractRate, scoped: true, fresh: true, household: true, body: formBody(func(w *world, _ relation, id int64) url.Values {
		return url.Values{"milestone_id": {fmt.Sprint(w.firstMilestone(id))}, "score": {"4"}}
	})},
}

// firstMilestone is the first milestone of contract id.
func (w *world) firstMilestone(id int64) int64 {
	k, err := w.st.Contract(context.Background(), authz.System(), id)
	if err != nil || len(k.Milestones) == 0 {
		w.tb.Fatalf("milestone of %d: %v", id, err)
	}
	return k.Milestones[0].ID
}

func init() {
	maps.Copy(specs, contractSpecs)
	maps.Copy(patternKinds, contractPatternKinds)
	maps.Copy(objKinds, contractObjKinds)
}
