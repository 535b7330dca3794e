package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's topics of compound affairs (议题, issue 11 item 1) around one stairwell: a
// handful raised by its residents, unit leader and the community's staff over the stairwell's
// building, compound, grid and community, with replies; one reply hidden by staff with a
// reason; one topic turned into a vote over its building. Everything goes through the store as
// the accounts given, so authors and the audit log name them.

// TopicAccounts are who speak in the demo's topics; a zero Scope stands aside (its lines are
// skipped).
type TopicAccounts struct {
	Staff     authz.Scope // the community's staff: a topic, replies, the hiding, the proposal
	Resident  authz.Scope // linked to a household of the stairwell
	Neighbour authz.Scope // another household's account of the same stairwell (the member)
	Leader    authz.Scope // the unit leader, linked to a household of it
}

type demoReply struct {
	who  string // staff, resident, neighbour, leader
	body string
	hide string // a reason: staff hide the reply
}

type demoTopic struct {
	who   string
	level model.TerritoryKind // the ancestor of the stairwell it is raised over
	title string
	body  string
	reply []demoReply
	vote  bool // staff propose it to a vote
}

var demoTopics = []demoTopic{
	{who: "resident", level: model.KindCompound, title: "小区东门路灯晚上不亮，能否尽快修复？",
		body: "东门进来到3栋这一段路灯坏了快两周，晚上老人孩子走路看不清，电动车也多，希望物业和社区协调修一下。",
		reply: []demoReply{
			{who: "neighbour", body: "同感，上周我家老人在那里差点绊倒。"},
			{who: "staff", body: "已联系物业，本周五前更换灯具，修好后在这里告诉大家。"},
		}},
	{who: "leader", level: model.KindBuilding, title: "本栋加装电梯，大家意见如何？",
		body: "楼里老人越来越多，爬楼困难。按政策加装电梯可申请补贴，费用按楼层分摊。先听听各家的意见，再由社区组织投票。",
		reply: []demoReply{
			{who: "resident", body: "支持，我家住五楼，老人上下楼太难了。"},
			{who: "neighbour", body: "一楼也理解，但希望施工时注意采光和噪音，费用分摊要公开。"},
			{who: "neighbour", body: "有意见可以直接打我电话 139****，我是物业的亲戚可以帮忙走关系。", hide: "含有联系方式和不实承诺，已隐藏"},
		},
		vote: true},
	{who: "staff", level: model.KindGrid, title: "网格垃圾分类投放点位调整征求意见",
		body: "拟将2栋旁的投放点移到小区北侧空地，早7点至9点、晚6点至8点定时投放。请大家说说方便不方便。",
		reply: []demoReply{
			{who: "resident", body: "北侧离我们楼远了点，能否保留一个可回收物的桶？"},
			{who: "leader", body: "我们单元可以轮流在投放时段帮老人把垃圾带下去。"},
		}},
	{who: "neighbour", level: model.KindCommunity, title: "建议在社区广场增设老年人健身器材",
		body: "广场现有器材大多是给孩子的，老人锻炼的地方少。建议增设几件适合老年人的器材，并在旁边放几张长椅。"},
}

// Topics raises the demo's topics around stairwell stair as the accounts given and returns
// how many it raised; a community with topics already gets none (a second run adds nothing).
func Topics(ctx context.Context, st *store.Store, stair *model.Territory, as TopicAccounts, now time.Time) (int, error) {
	sys := authz.System()
	levels := map[model.TerritoryKind]int64{model.KindStairwell: stair.ID}
	for _, id := range model.PathIDs(stair.Path) {
		t, err := st.Territory(ctx, sys, id)
		if err != nil {
			return 0, err
		}
		levels[t.Kind] = t.ID
	}
	if c := levels[model.KindCommunity]; c != 0 {
		p, err := st.Topics(ctx, sys, store.TopicFilter{Territory: c, Limit: 1})
		if err != nil {
			return 0, err
		}
		if p.Total > 0 {
			return 0, nil
		}
	}
	who := map[string]authz.Scope{"staff": as.Staff, "resident": as.Resident, "neighbour": as.Neighbour, "leader": as.Leader}
	n := 0
	for _, d := range demoTopics {
		sc, node := who[d.who], levels[d.level]
		if sc.Role == "" || node == 0 {
			continue
		}
		in := model.TopicInput{TerritoryID: node, Title: d.title, Body: d.body}
		t, err := st.RaiseTopic(ctx, sc, in)
		var ve *model.ValidationError
		if errors.As(err, &ve) && as.Staff.Role != "" {
			// The account's household lies elsewhere (a demo run on another city): staff raise it.
			t, err = st.RaiseTopic(ctx, as.Staff, in)
		}
		if err != nil {
			return n, fmt.Errorf("topic %s: %w", d.title, err)
		}
		n++
		for _, r := range d.reply {
			rsc := who[r.who]
			if rsc.Role == "" {
				continue
			}
			rp, err := st.ReplyTopic(ctx, rsc, t.ID, r.body)
			if errors.Is(err, model.ErrNotFound) {
				continue // the account's household lies outside the topic's territory in this city
			}
			if err != nil {
				return n, fmt.Errorf("reply to %s: %w", d.title, err)
			}
			if r.hide != "" && as.Staff.Role != "" {
				if _, err := st.HideTopicReply(ctx, as.Staff, rp.ID, r.hide); err != nil {
					return n, fmt.Errorf("hide a reply to %s: %w", d.title, err)
				}
			}
		}
		if d.vote && as.Staff.Role != "" {
			y, m, day := now.In(model.Shanghai).AddDate(0, 0, 10).Date()
			_, err := st.ProposeTopic(ctx, as.Staff, t.ID, model.VoteInput{Title: "是否同意本栋加装电梯", Rule: model.RuleHousehold, Kind: model.VoteYesNo,
				Quorum: model.Quorum{Num: 2, Den: 3}, Threshold: model.ThresholdTwoThirds, ClosesAt: time.Date(y, m, day, 20, 0, 0, 0, model.Shanghai)})
			if err != nil {
				return n, fmt.Errorf("propose %s: %w", d.title, err)
			}
		}
	}
	return n, nil
}
