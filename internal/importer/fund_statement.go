package importer

import (
	"context"
	"fmt"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The statement of special funds (专项经费收支表, issue 12 item 1) as xlsx: a sheet of the
// categories (available at the start, allocated, paid, available at the end, a total row) and a
// sheet of the period's payments. Amounts are numbers with two decimals (fen/100 is exact to
// the cent at these sizes).

// Sheets of the funds statement.
const (
	FundSummarySheet  = "收支汇总"
	FundPaymentsSheet = "支出明细"
)

// FundStatement writes the statement of node territory (0: sc's territory) for year and month
// (0: the whole year), and returns it with a file name.
func FundStatement(ctx context.Context, st *store.Store, sc authz.Scope, territory int64, year, month int) (name string, data []byte, err error) {
	s, err := st.FundStatementOf(ctx, sc, territory, year, month)
	if err != nil {
		return "", nil, err
	}
	data, err = WriteFundStatement(s)
	return fmt.Sprintf("%s-%s专项经费收支表.xlsx", s.TerritoryName, s.Period()), data, err
}

// WriteFundStatement renders s as the statement's xlsx bytes.
func WriteFundStatement(s *model.FundStatement) ([]byte, error) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if err := f.SetSheetName("Sheet1", FundSummarySheet); err != nil {
		return nil, err
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: partyRed}})
	if err != nil {
		return nil, err
	}
	yuan := func(fen int64) float64 { return float64(fen) / 100 }
	sh := FundSummarySheet
	title := fmt.Sprintf("%s %s 专项经费收支表", s.TerritoryName, s.Period())
	if err := f.SetCellValue(sh, "A1", title); err != nil {
		return nil, err
	}
	rows := [][]any{{"经费类别", "期初可用（元）", "本期拨入（元）", "本期支出（元）", "期末可用（元）"}}
	lines := append(append([]model.FundStatementLine{}, s.Lines...), s.Total)
	for _, l := range lines {
		rows = append(rows, []any{l.CategoryName, yuan(l.OpeningFen), yuan(l.AllocatedFen), yuan(l.SpentFen), yuan(l.ClosingFen)})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := f.SetSheetRow(sh, cell, &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetCellStyle(sh, "A3", "E3", head)
	last, _ := excelize.CoordinatesToCellName(5, len(rows)+2)
	_ = f.SetCellStyle(sh, "B4", last, money)
	_ = f.SetColWidth(sh, "A", "A", 22)
	_ = f.SetColWidth(sh, "B", "E", 16)

	ps := FundPaymentsSheet
	if _, err := f.NewSheet(ps); err != nil {
		return nil, err
	}
	prow := [][]any{{"日期", "社区", "经费类别", "用途", "收款方", "金额（元）", "超预算"}}
	var total int64
	for _, p := range s.Payments {
		over := ""
		if p.Override {
			over = "是"
		}
		prow = append(prow, []any{p.PaidAt.In(model.Shanghai).Format("2006-01-02"), p.CommunityName, p.CategoryName, p.Purpose, p.Payee, yuan(p.AmountFen), over})
		total += p.AmountFen
	}
	prow = append(prow, []any{"合计", "", "", "", "", yuan(total), ""})
	for i, row := range prow {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(ps, cell, &row); err != nil {
			return nil, err
		}
	}
	_ = f.SetCellStyle(ps, "A1", "G1", head)
	plast, _ := excelize.CoordinatesToCellName(6, len(prow))
	_ = f.SetCellStyle(ps, "F2", plast, money)
	_ = f.SetColWidth(ps, "A", "C", 14)
	_ = f.SetColWidth(ps, "D", "E", 30)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
