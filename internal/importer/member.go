package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Member import (issue 8 item 3). One row is one party member, registered here (在册) or
// reporting here (报到); columns are matched by name, in any order:
//
//	列名              必填  内容
//	姓名              是    本社区居民填身份证号时取居民档案的姓名
//	身份证号          否    本辖区已登记居民的身份证号：党员与居民档案关联，政治面貌随名册
//	性别              否    男/女
//	出生日期          否    YYYY-MM-DD
//	学历              否    小学及以下、初中、高中、中专、大专、本科、研究生
//	所在党组织        是    社区党委、网格党支部或党小组的名称（须唯一）或编号
//	名册              否    在册党员（默认）或报到党员
//	党员类别          是    正式党员或预备党员
//	入党日期          否    YYYY-MM-DD
//	转正日期          否    正式党员填写
//	人员类型          是    在职、离退休、下岗失业、学生、其他
//	流动情况          否    无（默认）或流出党员
//	报到类型          否    报到党员必填：在职党员报到（双报到）或流入党员
//	组织关系所在党组织 否    报到党员组织关系所在的党组织
//	工作单位          否
//	服务岗位          否    设岗定责
//	报到日期          否    报到党员到社区报到的日期；留空为未报到
//
// The import is all or nothing: every row is checked (the model's validation, the org in the
// importer's management, the resident in scope and not on the roster already) and one bad row
// means nothing is written; the report lists every problem by row, column and reason, and the
// bad rows are set aside in a rejects file with a 错误原因 column.

// memberSheet is the member template's data sheet.
const memberSheet = "党员信息"

// MaxMemberRows bounds the rows of one member file: a street's roster, held in memory.
const MaxMemberRows = 50_000

type memberCol int

const (
	mcName memberCol = iota
	mcIDNumber
	mcGender
	mcBirth
	mcEducation
	mcOrg
	mcList
	mcStatus
	mcJoined
	mcFull
	mcCategory
	mcMobility
	mcReportingKind
	mcHomeOrg
	mcWorkplace
	mcServicePost
	mcReported
	numMemberCols
)

// memberLayout is the layout's columns: header, required, other accepted headers, the model
// field whose errors belong to it, template width, the template's example and its note.
var memberLayout = [numMemberCols]struct {
	Name     string
	Required bool
	Aliases  []string
	Field    string
	Width    float64
	Note     string
}{
	mcName:          {"姓名", true, nil, "name", 10, "填身份证号时取居民档案的姓名"},
	mcIDNumber:      {"身份证号", false, []string{"公民身份号码"}, "resident_id", 22, "本辖区已登记居民的身份证号，用于与居民档案关联；不在本社区居住的党员留空"},
	mcGender:        {"性别", false, nil, "gender", 6, "男/女"},
	mcBirth:         {"出生日期", false, nil, "birth_date", 12, "YYYY-MM-DD"},
	mcEducation:     {"学历", false, nil, "education", 10, "小学及以下、初中、高中、中专、大专、本科、研究生"},
	mcOrg:           {"所在党组织", true, []string{"党组织", "所在支部", "所在党支部"}, "org_id", 20, "社区党委、网格党支部或党小组的名称（须唯一）或编号"},
	mcList:          {"名册", false, nil, "list", 10, "在册党员（默认）或报到党员"},
	mcStatus:        {"党员类别", true, []string{"党员状态"}, "status", 10, "正式党员或预备党员"},
	mcJoined:        {"入党日期", false, nil, "joined_on", 12, "YYYY-MM-DD"},
	mcFull:          {"转正日期", false, nil, "full_on", 12, "正式党员填写，YYYY-MM-DD"},
	mcCategory:      {"人员类型", true, nil, "category", 10, "在职、离退休、下岗失业、学生、其他"},
	mcMobility:      {"流动情况", false, nil, "mobility", 10, "无（默认）或流出党员"},
	mcReportingKind: {"报到类型", false, nil, "reporting_kind", 14, "报到党员必填：在职党员报到或流入党员"},
	mcHomeOrg:       {"组织关系所在党组织", false, nil, "home_org", 22, "报到党员的组织关系所在党组织"},
	mcWorkplace:     {"工作单位", false, nil, "workplace", 18, ""},
	mcServicePost:   {"服务岗位", false, nil, "service_post", 16, "设岗定责，例如楼栋宣传员"},
	mcReported:      {"报到日期", false, nil, "reported_on", 12, "报到党员到社区报到的日期；留空为未报到"},
}

