package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The duty rotation (联建轮值, issue 9 item 3): every household of a unit takes a monthly turn as
// the duty household (轮值户). The rule is pure and deterministic here; the store keeps the
// schedule (unit_duty) and calls ExtendRotation and FillVacated with what it read.
//
// The rule: months are handed out in queue order, the household that served longest ago first
// (least recently served); so over a set of households that does not change, the schedule is a
// round robin, and in any 12 consecutive months each household's turns differ by at most one.
// A household that moves in joins at the end of the queue (after the household of the last
// month already assigned when it joined), so months already assigned keep their household.
// Exempt households (elderly living alone, serious illness, away) are skipped in the months
// their exemption covers. A household that moves out (or becomes exempt) leaves its future
// months vacant; FillVacated gives each vacant month to the household whose turns in the
// 12-month windows around it are fewest, which keeps the ≤1 difference as well as a month
// already planned for others allows.

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

// ExtendRotation returns the turns to add so that every month from `from` through `until` has
// a duty household where one is eligible. assigned is the unit's schedule so far (any order;
// past months count as history). Months after the last assigned month are handed out in queue
// order (least recently served first; see the package comment); vacant months inside the
// assigned stretch are filled as FillVacated does. A month with no eligible household stays
// vacant. The result is sorted by month; it is deterministic for the same input.
func ExtendRotation(members []DutyMember, exemptions []DutyExemption, assigned []DutyTurn, from, until Month) []DutyTurn {
	if len(members) == 0 || until < from {
		return nil
	}
	sched := map[Month]int64{}
	var last Month
	for _, t := range assigned {
		sched[t.Month] = t.HouseholdID
		last = max(last, t.Month)
	}
	var out []DutyTurn
	// Holes inside what is already assigned first: they do not move anyone's queue place
	// beyond the horizon as much as the tail would.
	for m := from; m <= min(until, last); m++ {
		if _, ok := sched[m]; ok {
			continue
		}
		if h := fillOne(members, exemptions, sched, m); h != 0 {
			sched[m] = h
			out = append(out, DutyTurn{m, h})
		}
	}
	// The tail, in queue order.
	type place struct {
		key   Month // last month served, or QueuedAfter when later
		order int   // position in members: founding order, then joining order
	}
	q := make(map[int64]place, len(members))
	for i, mb := range members {
		q[mb.HouseholdID] = place{key: mb.QueuedAfter, order: i}
	}
	for m, h := range sched {
		if p, ok := q[h]; ok && m >= p.key {
			// Serving in month m puts the household behind one that only queued after m.
			p.key = m
			q[h] = p
		}
	}
	served := func(h int64) bool { return sched[q[h].key] == h }
	for m := max(from, last+1); m <= until; m++ {
		best := int64(0)
		var bp place
		for _, mb := range members {
			if exempt(exemptions, mb.HouseholdID, m) {
				continue
			}
			p := q[mb.HouseholdID]
			if best == 0 || p.key < bp.key || p.key == bp.key && queueBefore(served(mb.HouseholdID), served(best), p.order, bp.order) {
				best, bp = mb.HouseholdID, p
			}
		}
		if best == 0 {
			continue
		}
		sched[m] = best
		bp.key = m
		q[best] = bp
		out = append(out, DutyTurn{m, best})
	}
	slices.SortFunc(out, func(a, b DutyTurn) int { return cmp.Compare(a.Month, b.Month) })
	return out
}

// queueBefore breaks a tie of queue keys: a household that served in the key month goes before
// one that only queued after it (it joined after that month was assigned), then by order.
func queueBefore(aServed, bServed bool, aOrder, bOrder int) bool {
	if aServed != bServed {
		return aServed
	}
	return aOrder < bOrder
}

func exempt(es []DutyExemption, h int64, m Month) bool {
	for _, e := range es {
		if e.HouseholdID == h && e.Covers(m) {
			return true
		}
	}
	return false
}

// FillVacated gives each vacant month of months (a household moved out or became exempt) to an
// eligible household, keeping everyone else's months: the household with the fewest turns in
// the worst 12-month window containing that month, then the one whose nearest turn is
// farthest, then queue order. assigned is the schedule without the vacated months.
func FillVacated(members []DutyMember, exemptions []DutyExemption, assigned []DutyTurn, months []Month) []DutyTurn {
	sched := map[Month]int64{}
	for _, t := range assigned {
		sched[t.Month] = t.HouseholdID
	}
	ms := slices.Clone(months)
	slices.Sort(ms)
	var out []DutyTurn
	for _, m := range ms {
		if _, ok := sched[m]; ok {
			continue
		}
		if h := fillOne(members, exemptions, sched, m); h != 0 {
			sched[m] = h
			out = append(out, DutyTurn{m, h})
		}
	}
	return out
}

func fillOne(members []DutyMember, exemptions []DutyExemption, sched map[Month]int64, m Month) int64 {
	// For each 12-month window containing m: every member's turns in it.
	type window struct {
		counts map[int64]int
		min    int // fewest turns of a member eligible throughout the window
	}
	ws := make([]window, 0, DutyHorizon)
	for s := m - DutyHorizon + 1; s <= m; s++ {
		w := window{counts: map[int64]int{}, min: 1 << 30}
		for x := s; x < s+DutyHorizon; x++ {
			if h, ok := sched[x]; ok {
				w.counts[h]++
			}
		}
		for _, mb := range members {
			if mb.QueuedAfter < s && !exemptWithin(exemptions, mb.HouseholdID, s, s+DutyHorizon-1) {
				w.min = min(w.min, w.counts[mb.HouseholdID])
			}
		}
		ws = append(ws, w)
	}
	best, bestScore, bestGap := int64(0), 0, 0
	for _, mb := range members {
		h := mb.HouseholdID
		if exempt(exemptions, h, m) || mb.QueuedAfter >= m {
			continue
		}
		// The worst excess over the fewest turns that giving h month m makes in a window.
		score := 0
		for _, w := range ws {
			lo := w.min
			if lo == 1<<30 {
				lo = 0
			}
			score = max(score, w.counts[h]+1-lo)
		}
		gap := 1 << 30
		for x, hh := range sched {
			if hh == h {
				d := int(x - m)
				if d < 0 {
					d = -d
				}
				gap = min(gap, d)
			}
		}
		if best == 0 || score < bestScore || score == bestScore && gap > bestGap {
			best, bestScore, bestGap = h, score, gap
		}
	}
	return best
}

func exemptWithin(es []DutyExemption, h int64, from, to Month) bool {
	for _, e := range es {
		if e.HouseholdID == h && e.From <= to && (e.Until == 0 || e.Until >= from) {
			return true
		}
	}
	return false
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
