package securitytest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// partyOrgs puts the Party org tree on the world: a 大工委 on each street, a 大党委 on each
// community, a branch on each grid and a group on each building of the first grid. The org of a
// relation lies where its household does: the group of building bu for the caller's own unit,
// the group of bg for the grid, the branches of g2, g3 and g4 beyond.
func (w *world) partyOrgs() {
	w.tb.Helper()
	mk := func(in model.OrgInput) *model.Org {
		w.tb.Helper()
		o, err := w.st.CreateOrg(context.Background(), authz.System(), in)
		if err != nil {
			w.tb.Fatalf("party org %s: %v", in.Name, err)
		}
		return o
	}
	s1 := mk(model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: w.s1.ID})
	s2 := mk(model.OrgInput{Kind: model.OrgStreetCommittee, Name: "太白街道大工委", TerritoryID: w.s2.ID})
	c1 := mk(model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: s1.ID, Name: "天宝社区大党委", TerritoryID: w.c1.ID})
	c2 := mk(model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: s1.ID, Name: "东胜社区大党委", TerritoryID: w.c2.ID})
	c3 := mk(model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: s2.ID, Name: "太白社区大党委", TerritoryID: w.c3.ID})
	branch := func(parent *model.Org, grid *model.Territory) *model.Org {
		return mk(model.OrgInput{Kind: model.OrgGridBranch, ParentID: parent.ID, Name: grid.Name + "党支部", TerritoryID: grid.ID})
	}
	b1 := branch(c1, w.g1)
	gu := mk(model.OrgInput{Kind: model.OrgBuildingGroup, ParentID: b1.ID, Name: "1栋党小组", TerritoryID: w.bu.ID})
	gg := mk(model.OrgInput{Kind: model.OrgBuildingGroup, ParentID: b1.ID, Name: "2栋党小组", TerritoryID: w.bg.ID})
	for _, rel := range []relation{relOwn, relHousehold, relUnit} {
		w.targets[rel].porg = gu
	}
	w.targets[relGrid].porg = gg
	w.targets[relCommunity].porg = branch(c1, w.g2)
	w.targets[relStreet].porg = branch(c2, w.g3)
	w.targets[relOther].porg = branch(c3, w.g4)
}

// freshOrg is a new functional branch under the org of relation rel (so it lies where that org
// does), for the cases that change or consume an org.
func (w *world) freshOrg(rel relation) *model.Org {
	w.tb.Helper()
	o, err := w.st.CreateOrg(context.Background(), authz.System(), model.OrgInput{Kind: model.OrgFunctional, Level: model.LevelBranch,
		Affinity: model.AffinityInterest, ParentID: w.targets[rel].porg.ID, Name: fmt.Sprintf("临时党支部%d", w.nextSeq())})
	if err != nil {
		w.tb.Fatalf("fresh org at %s: %v", rel, err)
	}
	return o
}

// newOrgJSON creates a functional org under the org of the relation (a reference in the body).
func newOrgJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"kind":"functional_group","affinity":"online","parent_id":"%d","name":"新党小组%d"}`,
		w.targets[rel].porg.ID, w.nextSeq())
}

// mergeOrgJSON merges the case's fresh org into another fresh one beside it.
func mergeOrgJSON(w *world, rel relation, _ int64) (string, []byte) {
	return "application/json", fmt.Appendf(nil, `{"into_id":"%d"}`, w.freshOrg(rel).ID)
}

// communityOf is the community node the object of relation rel lies in.
func (w *world) communityOf(rel relation) *model.Territory {
	switch rel {
	case relStreet:
		return w.c2
	case relOther:
		return w.c3
	}
	return w.c1
}

// The generators in the API: a run (batch) lies in its community. A fresh run is the branch of
// a new grid of the relation's community; the standing one is made once per world and relation.

const batchObj objKind = 1000

var generatorObjKinds = map[string]objKind{
	"/api/v1/party/orgs/generator/runs/{id}": batchObj,
}

func communityQuery(w *world, rel relation) string {
	return "community=" + strconv.FormatInt(w.communityOf(rel).ID, 10)
}

var generatorSpecs = map[string]spec{
	"GET /api/v1/party/orgs/generator": {kind: partyOrgWrite, scoped: true, query: func(w *world, rel relation) string {
		return communityQuery(w, rel) + "&generator=branches"
	}},
	// Allowed, the confirm finds nothing left (409) unless an undone case left a grid without a
	// branch (201); out of scope, the community is 404.
	"POST /api/v1/party/orgs/generator": {kind: partyOrgWrite, scoped: true, lenient: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"community_id":"%d","generator":"branches"}`, w.communityOf(rel).ID)
	}},
	"GET /api/v1/party/orgs/generator/runs":            {kind: partyOrgWrite, scoped: true, query: communityQuery},
	"GET /api/v1/party/orgs/generator/runs/{id}":       {kind: partyOrgWrite, scoped: true},
	"POST /api/v1/party/orgs/generator/runs/{id}/undo": {kind: partyOrgWrite, scoped: true, fresh: true},
	// The post form's holder search (a page without script, the matches with htmx).
	"GET /party/orgs/{id}/holders": {kind: partyOrgWrite, scoped: true, query: func(*world, relation) string { return "q=党" }},
}

// runs caches the standing generator run per world and relation.
var runs = struct {
	sync.Mutex
	m map[*world]map[relation]int64
}{m: map[*world]map[relation]int64{}}

// generatorRun adds a grid to the relation's community and runs "one branch per grid" there. A
// run of another case at the same time may take the new grid into its own batch: then the
// batch is the one that holds the grid's branch. That batch may be a fresh one an undo case
// undoes at once (the grid's branch is gone with it): then it tries again with a new grid.
func (w *world) generatorRun(rel relation) int64 {
	w.tb.Helper()
	ctx := context.Background()
	community := w.communityOf(rel)
	for range 5 {
		g := w.node(community, model.KindGrid, fmt.Sprintf("生成网格%d", w.nextSeq()))
		b, err := w.st.RunGenerator(ctx, authz.System(), community.ID, model.GenBranches)
		if err == nil {
			return b.ID
		}
		var conflict *model.ConflictError
		if !errors.As(err, &conflict) {
			w.tb.Fatalf("generator run at %s: %v", rel, err)
		}
		orgs, err := w.st.Orgs(ctx, authz.System(), store.OrgFilter{Under: g.ID, Kind: model.OrgGridBranch, Limit: 10})
		if err != nil {
			w.tb.Fatalf("the branch of the generated grid at %s: %v", rel, err)
		}
		if len(orgs.Items) == 1 && orgs.Items[0].BatchID != 0 {
			return orgs.Items[0].BatchID
		}
	}
	w.tb.Fatalf("no generator run at %s: five grids in a row were taken by runs undone at once", rel)
	return 0
}

// standingRun is the relation's standing generator run (made once).
func (w *world) standingRun(rel relation) int64 {
	w.tb.Helper()
	runs.Lock()
	defer runs.Unlock()
	if id, ok := runs.m[w][rel]; ok {
		return id
	}
	id := w.generatorRun(rel)
	if runs.m[w] == nil {
		runs.m[w] = map[relation]int64{}
	}
	runs.m[w][rel] = id
	return id
}

func init() {
	maps.Copy(specs, generatorSpecs)
	maps.Copy(objKinds, generatorObjKinds)
}
