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

// The demo's unit leader elections (issue 9 item 2). The units of the main demo community
// (at most MaxDemoElections of them, so a city of a million households loads as fast as
// before) hold real elections through the store's election functions at the times they took
// place (store.AsOf): opened about eight months ago, a week of voting in which most households
// vote — on their phones or, for some, by proxy through staff — then closed, the tallies
// deciding the leader and its term. The ballots are drawn so that one candidate leads: the
// demo has no tie to resolve. One unit (the demo resident's) held its election nearly three
// years ago, and its term ending, has an open re-election (换届) now, with part of its
// households having voted, so the resident's phone shows a ballot. The rest of the city keeps
// the set-based leaders of store.ElectDemoLeaders.

// MaxDemoElections bounds the units that hold full elections.
const MaxDemoElections = 100

// ElectionsResult counts what UnitElections did.
type ElectionsResult struct {
	Closed int // elections held and closed
	Open   int // elections left open
	Votes  int // ballots cast, proxy included
	Proxy  int // of them by proxy
}

// UnitElections holds the elections of up to MaxDemoElections active units under community
// (and of the units in must, wherever they are) that have never had one, and leaves an open
// re-election in unit open (0: none). Heads of households in avoid (residents linked to demo
// accounts) are never made leaders, so that no two demo accounts share a resident. It is
// deterministic for the seed and today (a date), and a second run adds nothing.
func UnitElections(ctx context.Context, st *store.Store, community int64, must []int64, open int64, avoid map[int64]bool, seed int64, today time.Time) (ElectionsResult, error) {
	var res ElectionsResult
	sys := authz.System()
	p, err := st.Units(ctx, sys, store.UnitFilter{Under: community, Limit: MaxDemoElections})
	if err != nil {
		return res, err
	}
	ids := make([]int64, 0, len(p.Items)+len(must))
	seen := map[int64]bool{}
	for _, id := range must {
		if id != 0 && !seen[id] {
			ids, seen[id] = append(ids, id), true
		}
	}
	for _, u := range p.Items {
		if len(ids) >= MaxDemoElections {
			break
		}
		if !seen[u.ID] {
			ids, seen[u.ID] = append(ids, u.ID), true
		}
	}
	y, m, d := today.Date()
	day0 := time.Date(y, m, d, 9, 0, 0, 0, model.Shanghai)
	for i, id := range ids {
		past, err := st.UnitElections(ctx, sys, id)
		if err != nil {
			return res, err
		}
		if len(past) > 0 {
			continue
		}
		// Most units voted some eight months ago, a few days apart; the unit with the open
		// re-election voted 35 months ago, its 36-month term now ending.
		opens := day0.AddDate(0, -8, -(i % 20))
		if id == open {
			opens = day0.AddDate(0, -35, 0)
		}
		rng := seedFor(seed, fmt.Sprintf("election-%d", id))
		held, err := holdElection(ctx, st, id, opens, opens.AddDate(0, 0, 7).Add(11*time.Hour), avoid, rng, 1, true)
		if err != nil {
			return res, fmt.Errorf("election of unit %d: %w", id, err)
		}
		res.add(held)
		if id == open {
			closes := day0.AddDate(0, 0, 10).Add(11 * time.Hour)
			held, err := holdElection(ctx, st, id, day0.AddDate(0, 0, -2), closes, avoid, rng, 0.4, false)
			if err != nil {
				return res, fmt.Errorf("open election of unit %d: %w", id, err)
			}
			res.add(held)
		}
	}
	return res, nil
}

func (r *ElectionsResult) add(o ElectionsResult) {
	r.Closed += o.Closed
	r.Open += o.Open
	r.Votes += o.Votes
	r.Proxy += o.Proxy
}

// holdElection opens an election of unit at opens (up to three of its household heads
// standing, none from avoid), has about turnout of the households (those in avoid's
// households excepted, so their accounts can vote) vote within the first days, and, when
// closeIt, closes it at closes; otherwise it stays open until closes.
func holdElection(ctx context.Context, st *store.Store, unit int64, opens, closes time.Time, avoid map[int64]bool, rng *rand.Rand, turnout float64, closeIt bool) (ElectionsResult, error) {
	var res ElectionsResult
	sys := authz.System()
	hs, err := st.UnitHouseholds(ctx, sys, unit)
	if err != nil {
		return res, err
	}
	hids := make([]int64, len(hs))
	for i, h := range hs {
		hids[i] = h.ID
	}
	people, err := st.ResidentsOfHouseholds(ctx, sys, hids)
	if err != nil {
		return res, err
	}
	var heads []int64  // candidates' resident ids
	var voters []int64 // households that may vote here
	for _, h := range hs {
		linked := false
		for _, p := range people[h.ID] {
			linked = linked || avoid[p.ID]
		}
		for _, p := range people[h.ID] {
			if p.Relation == model.RelationHead && !linked {
				heads = append(heads, p.ID)
			}
		}
		if !linked || closeIt {
			voters = append(voters, h.ID)
		}
	}
	if len(heads) == 0 {
		return res, nil
	}
	rng.Shuffle(len(heads), func(i, j int) { heads[i], heads[j] = heads[j], heads[i] })
	heads = heads[:min(3, len(heads))]
	clock := opens
	at := st.AsOf(func() time.Time { return clock })
	if !closeIt {
		at = st
	}
	e, err := at.OpenUnitElection(ctx, sys, unit, model.ElectionInput{OpensAt: opens, ClosesAt: closes, TermMonths: model.DefaultTermMonths, Candidates: heads})
	if err != nil {
		return res, err
	}
	// The ballots: the first candidate drawn leads, the others share the rest; a tie at the
	// top goes to the leader by moving one ballot, so that the result is an election.
	cand := map[int64]int64{} // resident → candidate id
	for _, c := range e.Candidates {
		cand[c.ResidentID] = c.ID
	}
	type ballot struct {
		household, choice int64
		proxy             bool
	}
	var ballots []ballot
	votes := map[int64]int{}
	for _, h := range voters {
		if rng.Float64() >= turnout*0.85 && !(closeIt && len(ballots) == 0) {
			continue
		}
		choice := heads[0]
		if len(heads) > 1 && rng.Float64() >= 0.55 {
			choice = heads[1+rng.IntN(len(heads)-1)]
		}
		ballots = append(ballots, ballot{household: h, choice: choice, proxy: rng.Float64() < 0.2})
		votes[choice]++
	}
	for closeIt {
		rival := int64(0)
		for _, r := range heads[1:] {
			if votes[r] >= votes[heads[0]] {
				rival = r
			}
		}
		if rival == 0 {
			break
		}
		for i := range ballots {
			if ballots[i].choice == rival {
				ballots[i].choice = heads[0]
				votes[rival]--
				votes[heads[0]]++
				break
			}
		}
	}
	for i, b := range ballots {
		clock = opens.Add(time.Duration(i+1) * 37 * time.Minute)
		if err := at.CastDemoVote(ctx, e.ID, b.household, cand[b.choice], b.proxy); err != nil {
			return res, err
		}
		res.Votes++
		if b.proxy {
			res.Proxy++
		}
	}
	if !closeIt {
		res.Open++
		return res, nil
	}
	clock = closes
	if _, err := at.CloseUnitElection(ctx, sys, e.ID); err != nil {
		return res, err
	}
	res.Closed++
	return res, nil
}
