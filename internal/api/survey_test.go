package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type surveyOut struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Description   string `json:"description"`
	TerritoryID   string `json:"territory_id"`
	TerritoryName string `json:"territory_name"`
	OpensAt       string `json:"opens_at"`
	ClosesAt      string `json:"closes_at"`
	StatusLabel   string `json:"status_label"`
	ClosedAt      string `json:"closed_at"`
	CreatedAt     string `json:"created_at"`
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Anonymous     bool   `json:"anonymous"`
	Responses     int    `json:"responses"`
	Eligible      bool   `json:"eligible"`
	Answered      bool   `json:"answered"`
	Questions     []struct {
		ID        string   `json:"id"`
		Kind      string   `json:"kind"`
		Text      string   `json:"text"`
		ScaleMax  int      `json:"scale_max"`
		Dimension string   `json:"dimension"`
		Options   []string `json:"options"`
		Required  bool     `json:"required"`
	} `json:"questions"`
}

// answersOf answers every question of s: the first option, scale value scale.
func answersOf(s surveyOut, scale int) map[string]any {
	var as []map[string]any
	for _, q := range s.Questions {
		a := map[string]any{"question_id": q.ID}
		switch q.Kind {
		case "single", "multiple":
			a["choices"] = []int{0}
		case "scale":
			a["scale"] = scale
		default:
			a["text"] = "多组织活动"
		}
		as = append(as, a)
	}
	return map[string]any{"answers": as}
}

