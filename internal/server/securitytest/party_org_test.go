package securitytest_test

import (
	"context"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
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
