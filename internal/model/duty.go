package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The duty rotation (联建轮值, issue 9 item 3): every household of a unit takes a monthly turn as
// the duty household (轮值户). The rule is pure and deterministic here; the store keeps the
// schedule (unit_duty) and calls PlanRotation with what it read.
//
// Eligibility. A household is eligible in month m when it is in the unit in m, its queue place
// is before m (DutyMember.QueuedAfter < m: a household that moves in, or whose exemption is
// lifted, queues after the month last assigned then, so months already assigned keep their
// household), and no exemption covers m (DutyExemption.Covers; a lifted exemption covers its
// months up to its queue place, see the store's LiftExemption).
//
// The property (the issue's "over any 12-month window each eligible household's turns differ
// by at most one"): for every window of 12 consecutive months W, the households eligible in
// every month of W have turns in W, as planned, that differ by at most one. A household not
// eligible throughout W (it moved in or out, or was exempt, during W) is not compared in W:
// it could not have taken its share of W.
//
// The rule that keeps it: every month is given to the eligible household that served least
// recently (its queue key: the last month it served, or its queue place when later; ties go to
// the household that served in that month, then to queue order). Proof: let A and B be
// eligible throughout W and A serve in months t1 < t2 of W. When t2 was planned, A's key was
// t1 and B's key was below t1 unless B served in (t1, t2) — B's queue place is before W, and
// B's last turn before t2 is not t1, which was A's. So A could only be chosen at t2 if B served
// between: within W the turns of A and B alternate, and their counts differ by at most one.
// The argument needs each month chosen by the rule over the history as it now stands, from
// candidates that include every household eligible in the end (choosing the least recent of
// more households is still the least recent of fewer). So:
//   - extending plans the months after the last assigned one (PlanRotation from there);
//   - a household that moves out or becomes exempt takes every month from the first month it
//     loses on with it: those months are planned again (PlanRotation from that month), the
//     months before it keep their household — reshuffling the months after it cannot be
//     avoided, filling only the lost months cannot keep the property (five households in a
//     round robin, one leaves: no filling of its months gives the four others three turns in
//     every window);
//   - a household that moves in, or whose exemption is lifted, queues after the last assigned
//     month: nothing is planned again;
//   - a swap consented by both households exchanges their two months as served and leaves the
//     months as planned alone (the store keeps both): the planned schedule, which is the only
//     history the rule reads, keeps the property, and the schedule as served differs from it
//     exactly at the swapped months. So in a window holding exactly one of the two months the
//     two households' turns as served are one up and one down from those planned (a difference
//     of up to three between them, two against a third household); in a window holding both
//     months or neither, nothing changes. A later re-planning from a month at or before a
//     swapped month re-decides that month, and the swap of it lapses.

// Month is a calendar month counted from year 0 (year*12 + month-1), so that months add.
type Month int

// DutyHorizon is how many months a rotation is kept generated ahead, the current month
// included.
const DutyHorizon = 12

// ParseMonth reads "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return 0, fmt.Errorf("月份应写作 YYYY-MM，例如 2026-03")
	}
	return MonthAt(t), nil
}

// MonthAt is the month of the calendar date of t in t's own location.
func MonthAt(t time.Time) Month { return Month(t.Year()*12 + int(t.Month()) - 1) }

// ThisMonth is the month of now in Asia/Shanghai.
func ThisMonth(now time.Time) Month { return MonthAt(now.In(Shanghai)) }

// Year and Mon split the month.
func (m Month) Year() int { return int(m) / 12 }

// Mon is the month of the year, 1–12.
func (m Month) Mon() time.Month { return time.Month(int(m)%12 + 1) }

// String is "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Mon())) }

// Label is "2026年3月".
func (m Month) Label() string { return fmt.Sprintf("%d年%d月", m.Year(), int(m.Mon())) }

// First is the first day of the month (midnight UTC, a date value).
func (m Month) First() time.Time { return time.Date(m.Year(), m.Mon(), 1, 0, 0, 0, 0, time.UTC) }

// DutyReason is why a household is exempt from the rotation.
type DutyReason string

// The reasons for an exemption.
const (
	DutyElderlyAlone DutyReason = "elderly_alone" // 高龄独居
	DutyIllness      DutyReason = "illness"       // 重病
	DutyAway         DutyReason = "away"          // 长期外出
)

// DutyReasons lists every reason.
var DutyReasons = []DutyReason{DutyElderlyAlone, DutyIllness, DutyAway}

var dutyReasonLabels = map[DutyReason]string{DutyElderlyAlone: "高龄独居", DutyIllness: "重病", DutyAway: "长期外出"}

// Valid reports whether r is a known reason.
func (r DutyReason) Valid() bool { return slices.Contains(DutyReasons, r) }

