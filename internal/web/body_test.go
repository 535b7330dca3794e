package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestBodyPages: the residents' committee's page of the caller's community — its term and
// members, a decision recorded by staff (a missing title answered inline), read by a grid
// leader of the community, who may not record one.
func TestBodyPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		b, err := st.CreateBodyTerm(t.Context(), authz.System(), model.BodyTermInput{CommunityID: f.community.ID, StartsOn: "2026-01-01", EndsOn: "2030-12-31",
			ElectedOn: "2025-12-20", ElectionResult: "5 人当选", Members: []model.BodyMemberInput{{Post: model.BodyDirector, Name: "陈主任"}, {Post: model.BodyCommittee, Name: "张委员"}}})
		if err != nil {
			t.Fatal(err)
		}
		staff := f.as(t, "staff")
		res := staff.get("/bodies").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#term-"+itoa(b.ID))); !strings.Contains(got, "居民委员会") || !strings.Contains(got, "陈主任") {
			t.Errorf("term: %q", got)
		}
		res = staff.post("/bodies/"+itoa(b.ID)+"/decisions", url.Values{"kind": {"decision"}, "date": {"2026-03-05"}, "title": {""}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, ".error-summary")
		staff.post("/bodies/"+itoa(b.ID)+"/decisions", url.Values{"kind": {"decision"}, "date": {"2026-03-05"}, "title": {"通过停车收费方案"}}).want(t, http.StatusSeeOther)
		grid := f.as(t, "gridleader")
		res = grid.get("/bodies").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#decisions")); !strings.Contains(got, "通过停车收费方案") {
			t.Errorf("decisions as the grid leader: %q", got)
		}
		if len(all(res.Doc, "#form-decision")) != 0 {
			t.Errorf("the grid leader is offered the form")
		}
		grid.post("/bodies/"+itoa(b.ID)+"/decisions", url.Values{"kind": {"task"}, "date": {"2026-03-05"}, "title": {"x"}}).want(t, http.StatusForbidden)
	})
}
