package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Surveys of residents (issue 11 item 3) at /api/v1/surveys: send (staff; custom questions or
// the ready-made perception survey), list, read, answer (the caller's own response, once), the
// results (an anonymous survey's once closed), close, and the perception index of a subtree by
// round at /api/v1/surveys/perception. No answer names who answered an anonymous survey.

type surveyQuestionJSON struct {
	ID        ID       `json:"id"`
	Kind      string   `json:"kind"`
	Text      string   `json:"text"`
	Options   []string `json:"options,omitempty"`
	ScaleMax  int      `json:"scale_max,omitempty"`
	Required  bool     `json:"required"`
	Dimension string   `json:"dimension,omitempty"`
}

type surveyJSON struct {
	ID            ID                   `json:"id"`
	Title         string               `json:"title"`
	Description   string               `json:"description"`
	TerritoryID   ID                   `json:"territory_id"`
	TerritoryName string               `json:"territory_name"`
	Kind          string               `json:"kind"`
	Anonymous     bool                 `json:"anonymous"`
	OpensAt       string               `json:"opens_at"`
	ClosesAt      string               `json:"closes_at"`
	Status        string               `json:"status"`
	StatusLabel   string               `json:"status_label"`
	Responses     int                  `json:"responses"`
	Questions     []surveyQuestionJSON `json:"questions"`
	Eligible      bool                 `json:"eligible"`
	Answered      bool                 `json:"answered"`
	ClosedAt      string               `json:"closed_at,omitempty"`
	CreatedAt     string               `json:"created_at"`
}

func toSurveyJSON(s *model.Survey) surveyJSON {
	out := surveyJSON{ID: ID(s.ID), Title: s.Title, Description: s.Description, TerritoryID: ID(s.TerritoryID), TerritoryName: s.TerritoryName,
		Kind: string(s.Kind), Anonymous: s.Anonymous, OpensAt: rfc3339(s.OpensAt), ClosesAt: rfc3339(s.ClosesAt), Status: string(s.Status),
		StatusLabel: s.PhaseLabel(time.Now()), Responses: s.Responses, Eligible: s.Caller.Eligible, Answered: s.Caller.Answered,
		CreatedAt: rfc3339(s.CreatedAt), Questions: make([]surveyQuestionJSON, 0, len(s.Questions))}
	if s.ClosedAt != nil {
		out.ClosedAt = rfc3339(*s.ClosedAt)
	}
	for _, q := range s.Questions {
		out.Questions = append(out.Questions, surveyQuestionJSON{ID: ID(q.ID), Kind: string(q.Kind), Text: q.Text, Options: q.Options,
			ScaleMax: q.ScaleMax, Required: q.Required, Dimension: string(q.Dimension)})
	}
	return out
}

func (a *API) listSurveys(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status", "kind")
	fields := queryFields(err)
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "问卷列表不按节点筛选：您看到的是本辖区的问卷和发给您住户的问卷"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	q := r.URL.Query()
	p, err := a.st.Surveys(r.Context(), authz.ScopeFrom(r.Context()), store.SurveyFilter{Status: model.SurveyStatus(q.Get("status")),
		Kind: model.SurveyKind(q.Get("kind")), Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toSurveyJSON))
}

type surveyQuestionCreate struct {
	Kind     string   `json:"kind"`
	Text     string   `json:"text"`
	Options  []string `json:"options"`
	Required bool     `json:"required"`
}

type surveyCreate struct {
	Title       string                 `json:"title"`
	Description string                 `json:"description"`
	TerritoryID ID                     `json:"territory_id"`
	Kind        string                 `json:"kind"`
	Anonymous   *bool                  `json:"anonymous"`
	ClosesAt    *time.Time             `json:"closes_at"`
	Questions   []surveyQuestionCreate `json:"questions"`
}

func (a *API) createSurvey(w http.ResponseWriter, r *http.Request) error {
	var req surveyCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := model.SurveyInput{Title: req.Title, Description: req.Description, TerritoryID: int64(req.TerritoryID), Kind: model.SurveyKind(req.Kind),
		Anonymous: req.Anonymous == nil || *req.Anonymous}
	if req.ClosesAt != nil {
		in.ClosesAt = *req.ClosesAt
	}
	for _, q := range req.Questions {
		in.Questions = append(in.Questions, model.SurveyQuestionInput{Kind: model.QuestionKind(q.Kind), Text: q.Text, Options: q.Options, Required: q.Required})
	}
	s, err := a.st.CreateSurvey(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toSurveyJSON(s))
}

func (a *API) getSurvey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, err := a.st.Survey(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSurveyJSON(s))
}

type answerJSON struct {
	QuestionID ID     `json:"question_id"`
	Choices    []int  `json:"choices"`
	Scale      int    `json:"scale"`
	Text       string `json:"text"`
}

