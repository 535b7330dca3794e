package model

import (
	"math/rand/v2"
	"slices"
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

// dutySim runs a unit's rotation month by month with random households moving in and out and
// exemptions coming and going, as the store does, and remembers who was eligible when.
type dutySim struct {
	r          *rand.Rand
	members    []DutyMember
	exemptions []DutyExemption
	sched      map[Month]int64
	member     map[int64][2]Month // household → [joined, left) (left 0: still in)
	next       int64
	events     bool // whether this run has any event
}

func (s *dutySim) turns() []DutyTurn {
	var ts []DutyTurn
	for m, h := range s.sched {
		ts = append(ts, DutyTurn{m, h})
	}
	return ts
}

func (s *dutySim) last() Month {
	var l Month
	for m := range s.sched {
		l = max(l, m)
	}
	return l
}

func (s *dutySim) join(cur Month) {
	s.next++
	s.members = append(s.members, DutyMember{HouseholdID: s.next, QueuedAfter: s.last()})
	// It is in the queue from the first month not yet assigned when it joined.
	s.member[s.next] = [2]Month{max(cur, s.last()+1), 0}
}

// vacate frees h's months from cur on that pred says and fills them again.
func (s *dutySim) vacate(cur Month, h int64, pred func(Month) bool) {
	var freed []Month
	for m, x := range s.sched {
		if x == h && m >= cur && pred(m) {
			delete(s.sched, m)
			freed = append(freed, m)
		}
	}
	for _, t := range FillVacated(s.members, s.exemptions, s.turns(), freed) {
		s.sched[t.Month] = t.HouseholdID
	}
}

func (s *dutySim) step(cur Month, joins, leaves, exempts bool) {
	if joins && s.r.IntN(6) == 0 {
		s.join(cur)
		s.events = true
	}
	if leaves && len(s.members) > 2 && s.r.IntN(8) == 0 {
		i := s.r.IntN(len(s.members))
		h := s.members[i].HouseholdID
		s.members = slices.Delete(s.members, i, i+1)
		s.member[h] = [2]Month{s.member[h][0], cur}
		s.vacate(cur, h, func(Month) bool { return true })
		s.events = true
	}
	if exempts && s.r.IntN(8) == 0 {
		h := s.members[s.r.IntN(len(s.members))].HouseholdID
		e := DutyExemption{HouseholdID: h, From: cur}
		if s.r.IntN(2) == 0 {
			e.Until = cur + Month(1+s.r.IntN(14))
		}
		s.exemptions = append(s.exemptions, e)
		s.vacate(cur, h, e.Covers)
		s.events = true
	}
	for _, t := range ExtendRotation(s.members, s.exemptions, s.turns(), cur, cur+DutyHorizon-1) {
		if _, ok := s.sched[t.Month]; ok {
			panic("ExtendRotation reassigned a month")
		}
		s.sched[t.Month] = t.HouseholdID
	}
}

// eligibleThroughout reports whether h was in the unit and not exempt in every month of w.
func (s *dutySim) eligibleThroughout(h int64, from, to Month) bool {
	in := s.member[h]
	if in[0] > from || in[1] != 0 && in[1] <= to {
		return false
	}
	for m := from; m <= to; m++ {
		if exempt(s.exemptions, h, m) {
			return false
		}
	}
	return true
}

// spread is the largest difference of turns between households eligible throughout any
// 12-month window that lies within [from, to].
func (s *dutySim) spread(from, to Month) (worst int, at Month) {
	for w := from; w+DutyHorizon-1 <= to; w++ {
		counts := map[int64]int{}
		for h := range s.member {
			if s.eligibleThroughout(h, w, w+DutyHorizon-1) {
				counts[h] = 0
			}
		}
		for m := w; m < w+DutyHorizon; m++ {
			if _, ok := counts[s.sched[m]]; ok {
				counts[s.sched[m]]++
			}
		}
		lo, hi := 1<<30, -1
		for _, n := range counts {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > worst {
			worst, at = hi-lo, w
		}
	}
	return worst, at
}

func newDutySim(seed uint64) *dutySim {
	s := &dutySim{r: rand.New(rand.NewPCG(seed, 9)), sched: map[Month]int64{}, member: map[int64][2]Month{}}
	n := 1 + s.r.IntN(30)
	start := Month(2026 * 12)
	for range n {
		s.next++
		s.members = append(s.members, DutyMember{HouseholdID: s.next})
		s.member[s.next] = [2]Month{start, 0}
	}
	return s
}

// TestRotationBalanced: over random units and histories, in any 12-month window the turns of
// the households eligible throughout it differ by at most one, whatever households joined
// around them; every month has a duty household; no month already assigned is ever reassigned
// by extending (ExtendRotation panics in the simulation if it were). Where a household went
// exempt, months already planned for it are filled again without moving anyone else's
// (FillVacated): there the difference stays within three (asserted) but exceeds one in many
// of these histories, which have an exemption every eight months (the run logs how many).
func TestRotationBalanced(t *testing.T) {
	for _, mode := range []struct {
		name                   string
		joins, leaves, exempts bool
		limit                  int
	}{{"stable", false, false, false, 1}, {"joins", true, false, false, 1}, {"exemptions", false, false, true, 3}, {"joins and exemptions", true, false, true, 3}} {
		t.Run(mode.name, func(t *testing.T) {
			worst, over1 := 0, 0
			for seed := range uint64(300) {
				s := newDutySim(seed)
				start := Month(2026 * 12)
				for k := range 60 {
					s.step(start+Month(k), mode.joins, mode.leaves, mode.exempts)
				}
				end := start + 59 + DutyHorizon - 1
				for m := start; m <= end; m++ {
					if _, ok := s.sched[m]; !ok {
						eligible := false
						for _, mb := range s.members {
							eligible = eligible || !exempt(s.exemptions, mb.HouseholdID, m)
						}
						if eligible && !mode.exempts {
							t.Fatalf("seed %d: month %s has no duty household", seed, m)
						}
					}
				}
				w, at := s.spread(start, end)
				if w > mode.limit {
					t.Errorf("seed %d: in the 12 months from %s turns differ by %d", seed, at, w)
				}
				worst = max(worst, w)
				if w > 1 {
					over1++
				}
			}
			t.Logf("worst difference %d; histories above one: %d of 300", worst, over1)
		})
	}
}

// TestRotationMoveOut: a household moving out loses its future months only; they go to others
// with the difference of turns in any window kept within three (the run logs the worst), and
// no past month changes.
func TestRotationMoveOut(t *testing.T) {
	worst := 0
	for seed := range uint64(300) {
		s := newDutySim(seed)
		start := Month(2026 * 12)
		for k := range 60 {
			before := maps(s.sched)
			s.step(start+Month(k), true, true, false)
			for m, h := range before {
				if m < start+Month(k) && s.sched[m] != h {
					t.Fatalf("seed %d: past month %s changed", seed, m)
				}
			}
		}
		w, at := s.spread(start, start+59+DutyHorizon-1)
		if w > 3 {
			t.Fatalf("seed %d: in the 12 months from %s turns differ by %d", seed, at, w)
		}
		worst = max(worst, w)
	}
	t.Logf("worst spread with households moving out: %d", worst)
}

func maps(m map[Month]int64) map[Month]int64 {
	out := make(map[Month]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
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
