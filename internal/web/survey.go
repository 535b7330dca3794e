package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Surveys of residents and the perception index (小区议事, issue 11 item 3). A resident on a
// phone: the surveys over its household, those to answer marked; a survey's page with one
// question per card and large choices, then 已填写 — an anonymous survey says who answered is
// kept apart from the answers. Staff: send a survey (their own questions, or the ready-made
// perception survey) to a part of their territory, watch the count of responses, close it,
// read the results as charts with the numbers in tables (an anonymous survey's once closed),
// and follow the perception index of their communities and grids as a trend.

func surveyURL(id int64) string { return "/surveys/" + strconv.FormatInt(id, 10) }

type surveysPage struct {
	Page
	Items  []*model.Survey
	Total  int64
	Next   string
	Status string
	Now    time.Time
}

func (wb *Web) listSurveys(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &surveysPage{Page: wb.base(r, wb.t("surveys.title"), "surveys"), Status: q.Get("status"), Now: wb.st.Now()}
	p.Crumbs = []Crumb{{Name: p.Title}}
	page, err := wb.st.Surveys(r.Context(), scope(r), store.SurveyFilter{Status: model.SurveyStatus(p.Status), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	return wb.render(w, r, http.StatusOK, "surveys/list", p)
}

// surveySlots is how many questions the form for a new survey offers (without script a form
// cannot grow; a survey of residents that needs more is too long for a phone anyway).
const surveySlots = 6

func surveyFields() []string {
	fs := []string{"title", "kind", "territory_id", "closes_at", "description", "questions"}
	for i := range surveySlots {
		fs = append(fs, fmt.Sprintf("questions.%d", i))
	}
	return fs
}

// surveySlot is one question of the form: its index in the field names and its number.
type surveySlot struct{ I, N int }

type surveyFormPage struct {
	Page
	Form        *Form
	Nodes       []territoryOption
	Kinds       []model.QuestionKind
	Slots       []surveySlot
	Perception  []model.SurveyQuestion
	SurveyKinds []model.SurveyKind
}

func (wb *Web) newSurvey(w http.ResponseWriter, r *http.Request) error {
	// Two weeks from now at 20:00 in Shanghai.
	y, m, d := wb.st.Now().In(model.Shanghai).AddDate(0, 0, 14).Date()
	v := url.Values{"kind": {string(model.SurveyPerception)}, "anonymous": {"1"}, "closes_at": {time.Date(y, m, d, 20, 0, 0, 0, model.Shanghai).Format(datetimeLocal)}}
	if t := r.URL.Query().Get("territory"); t != "" {
		v.Set("territory_id", t)
	}
	return wb.surveyForm(w, r, http.StatusOK, newForm("survey", v, surveyFields()...))
}

func (wb *Web) surveyForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &surveyFormPage{Page: wb.base(r, wb.t("surveys.new.title"), "surveys"), Form: f, Kinds: model.QuestionKinds,
		Perception: model.PerceptionQuestions, SurveyKinds: []model.SurveyKind{model.SurveyPerception, model.SurveyCustom}}
	for i := range surveySlots {
		p.Slots = append(p.Slots, surveySlot{I: i, N: i + 1})
	}
	p.Crumbs = []Crumb{{Name: wb.t("surveys.title"), URL: "/surveys"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	var err error
	if p.Nodes, err = wb.listNodes(r, model.KindStreet, model.KindCommunity, model.KindResidentGroup, model.KindGrid, model.KindCompound, model.KindBuilding, model.KindStairwell); err != nil {
		return err
	}
	return wb.render(w, r, status, "surveys/new", p)
}

func (wb *Web) createSurvey(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("survey", r.PostForm, surveyFields()...)
	in := model.SurveyInput{Title: f.Values.Get("title"), Description: f.Values.Get("description"), Kind: model.SurveyKind(f.Values.Get("kind")),
		Anonymous: f.Checked("anonymous")}
	in.TerritoryID, _ = strconv.ParseInt(f.Values.Get("territory_id"), 10, 64)
	if in.Kind == model.SurveyCustom {
		for i := range surveySlots {
			k := fmt.Sprintf("q%d_", i)
			q := model.SurveyQuestionInput{Kind: model.QuestionKind(f.Values.Get(k + "kind")), Text: f.Values.Get(k + "text"), Required: f.Checked(k + "required")}
			if strings.TrimSpace(q.Text) == "" {
				continue // an unused slot (its kind select always sends a value)
			}
			for o := range strings.SplitSeq(strings.ReplaceAll(f.Values.Get(k+"options"), "\r", ""), "\n") {
				q.Options = append(q.Options, o)
			}
			for len(in.Questions) < i {
				in.Questions = append(in.Questions, model.SurveyQuestionInput{}) // keep the slot numbers of the errors
			}
			in.Questions = append(in.Questions, q)
		}
	}
	if v := strings.TrimSpace(f.Values.Get("closes_at")); v == "" {
		f.add("closes_at", wb.t("surveys.closes_at.missing"))
	} else if t, err := parseLocalTime(v); err != nil {
		f.add("closes_at", wb.t("surveys.closes_at.bad"))
	} else {
		in.ClosesAt = t
	}
	if f.Invalid() {
		return wb.surveyForm(w, r, http.StatusUnprocessableEntity, f)
	}
	s, err := wb.st.CreateSurvey(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.surveyForm(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, surveyURL(s.ID), "survey_created")
	return nil
}

// surveyPage is one survey as the caller sees it.
type surveyPage struct {
	Page
	Survey    *model.Survey
	Now       time.Time
	Accepting bool // the caller may answer now
	Answer    *Form
	Close     *Form
	Staff     bool // the caller may close it (staff in its territory)
	Results   bool // the caller may read its results now
}

// answerFields are the field names of the answer form: q<question id>.
func answerFields(s *model.Survey) []string {
	var out []string
	for _, q := range s.Questions {
		out = append(out, "q"+strconv.FormatInt(q.ID, 10))
	}
	return out
}

func (wb *Web) surveyPageFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *surveyPage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := scope(r)
	s, err := wb.st.Survey(r.Context(), sc, id)
	if err != nil {
		return err
	}
	now := wb.st.Now()
	p := &surveyPage{Page: wb.base(r, s.Title, "surveys"), Survey: s, Now: now,
		Accepting: s.Accepting(now) && s.Caller.Eligible && !s.Caller.Answered && authz.Allowed(sc.Role, authz.SurveyAnswer),
		Answer:    newForm("answer", nil, answerFields(s)...), Close: newForm("close", nil)}
	p.Crumbs = []Crumb{{Name: wb.t("surveys.title"), URL: "/surveys"}, {Name: wb.t("surveys.crumb")}}
	p.Staff = p.Can(authz.SurveyWrite) && sc.Contains(s.Path) && s.Status == model.SurveyOpen
	p.Results = p.Can(authz.SurveyResults) && (s.Status == model.SurveyClosed || s.ResultsLive()) && resultsShown(s)
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Answer, p.Close} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "surveys/show", p)
}

// resultsShown reports whether s has results to show as far as its answers go: a named survey
// always, an anonymous one once enough residents answered (store.SurveyResults says why).
func resultsShown(s *model.Survey) bool {
	return !s.Anonymous || s.Responses >= model.MinPerceptionSample
}

func (wb *Web) showSurvey(w http.ResponseWriter, r *http.Request) error {
	return wb.surveyPageFor(w, r, http.StatusOK, nil)
}

// answersFrom reads the answer form: q<id> is an option index (single; several for multiple),
// a scale value, or text, by the question's kind.
func answersFrom(s *model.Survey, f *Form) []model.Answer {
	var out []model.Answer
	for _, q := range s.Questions {
		name := "q" + strconv.FormatInt(q.ID, 10)
		a := model.Answer{QuestionID: q.ID}
		switch q.Kind {
		case model.QuestionSingle, model.QuestionMultiple:
			for _, v := range f.Values[name] {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					a.Choices = append(a.Choices, n)
				}
			}
		case model.QuestionScale:
			a.Scale, _ = strconv.Atoi(strings.TrimSpace(f.Values.Get(name)))
		case model.QuestionText:
			a.Text = f.Values.Get(name)
		}
		if !a.Blank() {
			out = append(out, a)
		}
	}
	return out
}