type responseCreate struct {
	Answers []answerJSON `json:"answers"`
}

// answerSurvey records the caller's response: 201 with the survey as it now stands; 409 when
// the survey has closed or the caller has answered already.
func (a *API) answerSurvey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req responseCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	answers := make([]model.Answer, 0, len(req.Answers))
	for _, x := range req.Answers {
		answers = append(answers, model.Answer{QuestionID: int64(x.QuestionID), Choices: x.Choices, Scale: x.Scale, Text: x.Text})
	}
	sc := authz.ScopeFrom(r.Context())
	if err := a.st.AnswerSurvey(r.Context(), sc, id, answers); err != nil {
		return err
	}
	s, err := a.st.Survey(r.Context(), sc, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toSurveyJSON(s))
}

type questionResultJSON struct {
	Question surveyQuestionJSON `json:"question"`
	Answered int                `json:"answered"`
	Counts   []int              `json:"counts,omitempty"`
	Average  *float64           `json:"average,omitempty"`
	Texts    []string           `json:"texts,omitempty"`
}

type perceptionPointJSON struct {
	Period     string             `json:"period"`
	Responses  int                `json:"responses"`
	Index      *float64           `json:"index"`
	Dimensions map[string]float64 `json:"dimensions"`
}

func toPointJSON(p model.PerceptionPoint) perceptionPointJSON {
	out := perceptionPointJSON{Period: p.Period, Responses: p.Responses, Index: p.Index, Dimensions: map[string]float64{}}
	for d, v := range p.Dimensions {
		out.Dimensions[string(d)] = v
	}
	return out
}

type surveyResultsJSON struct {
	Survey     surveyJSON           `json:"survey"`
	Responses  int                  `json:"responses"`
	Questions  []questionResultJSON `json:"questions"`
	Perception *perceptionPointJSON `json:"perception,omitempty"`
}

func (a *API) surveyResults(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, res, err := a.st.SurveyResults(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	sj := toSurveyJSON(s)
	out := surveyResultsJSON{Survey: sj, Responses: res.Responses, Questions: make([]questionResultJSON, 0, len(res.Questions))}
	for i, q := range res.Questions {
		qr := questionResultJSON{Question: sj.Questions[i], Answered: q.Answered, Counts: q.Counts, Texts: q.Texts}
		if q.Question.Kind == model.QuestionScale && q.Answered > 0 {
			avg := q.Average
			qr.Average = &avg
		}
		out.Questions = append(out.Questions, qr)
	}
	if res.Perception != nil {
		p := toPointJSON(*res.Perception)
		out.Perception = &p
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) closeSurvey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, err := a.st.CloseSurvey(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSurveyJSON(s))
}

type perceptionSeriesJSON struct {
	TerritoryID ID                    `json:"territory_id"`
	Name        string                `json:"name"`
	Kind        string                `json:"kind,omitempty"`
	Points      []perceptionPointJSON `json:"points"`
}

type perceptionTrendJSON struct {
	TerritoryID ID                     `json:"territory_id"`
	Name        string                 `json:"name"`
	Periods     []string               `json:"periods"`
	Weights     map[string]int         `json:"weights"`
	MinSample   int                    `json:"min_sample"`
	Total       perceptionSeriesJSON   `json:"total"`
	Areas       []perceptionSeriesJSON `json:"areas"`
}

func toSeriesJSON(s model.PerceptionSeries) perceptionSeriesJSON {
	out := perceptionSeriesJSON{TerritoryID: ID(s.TerritoryID), Name: s.Name, Kind: string(s.Kind), Points: make([]perceptionPointJSON, 0, len(s.Points))}
	for _, p := range s.Points {
		out.Points = append(out.Points, toPointJSON(p))
	}
	return out
}

// perceptionTrend answers GET /api/v1/surveys/perception?territory=ID: the perception index of
// the node (default: the caller's scope) and of its communities or grids, by round.
func (a *API) perceptionTrend(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	tr, err := a.st.PerceptionTrend(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory)
	if err != nil {
		return err
	}
	out := perceptionTrendJSON{TerritoryID: ID(tr.TerritoryID), Name: tr.Name, Periods: orEmpty(tr.Periods), Weights: map[string]int{},
		MinSample: model.MinPerceptionSample, Total: toSeriesJSON(tr.Total), Areas: make([]perceptionSeriesJSON, 0, len(tr.Areas))}
	for d, wt := range model.DimensionWeights {
		out.Weights[string(d)] = wt
	}
	for _, s := range tr.Areas {
		out.Areas = append(out.Areas, toSeriesJSON(s))
	}
	return writeJSON(w, http.StatusOK, out)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
