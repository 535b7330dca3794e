package model

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// perceptionSurvey is the ready-made survey with question ids 1 … 9.
func perceptionSurvey() *Survey {
	s := &Survey{Kind: SurveyPerception, Questions: slices.Clone(PerceptionQuestions)}
	for i := range s.Questions {
		s.Questions[i].ID = int64(i + 1)
	}
	return s
}

// perceptionAnswers answers the ready-made survey: the three awareness options chosen, then
// the five scale values.
func perceptionAnswers(aware [3]int, scales [5]int) []Answer {
	var out []Answer
	for i, c := range aware {
		out = append(out, Answer{QuestionID: int64(i + 1), Choices: []int{c}})
	}
	for i, v := range scales {
		out = append(out, Answer{QuestionID: int64(i + 4), Scale: v})
	}
	return out
}

func TestPerceptionWeights(t *testing.T) {
	sum := 0
	for _, d := range Dimensions {
		sum += DimensionWeights[d]
	}
	if sum != 100 {
		t.Errorf("weights sum to %d", sum)
	}
	// Every dimension has a question; every scored single question has a score per option.
	seen := map[Dimension]bool{}
	for _, q := range PerceptionQuestions {
		seen[q.Dimension] = true
		if q.Kind == QuestionSingle && len(q.Points) != len(q.Options) {
			t.Errorf("%q: %d points for %d options", q.Text, len(q.Points), len(q.Options))
		}
	}
	for _, d := range Dimensions {
		if !seen[d] {
			t.Errorf("no question of %s", d)
		}
	}
}

func TestScorePerception(t *testing.T) {
	s := perceptionSurvey()
	for _, c := range []struct {
		name   string
		aware  [3]int
		scales [5]int
		want   float64
		dims   map[Dimension]float64
	}{
		{"best", [3]int{0, 0, 0}, [5]int{5, 5, 5, 5, 5}, 100, map[Dimension]float64{DimAwareness: 100, DimBelonging: 100}},
		{"worst", [3]int{2, 2, 1}, [5]int{1, 1, 1, 1, 1}, 0, map[Dimension]float64{DimAwareness: 0, DimPresence: 0}},
		// awareness (60+0+100)/3, presence 50, satisfaction (75+25)/2, identity 100, belonging 75:
		// (53.33·25 + 50·15 + 50·25 + 100·15 + 75·20) / 100 = 63.33
		{"mixed", [3]int{1, 2, 0}, [5]int{3, 4, 2, 5, 4}, 63.333, map[Dimension]float64{DimAwareness: 53.333, DimSatisfaction: 50, DimIdentity: 100}},
	} {
		answers, err := s.CheckAnswers(perceptionAnswers(c.aware, c.scales))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, ok := ScorePerception(s.Questions, answers)
		if !ok || math.Abs(got.Index-c.want) > 0.01 {
			t.Errorf("%s: index %.3f (%v), want %.3f", c.name, got.Index, ok, c.want)
		}
		for d, want := range c.dims {
			if math.Abs(got.Dimensions[d]-want) > 0.01 {
				t.Errorf("%s: %s %.3f, want %.3f", c.name, d, got.Dimensions[d], want)
			}
		}
	}
	if _, ok := ScorePerception(s.Questions, []Answer{{QuestionID: 9, Text: "多办活动"}}); ok {
		t.Error("a response with only the suggestion has an index")
	}
}

func TestPerceptionSum(t *testing.T) {
	var sum PerceptionSum
	for i := range MinPerceptionSample - 1 {
		sum.Add(PerceptionScore{Index: float64(60 + i), Dimensions: map[Dimension]float64{DimAwareness: 50}})
	}
	if p := sum.Point("2026-01"); p.Index != nil || p.Responses != MinPerceptionSample-1 || len(p.Dimensions) != 0 {
		t.Errorf("below the sample: %+v", p)
	}
	sum.Add(PerceptionScore{Index: 71, Dimensions: map[Dimension]float64{DimAwareness: 100}})
	// 60+61+62+63+71 = 317 / 5 = 63.4; awareness (4·50+100)/5 = 60
	p := sum.Point("2026-01")
	if p.Index == nil || *p.Index != 63.4 || p.Dimensions[DimAwareness] != 60 {
		t.Errorf("point %+v", p)
	}
	var all PerceptionSum
	all.Merge(sum)
	all.Merge(sum)
	if q := all.Point("x"); q.Responses != 10 || *q.Index != 63.4 {
		t.Errorf("merged %+v", q)
	}
}

