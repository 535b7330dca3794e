package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestPostHolderPicker: the post form finds members of the org's roster by name (the htmx
// typeahead answers the matches alone; without script the search shows the form again with
// what was typed), appoints one by id with the roster's name, refuses a member of another org
// and takes an outside holder with the co-building unit of the register.
func TestPostHolderPicker(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx := context.Background()
		sys := authz.System()
		street, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: f.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		committee, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: street.ID, Name: "天宝社区大党委", TerritoryID: f.community.ID})
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: street.ID, Name: "东胜社区大党委", TerritoryID: f.community2.ID})
		if err != nil {
			t.Fatal(err)
		}
		branch, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgFunctional, Level: model.LevelBranch, Affinity: model.AffinityOccupation, ParentID: committee.ID, Name: "物业党支部"})
		if err != nil {
			t.Fatal(err)
		}
		wang := storetest.PartyMember(t, st, "王秀英", branch.ID, 0)
		storetest.PartyMember(t, st, "李建国", branch.ID, 0)
		stranger := storetest.PartyMember(t, st, "王德明", other.ID, 0)
		unit, err := st.CreateOrganization(ctx, sys, model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeSchool, Name: "江油市第一中学", TerritoryID: f.community.ID, Coverage: model.CoverageNone})
		if err != nil {
			t.Fatal(err)
		}

		admin := f.as(t, "comadmin")
		base := "/party/orgs/" + strconv.FormatInt(branch.ID, 10)
		page := admin.get(base).want(t, 200)
		if len(all(page.Doc, `input[name="holder"]`)) != 2 || len(all(page.Doc, `input[name="member_id"]`)) != 2 {
			t.Errorf("the post form lacks the picker or the roster:\n%s", excerpt(page.Body))
		}
		if opts := texts(page.Doc, `select[name="organization_id"] option`); len(opts) != 2 || opts[1] != "江油市第一中学" {
			t.Errorf("co-building units offered: %q", opts)
		}

		// The typeahead: only the matches of the roster below the org, not the other community's 王.
		frag := admin.get(base+"/holders?q=王", "HX-Request", "true", "HX-Target", "holder-results").want(t, 200)
		if strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Body, "王秀英") || strings.Contains(frag.Body, "王德明") || strings.Contains(frag.Body, "李建国") {
			t.Errorf("typeahead fragment:\n%s", excerpt(frag.Body))
		}
		if none := admin.get(base+"/holders?q=赵", "HX-Request", "true", "HX-Target", "holder-results").want(t, 200); !strings.Contains(none.Body, "没有姓名包含") {
			t.Errorf("no match:\n%s", excerpt(none.Body))
		}
		// Without script: the whole form again, what was typed kept.
		full := admin.get(base+"/holders?post=organizer&q=王&starts_on=2026-03-01").want(t, 200)
		if v := attr(one(t, full.Doc, `input[name="starts_on"]`), "value"); v != "2026-03-01" || len(all(full.Doc, `input[name="member_id"]`)) != 1 {
			t.Errorf("no-script search page: starts_on %q\n%s", v, excerpt(full.Body))
		}
		f.as(t, "gridleader").get(base+"/holders?q=王").want(t, 403)

		// A member of another org's roster, none picked, an outside holder without a name: refused.
		res := admin.post(base+"/posts", url.Values{"post": {"secretary"}, "holder": {"member"}, "member_id": {strconv.FormatInt(stranger, 10)}, "starts_on": {"2026-03-01"}}).want(t, 422)
		if !strings.Contains(res.Body, "不在物业党支部的党员名册上") {
			t.Errorf("a stranger appointed:\n%s", excerpt(res.Body))
		}
		admin.post(base+"/posts", url.Values{"post": {"secretary"}, "holder": {"member"}, "starts_on": {"2026-03-01"}}).want(t, 422)
		admin.post(base+"/posts", url.Values{"post": {"secretary"}, "holder": {"outside"}, "starts_on": {"2026-03-01"}}).want(t, 422)
		if posts, err := st.OrgPosts(ctx, sys, branch.ID, true); err != nil || len(posts) != 0 {
			t.Fatalf("refused appointments wrote: %v %+v", err, posts)
		}

		admin.post(base+"/posts", url.Values{"post": {"secretary"}, "holder": {"member"}, "member_id": {strconv.FormatInt(wang, 10)}, "holder_name": {"别的名字"}, "starts_on": {"2026-03-01"}}).want(t, 303)
		admin.post(base+"/posts", url.Values{"post": {"part_time"}, "holder": {"outside"}, "holder_name": {"张校长"}, "organization_id": {strconv.FormatInt(unit.ID, 10)}, "starts_on": {"2026-03-01"}}).want(t, 303)
		posts, err := st.OrgPosts(ctx, sys, branch.ID, false)
		if err != nil || len(posts) != 2 {
			t.Fatalf("posts: %v %d", err, len(posts))
		}
		if p := posts[0]; p.MemberID != wang || p.HolderName != "王秀英" {
			t.Errorf("member holder = %+v", p)
		}
		if p := posts[1]; p.MemberID != 0 || p.HolderName != "张校长" || p.OrganizationID != unit.ID {
			t.Errorf("outside holder = %+v", p)
		}
	})
}
