package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo community's volunteer service (issue 10): its default categories, up to 24 of its
// party members registered as takers with skills, and DemoOrders orders of the last 60 days in
// every state — open ones of the last day waiting for a taker, some waiting for a dispatcher or
// escalated to the community, some in service, done and waiting for a rating, rated (mostly
// four or five stars, a few low ones with a comment), closed, cancelled, one in ten placed by
// staff for a resident without a smartphone, a few reopened because the resident was not
// satisfied. Every step goes through the store's order functions at the time it took place
// (store.AsOf), so the history, the takers' load and hours, the members' points and the time
// bank are what the live system would have kept. The household given (the demo resident's)
// has orders of its own: one open, one done to rate, one rated.

// DemoOrders is how many orders the demo community gets.
const DemoOrders = 300

var orderTexts = map[string][]string{
	"代办跑腿": {"帮忙去药房取降压药", "代缴这个月的水电费", "帮忙取快递，腿脚不便", "代买米和食用油"},
	"家电维修": {"厨房水龙头一直滴水", "洗衣机不排水", "客厅灯不亮了，换灯泡够不着", "燃气灶打不着火"},
	"陪伴老人": {"周末陪老人聊聊天、散散步", "陪同去医院复查", "帮老人读报、整理药盒", "陪老人去银行办业务"},
	"课业辅导": {"孩子初二数学需要辅导", "小学生作文指导", "帮孩子检查英语作业", "高一物理补习"},
	"法律咨询": {"房屋租赁合同纠纷想咨询", "赡养费问题咨询", "邻里噪音怎么协商", "工伤认定需要哪些材料"},
	"健康咨询": {"想了解慢病用药注意事项", "老人血压偏高怎么调理", "产后康复咨询", "家庭急救常识"},
	"环境清洁": {"楼道堆放杂物需要清理", "单元门口垃圾桶满了", "帮独居老人打扫卫生", "清理阳台积水"},
	"其他":   {"帮忙填写养老保险认证", "手机上怎么挂号请教", "帮忙搬一下旧家具", "想学用智能手机视频通话"},
}

var takerSkills = []string{"水电维修", "家电维修", "跑腿代办", "陪伴聊天", "数学辅导", "法律咨询", "健康咨询", "手机教学", "搬运", "理发"}

var lowComments = []string{"来得有点晚", "没修好，还在漏", "态度还可以，效率一般"}
var goodComments = []string{"很及时，谢谢！", "小伙子很耐心", "修得很好", "党员就是不一样", "下次还找你们", ""}

// OrdersResult counts what Orders did.
type OrdersResult struct {
	Orders, Takers int
}

// Orders builds the volunteer service of community (see the file comment); own is the demo
// resident's household (0: none). A community that has orders already gets nothing more.
func Orders(ctx context.Context, st *store.Store, community, own int64, seed int64, today time.Time) (OrdersResult, error) {
	var res OrdersResult
	sys := authz.System()
	if p, err := st.Orders(ctx, sys, store.OrderFilter{Under: community, Limit: 1}); err != nil || p.Total > 0 {
		return res, err
	}
	cats, err := st.OrderCategories(ctx, sys, community)
	if err != nil {
		return res, err
	}
	takers, err := st.DemoTakers(ctx, community, 24, func(i int) string {
		return takerSkills[i%len(takerSkills)] + "、" + takerSkills[(i*3+1)%len(takerSkills)]
	})
	if err != nil {
		return res, err
	}
	res.Takers = len(takers)
	hp, err := st.Households(ctx, sys, store.HouseholdFilter{Under: community, Limit: store.MaxLimit})
	if err != nil || len(hp.Items) == 0 || len(cats) == 0 {
		return res, err
	}
	var households []*model.Household
	for _, h := range hp.Items {
		if h.HeadName != "" && h.ID != own {
			households = append(households, h)
		}
	}
	if len(households) == 0 {
		return res, nil
	}
	r := seedFor(seed, fmt.Sprintf("orders-%d", community))
	now := today
	var clock time.Time
	at := st.AsOf(func() time.Time { return clock })
	// The states, one per order in turn: (what the last step is, share in 20).
	plan := []string{"open", "open", "placed", "escalated", "dispatched", "taken", "taken", "done", "done", "done",
		"rated", "rated", "rated", "rated", "rated", "closed", "closed", "closed", "cancelled", "reopened"}
	for i := range DemoOrders {
		h := households[r.IntN(len(households))]
		state := plan[i%len(plan)]
		if len(takers) == 0 && state != "open" && state != "placed" && state != "cancelled" {
			state = "placed"
		}
		if err := demoOrder(ctx, at, &clock, r, cats, takers, h.ID, h.HeadName, state, i%10 == 3, now); err != nil {
			return res, fmt.Errorf("order %d (%s): %w", i, state, err)
		}
		res.Orders++
	}
	if own != 0 && len(takers) > 0 {
		h, err := st.Household(ctx, sys, own)
		if err != nil {
			return res, err
		}
		for _, state := range []string{"rated", "done", "open"} {
			if err := demoOrder(ctx, at, &clock, r, cats, takers, own, h.HeadName, state, false, now); err != nil {
				return res, fmt.Errorf("the demo resident's order (%s): %w", state, err)
			}
			res.Orders++
		}
	}
	return res, nil
}

