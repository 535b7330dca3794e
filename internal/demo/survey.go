package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo city's perception surveys (issue 11 item 3): a year of quarterly rounds of the
// ready-made perception survey sent to a street, answered in a few of its communities, plus the
// current round, open, for the demo's own accounts to answer. Each community starts from its
// own level and improves round by round (the first community, where the platform started,
// fastest; the last barely), so the trend page has something to show; answers are drawn around
// a resident's level with noise, deterministic by seed. Rounds are sent through the real
// CreateSurvey at the time they opened (Store.AsOf) and close as of their closing time; the answers of
// residents without accounts go in through AnswerDemoSurvey, one transaction per round.

// PerceptionResult counts what Perception did.
type PerceptionResult struct {
	Rounds, Responses int
	Took              time.Duration
}

// PerceptionRounds is how many past rounds Perception sends (quarterly: a year).
const PerceptionRounds = 4

// perceptionSample is how many residents of each community answer a round.
const perceptionSample = 40

var suggestions = []string{
	"希望多组织一些老年人的文体活动。", "楼道灯坏了很久，希望尽快修好。", "网格员上门很及时，辛苦了！", "小区停车太乱，希望规划一下车位。",
	"希望公布社区的办事电话和党员联系方式。", "垃圾分类点太远，老人不方便。", "四点半课堂很好，希望继续办下去。", "希望多开展义诊、健康讲座。",
}

// Perception sends the perception rounds to street, answered in communities (their residents),
// as by; today is the current date. A street that has a perception survey already gets nothing.
func Perception(ctx context.Context, st *store.Store, street int64, communities []int64, by authz.Scope, today time.Time, seed int64) (PerceptionResult, error) {
	start := time.Now()
	var res PerceptionResult
	if p, err := st.Surveys(ctx, by, store.SurveyFilter{Kind: model.SurveyPerception, Limit: 1}); err != nil || p.Total > 0 {
		return res, err
	}
	r := seedFor(seed, "perception")
	type level struct{ base, gain float64 }
	levels := make([]level, len(communities))
	for i := range communities {
		// The first community starts middling and gains most; the others start a little apart
		// and gain less.
		levels[i] = level{base: 0.42 + 0.06*float64(i%3) + 0.04*r.Float64(), gain: 0.07 - 0.025*float64(i%3)}
	}
	for round := 0; round <= PerceptionRounds; round++ {
		opens := time.Date(today.Year(), today.Month(), 1, 9, 0, 0, 0, model.Shanghai).AddDate(0, 3*(round-PerceptionRounds), 0)
		closes := opens.AddDate(0, 0, 14)
		current := round == PerceptionRounds
		if current {
			opens, closes = today.Add(-24*time.Hour), today.AddDate(0, 0, 14)
		}
		at := st.AsOf(func() time.Time { return opens })
		sv, err := at.CreateSurvey(ctx, by, model.SurveyInput{Kind: model.SurveyPerception, TerritoryID: street, Anonymous: true, ClosesAt: closes,
			Title:       fmt.Sprintf("%s（%d年第%d季度）", model.PerceptionTitle, opens.Year(), (int(opens.Month())-1)/3+1),
			Description: "了解居民对网格党支部、联建单元和社区服务的感受，匿名填写，约三分钟。结果用于改进社区工作。"})
		if err != nil {
			return res, fmt.Errorf("round %d: %w", round, err)
		}
		res.Rounds++
		var rs []store.DemoSurveyResponse
		for i, c := range communities {
			ids, err := st.DemoSurveyRespondents(ctx, c, perceptionSample/map[bool]int{true: 2, false: 1}[current])
			if err != nil {
				return res, err
			}
			lv := levels[i].base + levels[i].gain*float64(round)
			for _, id := range ids {
				rs = append(rs, store.DemoSurveyResponse{ResidentID: id, Answers: perceptionAnswers(r, sv, lv)})
			}
		}
		n, err := st.AnswerDemoSurvey(ctx, sv.ID, rs)
		if err != nil {
			return res, fmt.Errorf("round %d: %w", round, err)
		}
		res.Responses += n
	}
	// The past rounds closed when their time was up: closed (as of then) on this read.
	if _, err := st.Surveys(ctx, by, store.SurveyFilter{Limit: 1}); err != nil {
		return res, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// perceptionAnswers draws one resident's answers to the perception survey sv around level lv
// (0–1): the resident's own level varies, each answer a little more.
func perceptionAnswers(r *rand.Rand, sv *model.Survey, lv float64) []model.Answer {
	own := clamp01(lv + r.NormFloat64()*0.15)
	var out []model.Answer
	for _, q := range sv.Questions {
		a := model.Answer{QuestionID: q.ID}
		x := clamp01(own + r.NormFloat64()*0.12)
		switch q.Kind {
		case model.QuestionSingle:
			// Knowing someone and having dealt with them is rarer than knowing the name.
			switch u := r.Float64(); {
			case len(q.Options) == 2:
				a.Choices = []int{map[bool]int{true: 0, false: 1}[u < x+0.1]}
			case u < x*0.7:
				a.Choices = []int{0}
			case u < x+0.1:
				a.Choices = []int{1}
			default:
				a.Choices = []int{2}
			}
		case model.QuestionScale:
			a.Scale = int(math.Round(1 + 4*x))
		case model.QuestionText:
			if r.IntN(6) != 0 {
				continue
			}
			a.Text = suggestions[r.IntN(len(suggestions))]
		}
		out = append(out, a)
	}
	return out
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }
