package importer

import (
	"context"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// BurdenExportMax bounds the rows of one export of the burden register's task list.
const BurdenExportMax = 5000

var burdenExportHead = []string{"社区", "交办部门", "条线", "交办事项", "是否在准入清单", "清单事项", "收到日期", "办理时限", "状态", "用时（小时）", "街道审批意见", "审批人", "登记人"}

// BurdenTasks writes the tasks of the burden register the caller reads, narrowed by f (its
// cursor and limit ignored), as an xlsx sheet, latest received first, at most BurdenExportMax
// rows.
func BurdenTasks(ctx context.Context, st *store.Store, sc authz.Scope, f store.BurdenTaskFilter) ([]byte, error) {
	var rows []*model.BurdenTask
	f.Cursor, f.Limit = "", store.MaxLimit
	for len(rows) < BurdenExportMax {
		p, err := st.BurdenTasks(ctx, sc, f)
		if err != nil {
			return nil, err
		}
		rows = append(rows, p.Items...)
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if len(rows) > BurdenExportMax {
		rows = rows[:BurdenExportMax]
	}
	x := excelize.NewFile()
	defer func() { _ = x.Close() }()
	const sh = "交办事项"
	if err := x.SetSheetName("Sheet1", sh); err != nil {
		return nil, err
	}
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	if err != nil {
		return nil, err
	}
	for i, h := range burdenExportHead {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := x.SetCellStr(sh, cell, h); err != nil {
			return nil, err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(burdenExportHead), 1)
	if err := x.SetCellStyle(sh, "A1", last, head); err != nil {
		return nil, err
	}
	for i, t := range rows {
		onList, hours := "否（清单外）", ""
		if t.OnList() {
			onList = "是"
		}
		if t.Status == model.TaskDone {
			hours = t.Hours()
		}
		vals := []any{t.CommunityName, t.DepartmentName, t.DepartmentLine, t.Title, onList, t.DutyCode + " " + t.DutyName, t.ReceivedOn, t.DueOn,
			t.Status.Label(), hours, t.DecisionReason, t.DecidedByName, t.CreatedByName}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := x.SetSheetRow(sh, cell, &vals); err != nil {
			return nil, err
		}
	}
	_ = x.SetColWidth(sh, "A", "C", 14)
	_ = x.SetColWidth(sh, "D", "D", 36)
	_ = x.SetColWidth(sh, "F", "F", 24)
	_ = x.SetColWidth(sh, "K", "K", 30)
	b, err := x.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
