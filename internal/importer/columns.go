// Package importer reads households and residents from CSV and XLSX files into the store, and
// writes them back out to XLSX with personal fields masked.
//
// # Column layout
//
// One row is one resident; consecutive rows with the same 户编号 form one household. The first
// row holds the column names; columns are matched by name, in any order. A column name may carry
// a trailing "*" (the template marks required columns so). The columns:
//
//	列名            必填  内容
//	户编号          是    本文件内区分住户的编号，任意文字或数字；同一户的成员填相同的编号，且填在相邻的行
//	所属节点        是    住户登记的节点（社区及以下，通常是单元或楼栋）：12位统计区划代码、节点ID，
//	                      或从管辖范围起的名称路径，如“天宝社区/第一网格/1栋/1单元”（也接受列名“所属节点代码或ID”）
//	门牌地址        是    如“1栋1单元502室”；同户其他行可留空
//	姓名            是
//	与户主关系      是    户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、儿媳、女婿、其他（“本人”视为户主）
//	身份证号        是    18位居民身份证号，末位X大小写均可
//	性别            否    男/女；留空由身份证号推算
//	出生日期        否    YYYY-MM-DD（也接受 1965/3/8、19650308、1965年3月8日）；留空由身份证号推算
//	联系电话        否    11位手机号或带区号的固定电话
//	政治面貌        是    中共党员、预备党员、共青团员、群众；留空视为群众
//	职业            否
//	独居老人        否    是/否，留空为否；取本户第一行
//	困难户          否    同上
//	残疾            否    同上
//	流动人口        否    同上
//	迁入日期        否    YYYY-MM-DD；取本户第一行
//
// Each household has exactly one 户主. ID numbers must be unique in the file and not yet
// registered. docs/import-households.md is the same layout for the people who fill the file in.
package importer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gongzhi/internal/model"
)

// column identifies one column of the layout.
type column int

const (
	colKey column = iota
	colTerritory
	colAddress
	colName
	colRelation
	colIDNumber
	colGender
	colBirth
	colPhone
	colPolitical
	colOccupation
	colElderly
	colHardship
	colDisability
	colMobile
	colMovedIn
	numColumns
)

// columnSpec describes one column for the header check, the template and the export.
type columnSpec struct {
	Name     string // header in import files and the template
	Export   string // header in exports (differs for masked columns)
	Required bool   // the header must be present
	Width    float64
	Help     string // what to write, for the template's 填写说明 sheet
	Example  string
}

var columns = [numColumns]columnSpec{
	colKey:        {Name: "户编号", Required: true, Width: 10, Help: "本文件内区分住户的编号，可以是任意文字或数字。同一户的成员填相同的编号，并且填在相邻的行。", Example: "1"},
	colTerritory:  {Name: "所属节点", Required: true, Width: 30, Help: "住户登记的节点，须在社区及以下（通常是单元或楼栋），且在您的管辖范围内。可填12位统计区划代码、节点ID，或从您的管辖范围起的名称路径，用“/”分隔，例如“天宝社区/第一网格/1栋/1单元”。同户其他行可留空。", Example: "示例社区/第一网格/1栋/1单元"},
	colAddress:    {Name: "门牌地址", Required: true, Width: 22, Help: "门牌地址，例如“1栋1单元502室”，不超过128个字。同户其他行可留空。", Example: "1栋1单元502室"},
	colName:       {Name: "姓名", Required: true, Width: 10, Help: "居民姓名，不超过32个字。"},
	colRelation:   {Name: "与户主关系", Required: true, Width: 12, Help: "户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、儿媳、女婿或其他（“本人”按户主处理）。每户必须有且只有一位户主。"},
	colIDNumber:   {Name: "身份证号", Export: "身份证号(已脱敏)", Required: true, Width: 22, Help: "18位居民身份证号，末位X大小写均可。请把此列设为“文本”格式，否则表格软件会把它变成科学计数法并丢掉后几位。同一身份证号在文件中只能出现一次，且不能已登记。"},
	colGender:     {Name: "性别", Width: 6, Help: "男或女。可留空，由身份证号第17位推算。"},
	colBirth:      {Name: "出生日期", Width: 12, Help: "YYYY-MM-DD，例如1965-03-08（也接受1965/3/8、19650308、1965年3月8日）。可留空，由身份证号推算。"},
	colPhone:      {Name: "联系电话", Export: "联系电话(已脱敏)", Width: 15, Help: "11位手机号（如13812345678）或带区号的固定电话（如0816-3221234）。可留空。"},
	colPolitical:  {Name: "政治面貌", Required: true, Width: 10, Help: "中共党员、预备党员、共青团员或群众。留空视为群众。"},
	colOccupation: {Name: "职业", Width: 12, Help: "可留空，不超过64个字。"},
	colElderly:    {Name: "独居老人", Width: 9, Help: "是或否，留空为否。住户标记，只看本户第一行。"},
	colHardship:   {Name: "困难户", Width: 8, Help: "是或否，留空为否。住户标记，只看本户第一行。"},
	colDisability: {Name: "残疾", Width: 6, Help: "是或否，留空为否。住户标记，只看本户第一行。"},
	colMobile:     {Name: "流动人口", Width: 9, Help: "是或否，留空为否。住户标记，只看本户第一行。"},
	colMovedIn:    {Name: "迁入日期", Width: 12, Help: "YYYY-MM-DD，可留空。住户信息，只看本户第一行。"},
}