// TestSurveyAPI: staff send the perception survey to a grid, a resident answers once (the
// second answer 409), results wait for the closing of the anonymous survey, an answer after the
// closing is 409 with nothing changed, and the perception trend of the community follows.
func TestSurveyAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		a := f.mustHousehold(t, staff, tr.stairA, "101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		b := f.mustHousehold(t, staff, tr.stairB, "201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
		link := func(h householdOut, role model.Role, node *model.Territory) string {
			tok := f.mustToken(t, role, node)
			u, err := st.UserByUsername(ctx, string(role)+"-"+id(node.ID))
			if err != nil {
				t.Fatal(err)
			}
			r, _ := strconv.ParseInt(h.Residents[0].ID, 10, 64)
			if err := st.LinkResident(ctx, authz.System(), u.ID, r); err != nil {
				t.Fatal(err)
			}
			return tok
		}
		resident := link(a, model.RoleResident, tr.stairA)
		other := link(b, model.RoleMember, tr.stairB)

		mustProblem(t, f.mustDo(t, resident, "POST", "/api/v1/surveys", map[string]any{"kind": "perception", "territory_id": id(tr.gridA.ID), "closes_at": time.Now().Add(time.Hour)}), http.StatusForbidden)
		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/surveys", map[string]any{"territory_id": id(tr.gridA.ID), "questions": []map[string]any{{"kind": "single", "text": "？", "options": []string{"一"}}}}), http.StatusUnprocessableEntity)
		if fs := fields(p); len(fs) != 3 || fs[0] != "closes_at" || fs[1] != "questions.0" || fs[2] != "title" {
			t.Errorf("a bad survey: %v", fs)
		}
		sv := mustJSON[surveyOut](t, f.mustDo(t, staff, "POST", "/api/v1/surveys", map[string]any{"kind": "perception", "territory_id": id(tr.gridA.ID), "closes_at": time.Now().Add(48 * time.Hour)}), http.StatusCreated)
		if sv.Kind != "perception" || !sv.Anonymous || len(sv.Questions) != len(model.PerceptionQuestions) {
			t.Fatalf("sent %+v", sv)
		}
		one := "/api/v1/surveys/" + sv.ID
		// The member in the other grid does not see it.
		mustProblem(t, f.mustDo(t, other, "GET", one, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, other, "POST", one+"/responses", answersOf(sv, 4)), http.StatusNotFound)
		p = mustProblem(t, f.mustDo(t, resident, "POST", one+"/responses", map[string]any{"answers": []any{}}), http.StatusUnprocessableEntity)
		if len(fields(p)) != 8 {
			t.Errorf("no answers: %v", fields(p))
		}
		got := mustJSON[surveyOut](t, f.mustDo(t, resident, "POST", one+"/responses", answersOf(sv, 4)), http.StatusCreated)
		if !got.Answered || got.Responses != 1 || !got.Eligible {
			t.Errorf("answered: %+v", got)
		}
		mustProblem(t, f.mustDo(t, resident, "POST", one+"/responses", answersOf(sv, 2)), http.StatusConflict)
		mustProblem(t, f.mustDo(t, staff, "GET", one+"/results", nil), http.StatusConflict)
		mustProblem(t, f.mustDo(t, resident, "GET", one+"/results", nil), http.StatusForbidden)
		closed := mustJSON[surveyOut](t, f.mustDo(t, staff, "POST", one+"/close", nil), http.StatusOK)
		if closed.Status != "closed" {
			t.Errorf("closed: %+v", closed)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", one+"/close", nil), http.StatusConflict)
		var res struct {
			Responses int `json:"responses"`
			Questions []struct {
				Counts  []int    `json:"counts"`
				Average *float64 `json:"average"`
			} `json:"questions"`
			Perception *struct {
				Responses int      `json:"responses"`
				Index     *float64 `json:"index"`
			} `json:"perception"`
		}
		// One anonymous response is one neighbour's answers: withheld until five answered.
		mustProblem(t, f.mustDo(t, staff, "GET", one+"/results", nil), http.StatusConflict)
		svID, _ := strconv.ParseInt(sv.ID, 10, 64)
		full, err := st.Survey(ctx, authz.System(), svID)
		if err != nil {
			t.Fatal(err)
		}
		var more []store.DemoSurveyResponse
		for i := range 4 {
			h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: tr.stairA.ID, Address: fmt.Sprintf("%d02室", i+1)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: h.ID, Name: "邻居", IDNumber: validID("510781", "19700101", 60+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			var as []model.Answer
			for _, q := range full.Questions {
				switch q.Kind {
				case model.QuestionSingle:
					as = append(as, model.Answer{QuestionID: q.ID, Choices: []int{0}})
				case model.QuestionScale:
					as = append(as, model.Answer{QuestionID: q.ID, Scale: 4})
				}
			}
			more = append(more, store.DemoSurveyResponse{ResidentID: r.ID, Answers: as})
		}
		if _, err := st.AnswerDemoSurvey(ctx, svID, more); err != nil {
			t.Fatal(err)
		}
		mustLoose(t, f.mustDo(t, staff, "GET", one+"/results", nil), &res)
		if res.Responses != 5 || res.Questions[0].Counts[0] != 5 || res.Questions[3].Average == nil || *res.Questions[3].Average != 4 ||
			res.Perception == nil || res.Perception.Responses != 5 || res.Perception.Index == nil {
			t.Errorf("results %+v", res)
		}
		var list struct {
			Items []surveyOut `json:"items"`
		}
		mustLoose(t, f.mustDo(t, resident, "GET", "/api/v1/surveys?status=closed", nil), &list)
		if len(list.Items) != 1 || !list.Items[0].Answered {
			t.Errorf("the resident's list: %+v", list)
		}
		mustProblem(t, f.mustDo(t, resident, "GET", "/api/v1/surveys?territory="+id(tr.gridA.ID), nil), http.StatusBadRequest)

		var trend struct {
			Periods []string `json:"periods"`
			Total   struct {
				Points []struct {
					Responses int `json:"responses"`
				} `json:"points"`
			} `json:"total"`
			Areas []struct {
				Name string `json:"name"`
			} `json:"areas"`
			Weights map[string]int `json:"weights"`
		}
		mustLoose(t, f.mustDo(t, staff, "GET", "/api/v1/surveys/perception?territory="+id(tr.community.ID), nil), &trend)
		if len(trend.Periods) != 1 || trend.Total.Points[0].Responses != 5 || len(trend.Areas) != 1 || trend.Areas[0].Name != tr.gridA.Name || trend.Weights["awareness"] != 25 {
			t.Errorf("trend %+v", trend)
		}
		mustProblem(t, f.mustDo(t, resident, "GET", "/api/v1/surveys/perception", nil), http.StatusForbidden)
	})
}
