package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// surveyAnswers answers every question of s: the first option, scale value scale, some text.
func surveyAnswers(s *model.Survey, scale int) []model.Answer {
	var out []model.Answer
	for _, q := range s.Questions {
		a := model.Answer{QuestionID: q.ID}
		switch q.Kind {
		case model.QuestionSingle, model.QuestionMultiple:
			a.Choices = []int{0}
		case model.QuestionScale:
			a.Scale = scale
		case model.QuestionText:
			a.Text = "希望多组织活动"
		}
		out = append(out, a)
	}
	return out
}

func surveyRows(t *testing.T, st *store.Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		n, err = tx.TestQueryInt(context.Background(), query, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSurvey: a custom anonymous survey over a grid from sending to results — bad input, who
// may answer, one response per resident, results withheld while an anonymous survey is open,
// an answer to a closed survey refused with nothing changed — and a named survey whose results
// are live and whose responses name their resident.
func TestSurvey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 4)
		in := model.SurveyInput{Title: "小区停车意向调查", TerritoryID: w.grid.ID, Anonymous: true, ClosesAt: time.Now().Add(72 * time.Hour),
			Questions: []model.SurveyQuestionInput{
				{Kind: model.QuestionSingle, Text: "您家有几辆汽车？", Options: []string{"没有", "一辆", "两辆及以上"}, Required: true},
				{Kind: model.QuestionMultiple, Text: "您希望增加哪些车位？", Options: []string{"汽车", "电动车", "自行车"}},
				{Kind: model.QuestionScale, Text: "您对现在的停车秩序满意吗？", Required: true},
				{Kind: model.QuestionText, Text: "其他建议"},
			}}
		bad := in
		bad.Title, bad.Questions = "", []model.SurveyQuestionInput{{Kind: model.QuestionSingle, Text: "只有一个选项", Options: []string{"是"}}}
		if fs := firstFields(st.CreateSurvey(ctx, w.staff, bad)); !slices.Contains(fs, "title") || !slices.Contains(fs, "questions.0") {
			t.Errorf("bad survey: %v", fs)
		}
		if _, err := st.CreateSurvey(ctx, w.voters[0], in); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident sending a survey: %v", err)
		}
		outside := in
		outside.TerritoryID = w.community2.ID
		if _, err := st.CreateSurvey(ctx, w.staff, outside); firstField(err) != "territory_id" {
			t.Errorf("a survey outside the staff's community: %v", err)
		}
		sv, err := st.CreateSurvey(ctx, w.staff, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(sv.Questions) != 4 || sv.Questions[2].ScaleMax != 5 || sv.Status != model.SurveyOpen || !sv.Anonymous {
			t.Fatalf("created %+v", sv)
		}

		// A resident outside the territory does not see it; the residents under it do.
		farH := mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "外社区", IDNumber: validID("510781", "19800101", 777), Relation: model.RelationHead})
		farRes, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: farH.ID})
		if err != nil {
			t.Fatal(err)
		}
		far := linkedAccount(t, st, "far", farRes.Items[0].ID, w.community2)
		if err := st.AnswerSurvey(ctx, far, sv.ID, surveyAnswers(sv, 3)); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a resident outside the territory answers: %v", err)
		}
		list, err := st.Surveys(ctx, w.voters[0], store.SurveyFilter{})
		if err != nil || len(list.Items) != 1 || !list.Items[0].Caller.Eligible || list.Items[0].Caller.Answered {
			t.Fatalf("a resident's list: %+v %v", list, err)
		}
		if list, err := st.Surveys(ctx, far, store.SurveyFilter{}); err != nil || len(list.Items) != 0 {
			t.Errorf("the far resident's list: %+v %v", list, err)
		}

		// Bad answers change nothing.
		if err := st.AnswerSurvey(ctx, w.voters[0], sv.ID, nil); firstField(err) == "" {
			t.Errorf("no answers: %v", err)
		}
		if err := st.AnswerSurvey(ctx, w.voters[0], sv.ID, surveyAnswers(sv, 9)); firstField(err) == "" {
			t.Errorf("a scale of 9: %v", err)
		}
		if err := st.AnswerSurvey(ctx, w.voters[0], sv.ID, surveyAnswers(sv, 4)); err != nil {
			t.Fatal(err)
		}
		if err := st.AnswerSurvey(ctx, w.voters[0], sv.ID, surveyAnswers(sv, 1)); !conflictOf(err) {
			t.Errorf("a second response: %v", err)
		}
		if err := st.AnswerSurvey(ctx, w.voters[1], sv.ID, surveyAnswers(sv, 2)); err != nil {
			t.Fatal(err)
		}
		got, err := st.Survey(ctx, w.voters[0], sv.ID)
		if err != nil || got.Responses != 2 || !got.Caller.Answered {
			t.Fatalf("after answering: %+v %v", got, err)
		}
		// Anonymous: no response names a resident; results wait for the closing.
		if n := surveyRows(t, st, `SELECT COUNT(*) FROM survey_responses WHERE survey_id = ? AND resident_id IS NOT NULL`, sv.ID); n != 0 {
			t.Errorf("%d anonymous responses name their resident", n)
		}
		if _, _, err := st.SurveyResults(ctx, w.staff, sv.ID); !conflictOf(err) {
			t.Errorf("results of an open anonymous survey: %v", err)
		}
		if _, _, err := st.SurveyResults(ctx, w.voters[0], sv.ID); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident reads results: %v", err)
		}
		if _, err := st.CloseSurvey(ctx, w.voters[0], sv.ID); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident closes: %v", err)
		}
		closed, err := st.CloseSurvey(ctx, w.staff, sv.ID)
		if err != nil || closed.Status != model.SurveyClosed {
			t.Fatalf("close: %+v %v", closed, err)
		}
		if _, err := st.CloseSurvey(ctx, w.staff, sv.ID); !conflictOf(err) {
			t.Errorf("closing twice: %v", err)
		}
		// An answer to a closed survey: a clear error, nothing changed.
		if err := st.AnswerSurvey(ctx, w.voters[2], sv.ID, surveyAnswers(sv, 5)); !errors.Is(err, model.ErrSurveyClosed) {
			t.Errorf("an answer after closing: %v", err)
		}
		if n := surveyRows(t, st, `SELECT COUNT(*) FROM survey_respondents WHERE survey_id = ?`, sv.ID); n != 2 {
			t.Errorf("%d respondents after a refused answer", n)
		}
		// Two answers of an anonymous survey are two neighbours' answers: withheld.
		if _, _, err := st.SurveyResults(ctx, w.staff, sv.ID); !conflictOf(err) {
			t.Errorf("results of two anonymous responses: %v", err)
		}
		var more []store.DemoSurveyResponse
		for _, h := range []*model.Household{w.households[2], w.households[3], w.outsideH} {
			rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: h.ID})
			if err != nil {
				t.Fatal(err)
			}
			more = append(more, store.DemoSurveyResponse{ResidentID: rs.Items[0].ID, Answers: surveyAnswers(sv, 3)})
		}
		if n, err := st.AnswerDemoSurvey(ctx, sv.ID, more); err != nil || n != 3 {
			t.Fatalf("three more responses: %d %v", n, err)
		}
		_, res, err := st.SurveyResults(ctx, w.staff, sv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Responses != 5 || !slices.Equal(res.Questions[0].Counts, []int{5, 0, 0}) || res.Questions[2].Average != 3 ||
			!slices.Equal(res.Questions[2].Counts, []int{0, 1, 3, 1, 0}) || len(res.Questions[3].Texts) != 5 || res.Perception != nil {
			t.Errorf("results %+v", res)
		}

		// A named survey: results while open; its responses name their resident.
		named := in
		named.Title, named.Anonymous = "楼道照明维修意见", false
		nv, err := st.CreateSurvey(ctx, w.staff, named)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AnswerSurvey(ctx, w.voters[2], nv.ID, surveyAnswers(nv, 5)); err != nil {
			t.Fatal(err)
		}
		if _, res, err := st.SurveyResults(ctx, w.staff, nv.ID); err != nil || res.Responses != 1 {
			t.Errorf("live results of a named survey: %+v %v", res, err)
		}
		if n := surveyRows(t, st, `SELECT COUNT(*) FROM survey_responses WHERE survey_id = ? AND resident_id IS NOT NULL`, nv.ID); n != 1 {
			t.Errorf("%d named responses name their resident", n)
		}
		// The closing time passing closes a survey on the next read.
		later := st.AsOf(func() time.Time { return time.Now().Add(80 * time.Hour) })
		if got, err := later.Survey(ctx, w.staff, nv.ID); err != nil || got.Status != model.SurveyClosed {
			t.Errorf("past its closing time: %+v %v", got, err)
		}
	})
}

