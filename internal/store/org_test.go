package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// orgTree is mustTree with a committee on the street and on both communities, and more grids
// with compounds and buildings in the first community.
type orgTree struct {
	tree
	grids        []*model.Territory
	compound     *model.Territory
	streetOrg    *model.Org
	committee    *model.Org
	committee2   *model.Org
	communityAdm authz.Scope
}

func mustOrgTree(t *testing.T, st *store.Store) orgTree {
	t.Helper()
	ctx := context.Background()
	sys := authz.System()
	ot := orgTree{tree: mustTree(t, st)}
	add := func(parent *model.Territory, kind model.TerritoryKind, name string) *model.Territory {
		t.Helper()
		n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent.ID, Kind: kind, Name: name})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return n
	}
	ot.grids = []*model.Territory{ot.grid}
	for i := 2; i <= 4; i++ {
		g := add(ot.community, model.KindGrid, fmt.Sprintf("第%d网格", i))
		ot.grids = append(ot.grids, g)
		for c := 1; c <= 3; c++ {
			cp := add(g, model.KindCompound, fmt.Sprintf("%d网格%d号院", i, c))
			if ot.compound == nil {
				ot.compound = cp
			}
			add(cp, model.KindBuilding, "1栋")
			add(cp, model.KindBuilding, "2栋")
		}
	}
	var err error
	if ot.streetOrg, err = st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: ot.street.ID}); err != nil {
		t.Fatal(err)
	}
	if ot.committee, err = st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: ot.streetOrg.ID, Name: "天宝社区大党委", TerritoryID: ot.community.ID}); err != nil {
		t.Fatal(err)
	}
	if ot.committee2, err = st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: ot.streetOrg.ID, Name: "东胜社区大党委", TerritoryID: ot.community2.ID}); err != nil {
		t.Fatal(err)
	}
	ot.communityAdm = authz.Scope{UserID: 0, Role: model.RoleCommunityAdmin, Path: ot.community.Path}
	return ot
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var v *model.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want a validation error on %s", err, field)
	}
	for _, f := range v.Fields {
		if f.Field == field {
			if f.Message == "" {
				t.Errorf("field %s without a message", field)
			}
			return
		}
	}
	t.Errorf("err = %v, want a validation error on %s", err, field)
}

