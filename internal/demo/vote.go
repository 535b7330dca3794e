package demo

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's votes of compound affairs (小区议事, issue 11 item 2). A community given to Votes
// holds the votes of demoVotes over its compounds: three closed weeks or months ago, with
// ballots from 60–85% of the roll (about one in eight cast by staff as a proxy ballot) and a
// published result; two open ones, over the demo resident's compound, closing some days ahead
// with part of the roll voted but none of the households of the demo accounts, so that a
// resident who logs in finds something to vote on; one cancelled with its reason. Validation
// refuses opening a vote whose closing time has passed, so, as the unit elections do, every
// step goes through the store's vote functions on a view whose clock reads the time the step
// took place (store.AsOf): the votes, their rolls (adults reckoned on the opening day), the
// ballots, the audit and the closing carry those times, and each result is the tally of the
// stored ballots, as the live system would have kept it. A vote is held over a compound no
// larger than its bound when the community has one (else its smallest), and at most
// store.MaxLimit of its roll vote, so that its ballots stay at a few hundred however large the
// city; only the communities given get votes (the command gives three), so the demo loads in
// about the same time at any size.

// VotesResult counts what Votes did.
type VotesResult struct {
	Closed, Open, Cancelled int
	Ballots                 int // ballots cast, proxy included
	Proxy                   int // of them by staff for a voter without a smartphone
}

// votePlan is one vote of the demo and how it went.
type votePlan struct {
	in     model.VoteInput // without territory and times
	status model.VoteStatus
	// opened is how many days before today it opened, at 9:00; it closes at 18:00 after days.
	opened, days int
	turnout      [2]float64 // share of the roll that voted, drawn in the range
	weights      []float64  // how likely a voter chooses each option
	// maxHouseholds bounds the compound it is held over; 0: the demo resident's compound.
	maxHouseholds int64
	reason        string // why it was cancelled, four days after opening
}

var demoVotes = []votePlan{
	{
		in: model.VoteInput{Title: "是否同意本小区加装电梯", Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Description: "拟利用既有住宅加装电梯补助政策，在本小区各单元加装电梯。建设费用由财政补助和各户按楼层分摊，分摊方案已在各单元门口公示。" +
				"一户一票，须三分之二以上住户参与表决、参与表决住户的三分之二以上同意方为通过。",
			Quorum: model.Quorum{Num: 2, Den: 3}, Threshold: model.ThresholdTwoThirds},
		status: model.VoteClosed, opened: 75, days: 14, turnout: [2]float64{0.72, 0.85}, weights: []float64{0.8, 0.13, 0.07}, maxHouseholds: 200,
	},
	{
		in: model.VoteInput{Title: "小区停车位划线方案", Rule: model.RuleHousehold, Kind: model.VoteSingle,
			Description: "小区内乱停车堵塞消防通道的问题突出，业委会和物业提出三个方案，请每户选择一个。",
			Options:     []string{"方案一：主干道单侧划线，约 40 个车位", "方案二：绿地边缘改建生态停车位，约 65 个车位", "方案三：维持现状，由物业疏导临时停车"},
			Quorum:      model.Quorum{Num: 1, Den: 2}, Threshold: model.ThresholdMajority},
		status: model.VoteClosed, opened: 45, days: 10, turnout: [2]float64{0.6, 0.8}, weights: []float64{0.25, 0.6, 0.15}, maxHouseholds: 400,
	},
	{
		in: model.VoteInput{Title: "活动室开放时间", Rule: model.RuleResident, Kind: model.VoteMultiple, MaxChoices: 2,
			Description: "小区活动室由志愿者轮流值守，每周开放时间有限，请选择您最方便的时段（最多两项）。",
			Options:     []string{"工作日上午 8:30—11:30", "工作日下午 14:30—17:30", "工作日晚上 19:00—21:00", "周末全天"},
			Threshold:   model.ThresholdMajority},
		status: model.VoteClosed, opened: 30, days: 7, turnout: [2]float64{0.6, 0.75}, weights: []float64{0.25, 0.15, 0.75, 0.55}, maxHouseholds: 150,
	},
	{
		in: model.VoteInput{Title: "小区公共收益使用方案", Rule: model.RuleHousehold, Kind: model.VoteSingle,
			Description: "去年小区广告位和临时停车的公共收益已在公示栏公示，请每户选择今年的使用方向。",
			Options:     []string{"楼道照明和监控改造", "绿化补植和健身器材更新", "抵扣下一年度物业费"},
			Quorum:      model.Quorum{Num: 1, Den: 2}, Threshold: model.ThresholdMajority},
		status: model.VoteOpen, opened: 3, days: 10, turnout: [2]float64{0.25, 0.4}, weights: []float64{0.45, 0.3, 0.25},
	},
	{
		in: model.VoteInput{Title: "是否同意增设电动自行车集中充电棚", Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Description: "为消除电动自行车进楼入户充电的火灾隐患，拟在小区北侧空地增设集中充电棚，按次收费。",
			Quorum:      model.Quorum{Num: 1, Den: 2}, Threshold: model.ThresholdMajority},
		status: model.VoteOpen, opened: 2, days: 7, turnout: [2]float64{0.15, 0.3}, weights: []float64{0.7, 0.2, 0.1},
	},
	{
		in: model.VoteInput{Title: "是否同意小区南门改为人车分流", Rule: model.RuleHousehold, Kind: model.VoteYesNo,
			Description: "拟将南门改为车行道和人行道分开进出，车辆出入安装道闸。",
			Quorum:      model.Quorum{Num: 1, Den: 2}, Threshold: model.ThresholdMajority},
		status: model.VoteCancelled, opened: 20, days: 14, turnout: [2]float64{0.1, 0.2}, weights: []float64{0.6, 0.3, 0.1}, maxHouseholds: 400,
		reason: "街道已将南门改造纳入老旧小区改造项目统一设计施工，本次表决取消，改造方案公示后另行征求意见",
	},
}