// memberColOf is the column a model field's error belongs to; -1 for the whole row.
func memberColOf(field string) memberCol {
	for c := range numMemberCols {
		if memberLayout[c].Field == field {
			return c
		}
	}
	return -1
}

// memberHeader maps each column to its index in the file's rows; -1 when absent.
type memberHeader [numMemberCols]int

func parseMemberHeader(cells []string) (memberHeader, error) {
	var h memberHeader
	for i := range h {
		h[i] = -1
	}
	for i, cell := range cells {
		name := normalizeHeader(cell)
		for c := range numMemberCols {
			col := memberLayout[c]
			if name != col.Name && !contains(col.Aliases, name) {
				continue
			}
			if h[c] >= 0 {
				return h, fileErrorf("第1行：列“%s”出现了两次，请删去一列", col.Name)
			}
			h[c] = i
		}
	}
	var missing []string
	for c := range numMemberCols {
		if memberLayout[c].Required && h[c] < 0 {
			missing = append(missing, "“"+memberLayout[c].Name+"”")
		}
	}
	if len(missing) > 0 {
		return h, fileErrorf("第1行缺少必填列%s：请使用党员导入模板", strings.Join(missing, "、"))
	}
	return h, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (h *memberHeader) cell(cells []string, c memberCol) string {
	i := h[c]
	if i < 0 || i >= len(cells) {
		return ""
	}
	return trimCell(cells[i])
}

// memberWords are the words people write for the roster's enumerations, beside the model's
// Chinese labels and ids.
var memberWords = map[string]string{
	"list:在册": "registered", "list:报到": "reporting",
	"status:正式": "full", "status:中共党员": "full", "status:预备": "probationary", "status:中共预备党员": "probationary",
	"category:在职党员": "in_work", "category:退休": "retired", "category:离休": "retired", "category:离退休党员": "retired",
	"category:失业": "unemployed", "category:下岗": "unemployed", "category:无业": "unemployed", "category:在校学生": "student",
	"mobility:否": "none", "mobility:流出": "outflow", "mobility:是": "outflow",
	"reporting:在职党员": "in_work", "reporting:双报到": "in_work", "reporting:在职": "in_work", "reporting:流入": "inflow",
	"education:小学": "primary", "education:中技": "vocational", "education:技校": "vocational", "education:职高": "vocational",
	"education:大学本科": "bachelor", "education:大学": "bachelor", "education:硕士": "postgrad", "education:博士": "postgrad",
}

// memberWord maps a cell of enumeration group to its id: the id itself, the model's label or
// one of memberWords; anything else unchanged, so that the model's validation names the
// allowed values.
func memberWord[T ~string](group string, s string, all []T, label func(T) string) T {
	for _, v := range all {
		if s == string(v) || s == label(v) {
			return v
		}
	}
	if v, ok := memberWords[group+":"+s]; ok {
		return T(v)
	}
	return T(s)
}

// memberRow is one checked row: its number, its cells (for the rejects file) and the input.
type memberRow struct {
	row      int
	cells    []string
	in       model.MemberInput
	idNumber string
}

// MemberOptions control a member import.
type MemberOptions struct {
	Scope    authz.Scope
	Progress func(stage string, done, total int)
	// Commit is called inside the write transaction after the last member, with the report
	// (Written set): a job records its outcome there, so it commits with the members or not
	// at all.
	Commit func(tx *store.Tx, rep *MemberReport) error
}

// MemberReport is the outcome of a member import.
type MemberReport struct {
	Rows       int // data rows; blank rows are not counted
	Registered int // members on the registered list (written when Written)
	Reporting  int // on the reporting list
	Written    bool
	Errors     []RowError // every problem, by row and column
	// RejectsPath is the CSV beside the input with the bad rows and a 错误原因 column; "" when
	// no row was bad.
	RejectsPath string
}

// Summary is a one-line Chinese account of the report.
func (r *MemberReport) Summary() string {
	switch {
	case r.Written:
		return fmt.Sprintf("共%d行，已导入%d名在册党员、%d名报到党员", r.Rows, r.Registered, r.Reporting)
	case len(r.Errors) > 0:
		return fmt.Sprintf("共%d行，发现%d处错误，未写入任何数据", r.Rows, len(r.Errors))
	}
	return fmt.Sprintf("共%d行，%d名在册党员、%d名报到党员", r.Rows, r.Registered, r.Reporting)
}

// errMemberRows rolls the write transaction back when a row is refused by the store.
var errMemberRows = errors.New("member rows refused")

// ImportMembers imports the members in the .csv or .xlsx file at path as opts.Scope, all or
// nothing. It returns a *FileError for a file that cannot be read or lacks a required column
// (nothing written, no report); the report and ErrInvalidRows when any row is bad (nothing
// written; the bad rows in RejectsPath); the report with Written set otherwise.
func ImportMembers(ctx context.Context, st *store.Store, path string, opts MemberOptions) (*MemberReport, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	rows, headerCells, rep, err := readMembers(ctx, st, path, opts.Scope, progress)
	if err != nil {
		return nil, err
	}
	if len(rep.Errors) > 0 {
		return rep, memberRejects(path, headerCells, rows, rep)
	}
	// Pass 2: one transaction; a row the store refuses is recorded and the rest still checked,
	// then everything is rolled back.
	err = st.Tx(ctx, func(tx *store.Tx) error {
		for i, r := range rows {
			if i%100 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				progress(StageWrite, i, len(rows))
			}
			if _, err := tx.CreateMember(ctx, opts.Scope, r.in); err != nil {
				var ve *model.ValidationError
				if !errors.As(err, &ve) {
					return err
				}
				for _, fe := range ve.Fields {
					rep.Errors = append(rep.Errors, memberRowError(r.row, fe.Field, fe.Message))
				}
			}
		}
		if len(rep.Errors) > 0 {
			return errMemberRows
		}
		rep.Written = true
		progress(StageWrite, len(rows), len(rows))
		if opts.Commit != nil {
			return opts.Commit(tx, rep)
		}
		return nil
	})
	if errors.Is(err, errMemberRows) {
		rep.Written = false
		return rep, memberRejects(path, headerCells, rows, rep)
	}
	if err != nil {
		rep.Written = false
		return rep, err
	}
	return rep, nil
}

