package model

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestMonth(t *testing.T) {
	m, err := ParseMonth("2026-03")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != "2026-03" {
		t.Errorf("String = %q", got)
	}
	if got := (m + 10).String(); got != "2027-01" {
		t.Errorf("+10 = %q", got)
	}
	if got := m.Label(); got != "2026年3月" {
		t.Errorf("Label = %q", got)
	}
	for _, bad := range []string{"2026-3", "2026-13", "202603", "", "2026-03-01"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}

// dutySim runs a unit's rotation month by month through a random history, as the store does:
// households move in and out, exemptions begin (with or without an end) and are lifted, two
// households swap months, and every month the rotation is extended. It keeps the months as
// planned and as served apart, and remembers independently of the rule who was eligible when.
type dutySim struct {
	t          *testing.T
	seed       uint64
	r          *rand.Rand
	members    []DutyMember
	exemptions []DutyExemption
	open       map[int64]int // household → index of its open exemption
	planned    map[Month]int64
	served     map[Month]int64
	in         map[int64][2]Month // household → [moved in, moved out) (0: still in)
	queued     map[int64]Month
	swapped    map[Month]int64 // months swapped and still in effect → household serving them
	next       int64
	counts     map[string]int // events that happened
}

func newDutySim(t *testing.T, seed uint64) *dutySim {
	s := &dutySim{t: t, seed: seed, r: rand.New(rand.NewPCG(seed, 9)), open: map[int64]int{}, planned: map[Month]int64{},
		served: map[Month]int64{}, in: map[int64][2]Month{}, queued: map[int64]Month{}, swapped: map[Month]int64{}, counts: map[string]int{}}
	for range 1 + s.r.IntN(25) {
		s.next++
		s.members = append(s.members, DutyMember{HouseholdID: s.next})
		s.in[s.next] = [2]Month{dutyStart, 0}
	}
	return s
}

const dutyStart = Month(2026 * 12)

func (s *dutySim) turns() []DutyTurn {
	ts := make([]DutyTurn, 0, len(s.planned))
	for m, h := range s.planned {
		ts = append(ts, DutyTurn{m, h})
	}
	return ts
}

func (s *dutySim) last() Month {
	var l Month
	for m := range s.planned {
		l = max(l, m)
	}
	return l
}

// replan plans every month from r through the last planned one again, as the store does when
// a household loses months; swaps of those months lapse.
func (s *dutySim) replan(r Month) {
	last := s.last()
	for m := range s.planned {
		if m >= r {
			delete(s.planned, m)
			delete(s.served, m)
			delete(s.swapped, m)
		}
	}
	for _, t := range PlanRotation(s.members, s.exemptions, s.turns(), r, last) {
		s.planned[t.Month], s.served[t.Month] = t.HouseholdID, t.HouseholdID
	}
}

// firstHeld is the first month from cur through until (0: no end) that h holds as planned or
// as served, ok false when none.
func (s *dutySim) firstHeld(h int64, cur, until Month) (first Month, ok bool) {
	for m := range s.planned {
		if m >= cur && (until == 0 || m <= until) && (s.planned[m] == h || s.served[m] == h) && (!ok || m < first) {
			first, ok = m, true
		}
	}
	return first, ok
}

func (s *dutySim) member(i int) int64 { return s.members[i].HouseholdID }

// step runs month cur: maybe one event, then the extension; it checks what the event may change.
func (s *dutySim) step(cur Month, events []string) {
	before, beforeServed := maps.Clone(s.planned), maps.Clone(s.served)
	ev := ""
	if s.r.IntN(3) == 0 {
		ev = events[s.r.IntN(len(events))]
	}
	keepBefore := cur // months before it must keep their household (as planned and served)
	switch ev {
	case "join":
		s.next++
		s.members = append(s.members, DutyMember{HouseholdID: s.next, QueuedAfter: s.last()})
		s.in[s.next] = [2]Month{cur, 0}
		s.queued[s.next] = s.last()
		keepBefore = s.last() + 1 // nothing already assigned moves
	case "leave":
		if len(s.members) < 2 {
			break
		}
		i := s.r.IntN(len(s.members))
		h := s.member(i)
		s.members = slices.Delete(s.members, i, i+1)
		s.in[h] = [2]Month{s.in[h][0], cur}
		if idx, ok := s.open[h]; ok {
			delete(s.open, h)
			_ = idx
		}
		if r, ok := s.firstHeld(h, cur, 0); ok {
			s.replan(r)
			keepBefore = r
		} else {
			keepBefore = s.last() + 1
		}
		for m := range s.planned {
			if m >= cur && (s.planned[m] == h || s.served[m] == h) {
				s.t.Fatalf("seed %d: household %d moved out in %s and still holds %s", s.seed, h, cur, m)
			}
		}
	case "exempt":
		h := s.member(s.r.IntN(len(s.members)))
		if _, ok := s.open[h]; ok {
			break
		}
		e := DutyExemption{HouseholdID: h, Reason: DutyIllness, From: cur}
		if s.r.IntN(2) == 0 {
			e.Until = cur + Month(s.r.IntN(15))
		}
		s.open[h] = len(s.exemptions)
		s.exemptions = append(s.exemptions, e)
		if r, ok := s.firstHeld(h, cur, e.Until); ok {
			s.replan(r)
			keepBefore = r
		} else {
			keepBefore = s.last() + 1
		}
	case "lift":
		for _, mb := range s.members {
			if i, ok := s.open[mb.HouseholdID]; ok {
				// Its exemption covers the past and what is already assigned: it serves again
				// after that.
				e := &s.exemptions[i]
				if end := max(s.last(), cur-1); e.Until == 0 || e.Until > end {
					e.Until = end
				}
				delete(s.open, mb.HouseholdID)
				keepBefore = s.last() + 1
				break
			}
		}
	case "swap":
		// Two months from cur on, each planned and served by a different household that is not
		// exempt in the other's month.
		var ms []Month
		for m := range s.planned {
			if m >= cur && s.swapped[m] == 0 {
				ms = append(ms, m)
			}
		}
		slices.Sort(ms)
		if len(ms) < 2 {
			break
		}
		x, y := ms[s.r.IntN(len(ms))], ms[s.r.IntN(len(ms))]
		a, b := s.served[x], s.served[y]
		if x == y || a == b || exempt(s.exemptions, a, y) || exempt(s.exemptions, b, x) {
			break
		}
		s.served[x], s.served[y] = b, a
		s.swapped[x], s.swapped[y] = b, a
		keepBefore = s.last() + 1
		for m, h := range before {
			if s.planned[m] != h {
				s.t.Fatalf("seed %d: a swap changed month %s as planned", s.seed, m)
			}
		}
		before = nil // served months x and y changed, by design
	}
	if ev != "" {
		s.counts[ev]++
	}
	for _, t := range ExtendRotation(s.members, s.exemptions, s.turns(), cur, cur+DutyHorizon-1) {
		if _, ok := s.planned[t.Month]; ok {
			s.t.Fatalf("seed %d: extending reassigned %s", s.seed, t.Month)
		}
		s.planned[t.Month], s.served[t.Month] = t.HouseholdID, t.HouseholdID
	}
	for m, h := range before {
		if m < keepBefore && (s.planned[m] != h || s.served[m] != beforeServed[m]) {
			s.t.Fatalf("seed %d: %q in %s changed month %s (months before %s must stay)", s.seed, ev, cur, m, keepBefore)
		}
	}
}

// eligible is the definition of the package comment, kept from the history, not the rule.
func (s *dutySim) eligible(h int64, m Month) bool {
	in := s.in[h]
	if m < in[0] || in[1] != 0 && m >= in[1] || m <= s.queued[h] {
		return false
	}
	return !exempt(s.exemptions, h, m)
}

// check asserts the property on the months as planned over every 12-month window within
// [from, to], that a vacant month had nobody eligible, that an exempt household serves no
// month its exemption covers, and that the months as served differ from those planned
// exactly at the swapped months.
func (s *dutySim) check(from, to Month) {
	for w := from; w+DutyHorizon-1 <= to; w++ {
		counts := map[int64]int{}
		for h := range s.in {
			throughout := true
			for m := w; m < w+DutyHorizon && throughout; m++ {
				throughout = s.eligible(h, m)
			}
			if throughout {
				counts[h] = 0
			}
		}
		for m := w; m < w+DutyHorizon; m++ {
			if _, ok := counts[s.planned[m]]; ok {
				counts[s.planned[m]]++
			}
		}
		lo, hi := 1<<30, -1
		for _, n := range counts {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > 1 {
			s.t.Fatalf("seed %d: in the 12 months from %s turns as planned differ by %d: %v (events %v)", s.seed, w, hi-lo, counts, s.counts)
		}
	}
	for m := from; m <= to; m++ {
		h, ok := s.planned[m]
		if !ok {
			for x := range s.in {
				if s.eligible(x, m) {
					s.t.Fatalf("seed %d: %s is vacant though household %d is eligible", s.seed, m, x)
				}
			}
			continue
		}
		if !s.eligible(h, m) {
			s.t.Fatalf("seed %d: %s planned for household %d, not eligible then", s.seed, m, h)
		}
		if want, ok := s.swapped[m]; ok {
			if s.served[m] != want {
				s.t.Fatalf("seed %d: swapped month %s served by %d, want %d", s.seed, m, s.served[m], want)
			}
		} else if s.served[m] != h {
			s.t.Fatalf("seed %d: %s served by %d, planned for %d, not swapped", s.seed, m, s.served[m], h)
		}
	}
}

// TestRotationBalanced: over random units (1–25 households) and five-year histories of every
// kind of event — households moving in and out, exemptions with and without an end, exemptions
// lifted, swaps consented by both sides, the rotation extended every month — in every 12-month
// window the turns as planned of the households eligible throughout it differ by at most one;
// a month is vacant only when nobody is eligible; months before the current one never change,
// a move-in or a lift or a swap changes no month as planned, a move-out or a new exemption
// changes only the months from the first one the household loses; the months as served differ
// from those planned only at the swapped months, by the swap.
func TestRotationBalanced(t *testing.T) {
	all := []string{"join", "leave", "exempt", "lift", "swap"}
	for _, events := range [][]string{{"none"}, {"join"}, {"leave", "join"}, {"exempt", "lift"}, {"swap"}, all} {
		t.Run(strings.Join(events, "+"), func(t *testing.T) {
			total := map[string]int{}
			for seed := range uint64(400) {
				s := newDutySim(t, seed)
				for k := range 60 {
					s.step(dutyStart+Month(k), events)
				}
				s.check(dutyStart, dutyStart+59+DutyHorizon-1)
				for k, v := range s.counts {
					total[k] += v
				}
			}
			t.Logf("events drawn over 400 histories (a lift without an open exemption, a swap of two months of one household … change nothing): %v", total)
		})
	}
}

// TestSwapEdge: a swap moves a turn between two months, so in a window that holds only one
// of them the two households' served turns are one up and one down from the plan — what the
// package comment says a swap may do, shown on a round robin of three.
func TestSwapEdge(t *testing.T) {
	members := []DutyMember{{HouseholdID: 1}, {HouseholdID: 2}, {HouseholdID: 3}}
	plan := ExtendRotation(members, nil, nil, dutyStart, dutyStart+23) // 1 2 3 1 2 3 …
	served := map[Month]int64{}
	for _, x := range plan {
		served[x.Month] = x.HouseholdID
	}
	// Household 1 gives its month 0 to household 3 for 3's month 11.
	served[dutyStart], served[dutyStart+11] = 3, 1
	count := func(from Month) map[int64]int {
		c := map[int64]int{}
		for m := from; m < from+DutyHorizon; m++ {
			c[served[m]]++
		}
		return c
	}
	if c := count(dutyStart); c[1] != 4 || c[2] != 4 || c[3] != 4 {
		t.Errorf("window holding both months: %v, want 4 each", c)
	}
	if c := count(dutyStart + 1); c[1] != 4 || c[2] != 4 || c[3] != 4 {
		// months 1–12: the plan has 1:4 2:4 3:4 (month 12 is household 1's); served, month 11
		// went from 3 to 1: 1:5 2:4 3:3.
		if c[1] != 5 || c[3] != 3 {
			t.Errorf("window holding one month: %v, want 1:5 2:4 3:3", c)
		}
	} else {
		t.Errorf("window holding one month unchanged: %v", c)
	}
}

// TestRotationJoinAtEnd: a household moving in keeps every assigned month as it was and takes
// its first turn after each household already in the unit has taken one more.
func TestRotationJoinAtEnd(t *testing.T) {
	members := []DutyMember{{HouseholdID: 1}, {HouseholdID: 2}, {HouseholdID: 3}}
	start := Month(2026 * 12)
	turns := ExtendRotation(members, nil, nil, start, start+11)
	var got []int64
	for _, x := range turns {
		got = append(got, x.HouseholdID)
	}
	if want := []int64{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("first year = %v, want %v", got, want)
	}
	members = append(members, DutyMember{HouseholdID: 4, QueuedAfter: start + 11})
	more := ExtendRotation(members, nil, turns, start+1, start+16)
	got = nil
	for _, x := range more {
		got = append(got, x.HouseholdID)
	}
	if want := []int64{1, 2, 3, 4, 1}; !slices.Equal(got, want) {
		t.Fatalf("after the newcomer = %v, want %v", got, want)
	}
	if more[0].Month != start+12 {
		t.Fatalf("extension starts at %s", more[0].Month)
	}
}

// TestRotationExempt: an exempt household is skipped in the months its exemption covers and
// comes back after it.
func TestRotationExempt(t *testing.T) {
	members := []DutyMember{{HouseholdID: 1}, {HouseholdID: 2}, {HouseholdID: 3}}
	start := Month(2026 * 12)
	ex := []DutyExemption{{HouseholdID: 2, Reason: DutyIllness, From: start, Until: start + 5}}
	turns := ExtendRotation(members, ex, nil, start, start+11)
	for _, x := range turns {
		if x.HouseholdID == 2 && x.Month <= start+5 {
			t.Errorf("exempt household on duty in %s", x.Month)
		}
	}
	if turns[6].HouseholdID != 2 {
		t.Errorf("month 7 = %d, want the household back from its exemption", turns[6].HouseholdID)
	}
	if got := ExtendRotation([]DutyMember{{HouseholdID: 1}}, []DutyExemption{{HouseholdID: 1, From: start}}, nil, start, start+3); len(got) != 0 {
		t.Errorf("a unit whose only household is exempt got turns %v", got)
	}
}

func TestDutyInputs(t *testing.T) {
	now := Month(2026*12 + 5)
	if _, _, err := (DutySwapInput{FromMonth: "2026-07", ToMonth: "2026-07"}).Validate(now); err == nil {
		t.Error("swap of a month with itself accepted")
	}
	if _, _, err := (DutySwapInput{FromMonth: "2026-01", ToMonth: "2026-08"}).Validate(now); err == nil {
		t.Error("swap of a past month accepted")
	}
	if _, _, err := (DutySwapInput{FromMonth: "2026-07", ToMonth: "2026-09"}).Validate(now); err != nil {
		t.Errorf("good swap refused: %v", err)
	}
	if _, err := (DutyExemptionInput{HouseholdID: 1, Reason: "lazy"}).Validate(now); err == nil {
		t.Error("unknown reason accepted")
	}
	if u, err := (DutyExemptionInput{HouseholdID: 1, Reason: DutyAway, Until: "2026-12"}).Validate(now); err != nil || u.String() != "2026-12" {
		t.Errorf("exemption = %v, %v", u, err)
	}
	if _, err := ValidateChecklist([]string{"楼道卫生", " 楼道卫生 "}); err == nil {
		t.Error("duplicate item accepted")
	}
}
