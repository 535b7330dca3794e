package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's Party organization structure (issue 8, item 1): a 大工委 on every street, a 大党委
// on every community, a branch on every grid and 2–3 groups under it (by building in some
// communities, by compound in others, through the same generators a community secretary runs),
// functional organizations of every affinity in some communities, a current term per committee
// and branch (some ending within 90 days of AsOf) and the posts. Members come later
// (partymember links them); posts carry the holder's name until then.

// functionalOrgs are the functional organizations a community may have, by affinity.
var functionalOrgs = []struct {
	affinity model.Affinity
	level    model.OrgLevel
	names    []string
}{
	{model.AffinityLocality, model.LevelGroup, []string{"老街坊党小组", "邻里守望党小组", "院坝议事党小组"}},
	{model.AffinityOccupation, model.LevelBranch, []string{"快递外卖小哥党支部", "个体工商户联合党支部", "物业服务企业联合党支部"}},
	{model.AffinityInterest, model.LevelGroup, []string{"书画协会党小组", "太极拳队党小组", "川剧票友党小组"}},
	{model.AffinityOnline, model.LevelGroup, []string{"“云上家园”网络党小组", "网络文明志愿者党小组", "流动党员线上党小组"}},
}

// partTimeUnits are co-building units whose leaders hold part-time posts on a 大党委.
var partTimeUnits = []string{"人民医院", "供电公司", "第一中学", "税务局", "农商银行", "实验小学", "中医院", "邮政公司", "交通运输局", "自来水公司"}

// partyOrgs creates the structure for the streets and the filled communities.
func partyOrgs(ctx context.Context, st *store.Store, opts Options, streets, communities []*model.Territory, res *Result) error {
	sc := authz.System()
	streetCommittee := map[int64]int64{}
	err := st.Tx(ctx, func(tx *store.Tx) error {
		for _, s := range streets {
			r := seedFor(opts.Seed, "party street "+s.Code)
			o, err := tx.CreateOrg(ctx, sc, model.OrgInput{Kind: model.OrgStreetCommittee, Name: s.Name + "大工委", TerritoryID: s.ID})
			if err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
			streetCommittee[s.ID] = o.ID
			res.PartyOrgs++
			if err := demoTermAndPosts(ctx, tx, r, opts.AsOf, o, 5, committeePosts); err != nil {
				return err
			}
		}
		for _, c := range communities {
			r := seedFor(opts.Seed, "party community "+c.Code)
			o, err := tx.CreateOrg(ctx, sc, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: streetCommittee[c.ParentID], Name: c.Name + "大党委", TerritoryID: c.ID})
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
			res.PartyOrgs++
			if err := demoTermAndPosts(ctx, tx, r, opts.AsOf, o, 5, committeePosts); err != nil {
				return err
			}
			for range 1 + r.IntN(2) {
				if _, err := tx.AddPost(ctx, sc, o.ID, model.PostInput{Post: model.PostPartTime,
					HolderName: personName(r) + "（" + pick(r, partTimeUnits) + "）", StartsOn: opts.AsOf.AddDate(0, -r.IntN(30), 0)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range communities {
		b, err := st.RunGenerator(ctx, sc, c.ID, model.GenBranches)
		switch {
		case isConflict(err):
			continue // a community without grids (a tiny demo)
		case err != nil:
			return fmt.Errorf("%s: branches: %w", c.Name, err)
		}
		res.PartyOrgs += b.Orgs
		gen := model.GenGroupsCompound
		if i%2 == 1 {
			gen = model.GenGroupsBuilding
		}
		if b, err := st.RunGenerator(ctx, sc, c.ID, gen); err == nil {
			res.PartyOrgs += b.Orgs
		} else if !isConflict(err) {
			return fmt.Errorf("%s: groups: %w", c.Name, err)
		}
	}
	trees := make([][]*model.Org, len(communities))
	for i, c := range communities {
		if trees[i], _, err = st.OrgTree(ctx, sc, c.ID); err != nil {
			return err
		}
	}
	return st.Tx(ctx, func(tx *store.Tx) error {
		for i, c := range communities {
			r := seedFor(opts.Seed, "party branches "+c.Code)
			var committee *model.Org
			for _, o := range trees[i] {
				switch o.Kind {
				case model.OrgCommunityCommittee:
					committee = o
				case model.OrgGridBranch:
					if err := demoTermAndPosts(ctx, tx, r, opts.AsOf, o, 3, branchPosts); err != nil {
						return err
					}
				case model.OrgBuildingGroup:
					if _, err := tx.AddPost(ctx, sc, o.ID, model.PostInput{Post: model.PostSecretary, HolderName: personName(r),
						StartsOn: opts.AsOf.AddDate(0, -r.IntN(36), -r.IntN(28))}); err != nil {
						return err
					}
				}
			}
			// Functional organizations in two communities of three; over the county every
			// affinity appears.
			if committee == nil || i%3 == 2 {
				continue
			}
			for k := range 1 + r.IntN(2) {
				f := functionalOrgs[(i+k)%len(functionalOrgs)]
				if _, err := tx.CreateOrg(ctx, sc, model.OrgInput{Kind: model.OrgFunctional, Level: f.level, Affinity: f.affinity,
					ParentID: committee.ID, Name: pick(r, f.names)}); err != nil {
					return fmt.Errorf("%s: functional: %w", c.Name, err)
				}
				res.PartyOrgs++
			}
		}
		return nil
	})
}

func isConflict(err error) bool {
	var c *model.ConflictError
	return errors.As(err, &c)
}

var (
	committeePosts = []model.PostKind{model.PostSecretary, model.PostDeputy, model.PostOrganizer, model.PostPropaganda, model.PostDiscipline}
	branchPosts    = []model.PostKind{model.PostSecretary, model.PostOrganizer, model.PostPropaganda}
)

// demoTermAndPosts records the org's current term of years years (one in five ends within 90
// days of asOf, the rest 7 months to 4 years after it) and its posts for that term.
func demoTermAndPosts(ctx context.Context, tx *store.Tx, r *rand.Rand, asOf time.Time, o *model.Org, years int, posts []model.PostKind) error {
	var ends time.Time
	if r.IntN(5) == 0 {
		ends = asOf.AddDate(0, 0, 10+r.IntN(75))
	} else {
		ends = asOf.AddDate(0, 0, 200+r.IntN(1250))
	}
	starts := ends.AddDate(-years, 0, 0)
	elected := starts.AddDate(0, 0, -1-r.IntN(10))
	if _, err := tx.RecordTerm(ctx, authz.System(), o.ID, model.TermInput{StartsOn: starts, EndsOn: ends, ElectedOn: &elected}); err != nil {
		return fmt.Errorf("%s: term: %w", o.Name, err)
	}
	for _, p := range posts {
		if _, err := tx.AddPost(ctx, authz.System(), o.ID, model.PostInput{Post: p, HolderName: personName(r), StartsOn: starts, EndsOn: &ends}); err != nil {
			return fmt.Errorf("%s: post: %w", o.Name, err)
		}
	}
	return nil
}

// personName is a plausible name of someone born 1960–1989.
func personName(r *rand.Rand) string {
	return surname(r) + givenName(r, r.IntN(2) == 0, 1960+r.IntN(30))
}
