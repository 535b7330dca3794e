package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"slices"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's small-project budgeting (民生微实事, issue 11 item 5). A community given to Budget
// gets last year's round, decided: proposals of the demo resident and member accounts and of
// staff, reviewed (two infeasible, with their reason), voted on by part of the roll, the
// winners chosen within the budget and carried out with milestones (some done, one project
// complete) and a generated photo each; and this year's round in voting, closing a week ahead,
// with ballots from part of the roll but none from the demo accounts' households, so that a
// resident who logs in has a round to vote on. BudgetProposing gives another community a round
// still collecting. As the votes do, every step runs on a view of the store whose clock reads
// the time the step took place (store.AsOf). A community that has rounds gets nothing more.

// BudgetResult counts what Budget did.
type BudgetResult struct {
	Rounds, Proposals, Ballots, Winners int
}

// demoProposal is a proposal of the demo: its title and why; cost in yuan ("" for an
// infeasible one, note then its reason).
type demoProposal struct {
	title, text, cost, note string
}

var demoBudgetLastYear = []demoProposal{
	{"3栋、5栋门口加装休息座椅", "小区老人多，从菜市场回来走到楼下要歇一歇，门口没有能坐的地方。", "6800", "采购户外防腐木座椅 8 张，含安装"},
	{"小区主干道路灯更换为节能灯", "主干道 12 盏路灯有 5 盏不亮，晚上散步看不清路。", "15600", "更换 LED 路灯 12 盏"},
	{"快递柜加装雨棚", "下雨天取快递要淋雨，快递柜屏幕也常被淋坏。", "9200", "钢结构雨棚一座"},
	{"儿童游乐场铺设塑胶地面", "游乐场是水泥地，孩子摔倒容易受伤。", "23800", "EPDM 塑胶地面约 120 平方米"},
	{"楼道墙面翻新", "1—4 栋楼道墙皮脱落、小广告多。", "31500", "四栋楼道刮腻子、刷漆"},
	{"屋顶加建空中花园", "想在楼顶种花种菜，大家一起打理。", "", "楼顶承重和防水不满足要求，存在安全隐患"},
	{"小区门口修建地下停车场", "停车难，想建地下车库。", "", "费用远超民生微实事额度，需另行立项"},
}

var demoBudgetThisYear = []demoProposal{
	{"垃圾分类亭加装洗手池", "扔完垃圾没地方洗手，夏天味道大。", "7300", "洗手池 4 处，接市政供水"},
	{"单元门加装助力拉手", "单元门太沉，老人和孩子推不开。", "4600", "不锈钢助力拉手 24 个"},
	{"小广场增设健身器材", "现有器材只有三件，还坏了一件。", "18900", "健身器材 6 件，含基础施工"},
	{"楼道安装声控灯", "夜里回家楼道漆黑。", "8800", "声控 LED 灯 60 盏"},
	{"电动车集中充电棚", "电动车飞线充电有火灾隐患。", "27500", "充电棚一座，充电口 40 个"},
}

// Budget gives community its two rounds (see the file comment) by staff by; the households
// in keep (the demo accounts') cast no ballot in this year's voting. proposers are the accounts
// that propose (the demo resident and member; staff by when none). Deterministic for the seed
// and today (a date).
func Budget(ctx context.Context, st *store.Store, by authz.Scope, community int64, proposers []authz.Scope, keep []int64, seed int64, today time.Time) (BudgetResult, error) {
	var res BudgetResult
	if has, err := hasRounds(ctx, st, community); err != nil || has {
		return res, err
	}
	rng := seedFor(seed, fmt.Sprintf("budget-%d", community))
	y, m, d := today.Date()
	day0 := time.Date(y, m, d, 9, 0, 0, 0, model.Shanghai)
	last := time.Date(y-1, 3, 1, 9, 0, 0, 0, model.Shanghai)
	if err := budgetRound(ctx, st, by, community, proposers, nil, rng, demoBudgetLastYear, y-1, "80000", last, last.AddDate(0, 1, 0), 14, true, &res); err != nil {
		return res, fmt.Errorf("last year's round: %w", err)
	}
	if err := budgetRound(ctx, st, by, community, proposers, keep, rng, demoBudgetThisYear, y, "50000", day0.AddDate(0, 0, -21), day0.AddDate(0, 0, -3), 10, false, &res); err != nil {
		return res, fmt.Errorf("this year's round: %w", err)
	}
	return res, nil
}