// TestSurveyAnswerRace: fifty identical responses of one resident at the same moment count
// once, the other forty-nine are refused as a second response.
func TestSurveyAnswerRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 1)
		sv, err := st.CreateSurvey(ctx, w.staff, model.SurveyInput{Kind: model.SurveyPerception, TerritoryID: w.grid.ID, Anonymous: true, ClosesAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		answers := surveyAnswers(sv, 4)
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = st.AnswerSurvey(ctx, w.voters[0], sv.ID, answers)
			})
		}
		close(start)
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case conflictOf(err):
				conflicts++
			default:
				t.Errorf("answer: %v", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("%d responses counted, %d refused", ok, conflicts)
		}
		got, err := st.Survey(ctx, w.staff, sv.ID)
		if err != nil || got.Responses != 1 {
			t.Fatalf("responses %d, %v", got.Responses, err)
		}
		if n := surveyRows(t, st, `SELECT COUNT(*) FROM survey_responses WHERE survey_id = ?`, sv.ID); n != 1 {
			t.Errorf("%d responses stored", n)
		}
	})
}

// TestPerceptionTrend: two monthly rounds of the perception survey over a street; the index by
// month of the community (and its grid), of the street (and its communities), withheld where
// fewer than five answered, and refused to residents.
func TestPerceptionTrend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 5)
		streetStaff := authz.ForUser(mustUser(t, st, "street", model.RoleStreetAdmin, w.street))
		jan := time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC)
		for round, scale := range []int{3, 5} { // January: middling; February: all the best
			at := jan.AddDate(0, round, 0)
			past := st.AsOf(func() time.Time { return at })
			sv, err := past.CreateSurvey(ctx, streetStaff, model.SurveyInput{Kind: model.SurveyPerception, TerritoryID: w.street.ID, Anonymous: true, ClosesAt: at.Add(10 * 24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range w.voters {
				answers := surveyAnswers(sv, scale)
				if round == 0 {
					answers[0].Choices = []int{2} // 不知道 the grid secretary
				}
				if err := past.AnswerSurvey(ctx, v, sv.ID, answers); err != nil {
					t.Fatal(err)
				}
			}
			if round == 1 {
				// One response in the other community (no grid there): too few to show.
				farH := mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "外社区", IDNumber: validID("510781", "19800101", 777), Relation: model.RelationHead})
				farRes, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: farH.ID})
				if err != nil {
					t.Fatal(err)
				}
				if err := past.AnswerSurvey(ctx, linkedAccount(t, st, "far", farRes.Items[0].ID, w.community2), sv.ID, surveyAnswers(sv, 1)); err != nil {
					t.Fatal(err)
				}
			}
		}
		// January: awareness (0+100+100)/3 = 66.67, the rest 50: (66.67·25 + 50·75)/100 = 54.2.
		tr, err := st.PerceptionTrend(ctx, w.staff, w.community.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tr.Periods, []string{"2026-01", "2026-02"}) || tr.Name != w.community.Name {
			t.Fatalf("periods %v, %s", tr.Periods, tr.Name)
		}
		p0, p1 := tr.Total.Points[0], tr.Total.Points[1]
		if p0.Index == nil || *p0.Index != 54.2 || p0.Responses != 5 || p0.Dimensions[model.DimAwareness] != 66.7 {
			t.Errorf("January %+v (index %v)", p0, deref(p0.Index))
		}
		if p1.Index == nil || *p1.Index != 100 {
			t.Errorf("February %+v", p1)
		}
		if len(tr.Areas) != 1 || tr.Areas[0].TerritoryID != w.grid.ID || tr.Areas[0].Kind != model.KindGrid || *tr.Areas[0].Points[1].Index != 100 {
			t.Errorf("areas %+v", tr.Areas)
		}
		// The street: its communities; the second one's single response is withheld, and
		// counted in the street's February.
		st2, err := st.PerceptionTrend(ctx, streetStaff, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(st2.Areas) != 2 || st2.Total.Points[1].Responses != 6 || st2.Areas[1].Points[1].Index != nil || st2.Areas[1].Points[1].Responses != 1 {
			t.Errorf("street: %+v", st2)
		}
		// A grid has no areas below it.
		if g, err := st.PerceptionTrend(ctx, w.staff, w.grid.ID); err != nil || len(g.Areas) != 0 || len(g.Total.Points) != 2 {
			t.Errorf("grid: %+v %v", g, err)
		}
		if _, err := st.PerceptionTrend(ctx, w.staff, w.community2.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community: %v", err)
		}
		if _, err := st.PerceptionTrend(ctx, w.voters[0], 0); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a resident: %v", err)
		}
	})
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestStaffListsWhatIsHeldAbove: a survey and a topic held over the street reach the
// community's staff (readsAt: staff read what is held over their territory or above it, to pass
// it on to their households); the lists agree with the single reads. They listed only what lay
// inside the staff's own territory while Survey and Topic opened the street's.
func TestStaffListsWhatIsHeldAbove(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustVoterWorld(t, st, 1)
		streetAdmin := authz.ForUser(mustUser(t, st, "street", model.RoleStreetAdmin, w.street))
		sv, err := st.CreateSurvey(ctx, streetAdmin, model.SurveyInput{Title: "街道居民满意度调查", TerritoryID: w.street.ID, ClosesAt: time.Now().Add(72 * time.Hour),
			Questions: []model.SurveyQuestionInput{{Kind: model.QuestionScale, Text: "您对街道的服务满意吗？", Required: true}}})
		if err != nil {
			t.Fatal(err)
		}
		tp, err := st.RaiseTopic(ctx, streetAdmin, model.TopicInput{TerritoryID: w.street.ID, Title: "街道主干道改造", Body: "请各社区议一议施工时间。"})
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range []authz.Scope{w.staff, w.voters[0]} {
			if _, err := st.Survey(ctx, sc, sv.ID); err != nil {
				t.Errorf("%s opens the street's survey: %v", sc.Role, err)
			}
			surveys, err := st.Surveys(ctx, sc, store.SurveyFilter{})
			if err != nil || !slices.ContainsFunc(surveys.Items, func(s *model.Survey) bool { return s.ID == sv.ID }) {
				t.Errorf("%s lists the street's survey: %v", sc.Role, err)
			}
			if _, _, err := st.Topic(ctx, sc, tp.ID); err != nil {
				t.Errorf("%s opens the street's topic: %v", sc.Role, err)
			}
			topics, err := st.Topics(ctx, sc, store.TopicFilter{})
			if err != nil || !slices.ContainsFunc(topics.Items, func(x *model.Topic) bool { return x.ID == tp.ID }) {
				t.Errorf("%s lists the street's topic: %v", sc.Role, err)
			}
		}
	})
}