func countOrgs(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_orgs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOrgCreateRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ot := mustOrgTree(t, st)
		sys := authz.System()
		before := countOrgs(t, st)
		for _, tc := range []struct {
			name  string
			in    model.OrgInput
			field string
		}{
			{"a branch on a community", model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee.ID, Name: "x", TerritoryID: ot.community.ID}, "territory_id"},
			{"a community committee on a grid", model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: ot.streetOrg.ID, Name: "x", TerritoryID: ot.grid.ID}, "territory_id"},
			{"a group under a committee", model.OrgInput{Kind: model.OrgBuildingGroup, ParentID: ot.committee.ID, Name: "x", TerritoryID: ot.building.ID}, "parent_id"},
			{"a branch on a grid of another community", model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee2.ID, Name: "x", TerritoryID: ot.grid.ID}, "territory_id"},
			{"a street committee with a parent", model.OrgInput{Kind: model.OrgStreetCommittee, ParentID: ot.committee.ID, Name: "x", TerritoryID: ot.street.ID}, "parent_id"},
			{"a second committee on one community", model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: ot.streetOrg.ID, Name: "x", TerritoryID: ot.community.ID}, "territory_id"},
			{"a functional org without affinity", model.OrgInput{Kind: model.OrgFunctional, ParentID: ot.committee.ID, Name: "x"}, "affinity"},
			{"a functional org on a node", model.OrgInput{Kind: model.OrgFunctional, Affinity: model.AffinityInterest, ParentID: ot.committee.ID, Name: "x", TerritoryID: ot.grid.ID}, "territory_id"},
			{"an affinity on a branch", model.OrgInput{Kind: model.OrgGridBranch, Affinity: model.AffinityInterest, ParentID: ot.committee.ID, Name: "x", TerritoryID: ot.grid.ID}, "affinity"},
			{"no name", model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee.ID, Name: " ", TerritoryID: ot.grid.ID}, "name"},
			{"a kind that does not exist", model.OrgInput{Kind: "cell", ParentID: ot.committee.ID, Name: "x", TerritoryID: ot.grid.ID}, "kind"},
		} {
			_, err := st.CreateOrg(ctx, sys, tc.in)
			t.Run(tc.name, func(t *testing.T) { wantField(t, err, tc.field) })
		}
		// Outside the scope: the other community's grid is not there for this community's admin.
		_, err := st.CreateOrg(ctx, ot.communityAdm, model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee2.ID, Name: "x", TerritoryID: ot.grid.ID})
		wantField(t, err, "parent_id")
		if got := countOrgs(t, st); got != before {
			t.Errorf("%d orgs after bad input, want %d", got, before)
		}

		// Good ones: a branch, a group on a building of its grid, a functional org.
		branch, err := st.CreateOrg(ctx, ot.communityAdm, model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee.ID, Name: "第一网格党支部", TerritoryID: ot.grid.ID})
		if err != nil {
			t.Fatal(err)
		}
		if branch.Path != ot.grid.Path || branch.CommunityID != ot.community.ID {
			t.Errorf("branch path %q community %d, want %q %d", branch.Path, branch.CommunityID, ot.grid.Path, ot.community.ID)
		}
		if _, err := st.CreateOrg(ctx, ot.communityAdm, model.OrgInput{Kind: model.OrgBuildingGroup, ParentID: branch.ID, Name: "1栋党小组", TerritoryID: ot.building.ID}); err != nil {
			t.Fatal(err)
		}
		_, err = st.CreateOrg(ctx, ot.communityAdm, model.OrgInput{Kind: model.OrgBuildingGroup, ParentID: branch.ID, Name: "外网格党小组", TerritoryID: ot.compound.ID})
		wantField(t, err, "territory_id")
		f, err := st.CreateOrg(ctx, ot.communityAdm, model.OrgInput{Kind: model.OrgFunctional, Affinity: model.AffinityInterest, ParentID: ot.committee.ID, Name: "书画协会党小组"})
		if err != nil {
			t.Fatal(err)
		}
		if f.Path != ot.committee.Path || f.Level != model.LevelGroup || f.TerritoryID != 0 {
			t.Errorf("functional org = %+v", f)
		}
		// The community admin sees its subtree and not the street committee.
		if _, err := st.Org(ctx, ot.communityAdm, ot.streetOrg.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("street committee for the community admin: %v, want not found", err)
		}
		page, err := st.Orgs(ctx, ot.communityAdm, store.OrgFilter{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 4 || len(page.Items) != 2 || page.Next == "" {
			t.Errorf("first page: total %d, %d items, next %q; want 4, 2, a cursor", page.Total, len(page.Items), page.Next)
		}
		page2, err := st.Orgs(ctx, ot.communityAdm, store.OrgFilter{Limit: 2, Cursor: page.Next})
		if err != nil || len(page2.Items) != 2 || page2.Next != "" {
			t.Errorf("second page: %v, %+v", err, page2)
		}
		kids, err := st.OrgChildren(ctx, ot.communityAdm, ot.committee.ID)
		if err != nil || len(kids) != 2 {
			t.Errorf("children of the committee: %v, %d, want 2", err, len(kids))
		}
	})
}