// BudgetProposing gives community a round of this year still collecting proposals, with two
// proposals of staff by; nothing when it has rounds.
func BudgetProposing(ctx context.Context, st *store.Store, by authz.Scope, community int64, today time.Time) error {
	if has, err := hasRounds(ctx, st, community); err != nil || has {
		return err
	}
	at := st.AsOf(func() time.Time { return today.Add(-5 * 24 * time.Hour) })
	r, err := at.CreateBudgetRound(ctx, by, model.BudgetRoundInput{CommunityID: community, Title: fmt.Sprintf("%d 年度民生微实事", today.Year()),
		Year: today.Year(), Budget: "40000", Rule: model.RuleResident})
	if err != nil {
		return err
	}
	for _, p := range demoBudgetThisYear[:2] {
		if _, err := at.ProposeSmallProject(ctx, by, model.SmallProjectInput{RoundID: r.ID, Title: p.title, Description: p.text}); err != nil {
			return err
		}
	}
	return nil
}

func hasRounds(ctx context.Context, st *store.Store, community int64) (bool, error) {
	p, err := st.BudgetRounds(ctx, authz.System(), store.BudgetRoundFilter{Limit: store.MaxLimit})
	if err != nil {
		return false, err
	}
	for _, r := range p.Items {
		if r.CommunityID == community {
			return true, nil
		}
	}
	return false, nil
}

