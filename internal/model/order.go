package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Volunteer service by orders (志愿服务订单式操作, issue 10): residents place orders (群众点单),
// the branch or staff dispatch them (支部派单), members and volunteers take them (党员接单),
// residents rate them (群众评单). One state machine (OrderTransition) decides every change of
// an order's status; the store applies it with a conditional UPDATE on the status it read, so
// two changes racing on one order have exactly one effect.

// OrderStatus is where an order stands.
type OrderStatus string

// The statuses. Placed orders wait for a dispatcher; open ones for a taker to claim them;
// escalated ones for the next level up (grid branch → community) to dispatch or open them.
const (
	OrderPlaced     OrderStatus = "placed"     // 待派单
	OrderOpen       OrderStatus = "open"       // 待接单 (open for claiming)
	OrderDispatched OrderStatus = "dispatched" // 已派单, waiting for the assigned taker to accept
	OrderTaken      OrderStatus = "taken"      // 服务中
	OrderDone       OrderStatus = "done"       // 待评价
	OrderRated      OrderStatus = "rated"      // 已评价
	OrderClosed     OrderStatus = "closed"     // 已办结
	OrderCancelled  OrderStatus = "cancelled"  // 已取消
	OrderEscalated  OrderStatus = "escalated"  // 已上报 (to the community)
)

// OrderStatuses lists the statuses in the order of the flow.
var OrderStatuses = []OrderStatus{OrderPlaced, OrderOpen, OrderDispatched, OrderTaken, OrderDone, OrderRated, OrderClosed, OrderCancelled, OrderEscalated}

var orderStatusLabels = map[OrderStatus]string{
	OrderPlaced: "待派单", OrderOpen: "待接单", OrderDispatched: "已派单", OrderTaken: "服务中", OrderDone: "待评价",
	OrderRated: "已评价", OrderClosed: "已办结", OrderCancelled: "已取消", OrderEscalated: "已上报社区",
}

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool { _, ok := orderStatusLabels[s]; return ok }

// Label is the status's Chinese name.
func (s OrderStatus) Label() string { return orderStatusLabels[s] }

// Unassigned reports whether an order in s waits for someone to take it (dispatch or claim).
func (s OrderStatus) Unassigned() bool {
	return s == OrderPlaced || s == OrderOpen || s == OrderEscalated
}

// Active reports whether an order in s still counts as open work (not done, closed or cancelled).
func (s OrderStatus) Active() bool {
	return s != OrderDone && s != OrderRated && s != OrderClosed && s != OrderCancelled
}

// OrderAction is a transition of the state machine.
type OrderAction string

// The transitions. Remind changes nothing but is recorded in the history.
const (
	ActPlace    OrderAction = "place"    // the order is created (placed or open, as its category says)
	ActDispatch OrderAction = "dispatch" // a dispatcher assigns a taker
	ActOpen     OrderAction = "open"     // a dispatcher opens it for claiming
	ActClaim    OrderAction = "claim"    // a taker claims an open order
	ActAccept   OrderAction = "accept"   // the assigned taker accepts a dispatched order
	ActDecline  OrderAction = "decline"  // the taker gives it back: to dispatch again
	ActDone     OrderAction = "done"     // the taker marks it done
	ActRate     OrderAction = "rate"     // the resident rates it (1–5 stars)
	ActClose    OrderAction = "close"    // a dispatcher (or the time limit) closes it
	ActCancel   OrderAction = "cancel"   // the resident cancels it before it is taken
	ActEscalate OrderAction = "escalate" // to the community: by a dispatcher or the time limit
	ActReopen   OrderAction = "reopen"   // the resident is not satisfied: to dispatch again
	ActRemind   OrderAction = "remind"   // the time limit reminds the taker (no change of status)
)

var orderActionLabels = map[OrderAction]string{
	ActPlace: "下单", ActDispatch: "派单", ActOpen: "开放接单", ActClaim: "接单", ActAccept: "确认接单", ActDecline: "退单",
	ActDone: "完成服务", ActRate: "评价", ActClose: "办结", ActCancel: "取消", ActEscalate: "上报社区", ActReopen: "重新办理",
	ActRemind: "催办",
}

// Label is the action's Chinese name.
func (a OrderAction) Label() string { return orderActionLabels[a] }

// Valid reports whether a is a known action.
func (a OrderAction) Valid() bool { _, ok := orderActionLabels[a]; return ok }

// OrderActor is the part the caller plays in an order, which decides what it may do.
type OrderActor string