func TestOrgRenameMergeDissolve(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ot := mustOrgTree(t, st)
		sc := ot.communityAdm
		a, err := st.CreateOrg(ctx, sc, model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee.ID, Name: "一支部", TerritoryID: ot.grids[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.CreateOrg(ctx, sc, model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee.ID, Name: "二支部", TerritoryID: ot.grids[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.CreateOrg(ctx, authz.System(), model.OrgInput{Kind: model.OrgFunctional, Affinity: model.AffinityOnline, ParentID: ot.committee2.ID, Name: "网络党小组"})
		if err != nil {
			t.Fatal(err)
		}
		local, err := st.CreateOrg(ctx, sc, model.OrgInput{Kind: model.OrgFunctional, Affinity: model.AffinityOnline, ParentID: ot.committee.ID, Name: "云上党小组"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddPost(ctx, sc, a.ID, model.PostInput{Post: model.PostSecretary, HolderName: "李明", StartsOn: time.Now()}); err != nil {
			t.Fatal(err)
		}
		_, err = st.AddPost(ctx, sc, a.ID, model.PostInput{Post: model.PostSecretary, HolderName: "王芳", StartsOn: time.Now()})
		wantField(t, err, "post")

		if o, err := st.RenameOrg(ctx, sc, a.ID, "第一网格党支部"); err != nil || o.Name != "第一网格党支部" {
			t.Fatalf("rename: %v %+v", err, o)
		}
		_, err = st.RenameOrg(ctx, sc, a.ID, "")
		wantField(t, err, "name")

		// Merge into itself, across communities (the other community is also out of scope
		// for this admin: try it as the system), of different kinds: refused, nothing changed.
		_, err = st.MergeOrg(ctx, sc, a.ID, a.ID)
		wantField(t, err, "into_id")
		_, err = st.MergeOrg(ctx, authz.System(), local.ID, other.ID)
		wantField(t, err, "into_id")
		_, err = st.MergeOrg(ctx, sc, a.ID, other.ID)
		wantField(t, err, "into_id")
		_, err = st.MergeOrg(ctx, sc, a.ID, local.ID)
		wantField(t, err, "into_id")
		if o, _ := st.Org(ctx, sc, a.ID); o.Status != model.OrgActive {
			t.Fatalf("after refused merges a is %s", o.Status)
		}

		merged, err := st.MergeOrg(ctx, sc, a.ID, b.ID)
		if err != nil || merged.ID != b.ID {
			t.Fatalf("merge: %v", err)
		}
		gone, _ := st.Org(ctx, sc, a.ID)
		if gone.Status != model.OrgMerged || gone.MergedIntoID != b.ID || gone.EndedAt == nil {
			t.Errorf("merged org = %+v", gone)
		}
		if posts, _ := st.OrgPosts(ctx, sc, a.ID, false); len(posts) != 0 {
			t.Errorf("%d current posts on a merged org", len(posts))
		}
		// The merged grid is free for a new branch (the anchor index covers active orgs only).
		if _, err := st.CreateOrg(ctx, sc, model.OrgInput{Kind: model.OrgGridBranch, ParentID: ot.committee.ID, Name: "新一支部", TerritoryID: ot.grids[0].ID}); err != nil {
			t.Errorf("new branch on the merged branch's grid: %v", err)
		}
		_, err = st.MergeOrg(ctx, sc, a.ID, b.ID)
		if !errors.Is(err, model.ErrConflict) {
			t.Errorf("merging a merged org: %v, want conflict", err)
		}

		if _, err := st.DissolveOrg(ctx, sc, ot.committee.ID, ""); !errors.Is(err, model.ErrConflict) {
			t.Errorf("dissolving a committee with branches: %v, want conflict", err)
		}
		if _, err := st.DissolveOrg(ctx, sc, local.ID, "活动停止"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DissolveOrg(ctx, sc, local.ID, "再来"); !errors.Is(err, model.ErrConflict) {
			t.Errorf("dissolving twice: %v, want conflict", err)
		}
		if _, err := st.RenameOrg(ctx, sc, local.ID, "复活"); !errors.Is(err, model.ErrConflict) {
			t.Errorf("renaming a dissolved org: %v, want conflict", err)
		}
		events, err := st.OrgEvents(ctx, sc, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		if fmt.Sprint(actions) != "[merged renamed post created]" {
			t.Errorf("history of a = %v", actions)
		}
	})
}

func TestOrgTerms(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ot := mustOrgTree(t, st)
		sc := ot.communityAdm
		d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
		if _, err := st.RecordTerm(ctx, sc, ot.committee.ID, model.TermInput{StartsOn: d("2021-03-01"), EndsOn: d("2026-03-01")}); err != nil {
			t.Fatal(err)
		}
		_, err := st.RecordTerm(ctx, sc, ot.committee.ID, model.TermInput{StartsOn: d("2020-03-01"), EndsOn: d("2025-03-01")})
		wantField(t, err, "starts_on")
		_, err = st.RecordTerm(ctx, sc, ot.committee.ID, model.TermInput{StartsOn: d("2026-03-01"), EndsOn: d("2026-01-01")})
		wantField(t, err, "ends_on")
		if _, err := st.RecordTerm(ctx, sc, ot.committee.ID, model.TermInput{StartsOn: d("2026-02-20"), EndsOn: d("2031-02-20"), Note: "第三届"}); err != nil {
			t.Fatal(err)
		}
		terms, err := st.OrgTerms(ctx, sc, ot.committee.ID)
		if err != nil || len(terms) != 2 || terms[0].Note != "第三届" {
			t.Fatalf("terms: %v %+v", err, terms)
		}
		if w := terms[0].Warning(d("2030-12-01")); w != "due" {
			t.Errorf("warning 81 days before the end: %q", w)
		}
		if w := terms[0].Warning(d("2030-01-01")); w != "" {
			t.Errorf("warning a year before the end: %q", w)
		}
		if w := terms[0].Warning(d("2031-03-01")); w != "overdue" {
			t.Errorf("warning after the end: %q", w)
		}
		cur, err := st.CurrentTerms(ctx, sc, []int64{ot.committee.ID, ot.committee2.ID})
		if err != nil || len(cur) != 1 || cur[ot.committee.ID].Note != "第三届" {
			t.Errorf("current terms: %v %+v", err, cur)
		}
		soon, err := st.TermsEndingBefore(ctx, sc, d("2031-03-01"), 10)
		if err != nil || len(soon) != 1 {
			t.Errorf("terms ending soon: %v %d, want the current one only", err, len(soon))
		}
	})
}

func TestOrgGenerators(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ot := mustOrgTree(t, st)
		sc := ot.communityAdm
		before := countOrgs(t, st)
		plan, err := st.PlanOrgs(ctx, sc, ot.community.ID, model.GenBranches)
		if err != nil || len(plan) != 4 {
			t.Fatalf("plan: %v, %d orgs, want 4", err, len(plan))
		}
		if countOrgs(t, st) != before {
			t.Fatal("the preview wrote orgs")
		}
		// On a community outside the scope, on a node that is no community: refused.
		if _, err := st.PlanOrgs(ctx, sc, ot.community2.ID, model.GenBranches); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("plan outside scope: %v, want not found", err)
		}
		if _, err := st.RunGenerator(ctx, sc, ot.community2.ID, model.GenBranches); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("run outside scope: %v, want not found", err)
		}
		_, err = st.RunGenerator(ctx, sc, ot.grid.ID, model.GenBranches)
		wantField(t, err, "community_id")

		b, err := st.RunGenerator(ctx, sc, ot.community.ID, model.GenBranches)
		if err != nil || b.Orgs != 4 {
			t.Fatalf("run: %v %+v", err, b)
		}
		if _, err := st.RunGenerator(ctx, sc, ot.community.ID, model.GenBranches); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second run: %v, want conflict (nothing left)", err)
		}
		groups, err := st.RunGenerator(ctx, sc, ot.community.ID, model.GenGroupsBuilding)
		if err != nil {
			t.Fatal(err)
		}
		// Grids 2–4 have 6 buildings each (2 groups each below 400 households); grid 1 has one.
		if groups.Orgs != 7 {
			t.Errorf("groups by building: %d, want 7", groups.Orgs)
		}
		// The branches cannot be undone while groups hang under them.
		if _, err := st.UndoOrgBatch(ctx, sc, b.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("undo branches under groups: %v, want conflict", err)
		}
		if _, err := st.UndoOrgBatch(ctx, sc, groups.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UndoOrgBatch(ctx, sc, groups.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("undo twice: %v, want conflict", err)
		}
		// A post on a generated branch holds the undo back.
		branches, err := st.Orgs(ctx, sc, store.OrgFilter{Kind: model.OrgGridBranch})
		if err != nil {
			t.Fatal(err)
		}
		post, err := st.AddPost(ctx, sc, branches.Items[0].ID, model.PostInput{Post: model.PostSecretary, HolderName: "李明", StartsOn: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.UndoOrgBatch(ctx, sc, b.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("undo with a post: %v, want conflict", err)
		}
		_ = post
		var posts int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_posts`).Scan(&posts); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().Exec(`DELETE FROM party_posts`); err != nil {
			t.Fatal(err)
		}
		undone, err := st.UndoOrgBatch(ctx, sc, b.ID)
		if err != nil || undone.UndoneAt == nil {
			t.Fatalf("undo: %v %+v", err, undone)
		}
		if got := countOrgs(t, st); got != before {
			t.Errorf("%d orgs after undoing both runs, want %d", got, before)
		}
	})
}

// TestOrgGeneratorConcurrentConfirms: 50 confirms of "one branch per grid" at once create each
// branch once, on both engines.
func TestOrgGeneratorConcurrentConfirms(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ot := mustOrgTree(t, st)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		var other []error
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.RunGenerator(ctx, ot.communityAdm, ot.community.ID, model.GenBranches)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, model.ErrConflict):
					conflicts++
				default:
					other = append(other, err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || conflicts != 49 || len(other) != 0 {
			t.Errorf("%d runs wrote, %d found nothing left, other errors %v; want 1, 49, none", ok, conflicts, other)
		}
		var branches, dup int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_orgs WHERE kind = 'grid_branch'`).Scan(&branches); err != nil {
			t.Fatal(err)
		}
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM (SELECT territory_id FROM party_orgs WHERE kind = 'grid_branch' GROUP BY territory_id HAVING COUNT(*) > 1) d`).Scan(&dup); err != nil {
			t.Fatal(err)
		}
		if branches != len(ot.grids) || dup != 0 {
			t.Errorf("%d branches (%d grids twice), want %d", branches, dup, len(ot.grids))
		}
	})
}

// TestFillBranchPosts: a branch's post that names neither a member nor an account takes one of
// the full registered members of the branch or of a group right under it (never a member of
// another branch), with the member's name; a post already held is left alone.
func TestFillBranchPosts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustMemberFixture(t, st)
		other := storetest.MustOrg(t, st, "grid_branch", "第二网格党支部", f.tr.community.ID, f.committee)
		mine := map[int64]bool{}
		for i, org := range []int64{f.branch, f.group, f.branch} {
			mine[storetest.PartyMember(t, st, fmt.Sprintf("本支部党员%d", i), org, 0)] = true
		}
		for i := range 5 {
			storetest.PartyMember(t, st, fmt.Sprintf("别的支部党员%d", i), other, 0)
		}
		open := storetest.Exec(t, st, `INSERT INTO party_posts (org_id, post, holder_name, starts_on, created_at) VALUES (?, 'deputy_secretary', '待定', ?, ?) RETURNING id`,
			f.branch, time.Now().UTC().Format(time.DateOnly), time.Now().UTC())
		held := storetest.PartyMember(t, st, "老书记", f.branch, 0)
		storetest.PartyPost(t, st, f.branch, held, "secretary")
		var n int64
		if err := st.Tx(ctx, func(tx *store.Tx) (err error) { n, err = tx.FillBranchPosts(ctx, authz.System()); return err }); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("filled %d posts, want 1", n)
		}
		posts, err := st.OrgPosts(ctx, authz.System(), f.branch, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range posts {
			switch {
			case p.ID == open && (!mine[p.MemberID] || !strings.HasPrefix(p.HolderName, "本支部党员")):
				t.Errorf("the open post took member %d %q, want one of the branch's", p.MemberID, p.HolderName)
			case p.ID != open && p.MemberID != held:
				t.Errorf("the held post changed to member %d", p.MemberID)
			}
		}
	})
}
