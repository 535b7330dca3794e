package model

import (
	"testing"
	"time"
)

func TestBurdenMinutes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1.5", 90, true}, {"2", 120, true}, {" 3.0 ", 180, true}, {"2000", 120000, true},
		{"", 0, false}, {"0", 0, false}, {"-1", 0, false}, {"abc", 0, false}, {"2000.1", 0, false},
	} {
		got, err := BurdenMinutes("hours", c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("BurdenMinutes(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestBurdenTaskInputValidate(t *testing.T) {
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	ok := BurdenTaskInput{CommunityID: 1, DepartmentID: 2, Title: " 填报 ", ReceivedOn: "2026-03-10", DueOn: "2026-03-20"}
	if err := ok.Validate(now); err != nil || ok.Title != "填报" {
		t.Fatalf("valid input: %v", err)
	}
	bad := BurdenTaskInput{ReceivedOn: "2026-03-11", DueOn: "2026-03-01"}
	err := bad.Validate(now)
	v, _ := err.(*ValidationError)
	if v == nil || len(v.Fields) != 5 {
		t.Fatalf("bad input: %v", err)
	}
	late := BurdenTaskInput{CommunityID: 1, DepartmentID: 2, Title: "x", ReceivedOn: "2026-03-05", DueOn: "2026-03-01"}
	if err := late.Validate(now); err == nil {
		t.Error("due before received accepted")
	}
}

func TestBurdenTaskOverdue(t *testing.T) {
	now := time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC) // 11 March in Shanghai
	tk := BurdenTask{Status: TaskAccepted, DueOn: "2026-03-10"}
	if !tk.Overdue(now) {
		t.Error("open task past its deadline not overdue")
	}
	tk.Status = TaskDone
	if tk.Overdue(now) {
		t.Error("done task overdue")
	}
}

func TestBurdenCatalogValidate(t *testing.T) {
	d := BurdenDepartmentInput{Name: "民政局", Line: "民政"}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
	d.Line = "外星"
	if err := d.Validate(); err == nil {
		t.Error("unknown line accepted")
	}
	u := BurdenDutyInput{Code: "MZ-01", Name: "低保", Basis: ""}
	if err := u.Validate(); err == nil {
		t.Error("duty without basis accepted")
	}
}
