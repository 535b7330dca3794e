package importer

import (
	"context"
	"fmt"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// StandardCompliance writes the compliance of the communities at node territory or under it
// (0: the caller's territory) in year, as on the standards page, as an xlsx sheet: a row per
// community with its counts, then a column per item with the standing and the value. The
// store's errors are returned as they are (model.ErrNotFound for a node out of scope).
func StandardCompliance(ctx context.Context, st *store.Store, sc authz.Scope, territory int64, year int) ([]byte, error) {
	rows, err := st.StandardCompliance(ctx, sc, territory, year)
	if err != nil {
		return nil, err
	}
	return WriteStandardCompliance(rows, year)
}

// StandardComplianceSheet is the name of the compliance export's sheet.
const StandardComplianceSheet = "达标情况"

// WriteStandardCompliance renders rows as the compliance export's xlsx bytes.
func WriteStandardCompliance(rows []*model.StandardRow, year int) ([]byte, error) {
	x := excelize.NewFile()
	defer func() { _ = x.Close() }()
	sh := StandardComplianceSheet
	if err := x.SetSheetName("Sheet1", sh); err != nil {
		return nil, err
	}
	// The items' columns: every item some community is judged on, in the catalogue's order
	// as first met (communities under different streets may have different items).
	var items []*model.StandardItem
	col := map[int64]int{}
	for _, r := range rows {
		for _, res := range r.Results {
			if _, ok := col[res.Item.ID]; !ok {
				col[res.Item.ID] = len(items)
				items = append(items, res.Item)
			}
		}
	}
	head := []any{"社区", "达标（项）", "未达标（项）", "暂无数据（项）"}
	for _, it := range items {
		head = append(head, fmt.Sprintf("%s %s（%s）", it.Code, it.Name, it.Target()))
	}
	if err := x.SetCellStr(sh, "A1", fmt.Sprintf("%d 年基本公共服务达标情况", year)); err != nil {
		return nil, err
	}
	if err := x.SetSheetRow(sh, "A3", &head); err != nil {
		return nil, err
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return nil, err
	}
	last, _ := excelize.CoordinatesToCellName(len(head), 3)
	if err := x.SetCellStyle(sh, "A3", last, bold); err != nil {
		return nil, err
	}
	for i, r := range rows {
		vals := make([]any, len(head))
		vals[0], vals[1], vals[2], vals[3] = r.CommunityName, r.Met, r.Unmet, r.NoData
		for j := range items {
			vals[4+j] = "不适用"
		}
		for _, res := range r.Results {
			v := res.Status.Label()
			if res.Status != model.StandardNoData {
				v += "（" + res.ValueText() + "）"
			}
			vals[4+col[res.Item.ID]] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+4)
		if err := x.SetSheetRow(sh, cell, &vals); err != nil {
			return nil, err
		}
	}
	_ = x.SetColWidth(sh, "A", "A", 20)
	_ = x.SetColWidth(sh, "B", "D", 12)
	if len(items) > 0 {
		first, _ := excelize.ColumnNumberToName(5)
		end, _ := excelize.ColumnNumberToName(4 + len(items))
		_ = x.SetColWidth(sh, first, end, 24)
	}
	b, err := x.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
