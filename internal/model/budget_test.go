package model_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/model"
)

// TestSelectWinners: the greedy rule as BudgetRuleText says it, case by case.
func TestSelectWinners(t *testing.T) {
	c := func(id int64, yuan int64, approvals int) model.BudgetCandidate {
		return model.BudgetCandidate{ID: id, CostFen: yuan * 100, Approvals: approvals}
	}
	tests := []struct {
		name       string
		candidates []model.BudgetCandidate
		budget     int64 // yuan
		winners    []int64
		used       int64 // yuan
		noBudget   []int64
		noVotes    []int64
	}{
		{name: "empty round", budget: 1000},
		{name: "all fit", candidates: []model.BudgetCandidate{c(1, 300, 5), c(2, 200, 3)}, budget: 1000, winners: []int64{1, 2}, used: 500},
		{name: "most approvals first, a project too dear skipped, the next one fits",
			candidates: []model.BudgetCandidate{c(1, 600, 9), c(2, 500, 8), c(3, 300, 7), c(4, 200, 1)}, budget: 1000,
			winners: []int64{1, 3}, used: 900, noBudget: []int64{2, 4}},
		{name: "a project costing exactly the remainder wins",
			candidates: []model.BudgetCandidate{c(1, 600, 9), c(2, 400, 2)}, budget: 1000, winners: []int64{1, 2}, used: 1000},
		{name: "a tie in approvals goes to the cheaper project",
			candidates: []model.BudgetCandidate{c(1, 700, 4), c(2, 500, 4)}, budget: 1000, winners: []int64{2}, used: 500, noBudget: []int64{1}},
		{name: "a tie in approvals and cost goes to the one proposed first",
			candidates: []model.BudgetCandidate{c(9, 600, 4), c(3, 600, 4)}, budget: 1000, winners: []int64{3}, used: 600, noBudget: []int64{9}},
		{name: "zero approvals never wins, even with budget left",
			candidates: []model.BudgetCandidate{c(1, 100, 3), c(2, 100, 0)}, budget: 1000, winners: []int64{1}, used: 100, noVotes: []int64{2}},
		{name: "nobody voted", candidates: []model.BudgetCandidate{c(1, 100, 0), c(2, 100, 0)}, budget: 1000, noVotes: []int64{1, 2}},
		{name: "one project over the whole budget",
			candidates: []model.BudgetCandidate{c(1, 1200, 9), c(2, 300, 1)}, budget: 1000, winners: []int64{2}, used: 300, noBudget: []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := model.SelectWinners(tt.candidates, tt.budget*100)
			if !slices.Equal(s.Winners, tt.winners) {
				t.Errorf("winners %v, want %v", s.Winners, tt.winners)
			}
			if s.UsedFen != tt.used*100 || s.LeftFen != (tt.budget-tt.used)*100 {
				t.Errorf("used %d left %d, want %d and %d yuan", s.UsedFen, s.LeftFen, tt.used, tt.budget-tt.used)
			}
			for _, id := range tt.noBudget {
				if !strings.HasPrefix(s.Lost[id], model.LostNoBudget) {
					t.Errorf("project %d lost for %q, want %q", id, s.Lost[id], model.LostNoBudget)
				}
			}
			for _, id := range tt.noVotes {
				if s.Lost[id] != model.LostNoVotes {
					t.Errorf("project %d lost for %q, want %q", id, s.Lost[id], model.LostNoVotes)
				}
			}
			if len(s.Lost)+len(s.Winners) != len(tt.candidates) || len(s.Ranked) != len(tt.candidates) {
				t.Errorf("%d lost + %d won of %d (%d ranked)", len(s.Lost), len(s.Winners), len(tt.candidates), len(s.Ranked))
			}
		})
	}
}

