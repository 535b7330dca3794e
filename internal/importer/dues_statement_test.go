package importer

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestDuesStatement opens the yearly statement with excelize and checks every member's row
// (monthly amount, each month: paid amount, 欠缴 or empty, totals) and the totals row against
// the store's accounts; an org outside the caller's scope is not found.
func TestDuesStatement(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		street, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgStreetCommittee, Name: "中坝街道大工委", TerritoryID: tr.street.ID})
		if err != nil {
			t.Fatal(err)
		}
		committee, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgCommunityCommittee, ParentID: street.ID, Name: "天宝社区大党委", TerritoryID: tr.community.ID})
		if err != nil {
			t.Fatal(err)
		}
		branch, err := st.CreateOrg(ctx, sys, model.OrgInput{Kind: model.OrgGridBranch, ParentID: committee.ID, Name: "第一网格党支部", TerritoryID: tr.grid.ID})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(name string, cat model.MemberCategory, income int64) int64 {
			m, err := st.CreateMember(ctx, sys, model.MemberInput{Name: name, OrgID: branch.ID, Status: model.MemberFull, JoinedOn: "2019-07-01", Category: cat})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.DeclareIncome(ctx, sys, m.ID, income, false); err != nil {
				t.Fatal(err)
			}
			return m.ID
		}
		worker := mk("王建国", model.CategoryInWork, 4500_00)   // 1 %: 45.00
		retired := mk("李秀英", model.CategoryRetired, 2600_00) // 0.5 %: 13.00
		now := time.Now().In(model.Shanghai)
		year := now.Year()
		today := now.Format(time.DateOnly)
		if _, err := st.RecordPayment(ctx, sys, worker, store.PaymentInput{Month: strconv.Itoa(year) + "-01", Amount: "45", PaidOn: today}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordPayment(ctx, sys, retired, store.PaymentInput{Month: now.Format("2006-01"), Amount: "13.00", PaidOn: today, PaidBy: "王小明"}); err != nil {
			t.Fatal(err)
		}
		sc := scopeOf(tr.community)
		name, data, err := DuesStatement(ctx, st, sc, branch.ID, year)
		if err != nil {
			t.Fatal(err)
		}
		if name != "第一网格党支部-"+strconv.Itoa(year)+"年党费明细.xlsx" {
			t.Errorf("file name %q", name)
		}
		accounts, err := st.DuesAccounts(ctx, sc, store.DuesFilter{OrgID: branch.ID, Year: year})
		if err != nil || len(accounts) != 2 {
			t.Fatalf("accounts: %d %v", len(accounts), err)
		}
		x, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows(DuesStatementSheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2+len(accounts)+1 {
			t.Fatalf("%d rows, want title, header, %d members, totals", len(rows), len(accounts))
		}
		get := func(row []string, col int) string {
			if col-1 < len(row) {
				return row[col-1]
			}
			return ""
		}
		tail := DuesStatementFirstMonthCol + 12
		var paid, arrears, monthly int64
		monthSums := make([]int64, 12)
		for i, a := range accounts {
			row := rows[2+i]
			if get(row, 2) != a.Member.Name || get(row, 5) != model.FormatYuan(a.MonthlyFen) {
				t.Errorf("row %d = %v, want %s at %s", i, row, a.Member.Name, model.FormatYuan(a.MonthlyFen))
			}
			for m, dm := range a.Months(year) {
				want := ""
				switch {
				case dm.Payment != nil:
					want = model.FormatYuan(dm.Payment.AmountFen)
					monthSums[m] += dm.Payment.AmountFen
				case dm.Due:
					want = "欠缴"
				}
				if got := get(row, DuesStatementFirstMonthCol+m); got != want {
					t.Errorf("%s, month %d: %q, want %q", a.Member.Name, m+1, got, want)
				}
			}
			if get(row, tail) != model.FormatYuan(a.PaidFen) || get(row, tail+1) != model.FormatYuan(a.ArrearsFen) || get(row, tail+2) != strconv.Itoa(len(a.Arrears)) {
				t.Errorf("%s totals: %v; want paid %d, arrears %d fen in %d months", a.Member.Name, row[tail-1:], a.PaidFen, a.ArrearsFen, len(a.Arrears))
			}
			paid += a.PaidFen
			arrears += a.ArrearsFen
			monthly += a.MonthlyFen
		}
		// The store's own arithmetic, for this fixture: 45.00 + 13.00 paid.
		if paid != 5800 || monthly != 5800 {
			t.Errorf("store: paid %d, monthly %d; want 5800 and 5800", paid, monthly)
		}
		sum := rows[len(rows)-1]
		if get(sum, 2) != "合计" || get(sum, tail) != model.FormatYuan(paid) || get(sum, tail+1) != model.FormatYuan(arrears) || get(sum, 5) != model.FormatYuan(monthly) {
			t.Errorf("totals row = %v; want paid %d, arrears %d", sum, paid, arrears)
		}
		for m, s := range monthSums {
			if got := get(sum, DuesStatementFirstMonthCol+m); got != model.FormatYuan(s) {
				t.Errorf("month %d total %q, want %s", m+1, got, model.FormatYuan(s))
			}
		}
		if _, _, err := DuesStatement(ctx, st, scopeOf(tr.community2), branch.ID, year); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("an org outside the scope: %v, want not found", err)
		}
	})
}
