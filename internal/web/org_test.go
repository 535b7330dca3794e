package web_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestOrgPages: the chart shows the tree and the 90-day warning; a community admin previews the
// one-branch-per-grid generator (nothing written), confirms, undoes; the generator on a
// community outside the scope is 404; merge into itself and dissolve twice are refused on the
// page with nothing changed.
func TestOrgPages(t *testing.T) {
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
		if _, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: street.ID, Name: "东胜社区大党委", TerritoryID: f.community2.ID}); err != nil {
			t.Fatal(err)
		}
		ends := time.Now().AddDate(0, 0, 40)
		if _, err := st.RecordTerm(ctx, sys, committee.ID, model.TermInput{StartsOn: ends.AddDate(-5, 0, 0), EndsOn: ends}); err != nil {
			t.Fatal(err)
		}
		admin := f.as(t, "comadmin")
		chart := admin.get("/party/orgs").want(t, 200)
		if !strings.Contains(chart.Body, "天宝社区大党委") || strings.Contains(chart.Body, "东胜社区大党委") || !strings.Contains(chart.Body, "90天内换届") {
			t.Errorf("chart: want its own committee with the 90-day warning, not the other community's:\n%s", excerpt(chart.Body))
		}
		page := admin.get("/party/orgs/"+strconv.FormatInt(committee.ID, 10)).want(t, 200)
		if !strings.Contains(page.Body, "callout-warn") {
			t.Errorf("org page without the amber warning:\n%s", excerpt(page.Body))
		}

		community := strconv.FormatInt(f.community.ID, 10)
		preview := admin.get("/party/generate?community="+community+"&generator=branches").want(t, 200)
		if !strings.Contains(preview.Body, "第一网格党支部") {
			t.Errorf("preview lacks the grid's branch:\n%s", excerpt(preview.Body))
		}
		if n := countBranches(t, st); n != 0 {
			t.Fatalf("the preview wrote %d branches", n)
		}
		admin.post("/party/generate", url.Values{"community": {community}, "generator": {"branches"}}).want(t, 303)
		if n := countBranches(t, st); n != 1 {
			t.Fatalf("%d branches after confirm, want 1", n)
		}
		admin.post("/party/generate", url.Values{"community": {community}, "generator": {"branches"}}).want(t, 409)
		batches, err := st.OrgBatches(ctx, sys, f.community.ID)
		if err != nil || len(batches) != 1 {
			t.Fatalf("batches: %v %d", err, len(batches))
		}
		// Outside the scope: the other community.
		other := strconv.FormatInt(f.community2.ID, 10)
		admin.get("/party/generate?community="+other+"&generator=branches").want(t, 404)
		admin.post("/party/generate", url.Values{"community": {other}, "generator": {"branches"}}).want(t, 404)
		// The grid leader may not run it.
		f.as(t, "gridleader").get("/party/generate?community="+community).want(t, 403)

		admin.post("/party/generate/undo", url.Values{"community": {community}, "batch": {strconv.FormatInt(batches[0].ID, 10)}}).want(t, 303)
		if n := countBranches(t, st); n != 0 {
			t.Fatalf("%d branches after undo, want 0", n)
		}
		admin.post("/party/generate/undo", url.Values{"community": {community}, "batch": {strconv.FormatInt(batches[0].ID, 10)}}).want(t, 409)

		// Merge into itself is not offered and refused; dissolve twice is refused.
		fn, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgFunctional, Affinity: model.AffinityInterest, ParentID: committee.ID, Name: "书画协会党小组"})
		if err != nil {
			t.Fatal(err)
		}
		fnURL := "/party/orgs/" + strconv.FormatInt(fn.ID, 10)
		admin.post(fnURL+"/merge", url.Values{"into_id": {strconv.FormatInt(fn.ID, 10)}}).want(t, 422)
		admin.post(fnURL+"/dissolve", url.Values{"reason": {"活动停止"}}).want(t, 303)
		res := admin.post(fnURL+"/dissolve", url.Values{}).want(t, 422)
		if !strings.Contains(res.Body, "已撤销") {
			t.Errorf("second dissolve: %s", excerpt(res.Body))
		}
		// A re-election through the form.
		admin.post("/party/orgs/"+strconv.FormatInt(committee.ID, 10)+"/terms", url.Values{
			"starts_on": {ends.Format(time.DateOnly)}, "ends_on": {ends.AddDate(5, 0, 0).Format(time.DateOnly)}}).want(t, 303)
		if page := admin.get("/party/orgs/"+strconv.FormatInt(committee.ID, 10)).want(t, 200); strings.Contains(page.Body, "callout-warn") {
			t.Error("the warning stays after the re-election")
		}
	})
}

func countBranches(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_orgs WHERE kind = 'grid_branch'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
