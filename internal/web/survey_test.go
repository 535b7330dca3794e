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
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestSurveyPages: staff send the perception survey from the form (bad input answered in the
// form with the input kept); the resident sees it to answer, a missing answer comes back with
// its error and the choices kept, then it answers and sees 已填写; staff see no results of the
// open anonymous survey, close it, and read the results (charts over tables) and the
// perception trend; an answer from a page left open after the closing is refused with a clear
// error; a resident of another community gets 404.
func TestSurveyPages(t *testing.T) {
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
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: name, IDNumber: validID("510781", "19650308", 40+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			heads = append(heads, r.ID)
		}
		for i, name := range []string{"resident", "member"} {
			u, err := st.UserByUsername(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.LinkResident(ctx, sys, u.ID, heads[i]); err != nil {
				t.Fatal(err)
			}
		}
		staff := f.as(t, "staff")
		staff.get("/surveys/new").want(t, http.StatusOK)
		form := url.Values{"kind": {"perception"}, "territory_id": {fmt.Sprint(f.grid.ID)}, "anonymous": {"1"}, "closes_at": {"明天"}}
		res := staff.post("/surveys/new", form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "截止时间格式不对") {
			t.Errorf("a bad closing time: %q", got)
		}
		if attr(one(t, res.Doc, "#f-survey-anonymous"), "checked") == "" && !hasAttr(one(t, res.Doc, "#f-survey-anonymous"), "checked") {
			t.Error("the input is not kept")
		}
		form.Set("closes_at", time.Now().Add(72*time.Hour).In(model.Shanghai).Format("2006-01-02T15:04"))
		res = staff.post("/surveys/new", form).want(t, http.StatusSeeOther)
		id := strings.TrimPrefix(strings.Split(res.Header.Get("Location"), "?")[0], "/surveys/")
		sv, err := st.Survey(ctx, sys, mustInt(t, id))
		if err != nil || sv.Kind != model.SurveyPerception {
			t.Fatalf("sent: %+v %v", sv, err)
		}

		resident := f.as(t, "resident")
		res = resident.get("/surveys").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#survey-"+id)); !strings.Contains(got, "待填写") {
			t.Errorf("the resident's list: %q", got)
		}
		res = resident.get("/surveys/"+id).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#form-answer fieldset.survey-question")); n != len(model.PerceptionQuestions) {
			t.Fatalf("%d questions on the form", n)
		}
		answers := url.Values{}
		for _, q := range sv.Questions {
			switch q.Kind {
			case model.QuestionSingle:
				answers.Set(fmt.Sprintf("q%d", q.ID), "0")
			case model.QuestionScale:
				answers.Set(fmt.Sprintf("q%d", q.ID), "4")
			}
		}
		partial := url.Values{}
		for k, v := range answers {
			partial[k] = v
		}
		partial.Del(fmt.Sprintf("q%d", sv.Questions[7].ID))
		res = resident.post("/surveys/"+id+"/response", partial).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "第 8 题必答") {
			t.Errorf("a missing answer: %q", got)
		}
		if !hasAttr(one(t, res.Doc, fmt.Sprintf("input[name=q%d][value='0']", sv.Questions[0].ID)), "checked") {
			t.Error("the choices are not kept")
		}
		resident.post("/surveys/"+id+"/response", answers).want(t, http.StatusSeeOther)
		res = resident.get("/surveys/"+id).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#answered")); !strings.Contains(got, "您已填写") {
			t.Errorf("after answering: %q", got)
		}
		if len(all(res.Doc, "#form-answer")) != 0 {
			t.Error("the form is offered again")
		}
		resident.post("/surveys/"+id+"/response", answers).want(t, http.StatusConflict)

		// Staff: no results of the open anonymous survey; close; results and the trend.
		res = staff.get("/surveys/"+id).want(t, http.StatusOK)
		if len(all(res.Doc, "#results-link")) != 0 {
			t.Error("results offered while the anonymous survey is open")
		}
		staff.get("/surveys/"+id+"/results").want(t, http.StatusConflict)
		res = staff.post("/surveys/"+id+"/close", url.Values{}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/surveys/"+id+"?") {
			t.Errorf("closing with one response goes to %q, not the survey", loc)
		}
		// One anonymous response is one neighbour's answers: no results until five answered.
		staff.get("/surveys/"+id+"/results").want(t, http.StatusConflict)
		var more []store.DemoSurveyResponse
		for i := range 4 {
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d室", 201+i)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "邻居", IDNumber: validID("510781", "19700101", 70+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			var as []model.Answer
			for _, q := range sv.Questions {
				switch q.Kind {
				case model.QuestionSingle:
					as = append(as, model.Answer{QuestionID: q.ID, Choices: []int{1}})
				case model.QuestionScale:
					as = append(as, model.Answer{QuestionID: q.ID, Scale: 3})
				}
			}
			more = append(more, store.DemoSurveyResponse{ResidentID: r.ID, Answers: as})
		}
		if _, err := st.AnswerDemoSurvey(ctx, sv.ID, more); err != nil {
			t.Fatal(err)
		}
		res = staff.get("/surveys/"+id+"/results").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#results-responses")); !strings.Contains(got, "5") {
			t.Errorf("responses: %q", got)
		}
		if n := len(all(res.Doc, ".analytics-chart[data-chart]")); n != 8 {
			t.Errorf("%d charts", n)
		}
		if n := len(all(res.Doc, "table.result-table")); n != 8 {
			t.Errorf("%d tables under the charts", n)
		}
		if got := text(one(t, res.Doc, "#perception-index")); got == "" {
			t.Error("no perception index of five responses")
		}
		res = staff.get("/surveys/perception?territory="+fmt.Sprint(f.community.ID)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#trend-table")); !strings.Contains(got, "第一网格") || !strings.Contains(got, "5 份") {
			t.Errorf("trend table: %q", got)
		}
		resident.get("/surveys/perception").want(t, http.StatusForbidden)

		// The member's page left open from before the closing: refused, nothing changed.
		res = f.as(t, "member").post("/surveys/"+id+"/response", answers).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "问卷已截止") {
			t.Errorf("an answer after closing: %q", got)
		}
		if got, err := st.Survey(ctx, sys, sv.ID); err != nil || got.Responses != 5 {
			t.Errorf("after a refused answer: %d %v", got.Responses, err)
		}

		// Another community's resident.
		u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "far", DisplayName: "far", Password: password, Role: model.RoleResident, ScopeID: f.community2.ID})
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: f.household2.ID, Name: "东胜居民", IDNumber: validID("510781", "19800101", 60), Relation: model.RelationSpouse})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		f.as(t, "far").get("/surveys/"+id).want(t, http.StatusNotFound)
	})
}
