package demo

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
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
// (store.AsOf), all orders' steps in one time order (runSteps), so the history, the takers'
// load and hours, the members' points and the time bank are what the live system would have
// kept, numbered as it would have numbered them. The household given (the demo resident's)
// has orders of its own: one open, one done to rate, one rated. Then the time bank
// (demoTimebank): the takers who banked the most give some of their hours to households of
// elderly people living alone, the demo resident's first, and some of those spend part of what
// they received on an order of theirs waiting for a taker.

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

// OrdersResult counts what Orders did: the orders placed, the takers registered, and the time
// bank's gifts (of Given minutes in all) and spends (of Spent minutes).
type OrdersResult struct {
	Orders, Takers int
	Gifts, Given   int
	Spends, Spent  int
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
	// The orders' steps end before the last hour, which is the time bank's (demoTimebank).
	historyUntil := now.Add(-65 * time.Minute)
	var steps []demoStep
	for i := range DemoOrders {
		h := households[r.IntN(len(households))]
		state := plan[i%len(plan)]
		if len(takers) == 0 && state != "open" && state != "placed" && state != "cancelled" {
			state = "placed"
		}
		_, s := planOrder(ctx, at, r, cats, takers, now, orderPlan{household: h.ID, head: h.HeadName, state: state, onBehalf: i%10 == 3,
			until: historyUntil, label: fmt.Sprintf("order %d (%s)", i, state)})
		steps = append(steps, s...)
		res.Orders++
	}
	if own != 0 && len(takers) > 0 {
		h, err := st.Household(ctx, sys, own)
		if err != nil {
			return res, err
		}
		for _, state := range []string{"rated", "done", "open"} {
			_, s := planOrder(ctx, at, r, cats, takers, now, orderPlan{household: own, head: h.HeadName, state: state,
				until: historyUntil, label: fmt.Sprintf("the demo resident's order (%s)", state)})
			steps = append(steps, s...)
			res.Orders++
		}
	}
	if err := runSteps(&clock, steps); err != nil {
		return res, err
	}
	if err := demoTimebank(ctx, at, &clock, r, cats, takers, community, own, now, &res); err != nil {
		return res, fmt.Errorf("time bank: %w", err)
	}
	return res, nil
}

var giftNotes = []string{"邻里互助，远亲不如近邻", "给老人家的一点心意", "有需要随时叫我们", "祝您身体健康"}

