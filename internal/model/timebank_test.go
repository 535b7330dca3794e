package model

import "testing"

func TestParseAndFormatHours(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 60, true}, {"1.5", 90, true}, {"0.25", 15, true}, {"2.", 120, true}, {".5", 30, true}, {" 3 ", 180, true},
		{"0.01", 1, true}, {"1.123", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"1.-5", 0, false}, {"abc", 0, false}, {"", 0, false}, {".", 0, false}, {"999999", 0, false},
	} {
		got, ok := ParseHours(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseHours(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for m, want := range map[int]string{0: "0", 60: "1", 90: "1.5", 15: "0.25", 1: "0.02", 20: "0.33", 150: "2.5", -45: "-0.75"} {
		if got := FormatHours(m); got != want {
			t.Errorf("FormatHours(%d) = %q, want %q", m, got, want)
		}
	}
	if got := InsufficientMinutes(120, 180); got != "余额不足：可用 2 小时，需要 3 小时" {
		t.Errorf("message %q", got)
	}
}