// The parts. One account may play several (staff placing an order for a resident is both
// requester and dispatcher); Allowed is asked for each.
const (
	ActorRequester  OrderActor = "requester"  // the household's resident, or whoever placed it for them
	ActorTaker      OrderActor = "taker"      // the taker assigned to or holding the order
	ActorCandidate  OrderActor = "candidate"  // a registered taker who is not the order's
	ActorDispatcher OrderActor = "dispatcher" // staff and grid leaders whose territory holds the order, and the secretaries of its branch or committees
	ActorSystem     OrderActor = "system"     // the time limits
)

type orderEdge struct {
	from   OrderStatus
	action OrderAction
}

type orderRule struct {
	to OrderStatus
	by []OrderActor
}

// orderMachine is the state machine: for each status and action, the status it leads to and
// who may take it.
var orderMachine = map[orderEdge]orderRule{}

func init() {
	add := func(action OrderAction, to OrderStatus, by []OrderActor, from ...OrderStatus) {
		for _, f := range from {
			orderMachine[orderEdge{f, action}] = orderRule{to: to, by: by}
		}
	}
	dispatchers := []OrderActor{ActorDispatcher, ActorSystem}
	add(ActDispatch, OrderDispatched, dispatchers, OrderPlaced, OrderOpen, OrderEscalated, OrderDispatched)
	add(ActOpen, OrderOpen, dispatchers, OrderPlaced, OrderEscalated)
	add(ActClaim, OrderTaken, []OrderActor{ActorCandidate}, OrderOpen)
	// A dispatcher accepts and marks done for a taker without a phone or an account (the
	// history records who acted, on whose behalf).
	add(ActAccept, OrderTaken, []OrderActor{ActorTaker, ActorDispatcher}, OrderDispatched)
	add(ActDecline, OrderPlaced, []OrderActor{ActorTaker}, OrderDispatched, OrderTaken)
	add(ActDone, OrderDone, []OrderActor{ActorTaker, ActorDispatcher}, OrderTaken)
	add(ActRate, OrderRated, []OrderActor{ActorRequester}, OrderDone)
	add(ActClose, OrderClosed, dispatchers, OrderDone, OrderRated)
	add(ActCancel, OrderCancelled, []OrderActor{ActorRequester, ActorDispatcher}, OrderPlaced, OrderOpen, OrderDispatched, OrderEscalated)
	add(ActEscalate, OrderEscalated, dispatchers, OrderPlaced, OrderOpen, OrderDispatched, OrderTaken)
	add(ActReopen, OrderPlaced, []OrderActor{ActorRequester}, OrderDone, OrderRated)
	add(ActRemind, OrderTaken, []OrderActor{ActorSystem}, OrderTaken)
}

// OrderTransition decides action on an order in status from by a caller playing the parts
// actors: the status it leads to, or a *ConflictError (not allowed from this status) or a
// *ForbiddenError (allowed, but not to this caller) whose message says why in Chinese.
func OrderTransition(from OrderStatus, action OrderAction, actors []OrderActor) (OrderStatus, error) {
	if !action.Valid() || action == ActPlace {
		return "", &ValidationError{Fields: []FieldError{{Field: "action", Message: "没有这种操作"}}}
	}
	rule, ok := orderMachine[orderEdge{from, action}]
	if !ok {
		return "", &ConflictError{Message: fmt.Sprintf("订单%s，不能%s", from.Label(), action.Label())}
	}
	for _, a := range actors {
		if slices.Contains(rule.by, a) {
			return rule.to, nil
		}
	}
	return "", &ForbiddenError{Message: orderWho(action)}
}

// OrderActions lists the actions the parts actors may take on an order in status s, in the
// machine's order (for the buttons a page shows).
func OrderActions(s OrderStatus, actors []OrderActor) []OrderAction {
	var out []OrderAction
	for _, a := range []OrderAction{ActClaim, ActAccept, ActDone, ActDecline, ActRate, ActReopen, ActDispatch, ActOpen, ActEscalate, ActClose, ActCancel} {
		if _, err := OrderTransition(s, a, actors); err == nil {
			out = append(out, a)
		}
	}
	return out
}

func orderWho(a OrderAction) string {
	switch a {
	case ActClaim:
		return "只有登记的志愿者和党员可以接单，不能接自己下的单"
	case ActAccept, ActDone:
		return "只有接单人，或代其操作的社区工作人员、网格员和支部书记可以" + a.Label()
	case ActDecline:
		return "只有接单人可以" + a.Label()
	case ActRate, ActReopen:
		return "只有下单的住户可以" + a.Label()
	case ActCancel:
		return "只有下单的住户、社区工作人员、网格员或支部书记可以取消"
	}
	return "只有社区工作人员、网格员或支部书记可以" + a.Label()
}