// exportName is the column's header in an export.
func (c column) exportName() string {
	if columns[c].Export != "" {
		return columns[c].Export
	}
	return columns[c].Name
}

// headerAliases are other names accepted for a column.
var headerAliases = map[string]column{
	"所属节点代码或ID": colTerritory, "节点": colTerritory,
	"地址": colAddress, "电话": colPhone, "手机号": colPhone, "公民身份号码": colIDNumber,
}

// fieldColumns maps the field names of model validation errors to columns.
var fieldColumns = map[string]column{
	"name": colName, "id_number": colIDNumber, "gender": colGender, "birth_date": colBirth, "phone": colPhone,
	"relation": colRelation, "political_status": colPolitical, "occupation": colOccupation,
	"territory_id": colTerritory, "address": colAddress, "moved_in_at": colMovedIn,
}

// header is the position of each column in a file; -1 when absent.
type header [numColumns]int

// parseHeader matches the first row against the layout. It returns a *FileError naming every
// unknown, duplicate and missing column.
func parseHeader(cells []string) (header, error) {
	var h header
	for i := range h {
		h[i] = -1
	}
	byName := map[string]column{}
	for c := range numColumns {
		byName[columns[c].Name] = c
	}
	var unknown, dup, masked []string
	nonEmpty := 0
	for i, raw := range cells {
		name := normalizeHeader(raw)
		if name == "" {
			continue
		}
		nonEmpty++
		if name == reasonHeader {
			continue // the extra column of a rejects file
		}
		c, ok := byName[name]
		if !ok {
			c, ok = headerAliases[name]
		}
		if !ok {
			if name == columns[colIDNumber].Export || name == columns[colPhone].Export {
				masked = append(masked, name)
			} else {
				unknown = append(unknown, "“"+name+"”")
			}
			continue
		}
		if h[c] >= 0 {
			dup = append(dup, "“"+columns[c].Name+"”")
			continue
		}
		h[c] = i
	}
	if nonEmpty == 0 {
		return h, fileErrorf("文件第1行应为列名（户编号、所属节点、门牌地址、姓名……），现在是空的。请使用导入模板")
	}
	var missing []string
	for c := range numColumns {
		if columns[c].Required && h[c] < 0 {
			missing = append(missing, "“"+columns[c].Name+"”")
		}
	}
	var msgs []string
	if len(masked) > 0 {
		msgs = append(msgs, "这是系统导出的文件，身份证号和电话已脱敏，不能直接导入；请使用导入模板填写完整信息")
	}
	if len(unknown) > 0 {
		msgs = append(msgs, "有无法识别的列："+strings.Join(unknown, "、")+"，请删除或改为模板中的列名")
	}
	if len(dup) > 0 {
		msgs = append(msgs, "列重复出现："+strings.Join(dup, "、"))
	}
	if len(missing) > 0 {
		msgs = append(msgs, "缺少必填列："+strings.Join(missing, "、"))
	}
	if len(msgs) > 0 {
		return h, fileErrorf("列名不正确：%s。列名须与导入模板一致（顺序不限）", strings.Join(msgs, "；"))
	}
	return h, nil
}

// normalizeHeader trims a header cell, drops a BOM and a trailing required marker "*".
func normalizeHeader(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	s = trimCell(s)
	s = strings.TrimRight(s, "*＊ ")
	s = strings.NewReplacer("（", "(", "）", ")").Replace(s)
	return s
}

// trimCell removes surrounding white space, full-width spaces included.
func trimCell(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' || r == '\ufeff' })
}

// cell returns the trimmed value of column c in a row, "" when absent.
func (h *header) cell(cells []string, c column) string {
	i := h[c]
	if i < 0 || i >= len(cells) {
		return ""
	}
	return trimCell(cells[i])
}