func memberRowError(row int, field, msg string) RowError {
	e := RowError{Row: row, Message: msg}
	if c := memberColOf(field); c >= 0 {
		e.Column = memberLayout[c].Name
	}
	return e
}

// readMembers is the first pass: it reads and checks every row of the file (everything but
// what only the write can tell) and resolves orgs and residents.
func readMembers(ctx context.Context, st *store.Store, path string, sc authz.Scope, progress func(string, int, int)) ([]memberRow, []string, *MemberReport, error) {
	b, err := openBook(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer b.close()
	src, err := b.rows()
	if err != nil {
		return nil, nil, nil, err
	}
	defer src.close()
	_, headerCells, err := src.next()
	if err == io.EOF {
		return nil, nil, nil, fileErrorf("文件是空的：请使用党员导入模板填写后再导入")
	} else if err != nil {
		return nil, nil, nil, err
	}
	headerCells = append([]string(nil), headerCells...)
	h, err := parseMemberHeader(headerCells)
	if err != nil {
		return nil, nil, nil, err
	}
	orgs, err := memberOrgIndex(ctx, st, sc)
	if err != nil {
		return nil, nil, nil, err
	}
	rep := &MemberReport{}
	var rows []memberRow
	now := time.Now()
	seenID := map[string]int{}
	for {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if blank(cells) {
			continue
		}
		if len(rows) >= MaxMemberRows {
			return nil, nil, nil, fileErrorf("文件超过%d行，请拆分成几个文件分别导入", MaxMemberRows)
		}
		r := memberRow{row: row, cells: append([]string(nil), cells...)}
		r.in = parseMemberCells(&h, cells, b.isXLSX())
		var errs []RowError
		if s := h.cell(cells, mcOrg); s != "" {
			id, msg := orgs.resolve(s)
			if msg != "" {
				errs = append(errs, RowError{Row: row, Column: memberLayout[mcOrg].Name, Message: msg})
			}
			r.in.OrgID = id
		}
		if s := strings.ToUpper(h.cell(cells, mcIDNumber)); s != "" {
			if _, msg := model.ParseIDNumber(s, now); msg != "" {
				errs = append(errs, RowError{Row: row, Column: memberLayout[mcIDNumber].Name, Message: msg})
			} else if first, dup := seenID[s]; dup {
				errs = append(errs, RowError{Row: row, Column: memberLayout[mcIDNumber].Name, Message: fmt.Sprintf("与第%d行的身份证号相同：一名党员只能登记一次", first)})
			} else {
				seenID[s] = row
				r.idNumber = s
				r.in.ResidentID = -1 // resolved below; the validation need not ask for a name
			}
		}
		check := r.in
		if check.OrgID == 0 {
			check.OrgID = -1 // reported above or by the required column
		}
		if err := check.Validate(now); err != nil {
			var ve *model.ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Fields {
					if fe.Field == "org_id" && h.cell(cells, mcOrg) != "" {
						continue // the org column's own error is above
					}
					errs = append(errs, memberRowError(row, fe.Field, fe.Message))
				}
			}
		}
		rep.Errors = append(rep.Errors, errs...)
		if r.in.List == model.ListReporting {
			rep.Reporting++
		} else {
			rep.Registered++
		}
		rows = append(rows, r)
		if len(rows)%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, nil, err
			}
			progress(StageCheck, len(rows), 0)
		}
	}
	rep.Rows = len(rows)
	if rep.Rows == 0 {
		return nil, nil, nil, fileErrorf("文件中只有列名，没有数据行：请从第2行起每行填写一名党员")
	}
	if err := resolveMemberResidents(ctx, st, sc, rows, rep); err != nil {
		return nil, nil, nil, err
	}
	sortRowErrors(rep.Errors)
	progress(StageCheck, len(rows), 0)
	return rows, headerCells, rep, nil
}