// TestSelectWinnersProperties: over random rounds the winners never cost more than the budget,
// nothing with approvals that was left out would still fit, nothing without approvals wins,
// and the input order does not matter.
func TestSelectWinnersProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 5))
	for round := range 2000 {
		n := rng.IntN(25)
		cs := make([]model.BudgetCandidate, n)
		for i := range cs {
			cs[i] = model.BudgetCandidate{ID: int64(i + 1), CostFen: 1 + rng.Int64N(50_000_00), Approvals: rng.IntN(6)}
		}
		budget := rng.Int64N(120_000_00)
		s := model.SelectWinners(cs, budget)
		var sum int64
		won := map[int64]bool{}
		for _, id := range s.Winners {
			won[id] = true
			sum += cs[id-1].CostFen
			if cs[id-1].Approvals == 0 {
				t.Fatalf("round %d: project %d won without approvals", round, id)
			}
		}
		if sum > budget || sum != s.UsedFen || s.LeftFen != budget-sum {
			t.Fatalf("round %d: winners cost %d of %d (used %d, left %d)", round, sum, budget, s.UsedFen, s.LeftFen)
		}
		for _, c := range cs {
			if !won[c.ID] && c.Approvals > 0 && c.CostFen <= s.LeftFen {
				t.Fatalf("round %d: project %d (cost %d, %d approvals) left out with %d left", round, c.ID, c.CostFen, c.Approvals, s.LeftFen)
			}
		}
		shuffled := slices.Clone(cs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if again := model.SelectWinners(shuffled, budget); !slices.Equal(again.Winners, s.Winners) {
			t.Fatalf("round %d: the order of input changed the winners: %v vs %v", round, again.Winners, s.Winners)
		}
	}
}

// FuzzSelectWinners: whatever the costs, approvals and budget, the winners fit the budget.
func FuzzSelectWinners(f *testing.F) {
	f.Add([]byte{3, 1, 4, 1, 5, 9, 2, 6}, int64(1000))
	f.Fuzz(func(t *testing.T, raw []byte, budget int64) {
		var cs []model.BudgetCandidate
		for i := 0; i+1 < len(raw); i += 2 {
			cs = append(cs, model.BudgetCandidate{ID: int64(i), CostFen: int64(raw[i]) * 1000, Approvals: int(raw[i+1] % 4)})
		}
		s := model.SelectWinners(cs, budget)
		if s.UsedFen > max(budget, 0) || s.LeftFen < 0 {
			t.Fatalf("used %d of %d, left %d", s.UsedFen, budget, s.LeftFen)
		}
	})
}

func TestBudgetInputs(t *testing.T) {
	now := time.Date(2027, 3, 1, 10, 0, 0, 0, model.Shanghai)
	in := model.BudgetRoundInput{CommunityID: 1, Title: " 2027年度民生微实事 ", Year: 2027, Budget: "50000", Rule: model.RuleHousehold}
	if err := in.Validate(now); err != nil || in.BudgetFen != 50000_00 || in.Title != "2027年度民生微实事" {
		t.Fatalf("valid round: %v, %d fen, %q", err, in.BudgetFen, in.Title)
	}
	bad := model.BudgetRoundInput{Title: "", Year: 2030, Budget: "12.345", Rule: "x"}
	if got := fields(bad.Validate(now)); !slices.Equal(got, []string{"community_id", "title", "year", "budget", "rule"}) {
		t.Errorf("bad round: %v", got)
	}
	r := model.ReviewInput{Feasible: true, Cost: "60000"}
	if err := r.Validate(50000_00); err == nil || !strings.Contains(err.Error(), "费用超过本轮预算 50000.00 元") {
		t.Errorf("a cost over the budget: %v", err)
	}
	r = model.ReviewInput{Feasible: true, Cost: "50000"}
	if err := r.Validate(50000_00); err != nil || r.CostFen != 50000_00 {
		t.Errorf("a cost of the whole budget: %v", err)
	}
	r = model.ReviewInput{Feasible: false, Cost: "100"}
	if got := fields(r.Validate(50000_00)); !slices.Equal(got, []string{"note"}) || r.CostFen != 0 {
		t.Errorf("infeasible without a reason: %v", got)
	}
	p := model.SmallProjectInput{RoundID: 1, Title: strings.Repeat("长", 61), Description: "x"}
	if got := fields(p.Validate()); !slices.Equal(got, []string{"title"}) {
		t.Errorf("a long title: %v", got)
	}
	for from, want := range map[model.SmallProjectStatus]bool{model.SmallWon: true, model.SmallLost: false, model.SmallInProgress: false} {
		if _, err := model.SmallProjectTransition(from, model.SmallStart); (err == nil) != want {
			t.Errorf("start from %s: %v", from, err)
		}
	}
}

func fields(err error) []string {
	var out []string
	if v, ok := err.(*model.ValidationError); ok {
		for _, f := range v.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}
