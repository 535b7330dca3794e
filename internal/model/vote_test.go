package model

import (
	"testing"
)

func TestThresholdAndQuorum(t *testing.T) {
	for _, c := range []struct {
		th             Threshold
		votes, ballots int
		want           bool
	}{
		{ThresholdMajority, 2, 4, false}, {ThresholdMajority, 3, 4, true}, {ThresholdMajority, 0, 0, false},
		{ThresholdTwoThirds, 2, 3, true}, {ThresholdTwoThirds, 5, 8, false}, {ThresholdTwoThirds, 6, 9, true},
	} {
		if got := c.th.Meets(c.votes, c.ballots); got != c.want {
			t.Errorf("%s %d/%d: %v", c.th, c.votes, c.ballots, got)
		}
	}
	for _, c := range []struct {
		in              string
		voted, eligible int
		want            bool
	}{{"2/3", 66, 100, false}, {"2/3", 67, 100, true}, {"1/2", 50, 100, true}, {"0", 0, 100, true}, {"", 0, 0, true}} {
		q, err := ParseQuorum(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Met(c.voted, c.eligible); got != c.want {
			t.Errorf("quorum %s %d/%d: %v", c.in, c.voted, c.eligible, got)
		}
	}
	for _, bad := range []string{"3/2", "a/b", "1/0", "-1/3", "1/3/4", "50%"} {
		if _, err := ParseQuorum(bad); err == nil {
			t.Errorf("quorum %q accepted", bad)
		}
	}
}

func TestTally(t *testing.T) {
	v := &Vote{Kind: VoteSingle, Eligible: 10, Quorum: Quorum{1, 2}, Threshold: ThresholdMajority,
		Options: []VoteOption{{ID: 1, Label: "甲"}, {ID: 2, Label: "乙"}, {ID: 3, Label: "丙"}}}
	r := Tally(v, [][]int64{{1}, {1}, {1}, {2}, {3}})
	if !r.QuorumMet || !r.Passed || r.WinnerID != 1 || *r.Options[0].Votes != 3 || r.Outcome(v) != "选出：甲" {
		t.Errorf("single: %+v %q", r, r.Outcome(v))
	}
	// A tie has no winner even when both reach the threshold's count.
	r = Tally(v, [][]int64{{1}, {1}, {2}, {2}, {3}})
	if r.Passed || r.WinnerID != 0 {
		t.Errorf("tie: %+v", r)
	}
	v.Kind, v.MaxChoices = VoteMultiple, 2
	r = Tally(v, [][]int64{{1, 2}, {1, 2}, {1, 3}, {2}, {3}})
	if !r.Options[0].Passed || !r.Options[1].Passed || r.Options[2].Passed || r.Outcome(v) != "通过：甲、乙" {
		t.Errorf("multiple: %+v %q", r, r.Outcome(v))
	}
	// Below the quorum nothing passes.
	r = Tally(v, [][]int64{{1}, {1}})
	if r.QuorumMet || r.Passed || r.Options[0].Passed {
		t.Errorf("below quorum: %+v", r)
	}
}

func TestReceipt(t *testing.T) {
	code := ReceiptCode(0x0FEDCBA987654321)
	if len(code) != 14 || code[4] != '-' || code[9] != '-' {
		t.Fatalf("code %q", code)
	}
	for _, typed := range []string{code, " " + code + " ", "0fedcba98765"} {
		if _, ok := NormalizeReceipt(typed); !ok {
			t.Errorf("%q not read as a receipt", typed)
		}
	}
	if got, ok := NormalizeReceipt("oooo-iiii-llll"); !ok || got != "0000-1111-1111" {
		t.Errorf("look-alikes: %q %v", got, ok)
	}
	for _, bad := range []string{"", "ABC", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKM!", "ABCD-EFGH-JKMU", "漢字漢字-EFGH-JKMN"} {
		if _, ok := NormalizeReceipt(bad); ok {
			t.Errorf("%q read as a receipt", bad)
		}
	}
}
