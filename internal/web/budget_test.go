package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/model/modeltest"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestBudgetPages: staff create a round from the list (bad input answered in the form), two
// residents propose from the phone form (the place chosen, the input kept on an error), staff
// review inline on the round's page (a cost over the budget answered by the proposal), open the
// voting; the vote's page links to the round and offers no cancelling; once the vote closes the
// round shows the winners within the budget, the rule and each loser's reason; a resident reads
// "居民提出", never a name; the public disclosure page shows the decided round with its winner's
// photo, served without login, and none of the proposers' names.
func TestBudgetPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		var heads []int64
		for i, name := range []string{"王建华", "李秀英"} {
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d室", 101+i)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: name, IDNumber: validID("510781", "19650308", 60+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			heads = append(heads, r.ID)
		}
		for i, name := range []string{"resident", "member"} {
			if err := st.LinkResident(ctx, sys, mustUserID(t, st, name), heads[i]); err != nil {
				t.Fatal(err)
			}
		}
		staff := f.as(t, "staff")
		res := staff.get("/projects").want(t, http.StatusOK)
		one(t, res.Doc, "#form-round")
		year := time.Now().In(model.Shanghai).Year()
		form := url.Values{"community_id": {fmt.Sprint(f.community.ID)}, "title": {"天宝社区民生微实事"}, "year": {fmt.Sprint(year)}, "budget": {"八千"}, "rule": {"household"}}
		res = staff.post("/projects/rounds", form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "金额") {
			t.Errorf("a budget in words: %q", got)
		}
		form.Set("budget", "8000")
		res = staff.post("/projects/rounds", form).want(t, http.StatusSeeOther)
		roundPath := strings.Split(res.Header.Get("Location"), "?")[0]
		round := mustInt(t, strings.TrimPrefix(roundPath, "/projects/rounds/"))

		// Residents propose from the phone form.
		resident, member := f.as(t, "resident"), f.as(t, "member")
		res = resident.get("/projects/rounds/"+fmt.Sprint(round)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#budget-rule")); !strings.Contains(got, model.BudgetRuleText) {
			t.Errorf("the rule on the round's page: %q", got)
		}
		one(t, res.Doc, "#propose")
		res = resident.get(fmt.Sprintf("/projects/new?round=%d", round)).want(t, http.StatusOK)
		one(t, res.Doc, "#f-proposal-territory_id")
		bad := url.Values{"round_id": {fmt.Sprint(round)}, "territory_id": {fmt.Sprint(f.grid.ID)}, "title": {"门口加装座椅"}, "description": {""}}
		res = resident.post("/projects/new", bad).want(t, http.StatusUnprocessableEntity)
		if got := attr(one(t, res.Doc, "#f-proposal-title"), "value"); got != "门口加装座椅" {
			t.Errorf("the input is not kept: %q", got)
		}
		bad.Set("description", "老人多，走累了没处坐。")
		resident.post("/projects/new", bad).want(t, http.StatusSeeOther)
		member.post("/projects/new", url.Values{"round_id": {fmt.Sprint(round)}, "title": {"楼道灯改声控"}, "description": {"夜里太黑。"}}).want(t, http.StatusSeeOther)
		f.as(t, "resident").post("/projects/new", url.Values{"round_id": {fmt.Sprint(round)}, "title": {"屋顶花园"}, "description": {"想要花园。"}}).want(t, http.StatusSeeOther)
		// A resident of the other community may not even see the form.
		ps, err := st.SmallProjects(ctx, sys, store.SmallProjectFilter{Round: round})
		if err != nil || len(ps.Items) != 3 {
			t.Fatalf("proposals: %+v %v", ps, err)
		}
		seat, light, garden := ps.Items[0], ps.Items[1], ps.Items[2]
		res = member.get("/projects/rounds/"+fmt.Sprint(round)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#proposal-%d", seat.ID))); strings.Contains(got, "resident") || !strings.Contains(got, "居民提出") {
			t.Errorf("a neighbour reads the proposer: %q", got)
		}

		// Staff review inline: a cost over the budget is answered by the proposal.
		review := func(p *model.SmallProject, feasible, cost, note string, want int) *response {
			t.Helper()
			return staff.post(fmt.Sprintf("/projects/%d/review", p.ID), url.Values{"back": {"round"}, "feasible": {feasible}, "cost": {cost}, "note": {note}}).want(t, want)
		}
		res = review(seat, "1", "9000", "", http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, fmt.Sprintf("#review-%d", seat.ID))); !strings.Contains(got, "费用超过本轮预算 8000.00 元") {
			t.Errorf("a cost over the budget: %q", got)
		}
		review(seat, "1", "5000", "采购价", http.StatusSeeOther)
		review(light, "1", "4000", "", http.StatusSeeOther)
		review(garden, "0", "", "楼顶承重不够", http.StatusSeeOther)
		closes := time.Now().Add(72 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")
		staff.post(fmt.Sprintf("/projects/rounds/%d/voting", round), url.Values{"closes_at": {closes}}).want(t, http.StatusSeeOther)
		r, err := st.BudgetRound(ctx, sys, round)
		if err != nil || r.VoteID == 0 {
			t.Fatalf("voting: %+v %v", r, err)
		}
		res = staff.get(fmt.Sprintf("/votes/%d", r.VoteID)).want(t, http.StatusOK)
		one(t, res.Doc, "#vote-round")
		if n := len(all(res.Doc, "form#cancel")); n != 0 {
			t.Errorf("the round's vote offers cancelling")
		}
		v, err := st.Vote(ctx, sys, r.VoteID)
		if err != nil {
			t.Fatal(err)
		}
		resident.post(fmt.Sprintf("/votes/%d/ballot", r.VoteID), url.Values{"choices": {fmt.Sprint(v.Options[0].ID), fmt.Sprint(v.Options[1].ID)}}).want(t, http.StatusOK)
		member.post(fmt.Sprintf("/votes/%d/ballot", r.VoteID), url.Values{"choices": {fmt.Sprint(v.Options[0].ID)}}).want(t, http.StatusOK)
		staff.post(fmt.Sprintf("/votes/%d/close", r.VoteID), url.Values{}).want(t, http.StatusSeeOther)
		res = resident.get(fmt.Sprintf("/votes/%d", r.VoteID)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#result")); strings.Contains(got, "通过") {
			t.Errorf("the round's vote says passed: %q", got)
		}

		res = resident.get("/projects/rounds/"+fmt.Sprint(round)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#budget-used")); !strings.Contains(got, "入选项目共 5000.00 元") || !strings.Contains(got, "结余 3000.00 元") {
			t.Errorf("budget used: %q", got)
		}
		if got := text(one(t, res.Doc, "#winner-list")); !strings.Contains(got, "门口加装座椅") {
			t.Errorf("winners: %q", got)
		}
		if got := text(one(t, res.Doc, "#loser-list")); !strings.Contains(got, "楼道灯改声控") || !strings.Contains(got, model.LostNoBudget) {
			t.Errorf("losers: %q", got)
		}

		// Carrying it out, and the public page.
		if _, err := st.AddSmallProjectPhotos(ctx, sys, seat.ID, [][]byte{modeltest.JPEG(t, 40, 30)}); err != nil {
			t.Fatal(err)
		}
		staff.post(fmt.Sprintf("/projects/%d/act", seat.ID), url.Values{"action": {"start"}}).want(t, http.StatusSeeOther)
		res = resident.get(fmt.Sprintf("/projects/%d", seat.ID)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#proposer")); !strings.Contains(got, "居民提出") || strings.Contains(got, "resident") {
			t.Errorf("the proposer as a resident reads it: %q", got)
		}
		anon := f.anon(t)
		res = anon.get("/p/"+f.community.Code).want(t, http.StatusOK)
		body := res.Body
		for _, want := range []string{"天宝社区民生微实事", "门口加装座椅", model.BudgetRuleText, "5000.00"} {
			if !strings.Contains(body, want) {
				t.Errorf("the public page lacks %q", want)
			}
		}
		for _, leak := range []string{"王建华", "李秀英", "resident", "member", "屋顶花园"} {
			if strings.Contains(body, leak) {
				t.Errorf("the public page shows %q", leak)
			}
		}
		src := attr(one(t, res.Doc, fmt.Sprintf("#winner-%d img", seat.ID)), "src")
		photo := anon.get(src).want(t, http.StatusOK)
		if photo.Header.Get("Content-Type") != model.PhotoType || !strings.Contains(photo.Header.Get("Cache-Control"), "public") || photo.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("the public photo: %v", photo.Header)
		}
		anon.get(fmt.Sprintf("/p/%s/projects/%d/photos/1", f.community2.Code, seat.ID)).want(t, http.StatusNotFound)
		anon.get(fmt.Sprintf("/p/%s/projects/%d/photos/1", f.community.Code, light.ID)).want(t, http.StatusNotFound)
	})
}