func TestSurveyCheckAnswers(t *testing.T) {
	s := perceptionSurvey()
	full := perceptionAnswers([3]int{0, 1, 0}, [5]int{3, 3, 3, 3, 3})
	if got, err := s.CheckAnswers(append(full, Answer{QuestionID: 9, Text: "  多组织活动  "})); err != nil || len(got) != 9 || got[8].Text != "多组织活动" {
		t.Fatalf("a full response: %v %+v", err, got)
	}
	var ve *ValidationError
	for name, answers := range map[string][]Answer{
		"missing required":      full[1:],
		"unknown question":      append(slices.Clone(full), Answer{QuestionID: 99, Scale: 1}),
		"question twice":        append(slices.Clone(full), full[0]),
		"scale out of range":    append(slices.Clone(full[:7]), Answer{QuestionID: 8, Scale: 6}),
		"option out of range":   append([]Answer{{QuestionID: 1, Choices: []int{3}}}, full[1:]...),
		"two choices, single":   append([]Answer{{QuestionID: 1, Choices: []int{0, 1}}}, full[1:]...),
		"a negative choice":     append([]Answer{{QuestionID: 1, Choices: []int{-1}}}, full[1:]...),
		"the same choice twice": append([]Answer{{QuestionID: 1, Choices: []int{0, 0}}}, full[1:]...),
	} {
		if _, err := s.CheckAnswers(answers); !errors.As(err, &ve) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSurveyInputValidate(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	in := SurveyInput{Kind: SurveyPerception, TerritoryID: 7, ClosesAt: now.Add(72 * time.Hour)}
	qs, err := in.Validate(now)
	if err != nil || len(qs) != len(PerceptionQuestions) || in.Title != PerceptionTitle || qs[3].Position != 3 {
		t.Fatalf("perception: %v, %d questions, %q", err, len(qs), in.Title)
	}
	custom := SurveyInput{Title: "停车位意向调查", TerritoryID: 7, ClosesAt: now.Add(time.Hour), Questions: []SurveyQuestionInput{
		{Kind: QuestionMultiple, Text: "您需要哪种车位？", Options: []string{"汽车", "", "电动车"}},
		{}, // an empty slot of the form
		{Kind: QuestionScale, Text: "您对现在的停车秩序满意吗？", Required: true},
	}}
	qs, err = custom.Validate(now)
	if err != nil || len(qs) != 2 || len(qs[0].Options) != 2 || qs[1].ScaleMax != 5 || custom.Kind != SurveyCustom {
		t.Fatalf("custom: %v %+v", err, qs)
	}
	bad := SurveyInput{Title: " ", ClosesAt: now.Add(-time.Hour), Questions: []SurveyQuestionInput{
		{Kind: QuestionSingle, Text: "只有一个选项", Options: []string{"是"}}, {Kind: "essay", Text: "?"}}}
	_, err = bad.Validate(now)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("bad input: %v", err)
	}
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	for _, want := range []string{"title", "territory_id", "closes_at", "questions.0", "questions.1"} {
		if !slices.Contains(fields, want) {
			t.Errorf("fields %v lack %s", fields, want)
		}
	}
	if _, err := (&SurveyInput{Title: "空问卷", TerritoryID: 1, ClosesAt: now.Add(time.Hour)}).Validate(now); err == nil {
		t.Error("a custom survey without questions")
	}
}

func TestTabulate(t *testing.T) {
	s := perceptionSurvey()
	responses := [][]Answer{
		perceptionAnswers([3]int{0, 1, 0}, [5]int{5, 4, 4, 5, 5}),
		perceptionAnswers([3]int{2, 1, 1}, [5]int{2, 3, 2, 4, 3}),
		append(perceptionAnswers([3]int{0, 2, 0}, [5]int{4, 4, 3, 4, 4}), Answer{QuestionID: 9, Text: "希望多办活动"}),
	}
	r := Tabulate(s.Questions, responses)
	if r.Responses != 3 || !slices.Equal(r.Questions[0].Counts, []int{2, 0, 1}) || !slices.Equal(r.Questions[1].Counts, []int{0, 2, 1}) {
		t.Errorf("choices: %+v %+v", r.Questions[0], r.Questions[1])
	}
	if q := r.Questions[3]; !slices.Equal(q.Counts, []int{0, 1, 0, 1, 1}) || q.Average != 3.7 || q.Answered != 3 {
		t.Errorf("scale: %+v", q)
	}
	if q := r.Questions[8]; q.Answered != 1 || len(q.Texts) != 1 {
		t.Errorf("text: %+v", q)
	}
}
