package importer

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The yearly dues statement (党费收缴年度明细表, issue 8 item 7) as xlsx: one row per current
// registered member of an org and the orgs under it, the twelve months (the amount paid, 欠缴
// for a due month without a payment, empty before the member came on the roster or after this
// month), the monthly amount and the totals in yuan; a last row sums every column. Amounts are
// numbers with two decimals (money is integer fen in the store; fen/100 is exact to the cent
// at these sizes).

// DuesStatementSheet is the name of the statement's one sheet.
const DuesStatementSheet = "党费明细"

// Columns of the statement: the fixed ones before the months, then the totals after them.
var duesStatementHead = []string{"序号", "姓名", "所在组织", "类别", "月缴额（元）"}
var duesStatementTail = []string{"已缴合计（元）", "欠缴合计（元）", "欠缴月数"}

// DuesStatementFirstMonthCol is the 1-based column of January in the statement.
const DuesStatementFirstMonthCol = 6

// DuesStatement writes the statement of org (in sc, which may read dues) for year, and returns
// it with a file name. The org must be one sc reaches (model.ErrNotFound otherwise).
func DuesStatement(ctx context.Context, st *store.Store, sc authz.Scope, org int64, year int) (name string, data []byte, err error) {
	accounts, err := st.DuesAccounts(ctx, sc, store.DuesFilter{OrgID: org, Year: year})
	if err != nil {
		return "", nil, err
	}
	var orgName string
	if len(accounts) > 0 {
		for _, a := range accounts {
			if a.Member.OrgID == org {
				orgName = a.Member.OrgName
				break
			}
		}
	}
	if orgName == "" {
		// No member whose dues sc reads: a member account (a secretary by post) reaches no
		// org through the territory, only its members; staff see the org's empty statement.
		if sc.Role == model.RoleMember {
			return "", nil, model.ErrNotFound
		}
		o, err := st.Org(ctx, sc, org)
		if err != nil {
			return "", nil, err
		}
		orgName = o.Name
	}
	data, err = WriteDuesStatement(orgName, year, accounts)
	return fmt.Sprintf("%s-%d年党费明细.xlsx", orgName, year), data, err
}

// WriteDuesStatement renders accounts (settled for year) as the statement's xlsx bytes.
func WriteDuesStatement(orgName string, year int, accounts []*store.DuesAccount) ([]byte, error) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	sh := DuesStatementSheet
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return nil, err
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return nil, err
	}
	owed, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: partyRed, Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FDECEC"}}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 2})
	if err != nil {
		return nil, err
	}
	cols := len(duesStatementHead) + 12 + len(duesStatementTail)
	last, _ := excelize.CoordinatesToCellName(cols, 1)
	if err := f.MergeCell(sh, "A1", last); err != nil {
		return nil, err
	}
	if err := f.SetCellValue(sh, "A1", fmt.Sprintf("%s %d年党费收缴明细表", orgName, year)); err != nil {
		return nil, err
	}
	headers := append([]string{}, duesStatementHead...)
	for m := 1; m <= 12; m++ {
		headers = append(headers, strconv.Itoa(m)+"月")
	}
	headers = append(headers, duesStatementTail...)
	if err := f.SetSheetRow(sh, "A2", &headers); err != nil {
		return nil, err
	}
	lastHead, _ := excelize.CoordinatesToCellName(cols, 2)
	if err := f.SetCellStyle(sh, "A2", lastHead, head); err != nil {
		return nil, err
	}
	cell := func(col, row int) string { c, _ := excelize.CoordinatesToCellName(col, row); return c }
	setYuan := func(col, row int, fen int64, style int) error {
		if err := f.SetCellFloat(sh, cell(col, row), float64(fen)/100, 2, 64); err != nil {
			return err
		}
		return f.SetCellStyle(sh, cell(col, row), cell(col, row), style)
	}
	monthSums := make([]int64, 12)
	var monthlySum, paidSum, arrearsSum int64
	var arrearsMonths int
	row := 3
	for i, a := range accounts {
		vals := []any{i + 1, a.Member.Name, a.Member.OrgName, a.Member.Category.Label()}
		if err := f.SetSheetRow(sh, cell(1, row), &vals); err != nil {
			return nil, err
		}
		if err := setYuan(5, row, a.MonthlyFen, money); err != nil {
			return nil, err
		}
		for m, dm := range a.Months(year) {
			col := DuesStatementFirstMonthCol + m
			switch {
			case dm.Payment != nil:
				monthSums[m] += dm.Payment.AmountFen
				if err := setYuan(col, row, dm.Payment.AmountFen, money); err != nil {
					return nil, err
				}
			case dm.Due:
				if err := f.SetCellValue(sh, cell(col, row), "欠缴"); err != nil {
					return nil, err
				}
				if err := f.SetCellStyle(sh, cell(col, row), cell(col, row), owed); err != nil {
					return nil, err
				}
			}
		}
		tail := DuesStatementFirstMonthCol + 12
		if err := setYuan(tail, row, a.PaidFen, money); err != nil {
			return nil, err
		}
		if err := setYuan(tail+1, row, a.ArrearsFen, money); err != nil {
			return nil, err
		}
		if err := f.SetCellInt(sh, cell(tail+2, row), int64(len(a.Arrears))); err != nil {
			return nil, err
		}
		monthlySum += a.MonthlyFen
		paidSum += a.PaidFen
		arrearsSum += a.ArrearsFen
		arrearsMonths += len(a.Arrears)
		row++
	}
	// The totals row.
	if err := f.SetCellValue(sh, cell(2, row), "合计"); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sh, cell(1, row), cell(cols, row), bold); err != nil {
		return nil, err
	}
	if err := setYuan(5, row, monthlySum, bold); err != nil {
		return nil, err
	}
	for m, s := range monthSums {
		if err := setYuan(DuesStatementFirstMonthCol+m, row, s, bold); err != nil {
			return nil, err
		}
	}
	tail := DuesStatementFirstMonthCol + 12
	if err := setYuan(tail, row, paidSum, bold); err != nil {
		return nil, err
	}
	if err := setYuan(tail+1, row, arrearsSum, bold); err != nil {
		return nil, err
	}
	if err := f.SetCellInt(sh, cell(tail+2, row), int64(arrearsMonths)); err != nil {
		return nil, err
	}
	for _, w := range []struct {
		from, to string
		width    float64
	}{{"A", "A", 6}, {"B", "B", 10}, {"C", "C", 22}, {"D", "D", 10}, {"E", "E", 12}} {
		if err := f.SetColWidth(sh, w.from, w.to, w.width); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 2, TopLeftCell: "C3", ActivePane: "bottomRight"}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