// blank reports whether every cell of the row is empty.
func blank(cells []string) bool {
	for _, c := range cells {
		if trimCell(c) != "" {
			return false
		}
	}
	return true
}

// relationAliases are the words people write in the relation column for the relations whose
// Chinese label (户主, 配偶, …) or id (head, spouse, …) model.ParseRelation knows.
var relationAliases = map[string]model.Relation{
	"本人": model.RelationHead,
	"妻":  model.RelationSpouse, "妻子": model.RelationSpouse, "夫": model.RelationSpouse, "丈夫": model.RelationSpouse, "爱人": model.RelationSpouse,
	"子": model.RelationChild, "女": model.RelationChild, "儿子": model.RelationChild, "女儿": model.RelationChild, "长子": model.RelationChild,
	"长女": model.RelationChild, "次子": model.RelationChild, "次女": model.RelationChild,
	"父": model.RelationParent, "母": model.RelationParent, "父亲": model.RelationParent, "母亲": model.RelationParent,
	"孙子": model.RelationGrandchild, "孙女": model.RelationGrandchild, "外孙子": model.RelationGrandchild, "外孙女": model.RelationGrandchild,
	"祖父": model.RelationGrandparent, "祖母": model.RelationGrandparent, "外祖父": model.RelationGrandparent, "外祖母": model.RelationGrandparent,
	"兄": model.RelationSibling, "弟": model.RelationSibling, "姐": model.RelationSibling, "妹": model.RelationSibling,
	"哥哥": model.RelationSibling, "弟弟": model.RelationSibling, "姐姐": model.RelationSibling, "妹妹": model.RelationSibling,
}

func parseRelation(s string) model.Relation {
	if r, ok := relationAliases[s]; ok {
		return r
	}
	return model.Relation(s).Normalized()
}

var politicalByLabel = map[string]model.PoliticalStatus{
	"中共党员": model.StatusPartyMember, "党员": model.StatusPartyMember, "中国共产党党员": model.StatusPartyMember,
	"预备党员": model.StatusProbationary, "中共预备党员": model.StatusProbationary,
	"共青团员": model.StatusLeagueMember, "团员": model.StatusLeagueMember,
	"群众": model.StatusMasses,
}

// parsePolitical maps a label to a status; an unknown value is passed through so that the
// model's validator names the allowed values.
func parsePolitical(s string) model.PoliticalStatus {
	if p, ok := politicalByLabel[s]; ok {
		return p
	}
	return model.PoliticalStatus(s)
}

// parseGender maps 男/女 to a gender; ok is false for anything else but "".
func parseGender(s string) (g model.Gender, ok bool) {
	switch strings.ToLower(s) {
	case "":
		return "", true
	case "男", "male", "m":
		return model.GenderMale, true
	case "女", "female", "f":
		return model.GenderFemale, true
	}
	return "", false
}

// parseFlag reads 是/否; ok is false for anything else.
func parseFlag(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "", "否", "n", "no", "0", "false", "×", "无":
		return false, true
	case "是", "y", "yes", "1", "true", "√", "✓", "有":
		return true, true
	}
	return false, false
}

// normDate turns the date spellings people and spreadsheets produce into YYYY-MM-DD. A value it
// cannot read is returned unchanged, so that the validator reports it. fromXLSX allows Excel's
// date serial numbers (a date cell read raw).
func normDate(s string, fromXLSX bool) string {
	if s == "" {
		return ""
	}
	if fromXLSX {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 100000 && !strings.ContainsAny(s, "eE") {
			// Excel's serial day number: day 1 is 1900-01-01, with its fictitious 1900-02-29.
			days := math.Floor(f)
			t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days))
			if days < 61 {
				t = t.AddDate(0, 0, 1)
			}
			return t.Format(time.DateOnly)
		}
	}
	if len(s) == 8 && allDigits(s) {
		s = s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	r := strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "")
	t := r.Replace(s)
	if i := strings.IndexByte(t, ' '); i > 0 { // "1965-03-08 00:00:00"
		t = t[:i]
	}
	parts := strings.Split(t, "-")
	if len(parts) != 3 {
		return s
	}
	y, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	d, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || len(parts[0]) != 4 {
		return s
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// scientific reports whether s looks like a number a spreadsheet turned into scientific
// notation (5.10781E+17), which loses an ID number's last digits.
func scientific(s string) bool {
	return strings.ContainsAny(s, "eE") && strings.Contains(s, "+") && strings.ContainsAny(s, "0123456789")
}