// Label is the reason's Chinese name.
func (r DutyReason) Label() string { return dutyReasonLabels[r] }

// DutyMember is a household of the unit as the rule sees it.
type DutyMember struct {
	HouseholdID int64
	// QueuedAfter is the last month already assigned when the household joined the unit: it
	// takes its first turn after the household of that month. 0: a founding household.
	QueuedAfter Month
}

// DutyExemption exempts a household from the rotation from From through Until (0: until the
// exemption is lifted).
type DutyExemption struct {
	ID          int64      `json:"id,string"`
	UnitID      int64      `json:"unit_id,string"`
	HouseholdID int64      `json:"household_id,string"`
	Reason      DutyReason `json:"reason"`
	Note        string     `json:"note,omitempty"`
	From        Month      `json:"-"`
	// Until is the last exempt month, 0 for none (open-ended).
	Until     Month     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Covers reports whether the exemption covers month m.
func (e DutyExemption) Covers(m Month) bool { return m >= e.From && (e.Until == 0 || m <= e.Until) }

// DutyExemptionInput is an exemption as staff or the unit leader enter it.
type DutyExemptionInput struct {
	HouseholdID int64      `json:"household_id,string"`
	Reason      DutyReason `json:"reason"`
	Note        string     `json:"note"`
	Until       string     `json:"until"` // YYYY-MM, "" for open-ended
}

// Validate checks the input; from is the current month (an end before it is refused).
func (in DutyExemptionInput) Validate(from Month) (until Month, err error) {
	v := &ValidationError{}
	if in.HouseholdID <= 0 {
		v.Add("household_id", "请选择要免除轮值的住户")
	}
	if !in.Reason.Valid() {
		v.Add("reason", "免除理由应为 elderly_alone（高龄独居）、illness（重病）或 away（长期外出）")
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		v.Add("note", "说明不能超过 200 个字")
	}
	if s := strings.TrimSpace(in.Until); s != "" {
		m, perr := ParseMonth(s)
		switch {
		case perr != nil:
			v.Add("until", "截止月份应写作 YYYY-MM，例如 2026-03")
		case m < from:
			v.Add("until", "截止月份不能早于本月 "+from.String())
		default:
			until = m
		}
	}
	return until, v.Err()
}

// DutyTurn is one month's duty household.
type DutyTurn struct {
	Month       Month
	HouseholdID int64
}

// ExtendRotation returns the turns to add so that the months from `from` through `until` after
// the last month of assigned are planned: PlanRotation from the month after the last assigned
// one (or from `from` when the schedule ends before it), with assigned as history. Months
// already assigned are never returned.
func ExtendRotation(members []DutyMember, exemptions []DutyExemption, assigned []DutyTurn, from, until Month) []DutyTurn {
	var last Month
	for _, t := range assigned {
		last = max(last, t.Month)
	}
	return PlanRotation(members, exemptions, assigned, max(from, last+1), until)
}

// PlanRotation plans the months from `from` through `until`: each is given, in order, to the
// eligible household (see the package comment) that served least recently in history (the
// months as planned; those from `from` on are ignored) and the months planned before it. A
// month with no eligible household stays vacant. members lists the unit's current households
// in queue order (founders first in address order, then the households that queued later by
// their place). The result is sorted by month; it is deterministic for the same input.
func PlanRotation(members []DutyMember, exemptions []DutyExemption, history []DutyTurn, from, until Month) []DutyTurn {
	if len(members) == 0 || until < from {
		return nil
	}
	// key: the household's last turn before from, or its queue place when later; served: the
	// key is a month it served in (it goes before a household that only queued after it).
	type place struct {
		key    Month
		served bool
	}
	idx := make(map[int64]int, len(members))
	q := make([]place, len(members))
	for i, mb := range members {
		idx[mb.HouseholdID] = i
		q[i] = place{key: mb.QueuedAfter}
	}
	for _, t := range history {
		i, ok := idx[t.HouseholdID]
		if !ok || t.Month >= from {
			continue
		}
		if p := q[i]; t.Month > p.key || t.Month == p.key && !p.served {
			q[i] = place{key: t.Month, served: true}
		}
	}
	var ex map[int64][]DutyExemption
	for _, e := range exemptions {
		if _, ok := idx[e.HouseholdID]; ok && (e.Until == 0 || e.Until >= from) {
			if ex == nil {
				ex = map[int64][]DutyExemption{}
			}
			ex[e.HouseholdID] = append(ex[e.HouseholdID], e)
		}
	}
	out := make([]DutyTurn, 0, until-from+1)
	for m := from; m <= until; m++ {
		best := -1
		for i, mb := range members {
			p := q[i]
			if p.key >= m || exempt(ex[mb.HouseholdID], mb.HouseholdID, m) {
				continue // queued after m (history is before from), or exempt in m
			}
			if best < 0 || p.key < q[best].key || p.key == q[best].key && p.served && !q[best].served {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		q[best] = place{key: m, served: true}
		out = append(out, DutyTurn{m, members[best].HouseholdID})
	}
	return out
}

func exempt(es []DutyExemption, h int64, m Month) bool {
	for _, e := range es {
		if e.HouseholdID == h && e.Covers(m) {
			return true
		}
	}
	return false
}

// Eligible reports whether member mb is eligible in month m under exemptions (see the package
// comment); membership of the unit is the caller's to know.
func Eligible(mb DutyMember, exemptions []DutyExemption, m Month) bool {
	return mb.QueuedAfter < m && !exempt(exemptions, mb.HouseholdID, m)
}

// DutySwap is a request by one household to exchange months with another; it takes effect only
// when the other consents (both months change in one conditional write).
type DutySwap struct {
	ID              int64      `json:"id,string"`
	UnitID          int64      `json:"unit_id,string"`
	FromHousehold   int64      `json:"from_household_id,string"`
	FromMonth       string     `json:"from_month"`
	ToHousehold     int64      `json:"to_household_id,string"`
	ToMonth         string     `json:"to_month"`
	Status          SwapStatus `json:"status"`
	Note            string     `json:"note,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	DecidedAt       *time.Time `json:"decided_at,omitempty"`
	FromAddress     string     `json:"from_address,omitempty"`
	ToAddress       string     `json:"to_address,omitempty"`
	RequestedByName string     `json:"-"`
}

// SwapStatus is where a swap request stands.
type SwapStatus string

// The statuses of a swap request.
const (
	SwapPending  SwapStatus = "pending"
	SwapAccepted SwapStatus = "accepted"
	SwapDeclined SwapStatus = "declined"
)

var swapLabels = map[SwapStatus]string{SwapPending: "等待对方同意", SwapAccepted: "已互换", SwapDeclined: "对方未同意"}

// Label is the status's Chinese name.
func (s SwapStatus) Label() string { return swapLabels[s] }

// DutySwapInput is a swap request: my month for theirs.
type DutySwapInput struct {
	FromMonth string `json:"from_month"`
	ToMonth   string `json:"to_month"`
	Note      string `json:"note"`
}

// Validate checks the request; now is the current month (only months from it on may change).
func (in DutySwapInput) Validate(now Month) (from, to Month, err error) {
	v := &ValidationError{}
	from, ferr := ParseMonth(in.FromMonth)
	to, terr := ParseMonth(in.ToMonth)
	switch {
	case ferr != nil:
		v.Add("from_month", "要换出的月份应写作 YYYY-MM")
	case from < now:
		v.Add("from_month", "已过去的月份不能互换")
	}
	switch {
	case terr != nil:
		v.Add("to_month", "要换入的月份应写作 YYYY-MM")
	case to < now:
		v.Add("to_month", "已过去的月份不能互换")
	case ferr == nil && to == from:
		v.Add("to_month", "请选择另一个月份")
	}
	if utf8.RuneCountInString(in.Note) > 200 {
		v.Add("note", "留言不能超过 200 个字")
	}
	return from, to, v.Err()
}

// DefaultDutyChecklist is a month's checklist where the community defined none.
var DefaultDutyChecklist = []string{"楼道卫生", "安全巡查", "走访困难户", "收集居民意见", "通知转达到户"}

// ValidateChecklist checks a community's checklist items.
func ValidateChecklist(items []string) ([]string, error) {
	v := &ValidationError{}
	var out []string
	seen := map[string]bool{}
	for i, it := range items {
		it = strings.TrimSpace(it)
		switch {
		case it == "":
			continue
		case utf8.RuneCountInString(it) > 40:
			v.Add(fmt.Sprintf("items[%d]", i), "每一项不能超过 40 个字")
		case seen[it]:
			v.Add(fmt.Sprintf("items[%d]", i), "“"+it+"”重复了")
		}
		seen[it] = true
		out = append(out, it)
	}
	if len(out) == 0 {
		v.Add("items", "至少要有一项；恢复默认清单请留空提交“恢复默认”")
	}
	if len(out) > 20 {
		v.Add("items", "清单最多 20 项")
	}
	return out, v.Err()
}

// DutyTick is one checklist item ticked off for a month.
type DutyTick struct {
	Item       string    `json:"item"`
	TickedBy   string    `json:"ticked_by"` // display name of the account
	TickedAt   time.Time `json:"ticked_at"`
	ByDutyHome bool      `json:"by_duty_household"`
}