// answerSurvey records the caller's response and shows the survey again, answered; a closed
// survey or a second response shows the page with the error and the input kept.
func (wb *Web) answerSurvey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	sc := scope(r)
	s, err := wb.st.Survey(r.Context(), sc, id)
	if err != nil {
		return err
	}
	f := newForm("answer", r.PostForm, answerFields(s)...)
	if err := wb.st.AnswerSurvey(r.Context(), sc, id, answersFrom(s, f)); err != nil {
		if f.fail(err) {
			return wb.surveyPageFor(w, r, formStatus(err), func(p *surveyPage) {
				p.Answer = f
				if _, closed := err.(*model.ConflictError); closed {
					p.Accepting = false
				}
			})
		}
		return err
	}
	redirect(w, r, surveyURL(id), "survey_answered")
	return nil
}

func (wb *Web) closeSurvey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	s, err := wb.st.CloseSurvey(r.Context(), scope(r), id)
	if err != nil {
		f := newForm("close", r.PostForm)
		if f.fail(err) {
			return wb.surveyPageFor(w, r, formStatus(err), func(p *surveyPage) { p.Close = f })
		}
		return err
	}
	if resultsShown(s) {
		redirect(w, r, surveyURL(id)+"/results", "survey_closed")
	} else {
		redirect(w, r, surveyURL(id), "survey_closed_few")
	}
	return nil
}