// Votes holds the votes of demoVotes in community (see the file comment), opened, closed and
// cancelled by the staff scope by (a staff account, so that its proxy ballots are recorded as
// such). own is the demo resident's household (0: none), whose compound holds the open votes;
// the households in keep (the demo accounts') cast no ballot in them. It is deterministic for
// the seed and today (a date); a community that has votes already gets nothing more.
func Votes(ctx context.Context, st *store.Store, by authz.Scope, community, own int64, keep []int64, seed int64, today time.Time) (VotesResult, error) {
	var res VotesResult
	sys := authz.System()
	p, err := st.Votes(ctx, sys, store.VoteFilter{Limit: store.MaxLimit})
	if err != nil {
		return res, err
	}
	for _, v := range p.Items {
		if v.CommunityID == community {
			return res, nil
		}
	}
	cp, err := st.Territories(ctx, sys, store.TerritoryFilter{Under: community, Kind: model.KindCompound, Limit: store.MaxLimit})
	if err != nil {
		return res, err
	}
	var compounds []*model.Territory
	for _, c := range cp.Items {
		if c.Households > 0 {
			compounds = append(compounds, c)
		}
	}
	if len(compounds) == 0 {
		return res, nil
	}
	var ownCompound *model.Territory
	if own != 0 {
		h, err := st.Household(ctx, sys, own)
		if err != nil {
			return res, err
		}
		for _, c := range compounds {
			if strings.HasPrefix(h.Path, c.Path) {
				ownCompound = c
			}
		}
	}
	rng := seedFor(seed, fmt.Sprintf("votes-%d", community))
	y, m, d := today.Date()
	day0 := time.Date(y, m, d, 9, 0, 0, 0, model.Shanghai)
	for _, plan := range demoVotes {
		over := ownCompound
		if plan.maxHouseholds > 0 || over == nil {
			over = pickCompound(rng, compounds, cmp.Or(plan.maxHouseholds, 400))
		}
		held, err := holdVote(ctx, st, by, plan, over.ID, day0, keep, rng)
		if err != nil {
			return res, fmt.Errorf("vote %s over %s: %w", plan.in.Title, over.Name, err)
		}
		res.add(held)
	}
	return res, nil
}

func (r *VotesResult) add(o VotesResult) {
	r.Closed += o.Closed
	r.Open += o.Open
	r.Cancelled += o.Cancelled
	r.Ballots += o.Ballots
	r.Proxy += o.Proxy
}

