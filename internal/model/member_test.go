package model

import (
	"testing"
	"time"
)

func TestMonthlyDuesAtTheBoundaries(t *testing.T) {
	tests := []struct {
		name        string
		category    MemberCategory
		income      int64 // fen
		subsistence bool
		want        int64 // fen
	}{
		{"in work, 3000 yuan: 0.5 %", CategoryInWork, 3000_00, false, 1500},
		{"in work, 3000.01 yuan: 1 %", CategoryInWork, 3000_01, false, 3000},
		{"in work, 5000 yuan: 1 %", CategoryInWork, 5000_00, false, 5000},
		{"in work, 5000.01 yuan: 1.5 %", CategoryInWork, 5000_01, false, 7500},
		{"in work, 10000 yuan: 1.5 %", CategoryInWork, 10000_00, false, 15000},
		{"in work, 10000.01 yuan: 2 %", CategoryInWork, 10000_01, false, 20000},
		{"in work, 1234.50 yuan rounds half up", CategoryInWork, 1234_50, false, 617},
		{"in work, 1 fen of income pays 1 fen", CategoryInWork, 1, false, 1},
		{"in work, no income", CategoryInWork, 0, false, 0},
		{"other follows the in-work table", CategoryOther, 4000_00, false, 4000},
		{"retired, 5000 yuan: 0.5 %", CategoryRetired, 5000_00, false, 2500},
		{"retired, 5000.01 yuan: 1 %", CategoryRetired, 5000_01, false, 5000},
		{"retired, 2600 yuan", CategoryRetired, 2600_00, false, 1300},
		{"student: 0.2 yuan", CategoryStudent, 0, false, 20},
		{"unemployed: 0.2 yuan whatever the income", CategoryUnemployed, 2000_00, false, 20},
		{"subsistence allowance: 0.2 yuan", CategoryInWork, 900_00, true, 20},
	}
	for _, tt := range tests {
		if got := MonthlyDues(tt.category, tt.income, tt.subsistence); got != tt.want {
			t.Errorf("%s: MonthlyDues(%s, %d) = %d fen, want %d", tt.name, tt.category, tt.income, got, tt.want)
		}
	}
}

func TestParseYuanRefusesFractionsOfFen(t *testing.T) {
	good := map[string]int64{"3500": 350000, "3500.5": 350050, "3500.50": 350050, "0.2": 20, "0.01": 1, " 12 ": 1200}
	for s, want := range good {
		if got, msg := ParseYuan(s); msg != "" || got != want {
			t.Errorf("ParseYuan(%q) = %d, %q; want %d", s, got, msg, want)
		}
	}
	for _, s := range []string{"0.001", "12.345", "-5", "+5", "1e3", "", ".5", "5.", "12,00", "１２", "1234567890"} {
		if got, msg := ParseYuan(s); msg == "" {
			t.Errorf("ParseYuan(%q) = %d, accepted; want refused", s, got)
		}
	}
	if _, msg := ParseYuan("0.001"); msg != "金额最小单位为分，最多两位小数" {
		t.Errorf("fraction of a fen: message %q", msg)
	}
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 1234: "12.34", 350000: "3500.00"} {
		if got := FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestMemberInputValidate(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ok := MemberInput{Name: "张三", OrgID: 1, Status: MemberFull, Category: CategoryRetired, JoinedOn: "1980-07-01", FullOn: "1981-07-01", BirthDate: "1950-01-01"}
	if err := ok.Validate(now); err != nil {
		t.Fatalf("valid input: %v", err)
	}
	if ok.List != ListRegistered || ok.Mobility != MobilityNone {
		t.Errorf("defaults: list %q mobility %q", ok.List, ok.Mobility)
	}
	bad := []struct {
		in    MemberInput
		field string
	}{
		{MemberInput{OrgID: 1, Status: MemberFull, Category: CategoryRetired}, "name"},
		{MemberInput{Name: "a", Status: MemberFull, Category: CategoryRetired}, "org_id"},
		{MemberInput{Name: "a", OrgID: 1, Status: "member", Category: CategoryRetired}, "status"},
		{MemberInput{Name: "a", OrgID: 1, Status: MemberFull, Category: "farmer"}, "category"},
		{MemberInput{Name: "a", OrgID: 1, Status: MemberFull, Category: CategoryRetired, Mobility: "inflow"}, "mobility"},
		{MemberInput{Name: "a", OrgID: 1, Status: MemberProbationary, Category: CategoryRetired, FullOn: "2020-01-01"}, "full_on"},
		{MemberInput{Name: "a", OrgID: 1, Status: MemberFull, Category: CategoryRetired, JoinedOn: "2020-01-01", FullOn: "2020-06-01"}, "full_on"},
		{MemberInput{Name: "a", OrgID: 1, Status: MemberFull, Category: CategoryRetired, JoinedOn: "2027-01-01"}, "joined_on"},
		{MemberInput{Name: "a", OrgID: 1, Status: MemberFull, Category: CategoryRetired, ReportingKind: ReportingInflow}, "reporting_kind"},
		{MemberInput{List: ListReporting, Name: "a", OrgID: 1, Status: MemberFull, Category: CategoryInWork, HomeOrg: "x"}, "reporting_kind"},
		{MemberInput{List: ListReporting, Name: "a", OrgID: 1, Status: MemberFull, Category: CategoryInWork, ReportingKind: ReportingInWork}, "home_org"},
		{MemberInput{Name: "a", OrgID: 1, Status: MemberFull, Category: CategoryRetired, BirthDate: "2000-01-01", JoinedOn: "2010-01-01"}, "joined_on"},
	}
	for i, b := range bad {
		err := b.in.Validate(now)
		v, _ := err.(*ValidationError)
		found := false
		if v != nil {
			for _, f := range v.Fields {
				found = found || f.Field == b.field
			}
		}
		if !found {
			t.Errorf("case %d: want an error on %s, got %v", i, b.field, err)
		}
	}
}