// DispatchLevel is who dispatches an order: the grid (branch) first, the community after an
// escalation.
type DispatchLevel string

// The levels.
const (
	LevelGrid      DispatchLevel = "grid"
	LevelCommunity DispatchLevel = "community"
)

// OrderCategory is a kind of service a community offers (errands, repairs, company for the
// elderly …), with its time limits.
type OrderCategory struct {
	ID          int64  `json:"id,string"`
	CommunityID int64  `json:"community_id,string"`
	Name        string `json:"name"`
	// OpenOnPlace: a new order goes straight to the pool for claiming; otherwise it waits
	// for a dispatcher.
	OpenOnPlace bool `json:"open_on_place"`
	// TakeWithinHours: not taken within this many hours → escalated to the community.
	TakeWithinHours int `json:"take_within_hours"`
	// FinishWithinHours: not done within this many hours of being taken (or by the
	// promised time, when it is earlier) → reminded, then escalated after as long again.
	FinishWithinHours int  `json:"finish_within_hours"`
	Active            bool `json:"active"`
}

// DefaultOrderCategories are the categories a community starts with.
var DefaultOrderCategories = []string{"代办跑腿", "家电维修", "陪伴老人", "课业辅导", "法律咨询", "健康咨询", "环境清洁", "其他"}

// Limits of an order.
const (
	OrderDescriptionMax = 500 // runes
	OrderReasonMax      = 200 // runes
	OrderCommentMax     = 300 // runes
	IdempotencyKeyMax   = 100 // bytes
)

// OrderInput is an order being placed. HouseholdID is the household it is for: a resident's
// own (0 means the caller's) or, placed on behalf of a resident, any household in the
// caller's scope.
type OrderInput struct {
	CategoryID    int64  `json:"category_id,string"`
	HouseholdID   int64  `json:"household_id,string"`
	Description   string `json:"description"`
	PreferredTime string `json:"preferred_time"` // free text: "周六上午", "尽快"
	Contact       string `json:"contact,omitempty"`
	// IdempotencyKey makes a create safe to resend: the same key with the same body gives the
	// order created first; with another body it is refused.
	IdempotencyKey string `json:"-"`
}

// Validate checks the fields and trims them.
func (in *OrderInput) Validate() error {
	v := &ValidationError{}
	in.Description = strings.TrimSpace(in.Description)
	in.PreferredTime = strings.TrimSpace(in.PreferredTime)
	in.Contact = strings.TrimSpace(in.Contact)
	if in.CategoryID <= 0 {
		v.Add("category_id", "请选择服务类别")
	}
	switch n := utf8.RuneCountInString(in.Description); {
	case n == 0:
		v.Add("description", "请说明需要什么帮助")
	case n > OrderDescriptionMax:
		v.Add("description", fmt.Sprintf("说明最多 %d 个字，现在有 %d 个字", OrderDescriptionMax, n))
	}
	if utf8.RuneCountInString(in.PreferredTime) > 50 {
		v.Add("preferred_time", "希望时间最多 50 个字")
	}
	if utf8.RuneCountInString(in.Contact) > 50 {
		v.Add("contact", "联系方式最多 50 个字")
	}
	if len(in.IdempotencyKey) > IdempotencyKeyMax {
		v.Add("Idempotency-Key", fmt.Sprintf("幂等键最长 %d 个字符", IdempotencyKeyMax))
	}
	return v.Err()
}