// pickCompound draws one of compounds with 10 to most households, or, when none has, the
// smallest.
func pickCompound(rng *rand.Rand, compounds []*model.Territory, most int64) *model.Territory {
	var fit []*model.Territory
	for _, c := range compounds {
		if c.Households >= 10 && c.Households <= most {
			fit = append(fit, c)
		}
	}
	if len(fit) == 0 {
		return slices.MinFunc(compounds, func(a, b *model.Territory) int { return cmp.Compare(a.Households, b.Households) })
	}
	return fit[rng.IntN(len(fit))]
}

// holdVote opens plan's vote over territory at its time before day0, has its share of the
// roll vote (spread over the voting days, or for an open vote over the days until yesterday,
// or for a cancelled one over the four days until its cancelling; the households in keep not
// at all in an open one), and closes or cancels it.
func holdVote(ctx context.Context, st *store.Store, by authz.Scope, plan votePlan, territory int64, day0 time.Time, keep []int64, rng *rand.Rand) (VotesResult, error) {
	var res VotesResult
	opens := day0.AddDate(0, 0, -plan.opened)
	closes := opens.AddDate(0, 0, plan.days).Add(9 * time.Hour)
	clock := opens
	at := st.AsOf(func() time.Time { return clock })
	in := plan.in
	in.Options = slices.Clone(in.Options)
	in.TerritoryID, in.ClosesAt = territory, closes
	v, err := at.OpenVote(ctx, by, in)
	if err != nil {
		return res, err
	}
	rp, err := at.VoteRoll(ctx, by, v.ID, store.VoteRollFilter{Limit: store.MaxLimit})
	if err != nil {
		return res, err
	}
	roll := rp.Items
	if plan.status == model.VoteOpen {
		roll = slices.DeleteFunc(roll, func(e store.VoteRollEntry) bool { return slices.Contains(keep, e.HouseholdID) })
	}
	rng.Shuffle(len(roll), func(i, j int) { roll[i], roll[j] = roll[j], roll[i] })
	turnout := plan.turnout[0] + (plan.turnout[1]-plan.turnout[0])*rng.Float64()
	voters := roll[:min(len(roll), int(math.Round(turnout*float64(v.Eligible))))]
	span := closes.Sub(opens)
	switch plan.status {
	case model.VoteOpen:
		span = day0.AddDate(0, 0, -1).Sub(opens)
	case model.VoteCancelled:
		span = 4 * 24 * time.Hour
	}
	for i, e := range voters {
		clock = opens.Add(span * time.Duration(i+1) / time.Duration(len(voters)+1))
		choices := drawChoices(rng, v, plan.weights)
		if rng.Float64() < 0.12 {
			_, err = at.ProxyBallot(ctx, by, v.ID, e.VoterID, choices)
			res.Proxy++
		} else {
			err = at.CastDemoBallot(ctx, v.ID, e.VoterID, choices)
		}
		if err != nil {
			return res, fmt.Errorf("ballot of %s: %w", e.Name, err)
		}
		res.Ballots++
	}
	switch plan.status {
	case model.VoteClosed:
		clock = closes
		_, err = at.CloseVote(ctx, by, v.ID)
		res.Closed++
	case model.VoteCancelled:
		clock = opens.Add(span)
		_, err = at.CancelVote(ctx, by, v.ID, plan.reason)
		res.Cancelled++
	default:
		res.Open++
	}
	return res, err
}

// drawChoices draws a ballot of v by weights (one per option): one option, or for a vote of
// several choices one to MaxChoices of them without repeats.
func drawChoices(rng *rand.Rand, v *model.Vote, weights []float64) []int64 {
	n := 1
	if v.Kind == model.VoteMultiple {
		n = 1 + rng.IntN(v.MaxChoices)
	}
	w := slices.Clone(weights)
	var out []int64
	for range n {
		sum := 0.0
		for _, x := range w {
			sum += x
		}
		x, pick := rng.Float64()*sum, -1
		for i := range w {
			if w[i] > 0 {
				pick, x = i, x-w[i]
				if x < 0 {
					break
				}
			}
		}
		out = append(out, v.Options[pick].ID)
		w[pick] = 0
	}
	return out
}