// parseMemberCells reads a row's cells into an input (the org and the resident aside).
func parseMemberCells(h *memberHeader, cells []string, fromXLSX bool) model.MemberInput {
	get := func(c memberCol) string { return h.cell(cells, c) }
	in := model.MemberInput{Name: get(mcName), BirthDate: normDate(get(mcBirth), fromXLSX), JoinedOn: normDate(get(mcJoined), fromXLSX),
		FullOn: normDate(get(mcFull), fromXLSX), ReportedOn: normDate(get(mcReported), fromXLSX), HomeOrg: get(mcHomeOrg),
		Workplace: get(mcWorkplace), ServicePost: get(mcServicePost)}
	if g, ok := parseGender(get(mcGender)); ok {
		in.Gender = g
	} else {
		in.Gender = model.Gender(get(mcGender))
	}
	in.List = memberWord("list", get(mcList), model.MemberLists, model.MemberList.Label)
	in.Status = memberWord("status", get(mcStatus), model.MemberStatuses, model.MemberStatus.Label)
	in.Category = memberWord("category", get(mcCategory), model.MemberCategories, model.MemberCategory.Label)
	in.Mobility = memberWord("mobility", get(mcMobility), model.Mobilities, model.Mobility.Label)
	in.ReportingKind = memberWord("reporting", get(mcReportingKind), model.ReportingKinds, model.ReportingKind.Label)
	in.Education = memberWord("education", get(mcEducation), model.Educations, model.Education.Label)
	if get(mcMobility) == "" || get(mcMobility) == "无" {
		in.Mobility = model.MobilityNone
	}
	return in
}