// demoOrder places one order of household and takes it to state, each step at its time.
func demoOrder(ctx context.Context, st *store.Store, clock *time.Time, r *rand.Rand, cats []*model.OrderCategory, takers []*model.OrderTaker,
	household int64, head, state string, onBehalf bool, now time.Time) error {
	cat := cats[r.IntN(len(cats))]
	texts := orderTexts[cat.Name]
	if len(texts) == 0 {
		texts = orderTexts["其他"]
	}
	// How long ago it was placed: recent for the states that wait, weeks back for the rest.
	var back time.Duration
	switch state {
	case "open", "placed", "dispatched":
		back = time.Duration(1+r.IntN(18)) * time.Hour
	case "escalated":
		back = time.Duration(26+r.IntN(40)) * time.Hour
	case "taken":
		back = time.Duration(4+r.IntN(40)) * time.Hour
	case "done":
		back = time.Duration(30+r.IntN(60)) * time.Hour
	default:
		back = time.Duration(4+r.IntN(56)) * 24 * time.Hour
	}
	*clock = now.Add(-back)
	step := func(d time.Duration) {
		*clock = clock.Add(d)
		if clock.After(now) {
			*clock = now.Add(-time.Minute)
		}
	}
	placedBy := head
	if onBehalf {
		placedBy = "社区工作人员"
	}
	id, err := st.PlaceDemoOrder(ctx, household, model.OrderInput{CategoryID: cat.ID, Description: texts[r.IntN(len(texts))],
		PreferredTime: []string{"尽快", "今天下午", "周六上午", "工作日晚上"}[r.IntN(4)]}, placedBy, onBehalf)
	if err != nil {
		return err
	}
	o, err := st.Order(ctx, authz.System(), id)
	if err != nil {
		return err
	}
	var taker *model.OrderTaker
	if len(takers) > 0 {
		taker = takers[r.IntN(len(takers))]
	}
	dispatcher := func(a model.OrderAction, in model.OrderTransitionInput) error {
		in.Action = a
		return st.StepDemoOrder(ctx, id, 0, 0, "网格员", in)
	}
	asTaker := func(a model.OrderAction, in model.OrderTransitionInput) error {
		in.Action = a
		return st.StepDemoOrder(ctx, id, 0, taker.ID, taker.Name, in)
	}
	asHousehold := func(a model.OrderAction, in model.OrderTransitionInput) error {
		in.Action = a
		return st.StepDemoOrder(ctx, id, household, 0, head, in)
	}
	// Into the pool (or straight to a taker) first.
	open := func() error {
		cur, err := st.Order(ctx, authz.System(), id)
		if err != nil || cur.Status == model.OrderOpen {
			return err
		}
		step(time.Duration(10+r.IntN(50)) * time.Minute)
		return dispatcher(model.ActOpen, model.OrderTransitionInput{})
	}
	take := func() error {
		step(time.Duration(20+r.IntN(300)) * time.Minute)
		if r.IntN(4) == 0 {
			if err := dispatcher(model.ActDispatch, model.OrderTransitionInput{TakerID: taker.ID}); err != nil {
				return err
			}
			step(time.Duration(10+r.IntN(60)) * time.Minute)
			return asTaker(model.ActAccept, model.OrderTransitionInput{})
		}
		if err := open(); err != nil {
			return err
		}
		return asTaker(model.ActClaim, model.OrderTransitionInput{})
	}
	done := func() error {
		step(time.Duration(1+r.IntN(30)) * time.Hour)
		return asTaker(model.ActDone, model.OrderTransitionInput{Hours: float64(1+r.IntN(6)) / 2})
	}
	rate := func() error {
		step(time.Duration(1+r.IntN(20)) * time.Hour)
		stars := []int{5, 5, 5, 4, 4, 3}[r.IntN(6)]
		comment := goodComments[r.IntN(len(goodComments))]
		if r.IntN(15) == 0 {
			stars, comment = 2, lowComments[r.IntN(len(lowComments))]
		}
		return asHousehold(model.ActRate, model.OrderTransitionInput{Stars: stars, Comment: comment})
	}
	switch state {
	case "open":
		return open()
	case "placed":
		if o.Status != model.OrderPlaced && taker != nil {
			// Dispatched, and given back by its taker: waiting for a dispatcher again.
			step(30 * time.Minute)
			if err := dispatcher(model.ActDispatch, model.OrderTransitionInput{TakerID: taker.ID}); err != nil {
				return err
			}
			step(time.Duration(20+r.IntN(60)) * time.Minute)
			return asTaker(model.ActDecline, model.OrderTransitionInput{Reason: "这几天出差，接不了"})
		}
		return nil
	case "escalated":
		step(24 * time.Hour)
		return dispatcher(model.ActEscalate, model.OrderTransitionInput{Reason: "超过时限"})
	case "dispatched":
		step(30 * time.Minute)
		return dispatcher(model.ActDispatch, model.OrderTransitionInput{TakerID: taker.ID})
	case "cancelled":
		step(time.Duration(1+r.IntN(5)) * time.Hour)
		return asHousehold(model.ActCancel, model.OrderTransitionInput{Reason: "问题已经自己解决了"})
	}
	if err := take(); err != nil {
		return err
	}
	if state == "taken" {
		return nil
	}
	if err := done(); err != nil {
		return err
	}
	if state == "reopened" {
		step(time.Duration(2+r.IntN(10)) * time.Hour)
		if err := asHousehold(model.ActReopen, model.OrderTransitionInput{Reason: "问题没有解决，又坏了"}); err != nil {
			return err
		}
		if err := take(); err != nil {
			return err
		}
		if err := done(); err != nil {
			return err
		}
		return rate()
	}
	if state == "done" {
		return nil
	}
	if err := rate(); err != nil {
		return err
	}
	if state == "closed" {
		step(24 * time.Hour)
		return dispatcher(model.ActClose, model.OrderTransitionInput{})
	}
	return nil
}