// Fingerprint is what a replayed idempotency key must match: the body as validated.
func (in *OrderInput) Fingerprint() string {
	h := sha256.New()
	for _, f := range []string{fmt.Sprint(in.CategoryID), fmt.Sprint(in.HouseholdID), in.Description, in.PreferredTime, in.Contact} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// OrderTransitionInput is a transition asked of an order.
type OrderTransitionInput struct {
	Action  OrderAction `json:"action"`
	Reason  string      `json:"reason,omitempty"`
	TakerID int64       `json:"taker_id,string,omitempty"` // dispatch: the taker assigned
	Stars   int         `json:"stars,omitempty"`           // rate: 1–5
	Comment string      `json:"comment,omitempty"`         // rate
	Hours   float64     `json:"hours,omitempty"`           // done: the hours the service took
}

// Validate checks what the action needs.
func (in *OrderTransitionInput) Validate() error {
	v := &ValidationError{}
	in.Reason = strings.TrimSpace(in.Reason)
	in.Comment = strings.TrimSpace(in.Comment)
	if !in.Action.Valid() || in.Action == ActPlace || in.Action == ActRemind {
		v.Add("action", "没有这种操作")
	}
	if utf8.RuneCountInString(in.Reason) > OrderReasonMax {
		v.Add("reason", fmt.Sprintf("原因最多 %d 个字", OrderReasonMax))
	}
	switch in.Action {
	case ActDispatch:
		if in.TakerID <= 0 {
			v.Add("taker_id", "请选择接单人")
		}
	case ActRate:
		if in.Stars < 1 || in.Stars > 5 {
			v.Add("stars", "评价请选 1 到 5 颗星")
		}
		if utf8.RuneCountInString(in.Comment) > OrderCommentMax {
			v.Add("comment", fmt.Sprintf("评语最多 %d 个字", OrderCommentMax))
		}
	case ActDone:
		if in.Hours < 0 || in.Hours > 24 {
			v.Add("hours", "服务时长请填 0 到 24 小时")
		}
	case ActDecline, ActReopen, ActEscalate:
		if in.Reason == "" {
			v.Add("reason", "请说明原因")
		}
	}
	return v.Err()
}

// Minutes is the service time of a done order in whole minutes (at least 30: a visit).
func (in OrderTransitionInput) Minutes() int {
	m := int(in.Hours*60 + 0.5)
	return max(m, 30)
}

// OrderTaker is who takes an order: a party member, a registered volunteer or a co-building
// organization, acting through an account.
type OrderTaker struct {
	ID             int64  `json:"id,string"`
	UserID         int64  `json:"-"`
	Kind           string `json:"kind"` // "member", "volunteer", "organization"
	Name           string `json:"name"`
	MemberID       int64  `json:"member_id,string,omitempty"`
	OrganizationID int64  `json:"organization_id,string,omitempty"`
	CommunityID    int64  `json:"community_id,string"`
	TerritoryID    int64  `json:"territory_id,string"`
	Path           string `json:"-"`
	Skills         string `json:"skills"`
	Availability   string `json:"availability"`
	OpenOrders     int    `json:"open_orders"`
	Minutes        int    `json:"service_minutes"`
	Active         bool   `json:"active"`
}

// TakerKindLabel names a taker's kind in Chinese.
func TakerKindLabel(k string) string {
	switch k {
	case "member":
		return "党员"
	case "organization":
		return "共建单位"
	}
	return "志愿者"
}

// Order is a service order.
type Order struct {
	ID            int64         `json:"id,string"`
	CommunityID   int64         `json:"community_id,string"`
	TerritoryID   int64         `json:"territory_id,string"`
	Path          string        `json:"-"`
	UnitID        int64         `json:"-"`
	HouseholdID   int64         `json:"household_id,string"`
	Address       string        `json:"address"`
	CategoryID    int64         `json:"category_id,string"`
	Category      string        `json:"category"`
	Description   string        `json:"description"`
	PreferredTime string        `json:"preferred_time"`
	Contact       string        `json:"contact,omitempty"`
	Status        OrderStatus   `json:"status"`
	Level         DispatchLevel `json:"level"`
	Taker         *OrderTaker   `json:"taker,omitempty"`
	PlacedBy      int64         `json:"-"`
	OnBehalf      bool          `json:"on_behalf"` // placed by staff or a unit leader for the household
	PlacedByName  string        `json:"placed_by_name"`
	Stars         int           `json:"stars,omitempty"`
	Comment       string        `json:"comment,omitempty"`
	Minutes       int           `json:"service_minutes,omitempty"`
	Photos        int           `json:"photos"` // how many, numbered from 1
	PlacedAt      time.Time     `json:"placed_at"`
	TakenAt       *time.Time    `json:"taken_at,omitempty"`
	DoneAt        *time.Time    `json:"done_at,omitempty"`
	DueAt         *time.Time    `json:"due_at,omitempty"` // the time limit running now
	UpdatedAt     time.Time     `json:"updated_at"`
	Version       int64         `json:"version"`
	// Actions are what the caller may do now (filled for a single order).
	Actions []OrderAction `json:"actions,omitempty"`
	// History is every transition, oldest first (filled for a single order).
	History []OrderEvent `json:"history,omitempty"`
}

// OrderEvent is one transition in an order's history: who, when, why.
type OrderEvent struct {
	Action    OrderAction `json:"action"`
	From      OrderStatus `json:"from,omitempty"`
	To        OrderStatus `json:"to"`
	ActorName string      `json:"actor"` // "系统" for the time limits
	Reason    string      `json:"reason,omitempty"`
	At        time.Time   `json:"at"`
}