// memberOrgs finds the org a row names: by id, or by a name unique among the orgs of the scope
// that members belong to.
type memberOrgs struct {
	byName map[string][]int64
	ids    map[int64]bool
}

func memberOrgIndex(ctx context.Context, st *store.Store, sc authz.Scope) (*memberOrgs, error) {
	orgs, _, err := st.OrgTree(ctx, sc, 0)
	if err != nil {
		return nil, err
	}
	x := &memberOrgs{byName: map[string][]int64{}, ids: map[int64]bool{}}
	for _, o := range orgs {
		switch o.Kind {
		case model.OrgCommunityCommittee, model.OrgGridBranch, model.OrgBuildingGroup:
			x.byName[o.Name] = append(x.byName[o.Name], o.ID)
			x.ids[o.ID] = true
		}
	}
	return x, nil
}

func (x *memberOrgs) resolve(s string) (int64, string) {
	if allDigits(s) {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && x.ids[id] {
			return id, ""
		}
	}
	switch ids := x.byName[s]; len(ids) {
	case 0:
		return 0, "找不到党组织“" + s + "”：应为您管辖范围内的社区党委、网格党支部或党小组的名称或编号"
	case 1:
		return ids[0], ""
	}
	return 0, "有多个党组织名为“" + s + "”，请改填党组织编号（在党组织页面可以看到）"
}

