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

// TestBodyTermForm: staff record a term on the page — a term without a 主任 refused inline in
// Chinese with the rows kept and nothing written; then the term with a deputy picked from the
// community's Party members (the picker finds them by name), who holds a Party committee post, shown
// with the 交叉任职 mark. A grid leader is not offered the form and may not post it.
func TestBodyTermForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		committee := storetest.MustOrg(t, st, "community_committee", "天宝社区党委", f.community.ID, 0)
		storetest.Exec(t, st, `INSERT INTO party_members (list, name, org_id, path, community_id, status, category, created_at, updated_at)
			SELECT 'registered', '刘组织', ?, path, id, 'full', 'retired', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM territories WHERE id = ? RETURNING id`, committee, f.community.ID)
		var liu int64
		if err := st.DB().QueryRowContext(t.Context(), `SELECT MAX(id) FROM party_members`).Scan(&liu); err != nil {
			t.Fatal(err)
		}
		storetest.Exec(t, st, `INSERT INTO party_posts (org_id, post, member_id, starts_on, created_at) VALUES (?, 'organizer', ?, CURRENT_DATE, CURRENT_TIMESTAMP) RETURNING id`, committee, liu)

		staff := f.as(t, "staff")
		res := staff.get("/bodies").want(t, http.StatusOK)
		pick := "刘组织 · 党员 #P" + itoa(liu)
		found := false
		picker := staff.get("/bodies/people?community="+itoa(f.community.ID)+"&person_1=刘", "HX-Request", "true", "HX-Target", "body-people").want(t, http.StatusOK)
		for _, o := range all(picker.Doc, "#body-people option") {
			found = found || attr(o, "value") == pick
		}
		if !found {
			t.Fatalf("the picker does not offer %q", pick)
		}
		if got := text(one(t, res.Doc, "#new-term h2")); !strings.Contains(got, "居民委员会") {
			t.Errorf("form head: %q", got)
		}
		term := url.Values{"community_id": {itoa(f.community.ID)}, "starts_on": {"2026-01-01"}, "ends_on": {"2030-12-31"}, "elected_on": {"2025-12-20"},
			"election_result": {"应到选民 2310 人，实到 1986 人，2 人当选"}, "post_0": {"member"}, "name_0": {"陈主任"}, "post_1": {"deputy"}, "person_1": {pick}}
		res = staff.post("/bodies", term).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-term-members .field-error")); !strings.Contains(got, "主任") {
			t.Errorf("no director: %q", got)
		}
		one(t, res.Doc, ".error-summary")
		if got := attr(one(t, res.Doc, "#f-term-person_1"), "value"); got != pick {
			t.Errorf("the picked person is not kept: %q", got)
		}
		if terms, err := st.BodyTerms(t.Context(), authz.System(), f.community.ID); err != nil || len(terms) != 0 {
			t.Fatalf("a refused term was written: %v %v", terms, err)
		}
		bad := url.Values{}
		for k, v := range term {
			bad[k] = v
		}
		bad.Set("post_0", "director")
		bad.Set("person_1", "刘组织")
		res = staff.post("/bodies", bad).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-term-members .field-error")); !strings.Contains(got, "第 2 位成员") {
			t.Errorf("a person not picked from the list: %q", got)
		}

		term.Set("post_0", "director")
		staff.post("/bodies", term).want(t, http.StatusSeeOther)
		terms, err := st.BodyTerms(t.Context(), authz.System(), f.community.ID)
		if err != nil || len(terms) != 1 || len(terms[0].Members) != 2 {
			t.Fatalf("terms %v %v", terms, err)
		}
		b := terms[0]
		res = staff.get("/bodies").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#body-member-"+itoa(b.Members[1].ID))); !strings.Contains(got, "刘组织") || !strings.Contains(got, "交叉任职") {
			t.Errorf("cross appointed deputy: %q", got)
		}
		if got := text(one(t, res.Doc, "#cross-"+itoa(b.ID))); !strings.Contains(got, "1") {
			t.Errorf("cross count: %q", got)
		}

		grid := f.as(t, "gridleader")
		res = grid.get("/bodies").want(t, http.StatusOK)
		if len(all(res.Doc, "#form-term")) != 0 {
			t.Errorf("the grid leader is offered the term form")
		}
		term.Set("starts_on", "2031-01-01")
		grid.post("/bodies", term).want(t, http.StatusForbidden)
	})
}
