package importer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// ExportHouseholds writes the households in scope matching f, and their residents, to w as an
// .xlsx workbook with the import layout's columns: one row per resident, a household without
// residents as one row of its own. ID numbers and phones are masked (they are
// model.Sensitive values, whose only rendering is the mask) and their headers say 已脱敏, so an export cannot be imported again as it
// is; 户编号 is the household's id and 所属节点 the node's name path from the top of the scope.
// f.Limit and f.Cursor are ignored: every matching household is exported, a page at a time
// through a streaming writer, so memory does not grow with the number of rows. progress, when
// not nil, gets StageExport with households done and the total.
func ExportHouseholds(ctx context.Context, st *store.Store, sc authz.Scope, f store.HouseholdFilter, w io.Writer, progress func(stage string, done, total int)) error {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	book := excelize.NewFile()
	defer book.Close()
	if err := book.SetSheetName("Sheet1", sheetName); err != nil {
		return err
	}
	sw, err := book.NewStreamWriter(sheetName)
	if err != nil {
		return err
	}
	head, err := book.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
		Border: []excelize.Border{{Type: "bottom", Color: "BFBFBF", Style: 1}}})
	if err != nil {
		return err
	}
	hdr := make([]any, numColumns)
	for c := range numColumns {
		if err := sw.SetColWidth(int(c)+1, int(c)+1, columns[c].Width+2); err != nil {
			return err
		}
		hdr[c] = excelize.Cell{StyleID: head, Value: c.exportName()}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}

	names := territoryNames{ctx: ctx, st: st, sc: sc, cache: map[int64]string{}}
	f.Limit, f.Cursor = store.MaxLimit, ""
	line, done, total := 2, 0, 0
	row := make([]any, numColumns)
	for {
		page, err := st.Households(ctx, sc, f)
		if err != nil {
			return err
		}
		if done == 0 {
			total = int(page.Total)
		}
		ids := make([]int64, len(page.Items))
		for i, h := range page.Items {
			ids[i] = h.ID
		}
		people, err := st.ResidentsOfHouseholds(ctx, sc, ids)
		if err != nil {
			return err
		}
		for _, h := range page.Items {
			where, err := names.of(h.TerritoryID)
			if err != nil {
				return err
			}
			rs := people[h.ID]
			if len(rs) == 0 {
				rs = []*model.Resident{nil}
			}
			for _, r := range rs {
				exportRow(row, h, where, r)
				if err := sw.SetRow(cellName(1, line), row); err != nil {
					return err
				}
				line++
			}
			done++
		}
		progress(StageExport, done, total)
		if page.Next == "" {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		f.Cursor = page.Next
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := exportNotes(book, done, line-2); err != nil {
		return err
	}
	book.SetActiveSheet(0)
	// One audit record per export, with the count and the filter, before a byte goes out: if
	// it cannot be written, nothing is exported.
	if err := st.RecordAccess(ctx, sc, "household.export", "household", nil, exportAuditDetail(f, done, line-2)); err != nil {
		return err
	}
	_, err = book.WriteTo(w)
	return err
}

// exportAuditDetail describes an export for the audit log: counts and filter, with the search
// text only as its length (it may be a person's name).
func exportAuditDetail(f store.HouseholdFilter, households, rows int) string {
	d := fmt.Sprintf("households=%d rows=%d territory=%d", households, rows, f.Under)
	if f.Flag != "" {
		d += " flag=" + f.Flag
	}
	if f.MovedOut {
		d += " moved_out=true"
	}
	if f.Q != "" {
		d += fmt.Sprintf(" q=(%d chars)", len([]rune(f.Q)))
	}
	return d
}

// exportRow fills row with one resident of h (r nil: the household alone).
func exportRow(row []any, h *model.Household, where string, r *model.Resident) {
	for i := range row {
		row[i] = nil
	}
	row[colKey] = strconv.FormatInt(h.ID, 10)
	row[colTerritory] = where
	row[colAddress] = h.Address
	row[colElderly], row[colHardship], row[colDisability], row[colMobile] = yesNo(h.Flags.ElderlyAlone), yesNo(h.Flags.Hardship), yesNo(h.Flags.Disability), yesNo(h.Flags.Mobile)
	if h.MovedInAt != nil {
		row[colMovedIn] = h.MovedInAt.Format(time.DateOnly)
	}
	if r == nil {
		return
	}
	row[colName] = r.Name
	row[colRelation] = r.Relation.Label()
	row[colIDNumber] = r.IDNumber.String() // model.Sensitive: the mask
	row[colGender] = map[model.Gender]string{model.GenderMale: "男", model.GenderFemale: "女"}[r.Gender]
	row[colBirth] = r.BirthDate.Format(time.DateOnly)
	if !r.Phone.IsZero() {
		row[colPhone] = r.Phone.String()
	}
	row[colPolitical] = r.PoliticalStatus.Label()
	row[colOccupation] = r.Occupation
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func exportNotes(book *excelize.File, households, rows int) error {
	const notes = "导出说明"
	if _, err := book.NewSheet(notes); err != nil {
		return err
	}
	for i, line := range []string{
		"导出时间：" + time.Now().In(model.Shanghai).Format("2006-01-02 15:04"),
		"共" + strconv.Itoa(households) + "户、" + strconv.Itoa(rows) + "行。",
		"身份证号和联系电话已脱敏（只显示部分数字），因此本文件不能直接再导入。",
		"户编号是系统中的住户编号；所属节点是从您的管辖范围起的名称路径。",
		"如需批量新增住户，请下载导入模板填写完整信息后导入。",
	} {
		if err := book.SetCellStr(notes, cellName(1, i+1), line); err != nil {
			return err
		}
	}
	return nil
}

// territoryNames renders a node as its name path from the top of the scope, cached.
type territoryNames struct {
	ctx   context.Context
	st    *store.Store
	sc    authz.Scope
	cache map[int64]string
}

func (n *territoryNames) of(id int64) (string, error) {
	if s, ok := n.cache[id]; ok {
		return s, nil
	}
	t, err := n.st.Territory(n.ctx, n.sc, id)
	if err != nil {
		return "", err
	}
	up, err := n.st.Ancestors(n.ctx, n.sc, t)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(up)+1)
	for _, a := range up {
		parts = append(parts, a.Name)
	}
	s := strings.Join(append(parts, t.Name), "/")
	n.cache[id] = s
	return s, nil
}