// resolveMemberResidents links the rows with an ID number to the residents registered in the
// scope under it; a number no resident in the scope holds is an error of the row.
func resolveMemberResidents(ctx context.Context, st *store.Store, sc authz.Scope, rows []memberRow, rep *MemberReport) error {
	var ids []string
	for _, r := range rows {
		if r.idNumber != "" {
			ids = append(ids, r.idNumber)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := st.CheckIDNumbers(ctx, sc, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		r := &rows[i]
		if r.idNumber == "" {
			continue
		}
		c, ok := found[r.idNumber]
		if !ok || !c.InScope {
			r.in.ResidentID = 0
			rep.Errors = append(rep.Errors, RowError{Row: r.row, Column: memberLayout[mcIDNumber].Name,
				Message: "您的管辖范围内没有登记这个身份证号的居民：请先登记居民，或不在本社区居住的党员留空身份证号"})
			continue
		}
		r.in.ResidentID = c.ResidentID
	}
	return nil
}

func sortRowErrors(errs []RowError) {
	// insertion sort keeps the order of a row's errors; files are small
	for i := 1; i < len(errs); i++ {
		for j := i; j > 0 && errs[j].Row < errs[j-1].Row; j-- {
			errs[j], errs[j-1] = errs[j-1], errs[j]
		}
	}
}

// memberRejects writes the rows with errors to NAME.rejects.csv beside the input, with a
// 错误原因 column, records the path in rep and returns ErrInvalidRows.
func memberRejects(path string, headerCells []string, rows []memberRow, rep *MemberReport) error {
	sortRowErrors(rep.Errors)
	reasons := map[int][]string{}
	for _, e := range rep.Errors {
		reasons[e.Row] = append(reasons[e.Row], e.String())
	}
	p := rejectsPath(path)
	f, err := os.Create(p) // #nosec G304 -- beside our own temporary copy of the upload
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(utf8BOM); err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.Write(append(append([]string(nil), headerCells...), "错误原因")); err != nil {
		return err
	}
	for _, r := range rows {
		why, bad := reasons[r.row]
		if !bad {
			continue
		}
		cells := make([]string, len(headerCells))
		copy(cells, r.cells)
		if err := w.Write(append(cells, strings.Join(why, "；"))); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	rep.RejectsPath = p
	return ErrInvalidRows
}

// WriteMemberTemplate writes the member import template as .xlsx: the sheet 党员信息 with the
// header row (required columns marked *), two example rows and drop-down lists, and the sheet
// 填写说明 describing each column.
func WriteMemberTemplate(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", memberSheet); err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: "Microsoft YaHei"}, NumFmt: 49,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}})
	if err != nil {
		return err
	}
	examples := [2][numMemberCols]string{
		{mcName: "王建华", mcGender: "男", mcBirth: "1958-04-12", mcEducation: "高中", mcOrg: "第一网格党支部", mcList: "在册党员",
			mcStatus: "正式党员", mcJoined: "1985-07-01", mcFull: "1986-07-01", mcCategory: "离退休", mcMobility: "无", mcServicePost: "楼栋政策宣传员"},
		{mcName: "刘晓梅", mcGender: "女", mcEducation: "本科", mcOrg: "第一网格党支部", mcList: "报到党员", mcStatus: "正式党员",
			mcCategory: "在职", mcMobility: "无", mcReportingKind: "在职党员报到", mcHomeOrg: "市税务局机关党委", mcWorkplace: "市税务局",
			mcServicePost: "文明劝导岗", mcReported: "2025-03-05"},
	}
	for c := range numMemberCols {
		col, _ := excelize.ColumnNumberToName(int(c) + 1)
		name := memberLayout[c].Name
		if memberLayout[c].Required {
			name += "*"
		}
		for _, step := range []error{
			f.SetColWidth(memberSheet, col, col, memberLayout[c].Width+2),
			f.SetColStyle(memberSheet, col, text),
			f.SetCellStr(memberSheet, col+"1", name),
			f.SetCellStyle(memberSheet, col+"1", col+"1", head),
			f.SetCellStr(memberSheet, col+"2", examples[0][c]),
			f.SetCellStr(memberSheet, col+"3", examples[1][c]),
		} {
			if step != nil {
				return step
			}
		}
	}
	lists := map[memberCol][]string{
		mcList: labelsOf(model.MemberLists, model.MemberList.Label), mcStatus: labelsOf(model.MemberStatuses, model.MemberStatus.Label),
		mcCategory: labelsOf(model.MemberCategories, model.MemberCategory.Label), mcMobility: labelsOf(model.Mobilities, model.Mobility.Label),
		mcReportingKind: labelsOf(model.ReportingKinds, model.ReportingKind.Label), mcEducation: labelsOf(model.Educations, model.Education.Label),
		mcGender: {"男", "女"},
	}
	for c, l := range lists {
		col, _ := excelize.ColumnNumberToName(int(c) + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, MaxMemberRows)
		if err := dv.SetDropList(l); err != nil {
			return err
		}
		if err := f.AddDataValidation(memberSheet, dv); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(notesSheet); err != nil {
		return err
	}
	notes := [][]string{{"列名", "必填", "填写说明"}}
	for c := range numMemberCols {
		req := "否"
		if memberLayout[c].Required {
			req = "是"
		}
		notes = append(notes, []string{memberLayout[c].Name, req, memberLayout[c].Note})
	}
	notes = append(notes, []string{"", "", "整个文件全部检查通过才会导入；有错误时不写入任何数据，并列出每个错误所在的行、列和原因。"})
	for i, n := range notes {
		if err := f.SetSheetRow(notesSheet, "A"+strconv.Itoa(i+1), &n); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(notesSheet, "C", "C", 70); err != nil {
		return err
	}
	return f.Write(w)
}

func labelsOf[T any](all []T, label func(T) string) []string {
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = label(v)
	}
	return out
}

// CheckMemberFile checks, before a member import is queued, that the file at path is a CSV or
// XLSX file whose first row has the member layout's required columns: a *FileError or nil.
func CheckMemberFile(path string) error {
	b, err := openBook(path)
	if err != nil {
		return err
	}
	defer b.close()
	src, err := b.rows()
	if err != nil {
		return err
	}
	defer src.close()
	_, cells, err := src.next()
	if err == io.EOF {
		return fileErrorf("文件是空的：请使用党员导入模板填写后再导入")
	} else if err != nil {
		return err
	}
	_, err = parseMemberHeader(cells)
	return err
}
