package model

import "testing"

func TestHundredths(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{{"80", 8000, true}, {"1.5", 150, true}, {"0.05", 5, true}, {" 40 ", 4000, true}, {"", 0, false}, {"-1", 0, false}, {"1.", 0, false}, {"1.234", 0, false}, {"a", 0, false}} {
		got, ok := ParseHundredths(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseHundredths(%q) = %d, %v", c.in, got, ok)
		}
	}
	for in, want := range map[int64]string{8000: "80", 150: "1.5", 5: "0.05", 0: "0"} {
		if got := FormatHundredths(in); got != want {
			t.Errorf("FormatHundredths(%d) = %q, want %q", in, got, want)
		}
	}
	it := StandardItem{Op: ">=", Threshold: 8000, Unit: "%"}
	if it.Judge(8000) != StandardMet || it.Judge(7999) != StandardUnmet || it.Target() != "≥ 80 %" {
		t.Error("judge >=")
	}
	it.Op = "<="
	if it.Judge(8001) != StandardUnmet {
		t.Error("judge <=")
	}
	in := StandardItemInput{Code: "BZ-01", Name: "x", Method: StandardAuto, Metric: "bogus", Op: ">", Threshold: "8o"}
	if v, _ := in.Validate().(*ValidationError); v == nil || len(v.Fields) != 3 {
		t.Errorf("bad item: %v", in.Validate())
	}
}
