package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Surveys of residents (小区议事, issue 11 item 3). A survey is sent to a territory subtree (a
// street, community, grid, compound, building or stairwell); residents, members and unit
// leaders whose household lies under it answer once each (the database decides: one
// respondent row per resident). An anonymous survey stores who answered (the respondents)
// apart from what was answered (the responses, under a random key), with no column, time or
// sequence joining the two, as votes keep ballots; a named survey records the respondent on
// its response. A response keeps the grid (or, outside grids, the community) its respondent
// lived in, which is what the perception index is counted by, never the household.
//
// The ready-made perception survey (感知度调查, PerceptionQuestions) asks how residents
// perceive the Party organization and the community; PerceptionScore turns one response into
// the perception index (感知指数, 0–100) and its five dimensions, and PerceptionOf averages
// responses per grid, community and round.

// QuestionKind is the shape of a question's answer.
type QuestionKind string

// The kinds of question.
const (
	QuestionSingle   QuestionKind = "single"   // one of the options
	QuestionMultiple QuestionKind = "multiple" // any number of the options (at least one)
	QuestionScale    QuestionKind = "scale"    // 1 … ScaleMax (5: 很不满意 … 很满意)
	QuestionText     QuestionKind = "text"     // free text
)

// QuestionKinds lists the kinds in the order a form offers them.
var QuestionKinds = []QuestionKind{QuestionSingle, QuestionMultiple, QuestionScale, QuestionText}

var questionKindLabels = map[QuestionKind]string{QuestionSingle: "单选", QuestionMultiple: "多选", QuestionScale: "打分（1–5 分）", QuestionText: "文字回答"}

// Label is the kind's Chinese name.
func (k QuestionKind) Label() string { return questionKindLabels[k] }

// SurveyKind says whether a survey is one staff wrote or the ready-made perception survey.
type SurveyKind string

// The kinds of survey.
const (
	SurveyCustom     SurveyKind = "custom"
	SurveyPerception SurveyKind = "perception" // 党组织和社区感知度调查: counts towards the perception index
)

var surveyKindLabels = map[SurveyKind]string{SurveyCustom: "自定义问卷", SurveyPerception: "感知度调查（知晓率、感应度、满意度、认同感、归属感）"}

// Label is the kind's Chinese name.
func (k SurveyKind) Label() string { return surveyKindLabels[k] }

// SurveyStatus is where a survey stands.
type SurveyStatus string

// The statuses of a survey; an open survey whose closing time has passed is closed on the next read.
const (
	SurveyOpen   SurveyStatus = "open"
	SurveyClosed SurveyStatus = "closed"
)

var surveyStatusLabels = map[SurveyStatus]string{SurveyOpen: "进行中", SurveyClosed: "已截止"}

// Label is the status's Chinese name.
func (s SurveyStatus) Label() string { return surveyStatusLabels[s] }

// Dimension is one of the five parts of the perception index.
type Dimension string

// The dimensions of the perception index, in the order pages show them.
const (
	DimAwareness    Dimension = "awareness"    // 知晓率: knows the grid branch secretary, the unit leader, where the Party organization is
	DimPresence     Dimension = "presence"     // 感应度: feels the Party organization and its members at work nearby
	DimSatisfaction Dimension = "satisfaction" // 满意度: with the community's services and with how difficulties are solved
	DimIdentity     Dimension = "identity"     // 认同感: identifies with the work of the Party organization and the residents' committee
	DimBelonging    Dimension = "belonging"    // 归属感: feels part of the community, takes part in its affairs
)

// Dimensions lists the dimensions in order.
var Dimensions = []Dimension{DimAwareness, DimPresence, DimSatisfaction, DimIdentity, DimBelonging}

var dimensionLabels = map[Dimension]string{DimAwareness: "知晓率", DimPresence: "感应度", DimSatisfaction: "满意度", DimIdentity: "认同感", DimBelonging: "归属感"}

// Label is the dimension's Chinese name.
func (d Dimension) Label() string { return dimensionLabels[d] }

// DimensionWeights are the weights of the dimensions in the perception index (they sum to 100):
// knowing who one's Party organization is and being served well count most, as the source
// document complains of both (感应度低, 服务不到位).
var DimensionWeights = map[Dimension]int{DimAwareness: 25, DimPresence: 15, DimSatisfaction: 25, DimIdentity: 15, DimBelonging: 20}

// SurveyQuestion is one question of a survey. Options are the choices of single and multiple
// questions; Points (perception questions only) what each option scores, 0–100.
type SurveyQuestion struct {
	ID        int64
	Position  int
	Kind      QuestionKind
	Text      string
	Options   []string
	ScaleMax  int // scale questions: 5
	Required  bool
	Dimension Dimension // perception questions: the dimension it counts towards; "" for none
	Points    []int     // perception single questions: the score of each option
}

// Number is the question's number in its survey, from 1.
func (q SurveyQuestion) Number() int { return q.Position + 1 }

// ScaleValues is 1 … ScaleMax, for the form's choices.
func (q SurveyQuestion) ScaleValues() []int {
	out := make([]int, q.ScaleMax)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// ScaleLabel names value v of a five-point scale question: 1 很不满意 … 5 很满意 when it asks
// about satisfaction, "v 分" otherwise (such a question says in its text what 1 and 5 mean).
func (q SurveyQuestion) ScaleLabel(v int) string {
	if q.ScaleMax == 5 && v >= 1 && v <= 5 && strings.Contains(q.Text, "满意") {
		return scaleLabels[v-1]
	}
	return fmt.Sprintf("%d 分", v)
}

var scaleLabels = [5]string{"1 很不满意", "2 不满意", "3 一般", "4 满意", "5 很满意"}

// PerceptionQuestions is the ready-made perception survey: three questions of awareness, one of
// presence, two of satisfaction, one each of identity and belonging, and a closing question
// for suggestions that counts towards nothing. Knowing someone by sight and having dealt with
// them scores more than knowing the name only.
var PerceptionQuestions = []SurveyQuestion{
	{Kind: QuestionSingle, Text: "您知道您所在网格的党支部书记是谁吗？", Options: []string{"知道，和他/她打过交道", "知道名字，没打过交道", "不知道"}, Points: []int{100, 60, 0}, Required: true, Dimension: DimAwareness},
	{Kind: QuestionSingle, Text: "您知道您所在联建单元的小组长是谁吗？", Options: []string{"知道，和他/她打过交道", "知道名字，没打过交道", "不知道"}, Points: []int{100, 60, 0}, Required: true, Dimension: DimAwareness},
	{Kind: QuestionSingle, Text: "您知道社区党组织在哪里办公、有事怎样找到他们吗？", Options: []string{"知道", "不清楚"}, Points: []int{100, 0}, Required: true, Dimension: DimAwareness},
	{Kind: QuestionScale, Text: "最近三个月，您能感受到党员和党组织在身边发挥作用吗？（1 完全感受不到，5 感受很明显）", ScaleMax: 5, Required: true, Dimension: DimPresence},
	{Kind: QuestionScale, Text: "您对社区提供的服务（办事、志愿服务、文体活动）满意吗？", ScaleMax: 5, Required: true, Dimension: DimSatisfaction},
	{Kind: QuestionScale, Text: "您对网格党支部和联建单元帮助居民解决困难的情况满意吗？", ScaleMax: 5, Required: true, Dimension: DimSatisfaction},
	{Kind: QuestionScale, Text: "您认同社区党组织和居委会的工作吗？（1 很不认同，5 很认同）", ScaleMax: 5, Required: true, Dimension: DimIdentity},
	{Kind: QuestionScale, Text: "您觉得自己是这个社区的一员、愿意参与小区的事务吗？（1 完全不觉得，5 非常愿意）", ScaleMax: 5, Required: true, Dimension: DimBelonging},
	{Kind: QuestionText, Text: "您对社区和党组织的工作还有什么意见和建议？"},
}

// PerceptionTitle is the ready-made survey's title.
const PerceptionTitle = "居民对党组织和社区的感知度调查"

// Survey is one survey.
type Survey struct {
	ID            int64
	Title         string
	Description   string
	TerritoryID   int64
	TerritoryName string
	Path          string
	CommunityID   int64
	Kind          SurveyKind
	Anonymous     bool
	OpensAt       time.Time
	ClosesAt      time.Time
	Status        SurveyStatus
	Responses     int
	Questions     []SurveyQuestion
	CreatedByName string
	ClosedAt      *time.Time
	CreatedAt     time.Time
	// Caller is the caller's standing: set by the store for the caller who read it.
	Caller SurveyCaller
}

// SurveyCaller is the caller's standing in a survey.
type SurveyCaller struct {
	Eligible bool // the caller's household lies under the survey's territory
	Answered bool // and the caller has answered
}

// Accepting reports whether the survey takes answers at now.
func (s *Survey) Accepting(now time.Time) bool {
	return s.Status == SurveyOpen && now.Before(s.ClosesAt)
}

// Due reports whether an open survey's closing time has passed at now.
func (s *Survey) Due(now time.Time) bool { return s.Status == SurveyOpen && !now.Before(s.ClosesAt) }

// PhaseLabel is the survey's status as a resident reads it at now.
func (s *Survey) PhaseLabel(now time.Time) string {
	if s.Due(now) {
		return SurveyClosed.Label()
	}
	return s.Status.Label()
}

// ResultsLive reports whether staff may read the survey's results before it closes: a named
// survey's, not an anonymous one's (watching the results change as answers come in, next to the
// count of who answered, would tell whose answers they are).
func (s *Survey) ResultsLive() bool { return !s.Anonymous }

// ErrSurveyClosed refuses an answer to a survey that no longer takes answers.
var ErrSurveyClosed = &ConflictError{Message: "问卷已截止，不再接受回答"}

// SurveyQuestionInput is one question of a new survey.
type SurveyQuestionInput struct {
	Kind     QuestionKind
	Text     string
	Options  []string
	Required bool
}

// SurveyInput creates a survey. A perception survey takes its questions from
// PerceptionQuestions (Questions is ignored) and its title, when empty, from PerceptionTitle.
type SurveyInput struct {
	Title       string
	Description string
	TerritoryID int64
	Kind        SurveyKind
	Anonymous   bool
	OpensAt     time.Time // zero: now (the demo backdates its rounds)
	ClosesAt    time.Time
	Questions   []SurveyQuestionInput
}

// Validate checks the input against now and returns the questions the survey will have.
func (in *SurveyInput) Validate(now time.Time) ([]SurveyQuestion, error) {
	v := &ValidationError{}
	if in.Kind == "" {
		in.Kind = SurveyCustom
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	if in.Title == "" && in.Kind == SurveyPerception {
		in.Title = PerceptionTitle
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "请填写问卷标题")
	case n > 100:
		v.Add("title", "问卷标题不能超过 100 个字")
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		v.Add("description", "说明不能超过 2000 个字")
	}
	if in.TerritoryID <= 0 {
		v.Add("territory_id", "请选择调查范围（街道、社区、网格、小区、楼栋或单元）")
	}
	opens := in.OpensAt
	if opens.IsZero() {
		opens = now
	}
	switch {
	case in.ClosesAt.IsZero():
		v.Add("closes_at", "请填写截止时间")
	case !in.ClosesAt.After(opens):
		v.Add("closes_at", "截止时间应晚于开始时间")
	case in.OpensAt.IsZero() && !in.ClosesAt.After(now):
		v.Add("closes_at", "截止时间应晚于现在")
	case in.ClosesAt.Sub(opens) > 180*24*time.Hour:
		v.Add("closes_at", "调查期不能超过 180 天")
	}
	var qs []SurveyQuestion
	switch in.Kind {
	case SurveyPerception:
		qs = slices.Clone(PerceptionQuestions)
	case SurveyCustom:
		for i, q := range in.Questions {
			field := fmt.Sprintf("questions.%d", i)
			q.Text = strings.TrimSpace(q.Text)
			if q.Text == "" && q.Kind == "" && len(q.Options) == 0 {
				continue // an empty slot of the form
			}
			sq := SurveyQuestion{Kind: q.Kind, Text: q.Text, Required: q.Required}
			switch n := utf8.RuneCountInString(q.Text); {
			case n == 0:
				v.Add(field, fmt.Sprintf("第 %d 题：请填写题目", i+1))
			case n > 200:
				v.Add(field, fmt.Sprintf("第 %d 题：题目不能超过 200 个字", i+1))
			}
			switch q.Kind {
			case QuestionSingle, QuestionMultiple:
				seen := map[string]bool{}
				for _, o := range q.Options {
					o = strings.TrimSpace(o)
					if o == "" {
						continue
					}
					if utf8.RuneCountInString(o) > 60 {
						v.Add(field, fmt.Sprintf("第 %d 题：每个选项不能超过 60 个字", i+1))
						break
					}
					if seen[o] {
						v.Add(field, fmt.Sprintf("第 %d 题：选项重复：%s", i+1, o))
						break
					}
					seen[o] = true
					sq.Options = append(sq.Options, o)
				}
				if len(sq.Options) < 2 || len(sq.Options) > 20 {
					v.Add(field, fmt.Sprintf("第 %d 题：选择题应有 2 到 20 个选项，每行一个", i+1))
				}
			case QuestionScale:
				sq.ScaleMax = 5
			case QuestionText:
			default:
				v.Add(field, fmt.Sprintf("第 %d 题：请选择题型：单选、多选、打分或文字回答", i+1))
			}
			qs = append(qs, sq)
		}
		switch {
		case len(qs) == 0 && len(v.Fields) == 0:
			v.Add("questions", "请至少填写一道题目")
		case len(qs) > 30:
			v.Add("questions", "题目不能超过 30 道")
		}
	default:
		v.Add("kind", "请选择问卷类型：自定义问卷或感知度调查")
	}
	for i := range qs {
		qs[i].Position = i
	}
	return qs, v.Err()
}

// Answer is the answer to one question: option indexes (single: one; multiple: at least one),
// a scale value, or text.
type Answer struct {
	QuestionID int64  `json:"q"`
	Choices    []int  `json:"c,omitempty"`
	Scale      int    `json:"s,omitempty"`
	Text       string `json:"t,omitempty"`
}

// Blank reports whether a carries no answer.
func (a Answer) Blank() bool {
	return len(a.Choices) == 0 && a.Scale == 0 && strings.TrimSpace(a.Text) == ""
}

// CheckAnswers validates answers against the survey's questions and returns them in question
// order, one per answered question (an unanswered optional question is left out). Each bad
// answer is a field error named "q<question id>".
func (s *Survey) CheckAnswers(answers []Answer) ([]Answer, error) {
	v := &ValidationError{}
	byQ := map[int64]Answer{}
	known := map[int64]bool{}
	for _, q := range s.Questions {
		known[q.ID] = true
	}
	for _, a := range answers {
		if !known[a.QuestionID] {
			v.Add("answers", "回答中有不属于本问卷的题目")
			return nil, v.Err()
		}
		if _, dup := byQ[a.QuestionID]; dup {
			v.Add("answers", "同一道题只能回答一次")
			return nil, v.Err()
		}
		byQ[a.QuestionID] = a
	}
	var out []Answer
	for i, q := range s.Questions {
		field := fmt.Sprintf("q%d", q.ID)
		a, ok := byQ[q.ID]
		if !ok || a.Blank() {
			if q.Required {
				v.Add(field, fmt.Sprintf("第 %d 题必答：%s", i+1, q.Text))
			}
			continue
		}
		clean := Answer{QuestionID: q.ID}
		switch q.Kind {
		case QuestionSingle, QuestionMultiple:
			cs := slices.Clone(a.Choices)
			slices.Sort(cs)
			switch {
			case len(cs) == 0:
				v.Add(field, fmt.Sprintf("第 %d 题：请选择一项", i+1))
				continue
			case q.Kind == QuestionSingle && len(cs) > 1:
				v.Add(field, fmt.Sprintf("第 %d 题只能选一项", i+1))
				continue
			case len(slices.Compact(slices.Clone(cs))) != len(cs):
				v.Add(field, fmt.Sprintf("第 %d 题：同一选项不能重复选择", i+1))
				continue
			case cs[0] < 0 || cs[len(cs)-1] >= len(q.Options):
				v.Add(field, fmt.Sprintf("第 %d 题：选项不属于这道题", i+1))
				continue
			}
			clean.Choices = cs
		case QuestionScale:
			if a.Scale < 1 || a.Scale > q.ScaleMax {
				v.Add(field, fmt.Sprintf("第 %d 题：请打 1 到 %d 分", i+1, q.ScaleMax))
				continue
			}
			clean.Scale = a.Scale
		case QuestionText:
			t := strings.TrimSpace(a.Text)
			if utf8.RuneCountInString(t) > 1000 {
				v.Add(field, fmt.Sprintf("第 %d 题：回答不能超过 1000 个字", i+1))
				continue
			}
			clean.Text = t
		}
		out = append(out, clean)
	}
	return out, v.Err()
}

// PerceptionScore is one response's (or, averaged, a group's) perception index and its
// dimensions, each 0–100.
type PerceptionScore struct {
	Index      float64
	Dimensions map[Dimension]float64
}

// ScorePerception computes the perception index of one response to a perception survey whose
// questions are qs (with Dimension and Points set):
//
//   - each answered question of a dimension scores 0–100: a single question the Points of the
//     option chosen; a scale question (v−1)/(max−1)·100, so 1 scores 0, 3 scores 50, 5 scores 100;
//   - a dimension scores the mean of its answered questions;
//   - the index is the mean of the dimensions' scores weighted by DimensionWeights, over the
//     dimensions answered (all of them, as every scored question is required).
//
// ok is false when no scored question was answered.
func ScorePerception(qs []SurveyQuestion, answers []Answer) (PerceptionScore, bool) {
	byQ := map[int64]Answer{}
	for _, a := range answers {
		byQ[a.QuestionID] = a
	}
	sums, counts := map[Dimension]float64{}, map[Dimension]int{}
	for _, q := range qs {
		a, ok := byQ[q.ID]
		if q.Dimension == "" || !ok {
			continue
		}
		var score float64
		switch {
		case q.Kind == QuestionScale && q.ScaleMax > 1 && a.Scale >= 1:
			score = float64(a.Scale-1) / float64(q.ScaleMax-1) * 100
		case q.Kind == QuestionSingle && len(a.Choices) == 1 && a.Choices[0] < len(q.Points):
			score = float64(q.Points[a.Choices[0]])
		default:
			continue
		}
		sums[q.Dimension] += score
		counts[q.Dimension]++
	}
	out := PerceptionScore{Dimensions: map[Dimension]float64{}}
	var weighted, weights float64
	for _, d := range Dimensions {
		if counts[d] == 0 {
			continue
		}
		s := sums[d] / float64(counts[d])
		out.Dimensions[d] = s
		weighted += s * float64(DimensionWeights[d])
		weights += float64(DimensionWeights[d])
	}
	if weights == 0 {
		return out, false
	}
	out.Index = weighted / weights
	return out, true
}

// MinPerceptionSample is the fewest responses a grid's or community's index is shown for in a
// round: fewer would be a handful of neighbours' answers, readable one by one in an anonymous
// survey, and too few to say anything.
const MinPerceptionSample = 5

// PerceptionPoint is one area's perception index in one period: the mean of its responses'
// indexes and dimensions; Index is nil when fewer than MinPerceptionSample answered.
type PerceptionPoint struct {
	Period     string // YYYY-MM, the month the round opened (Asia/Shanghai)
	Responses  int
	Index      *float64
	Dimensions map[Dimension]float64 // empty when Index is nil
}

// IndexLabel is the index with one decimal, "" when withheld.
func (p PerceptionPoint) IndexLabel() string {
	if p.Index == nil {
		return ""
	}
	return fmt.Sprintf("%.1f", *p.Index)
}

// PerceptionSeries is one area's perception index over the periods.
type PerceptionSeries struct {
	TerritoryID int64
	Name        string
	Kind        TerritoryKind
	Points      []PerceptionPoint // one per period of the trend, in order
}

// PerceptionTrend is the perception index of a territory and of the areas below it (its
// communities, or its grids) over time.
type PerceptionTrend struct {
	TerritoryID int64
	Name        string
	Periods     []string
	Total       PerceptionSeries
	Areas       []PerceptionSeries
}

// PerceptionSum accumulates responses' scores towards a PerceptionPoint.
type PerceptionSum struct {
	N     int
	Index float64
	Dims  map[Dimension]float64
}

// Add counts one response's score s.
func (p *PerceptionSum) Add(s PerceptionScore) {
	if p.Dims == nil {
		p.Dims = map[Dimension]float64{}
	}
	p.N++
	p.Index += s.Index
	for d, v := range s.Dimensions {
		p.Dims[d] += v
	}
}

// Merge adds the responses of q.
func (p *PerceptionSum) Merge(q PerceptionSum) {
	if p.Dims == nil {
		p.Dims = map[Dimension]float64{}
	}
	p.N += q.N
	p.Index += q.Index
	for d, v := range q.Dims {
		p.Dims[d] += v
	}
}

// Point is the mean of the responses counted, rounded to one decimal, for period; the index
// withheld below MinPerceptionSample responses.
func (p PerceptionSum) Point(period string) PerceptionPoint {
	pt := PerceptionPoint{Period: period, Responses: p.N, Dimensions: map[Dimension]float64{}}
	if p.N < MinPerceptionSample {
		return pt
	}
	idx := round1(p.Index / float64(p.N))
	pt.Index = &idx
	for d, v := range p.Dims {
		pt.Dimensions[d] = round1(v / float64(p.N))
	}
	return pt
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// QuestionResult is the answers to one question: counts per option (single, multiple) or per
// value (scale, Counts[v-1]), the mean of a scale, the texts of a text question.
type QuestionResult struct {
	Question SurveyQuestion
	Answered int
	Counts   []int
	Average  float64
	Texts    []string
}

// SurveyResults is a survey's answers counted.
type SurveyResults struct {
	Responses  int
	Questions  []QuestionResult
	Perception *PerceptionPoint // perception surveys: the index of all its responses
}

// Tabulate counts responses (each a response's answers) to the questions qs.
func Tabulate(qs []SurveyQuestion, responses [][]Answer) SurveyResults {
	r := SurveyResults{Responses: len(responses)}
	idx := map[int64]int{}
	for i, q := range qs {
		qr := QuestionResult{Question: q}
		switch q.Kind {
		case QuestionSingle, QuestionMultiple:
			qr.Counts = make([]int, len(q.Options))
		case QuestionScale:
			qr.Counts = make([]int, q.ScaleMax)
		}
		r.Questions = append(r.Questions, qr)
		idx[q.ID] = i
	}
	sums := make([]int, len(qs))
	for _, resp := range responses {
		for _, a := range resp {
			i, ok := idx[a.QuestionID]
			if !ok {
				continue
			}
			qr := &r.Questions[i]
			switch qr.Question.Kind {
			case QuestionSingle, QuestionMultiple:
				for _, c := range a.Choices {
					if c >= 0 && c < len(qr.Counts) {
						qr.Counts[c]++
					}
				}
			case QuestionScale:
				if a.Scale < 1 || a.Scale > len(qr.Counts) {
					continue
				}
				qr.Counts[a.Scale-1]++
				sums[i] += a.Scale
			case QuestionText:
				if a.Text == "" {
					continue
				}
				qr.Texts = append(qr.Texts, a.Text)
			}
			qr.Answered++
		}
	}
	for i := range r.Questions {
		if qr := &r.Questions[i]; qr.Question.Kind == QuestionScale && qr.Answered > 0 {
			qr.Average = round1(float64(sums[i]) / float64(qr.Answered))
		}
	}
	return r
}