// resultRow is one line of a question's result table.
type resultRow struct {
	Label string
	N     int
	Share int // percent of those who answered the question
}

// questionResult is one question's results as the page shows them.
type questionResult struct {
	model.QuestionResult
	Rows  []resultRow
	Chart string
}

type surveyResultsPage struct {
	Page
	Survey     *model.Survey
	Res        *model.SurveyResults
	Questions  []questionResult
	Dimensions []dimensionRow
	ECharts    string
	ChartJS    string
}

type dimensionRow struct {
	Label  string
	Weight int
	Score  float64
}

func (wb *Web) surveyResults(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, res, err := wb.st.SurveyResults(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &surveyResultsPage{Page: wb.base(r, s.Title, "surveys"), Survey: s, Res: res,
		ECharts: wb.assets.URL(analyticsEChartsFile), ChartJS: wb.assets.URL("analytics.js")}
	p.Crumbs = []Crumb{{Name: wb.t("surveys.title"), URL: "/surveys"}, {Name: wb.t("surveys.crumb"), URL: surveyURL(s.ID)}, {Name: wb.t("surveys.results")}}
	for _, q := range res.Questions {
		qr := questionResult{QuestionResult: q}
		var data []map[string]any
		for i, n := range q.Counts {
			label := ""
			if q.Question.Kind == model.QuestionScale {
				label = q.Question.ScaleLabel(i + 1)
			} else {
				label = q.Question.Options[i]
			}
			qr.Rows = append(qr.Rows, resultRow{Label: label, N: n, Share: percent(n, q.Answered)})
			data = append(data, map[string]any{"name": label, "value": n})
		}
		if len(data) > 0 {
			b, err := json.Marshal(map[string]any{"type": "bar", "data": data})
			if err != nil {
				return err
			}
			qr.Chart = string(b)
		}
		p.Questions = append(p.Questions, qr)
	}
	if res.Perception != nil && res.Perception.Index != nil {
		for _, d := range model.Dimensions {
			p.Dimensions = append(p.Dimensions, dimensionRow{Label: d.Label(), Weight: model.DimensionWeights[d], Score: res.Perception.Dimensions[d]})
		}
	}
	return wb.render(w, r, http.StatusOK, "surveys/results", p)
}

// percent is n of total as a whole percentage (0 of nothing).
func percent(n, total int) int {
	if total == 0 {
		return 0
	}
	return (n*200 + total) / (2 * total)
}

// trendRow is one area's line of the trend table: its index per period.
type trendRow struct {
	ID     int64
	Name   string
	Kind   model.TerritoryKind
	Points []model.PerceptionPoint
}

type perceptionPage struct {
	Page
	T          *model.PerceptionTrend
	Rows       []trendRow
	Dimensions []model.Dimension
	Weights    map[model.Dimension]int
	MinSample  int
	Chart      string
	DimChart   string
	ECharts    string
	ChartJS    string
}

// perception shows the perception index of a node (?territory=, default the caller's scope) and
// its communities or grids over the rounds: a line chart over a table with every number.
func (wb *Web) perception(w http.ResponseWriter, r *http.Request) error {
	under, _ := strconv.ParseInt(r.URL.Query().Get("territory"), 10, 64)
	tr, err := wb.st.PerceptionTrend(r.Context(), scope(r), under)
	if err != nil {
		return err
	}
	p := &perceptionPage{Page: wb.base(r, wb.t("surveys.perception.title"), "surveys-perception"), T: tr, Dimensions: model.Dimensions,
		Weights: model.DimensionWeights, MinSample: model.MinPerceptionSample, ECharts: wb.assets.URL(analyticsEChartsFile), ChartJS: wb.assets.URL("analytics.js")}
	p.Crumbs = []Crumb{{Name: wb.t("surveys.title"), URL: "/surveys"}, {Name: p.Title, URL: "/surveys/perception"}, {Name: tr.Name}}
	p.Rows = append(p.Rows, trendRow{ID: tr.TerritoryID, Name: tr.Name, Points: tr.Total.Points})
	for _, a := range tr.Areas {
		p.Rows = append(p.Rows, trendRow{ID: a.TerritoryID, Name: a.Name, Kind: a.Kind, Points: a.Points})
	}
	// One palette everywhere: the total in Party red, the areas in muted colours.
	palette := []string{"#c8161d", "#d4a017", "#2f6f9f", "#5b8c5a", "#8e6c8a", "#b0b7c3", "#a0522d", "#4b5563"}
	var series, dims []map[string]any
	for i, row := range p.Rows {
		var data []any
		for _, pt := range row.Points {
			if pt.Index == nil {
				data = append(data, nil)
			} else {
				data = append(data, *pt.Index)
			}
		}
		series = append(series, map[string]any{"name": row.Name, "data": data, "color": palette[i%len(palette)], "line": true})
	}
	for i, d := range model.Dimensions {
		var data []any
		for _, pt := range tr.Total.Points {
			if pt.Index == nil {
				data = append(data, nil)
			} else {
				data = append(data, pt.Dimensions[d])
			}
		}
		dims = append(dims, map[string]any{"name": d.Label(), "data": data, "color": palette[(i+1)%len(palette)], "line": true})
	}
	for _, c := range []struct {
		dst    *string
		series []map[string]any
	}{{&p.Chart, series}, {&p.DimChart, dims}} {
		b, err := json.Marshal(map[string]any{"type": "series", "unit": wb.t("surveys.perception.unit"), "max": 100, "categories": tr.Periods, "series": c.series})
		if err != nil {
			return err
		}
		*c.dst = string(b)
	}
	return wb.render(w, r, http.StatusOK, "surveys/perception", p)
}

// Picked reports whether the answer form, as submitted, chose value v for question q: the
// choices stay ticked when the page comes back with an error.
func (p *surveyPage) Picked(q int64, v int) bool {
	want := strconv.Itoa(v)
	for _, got := range p.Answer.Values["q"+strconv.FormatInt(q, 10)] {
		if got == want {
			return true
		}
	}
	return false
}
