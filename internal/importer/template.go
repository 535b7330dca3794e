package importer

import (
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/model"
)

// partyRed is the UI's primary colour, used for required headers.
const partyRed = "C8161D"

// exampleRows are the template's two example residents: one household, a head and a spouse,
// with ID numbers whose check digits are right. Users replace them; their 所属节点 names no
// real node, so an example left in by mistake is refused rather than imported.
func exampleRows() [][]string {
	id := func(first17 string) string { return first17 + string(model.IDCheckDigit(first17)) }
	r1 := make([]string, numColumns)
	r2 := make([]string, numColumns)
	for c := range numColumns {
		r1[c] = columns[c].Example
	}
	r1[colName], r1[colRelation], r1[colIDNumber], r1[colGender], r1[colBirth] = "张建国", "户主", id("51078119650308123"), "男", "1965-03-08"
	r1[colPhone], r1[colPolitical], r1[colOccupation], r1[colMovedIn] = "13812345678", "中共党员", "退休职工", "2010-05-01"
	r1[colElderly], r1[colHardship], r1[colDisability], r1[colMobile] = "否", "否", "否", "否"
	r2[colKey] = "1"
	r2[colName], r2[colRelation], r2[colIDNumber], r2[colGender], r2[colBirth] = "李秀英", "配偶", id("51078119680512124"), "女", "1968-05-12"
	r2[colPolitical], r2[colOccupation] = "群众", "个体经营"
	return [][]string{r1, r2}
}

// WriteTemplate writes the import template as an .xlsx workbook to w: the sheet 住户信息 with
// the header row (required columns in red), two example rows, column widths, every cell
// formatted as text (so ID numbers keep all 18 digits and dates stay as typed) and drop-down
// lists for the closed vocabularies; and the sheet 填写说明 explaining each column.
func WriteTemplate(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	headStyle := func(required bool) (int, error) {
		font := &excelize.Font{Bold: true, Family: "Microsoft YaHei"}
		if required {
			font.Color = partyRed
		}
		return f.NewStyle(&excelize.Style{Font: font, NumFmt: 49,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
			Border:    []excelize.Border{{Type: "bottom", Color: "BFBFBF", Style: 1}}})
	}
	reqStyle, err := headStyle(true)
	if err != nil {
		return err
	}
	optStyle, err := headStyle(false)
	if err != nil {
		return err
	}
	for c := range numColumns {
		col, _ := excelize.ColumnNumberToName(int(c) + 1)
		if err := f.SetColWidth(sheetName, col, col, columns[c].Width+2); err != nil {
			return err
		}
		if err := f.SetColStyle(sheetName, col, text); err != nil {
			return err
		}
		cell := col + "1"
		if err := f.SetCellStr(sheetName, cell, columns[c].Name); err != nil {
			return err
		}
		style := optStyle
		if columns[c].Required {
			style = reqStyle
		}
		if err := f.SetCellStyle(sheetName, cell, cell, style); err != nil {
			return err
		}
	}
	for i, r := range exampleRows() {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = v
		}
		if err := f.SetSheetRow(sheetName, cell, &row); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sheetName, 1, 22); err != nil {
		return err
	}
	if err := f.SetPanes(sheetName, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	relations := make([]string, len(model.Relations))
	for i, r := range model.Relations {
		relations[i] = string(r)
	}
	for _, l := range []struct {
		col   column
		items []string
	}{
		{colRelation, relations},
		{colPolitical, []string{"中共党员", "预备党员", "共青团员", "群众"}},
		{colGender, []string{"男", "女"}},
		{colElderly, []string{"是", "否"}}, {colHardship, []string{"是", "否"}},
		{colDisability, []string{"是", "否"}}, {colMobile, []string{"是", "否"}},
	} {
		col, _ := excelize.ColumnNumberToName(int(l.col) + 1)
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(col + "2:" + col + "1048576")
		if err := dv.SetDropList(l.items); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleWarning, "请从列表中选择", columns[l.col].Name+"应为："+strings.Join(l.items, "、"))
		if err := f.AddDataValidation(sheetName, dv); err != nil {
			return err
		}
	}
	if err := writeNotes(f); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// templateNotes open the 填写说明 sheet.
var templateNotes = []string{
	"住户信息导入说明",
	"1. 在“住户信息”表中一行填一位居民；同一户的成员填相同的户编号，并且填在相邻的行。每户有且只有一位户主。",
	"2. 第1行是列名，请不要修改；红色列名为必填列。列的顺序可以调整，不能增加模板中没有的列。",
	"3. 第2、3行是示例，导入前请删除或改成真实信息。",
	"4. 身份证号、电话等列已设为“文本”格式，请保持，否则长数字会变成科学计数法而丢失末几位。",
	"5. 导入时先检查每一行，只要有一行有错，就不会写入任何数据，并列出每个错误所在的行、列和原因；改正后重新导入即可。",
	"6. 也可以保存为 CSV 文件导入（UTF-8 或 Excel 默认的 GBK 编码均可）。",
	"",
}

func writeNotes(f *excelize.File) error {
	if _, err := f.NewSheet(notesSheet); err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Color: partyRed}})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	row := 1
	for _, line := range templateNotes {
		if err := f.SetCellStr(notesSheet, cellName(1, row), line); err != nil {
			return err
		}
		row++
	}
	if err := f.SetCellStyle(notesSheet, "A1", "A1", title); err != nil {
		return err
	}
	for i, h := range []string{"列名", "是否必填", "填写说明", "示例"} {
		if err := f.SetCellStr(notesSheet, cellName(i+1, row), h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(notesSheet, cellName(1, row), cellName(4, row), bold); err != nil {
		return err
	}
	row++
	examples := exampleRows()[0]
	for c := range numColumns {
		req := "选填"
		if columns[c].Required {
			req = "必填"
		}
		for i, v := range []string{columns[c].Name, req, columns[c].Help, examples[c]} {
			if err := f.SetCellStr(notesSheet, cellName(i+1, row), v); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(notesSheet, cellName(1, row), cellName(4, row), wrap); err != nil {
			return err
		}
		row++
	}
	for col, width := range map[string]float64{"A": 14, "B": 10, "C": 70, "D": 30} {
		if err := f.SetColWidth(notesSheet, col, col, width); err != nil {
			return err
		}
	}
	return nil
}

func cellName(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}