// budgetRound holds one round: created at start, proposals over the next days, reviews, the
// voting opened at opened for days (closing at 18:00); decided rounds are closed and carried
// out.
func budgetRound(ctx context.Context, st *store.Store, by authz.Scope, community int64, proposers []authz.Scope, keep []int64, rng *rand.Rand,
	plan []demoProposal, year int, budget string, start, opened time.Time, days int, decide bool, res *BudgetResult) error {
	clock := start
	at := st.AsOf(func() time.Time { return clock })
	r, err := at.CreateBudgetRound(ctx, by, model.BudgetRoundInput{CommunityID: community, Title: fmt.Sprintf("%d 年度民生微实事", year), Year: year,
		Budget: budget, Rule: model.RuleHousehold})
	if err != nil {
		return err
	}
	res.Rounds++
	if len(proposers) == 0 {
		proposers = []authz.Scope{by}
	}
	var ids []int64
	made := map[int]int{} // proposals by proposer
	for i, p := range plan {
		clock = start.Add(time.Duration(i+1) * 26 * time.Hour)
		k := i % len(proposers)
		sc := proposers[k]
		if i == len(plan)-1 || made[k] >= model.ProposalsPerProposer {
			sc = by // one of staff's own, and any past an account's cap
		} else {
			made[k]++
		}
		x, err := at.ProposeSmallProject(ctx, sc, model.SmallProjectInput{RoundID: r.ID, Title: p.title, Description: p.text})
		if err != nil {
			return fmt.Errorf("propose %s: %w", p.title, err)
		}
		ids = append(ids, x.ID)
		res.Proposals++
	}
	clock = opened.Add(-24 * time.Hour)
	for i, p := range plan {
		in := model.ReviewInput{Feasible: p.cost != "", Cost: p.cost, Note: p.note}
		if _, err := at.ReviewSmallProject(ctx, by, ids[i], in); err != nil {
			return fmt.Errorf("review %s: %w", p.title, err)
		}
	}
	clock = opened
	closes := time.Date(opened.Year(), opened.Month(), opened.Day(), 18, 0, 0, 0, model.Shanghai).AddDate(0, 0, days)
	r, err = at.OpenBudgetVoting(ctx, by, r.ID, store.BudgetVotingInput{ClosesAt: closes})
	if err != nil {
		return err
	}
	rp, err := at.VoteRoll(ctx, authz.System(), r.VoteID, store.VoteRollFilter{Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	roll := rp.Items
	roll = slices.DeleteFunc(roll, func(e store.VoteRollEntry) bool { return slices.Contains(keep, e.HouseholdID) })
	v, err := at.Vote(ctx, authz.System(), r.VoteID)
	if err != nil {
		return err
	}
	// Every option has a popularity; a voter ticks each with that chance (at least one).
	weights := make([]float64, len(v.Options))
	for i := range weights {
		weights[i] = 0.15 + 0.7*rng.Float64()
	}
	share := 0.55 + 0.2*rng.Float64()
	if !decide {
		share = 0.3
	}
	n := int(share * float64(len(roll)))
	for i, e := range roll[:n] {
		clock = opened.Add(time.Duration(i+1) * time.Duration(days) * 20 * time.Hour / time.Duration(n+1))
		var choices []int64
		for k, o := range v.Options {
			if rng.Float64() < weights[k] {
				choices = append(choices, o.ID)
			}
		}
		if len(choices) == 0 {
			choices = []int64{v.Options[rng.IntN(len(v.Options))].ID}
		}
		if err := at.CastDemoBallot(ctx, v.ID, e.VoterID, choices); err != nil {
			return err
		}
		res.Ballots++
	}
	if !decide {
		return nil
	}
	clock = closes.Add(time.Hour)
	if _, err := at.CloseVote(ctx, by, v.ID); err != nil {
		return err
	}
	won, err := at.SmallProjects(ctx, by, store.SmallProjectFilter{Round: r.ID, Status: model.SmallWon})
	if err != nil {
		return err
	}
	for i, x := range won.Items {
		res.Winners++
		begun := closes.AddDate(0, 0, 10+7*i)
		clock = begun
		steps := []string{"确定施工单位", "材料进场", "施工完成", "验收公示"}
		for k, s := range steps {
			if _, err := at.AddSmallProjectMilestone(ctx, by, x.ID, model.MilestoneInput{Title: s, DueOn: begun.AddDate(0, 0, 20*(k+1)).Format(time.DateOnly)}); err != nil {
				return err
			}
		}
		if _, err := at.TransitionSmallProject(ctx, by, x.ID, model.SmallStart); err != nil {
			return err
		}
		p, err := at.SmallProject(ctx, by, x.ID)
		if err != nil {
			return err
		}
		done := len(steps) - i // the first project all done, the next fewer
		for k, m := range p.Milestones {
			if k >= done {
				break
			}
			clock = begun.AddDate(0, 0, 18*(k+1))
			if _, err := at.TickSmallProjectMilestone(ctx, by, x.ID, m.ID); err != nil {
				return err
			}
		}
		if _, err := at.AddSmallProjectPhotos(ctx, by, x.ID, [][]byte{demoPhoto(rng)}); err != nil {
			return err
		}
		if done >= len(steps) {
			if _, err := at.TransitionSmallProject(ctx, by, x.ID, model.SmallComplete); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoPhoto is a small generated picture (sky, a lawn, a bench), 320×240, as a JPEG.
func demoPhoto(rng *rand.Rand) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	shade := func(base uint8) uint8 { return base + byte(rng.UintN(40)) } // #nosec G115 -- below 40
	sky := color.RGBA{R: shade(150), G: shade(190), B: 235, A: 255}
	grass := color.RGBA{R: 90, G: shade(150), B: 80, A: 255}
	wood := color.RGBA{R: 150, G: 100, B: 60, A: 255}
	for y := range 240 {
		for x := range 320 {
			c := sky
			switch {
			case y > 150:
				c = grass
			case y > 120 && y < 135 && x > 90 && x < 230, y >= 135 && y <= 150 && (x > 100 && x < 110 || x > 210 && x < 220):
				c = wood
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}