// demoTimebank gives the time bank of community its gifts and spends (see the file comment),
// at the end of the history, through the store's time bank functions: five gifts, by the (up
// to five) takers who banked the most in turn, each of half what the giver has left (whole
// half hours, at most four hours, none under half an hour), to households in turn — own (the
// demo resident's, 0: none) first, then elderly people living alone, then households whose
// head is 60 or over, then any with a head; then the first three of them spend half of what
// they received on an open order of theirs, placed now when they have none.
func demoTimebank(ctx context.Context, st *store.Store, clock *time.Time, r *rand.Rand, cats []*model.OrderCategory, takers []*model.OrderTaker,
	community, own int64, now time.Time, res *OrdersResult) error {
	const gifts = 5
	sys := authz.System()
	type giver struct {
		id      int64
		balance int
	}
	var givers []giver
	for _, t := range takers {
		h, err := st.TimebankHolder(ctx, sys, model.HolderTaker, t.ID)
		if err != nil {
			return err
		}
		if h.Balance >= 60 {
			givers = append(givers, giver{t.ID, h.Balance})
		}
	}
	slices.SortStableFunc(givers, func(a, b giver) int { return cmp.Compare(b.balance, a.balance) })
	givers = givers[:min(len(givers), gifts)]
	if len(givers) == 0 {
		return nil
	}
	// The receivers: the demo resident's household, the elderly living alone, anyone.
	type receiver struct {
		id   int64
		head string
	}
	var receivers []receiver
	seen := map[int64]bool{}
	if own != 0 {
		h, err := st.Household(ctx, sys, own)
		if err != nil {
			return err
		}
		receivers, seen[own] = append(receivers, receiver{own, h.HeadName}), true
	}
	add := func(id int64, head string) {
		if head != "" && !seen[id] && len(receivers) < gifts {
			receivers, seen[id] = append(receivers, receiver{id, head}), true
		}
	}
	alone, err := st.Households(ctx, sys, store.HouseholdFilter{Under: community, Flag: "elderly_alone", Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, i := range r.Perm(len(alone.Items)) {
		add(alone.Items[i].ID, alone.Items[i].HeadName)
	}
	people, err := st.Residents(ctx, sys, store.ResidentFilter{Under: community, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, i := range r.Perm(len(people.Items)) {
		if p := people.Items[i]; p.Relation == model.RelationHead && p.Age(now) >= 60 {
			add(p.HouseholdID, p.Name)
		}
	}
	anyone, err := st.Households(ctx, sys, store.HouseholdFilter{Under: community, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, i := range r.Perm(len(anyone.Items)) {
		add(anyone.Items[i].ID, anyone.Items[i].HeadName)
	}
	given := map[int64]int{}
	for i, to := range receivers {
		g := &givers[i%len(givers)]
		minutes := min(g.balance/2/30*30, 240)
		if minutes < 30 {
			continue
		}
		*clock = now.Add(time.Duration(i-60) * time.Minute)
		if err := st.GiveDemoTimebank(ctx, g.id, model.TimebankTransfer{HouseholdID: to.id, Minutes: minutes, Note: giftNotes[i%len(giftNotes)]}); err != nil {
			return fmt.Errorf("gift %d: %w", i, err)
		}
		g.balance -= minutes
		given[to.id] += minutes
		res.Gifts++
		res.Given += minutes
	}
	// The spends: on an open order of the household's own (the demo resident has one).
	open, err := st.Orders(ctx, sys, store.OrderFilter{Under: community, Status: model.OrderOpen, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	openOf := map[int64]int64{}
	for _, o := range open.Items {
		if openOf[o.HouseholdID] == 0 {
			openOf[o.HouseholdID] = o.ID
		}
	}
	// The orders placed to spend on (after the gifts) and the spends, in time order.
	var steps []demoStep
	for i, to := range receivers[:min(len(receivers), 3)] {
		if given[to.id] == 0 {
			continue
		}
		order := new(int64)
		*order = openOf[to.id]
		if *order == 0 {
			var s []demoStep
			order, s = planOrder(ctx, st, r, cats, takers, now, orderPlan{household: to.id, head: to.head, state: "open",
				placed: now.Add(time.Duration(i-50) * time.Minute), until: now.Add(-time.Minute), label: fmt.Sprintf("an order to spend on (%d)", i)})
			steps = append(steps, s...)
			res.Orders++
		}
		minutes := max(given[to.id]/2/30*30, 30)
		steps = append(steps, demoStep{now.Add(time.Duration(i-30) * time.Minute), func() error {
			if err := st.SpendDemoTimebank(ctx, to.id, model.TimebankTransfer{OrderID: *order, Minutes: minutes, Note: "用邻里赠送的时长兑换"}); err != nil {
				return fmt.Errorf("spend %d: %w", i, err)
			}
			return nil
		}})
		res.Spends++
		res.Spent += minutes
	}
	return runSteps(clock, steps)
}

// demoStep is one step of the demo's history: what it does, at its time.
type demoStep struct {
	at time.Time
	do func() error
}

// runSteps runs steps in time order, each at its time on clock (one order's steps, planned in
// order, keep it among steps of one time), so that the orders, their history and the time
// bank's entries are numbered in the order they took place, as a running system numbers them:
// planned and run an order at a time, each back-dated, the ledger's "newest first" put an
// order's steps of weeks ago above those of yesterday.
func runSteps(clock *time.Time, steps []demoStep) error {
	slices.SortStableFunc(steps, func(a, b demoStep) int { return a.at.Compare(b.at) })
	for _, s := range steps {
		*clock = s.at
		if err := s.do(); err != nil {
			return err
		}
	}
	return nil
}

// orderPlan is one demo order to plan: whose, the state its last step leaves it in, placed by
// staff for the household (onBehalf) or by the household, and when: placed at placed (zero: at
// a time drawn for its state, before now), no step after until.
type orderPlan struct {
	household     int64
	head, state   string
	onBehalf      bool
	placed, until time.Time
	label         string // what an error of its steps says it was
}

// planOrder plans one order of p.household taken to p.state: its steps, each at its time, the
// first of them placing it, and where that step keeps the order's id.
func planOrder(ctx context.Context, st *store.Store, r *rand.Rand, cats []*model.OrderCategory, takers []*model.OrderTaker, now time.Time, p orderPlan) (*int64, []demoStep) {
	cat := cats[r.IntN(len(cats))]
	texts := orderTexts[cat.Name]
	if len(texts) == 0 {
		texts = orderTexts["其他"]
	}
	// How long ago it was placed: recent for the states that wait, weeks back for the rest.
	var back time.Duration
	switch p.state {
	case "open", "placed", "dispatched":
		back = time.Duration(2+r.IntN(18)) * time.Hour
	case "escalated":
		back = time.Duration(26+r.IntN(40)) * time.Hour
	case "taken":
		back = time.Duration(4+r.IntN(40)) * time.Hour
	case "done":
		back = time.Duration(30+r.IntN(60)) * time.Hour
	default:
		back = time.Duration(4+r.IntN(56)) * 24 * time.Hour
	}
	t := now.Add(-back)
	if !p.placed.IsZero() {
		t = p.placed
	}
	step := func(d time.Duration) {
		t = t.Add(d)
		if t.After(p.until) {
			t = p.until
		}
	}
	id := new(int64)
	var steps []demoStep
	add := func(do func() error) {
		steps = append(steps, demoStep{t, func() error {
			if err := do(); err != nil {
				return fmt.Errorf("%s: %w", p.label, err)
			}
			return nil
		}})
	}
	placedBy := p.head
	if p.onBehalf {
		placedBy = "社区工作人员"
	}
	in := model.OrderInput{CategoryID: cat.ID, Description: texts[r.IntN(len(texts))],
		PreferredTime: []string{"尽快", "今天下午", "周六上午", "工作日晚上"}[r.IntN(4)]}
	add(func() error {
		var err error
		*id, err = st.PlaceDemoOrder(ctx, p.household, in, placedBy, p.onBehalf)
		return err
	})
	var taker *model.OrderTaker
	if len(takers) > 0 {
		taker = takers[r.IntN(len(takers))]
	}
	dispatcher := func(a model.OrderAction, in model.OrderTransitionInput) {
		in.Action = a
		add(func() error { return st.StepDemoOrder(ctx, *id, 0, 0, "网格员", in) })
	}
	asTaker := func(a model.OrderAction, in model.OrderTransitionInput) {
		in.Action = a
		add(func() error { return st.StepDemoOrder(ctx, *id, 0, taker.ID, taker.Name, in) })
	}
	asHousehold := func(a model.OrderAction, in model.OrderTransitionInput) {
		in.Action = a
		add(func() error { return st.StepDemoOrder(ctx, *id, p.household, 0, p.head, in) })
	}
	// Into the pool (or straight to a taker) first.
	open := func() {
		step(time.Duration(10+r.IntN(50)) * time.Minute)
		add(func() error {
			cur, err := st.Order(ctx, authz.System(), *id)
			if err != nil || cur.Status == model.OrderOpen {
				return err
			}
			return st.StepDemoOrder(ctx, *id, 0, 0, "网格员", model.OrderTransitionInput{Action: model.ActOpen})
		})
	}
	take := func() {
		step(time.Duration(20+r.IntN(300)) * time.Minute)
		if r.IntN(4) == 0 {
			dispatcher(model.ActDispatch, model.OrderTransitionInput{TakerID: taker.ID})
			step(time.Duration(10+r.IntN(60)) * time.Minute)
			asTaker(model.ActAccept, model.OrderTransitionInput{})
			return
		}
		open()
		asTaker(model.ActClaim, model.OrderTransitionInput{})
	}
	done := func() {
		step(time.Duration(1+r.IntN(30)) * time.Hour)
		asTaker(model.ActDone, model.OrderTransitionInput{Hours: float64(1+r.IntN(6)) / 2})
	}
	rate := func() {
		step(time.Duration(1+r.IntN(20)) * time.Hour)
		stars := []int{5, 5, 5, 4, 4, 3}[r.IntN(6)]
		comment := goodComments[r.IntN(len(goodComments))]
		if r.IntN(15) == 0 {
			stars, comment = 2, lowComments[r.IntN(len(lowComments))]
		}
		asHousehold(model.ActRate, model.OrderTransitionInput{Stars: stars, Comment: comment})
	}
	switch p.state {
	case "open":
		open()
		return id, steps
	case "placed":
		if cat.OpenOnPlace && taker != nil {
			// Dispatched, and given back by its taker: waiting for a dispatcher again.
			step(30 * time.Minute)
			dispatcher(model.ActDispatch, model.OrderTransitionInput{TakerID: taker.ID})
			step(time.Duration(20+r.IntN(60)) * time.Minute)
			asTaker(model.ActDecline, model.OrderTransitionInput{Reason: "这几天出差，接不了"})
		}
		return id, steps
	case "escalated":
		step(24 * time.Hour)
		dispatcher(model.ActEscalate, model.OrderTransitionInput{Reason: "超过时限"})
		return id, steps
	case "dispatched":
		step(30 * time.Minute)
		dispatcher(model.ActDispatch, model.OrderTransitionInput{TakerID: taker.ID})
		return id, steps
	case "cancelled":
		step(time.Duration(1+r.IntN(5)) * time.Hour)
		asHousehold(model.ActCancel, model.OrderTransitionInput{Reason: "问题已经自己解决了"})
		return id, steps
	}
	take()
	if p.state == "taken" {
		return id, steps
	}
	done()
	if p.state == "reopened" {
		step(time.Duration(2+r.IntN(10)) * time.Hour)
		asHousehold(model.ActReopen, model.OrderTransitionInput{Reason: "问题没有解决，又坏了"})
		take()
		done()
		rate()
		return id, steps
	}
	if p.state == "done" {
		return id, steps
	}
	rate()
	if p.state == "closed" {
		step(24 * time.Hour)
		dispatcher(model.ActClose, model.OrderTransitionInput{})
	}
	return id, steps
}
