package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestBodyPeopleSearch: the term form's member picker searches on the server as one types: a
// Party member after the first 200 of the community is found by name, a resident too (the
// value names the record, never an ID number), at most 10 members for a common name, none of
// another community; without script the search button brings the page back with the form as
// typed and the matches; another community's picker is not found, and a grid leader may not
// use it.
func TestBodyPeopleSearch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx := t.Context()
		org := storetest.MustOrg(t, st, "community_committee", "天宝社区党委", f.community.ID, 0)
		for i := range 205 {
			storetest.PartyMember(t, st, fmt.Sprintf("党员%03d", i), org, 0)
		}
		wang := storetest.PartyMember(t, st, "王小明", org, 0)
		org2 := storetest.MustOrg(t, st, "community_committee", "东胜社区党委", f.community2.ID, 0)
		storetest.PartyMember(t, st, "王小明", org2, 0)
		h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: h.ID, Name: "王秀兰", IDNumber: validID("510781", "19650308", 80), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}

		staff := f.as(t, "staff")
		base := "/bodies/people?community=" + itoa(f.community.ID)
		search := func(q string) []string {
			t.Helper()
			r := staff.get(base+"&person_3="+q, "HX-Request", "true", "HX-Target", "body-people").want(t, http.StatusOK)
			var out []string
			for _, o := range all(r.Doc, "#body-people option") {
				out = append(out, attr(o, "value"))
			}
			return out
		}
		if got := search("王"); strings.Join(got, "|") != fmt.Sprintf("王小明 · 党员 #P%d|王秀兰 · 居民 #R%d", wang, res.ID) {
			t.Errorf("王: %q", got)
		}
		if got := search("党员"); len(got) != 10 {
			t.Errorf("a common name: %d matches, want 10", len(got))
		}
		for _, v := range search("王秀兰") {
			if strings.Contains(v, "19650308") {
				t.Errorf("the picker shows an ID number: %q", v)
			}
		}
		page := staff.get("/bodies?community="+itoa(f.community.ID)).want(t, http.StatusOK)
		if n := len(all(page.Doc, "#body-people option")); n != 0 {
			t.Errorf("the page lists %d people before anything is typed", n)
		}
		if got := attr(one(t, page.Doc, "#f-term-person_0"), "hx-get"); got != base {
			t.Errorf("the picker asks %q", got)
		}

		// Without script: the search button sends the form.
		page = staff.get("/bodies/people?community_id="+itoa(f.community.ID)+"&name_0=%E9%99%88%E4%B8%BB%E4%BB%BB&person_0=%E7%8E%8B%E5%B0%8F").want(t, http.StatusOK)
		if got := attr(one(t, page.Doc, "#f-term-name_0"), "value"); got != "陈主任" {
			t.Errorf("the typed name: %q", got)
		}
		if n := len(all(page.Doc, "#body-people option")); n != 1 {
			t.Errorf("the page's matches: %d, want 1", n)
		}

		staff.get("/bodies/people?community="+itoa(f.community2.ID)+"&q=王", "HX-Request", "true", "HX-Target", "body-people").want(t, http.StatusNotFound)
		staff.get("/bodies/people?community=x&q=王").want(t, http.StatusNotFound)
		f.as(t, "gridleader").get(base+"&q=王").want(t, http.StatusForbidden)
	})
}
