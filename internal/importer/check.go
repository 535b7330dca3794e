package importer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// RowError is one problem in one row of an import file.
type RowError struct {
	Row     int    // row number as the spreadsheet shows it; the header is row 1
	Column  string // the column's header, "" when the problem is the whole row
	Message string // Chinese, says how to fix it
}

// String renders the error as users read it: "第12行 身份证号：身份证号第18位校验码应为X".
func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("第%d行：%s", e.Row, e.Message)
	}
	return fmt.Sprintf("第%d行 %s：%s", e.Row, e.Column, e.Message)
}

// household is what the check pass keeps of one household: enough to write it in the second
// pass without re-reading its first row, never its residents.
type household struct {
	key         string
	firstRow    int
	territory   string // the 所属节点 cell of its first row, to compare later rows against
	address     string
	territoryID int64
	flags       model.HouseholdFlags
	movedIn     string
	head        string
	headRow     int
	members     int
	errRow      int  // first row with an error; 0 when the household is good
	split       bool // its key reappears further down; reported once
}

func (h *household) bad() bool { return h.errRow != 0 }

// segmenter assigns rows to households: a run of consecutive rows with the same non-empty
// 户编号 is one household. Both passes use it, so they agree on which row belongs where.
type segmenter struct {
	prev string
	n    int
}

func (s *segmenter) next(key string) (idx int, first bool) {
	if s.n > 0 && key != "" && key == s.prev {
		return s.n - 1, false
	}
	s.prev = key
	s.n++
	return s.n - 1, true
}

// existsFunc reports which ID numbers are already registered and whether the importer's scope
// holds their residents (store.CheckIDNumbers).
type existsFunc func(ids []string) (map[string]store.IDCollision, error)

// recordFunc records the rows whose ID number is held outside the importer's scope
// (store.RecordIDConflicts).
type recordFunc func(attempts []store.IDConflictAttempt) error

// checker is the first pass: it validates rows one at a time, keeping per household the little
// the second pass needs, and per ID number its first row, never the rows themselves.
type checker struct {
	h          header
	fromXLSX   bool
	now        time.Time
	resolve    resolveFunc
	exists     existsFunc
	record     recordFunc
	seg        segmenter
	households []household
	keys       map[string]int   // 户编号 → index of its latest household
	ids        map[[18]byte]int // ID number → first row
	pending    []pendingID      // ID numbers not yet looked up in the database
	errs       []RowError
	rows       int
	// row and unreadable are the row being checked and its cells that are unreadable
	// (bit per column): those cells were reported once and get no further messages.
	row        int
	unreadable uint32
}

type pendingID struct {
	id      string
	row     int
	hh      int
	attempt model.IDAttempt // what the row registers, kept if the number is held elsewhere
}

// lookupBatch is how many ID numbers go to the database in one query.
const lookupBatch = 500

func newChecker(h header, fromXLSX bool, now time.Time, resolve resolveFunc, exists existsFunc, record recordFunc) *checker {
	return &checker{h: h, fromXLSX: fromXLSX, now: now, resolve: resolve, exists: exists, record: record,
		keys: map[string]int{}, ids: map[[18]byte]int{}}
}

func (c *checker) fail(row, hh int, col column, msg string) {
	if row == c.row && col >= 0 && c.unreadable&(1<<col) != 0 {
		return
	}
	name := ""
	if col >= 0 {
		name = columns[col].Name
	}
	c.errs = append(c.errs, RowError{Row: row, Column: name, Message: msg})
	if h := &c.households[hh]; h.errRow == 0 || row < h.errRow {
		h.errRow = row
	}
}

// check validates one non-blank data row. It returns an error only when the database fails.
func (c *checker) check(row int, cells []string) error {
	c.rows++
	key := c.h.cell(cells, colKey)
	idx, first := c.seg.next(key)
	if first {
		// Clones: a cell is a slice of its whole row's text, which must not stay reachable.
		c.households = append(c.households, household{key: strings.Clone(key), firstRow: row})
	}
	hh := &c.households[idx]
	hh.members++

	c.row, c.unreadable = row, 0
	for _, p := range cellProblems(&c.h, cells) {
		c.fail(row, idx, p.col, p.msg)
		c.unreadable |= 1 << p.col
	}
	switch {
	case key == "":
		c.fail(row, idx, colKey, "请填写户编号：同一户的成员填相同的户编号")
	case first:
		if prev, seen := c.keys[key]; seen {
			c.fail(row, idx, colKey, fmt.Sprintf("户编号“%s”在第%d行已用过：同一户的成员须填在相邻的行，不同的户请用不同的编号", key, c.households[prev].firstRow))
			if p := &c.households[prev]; !p.split {
				p.split = true
				c.fail(p.firstRow, prev, colKey, fmt.Sprintf("户编号“%s”在第%d行又出现了：同一户的成员须填在相邻的行", key, row))
			}
		}
		c.keys[c.households[idx].key] = idx
	}
	if first {
		if err := c.checkHousehold(row, idx, cells); err != nil {
			return err
		}
	} else {
		c.checkSameHousehold(row, idx, cells)
	}
	hh = &c.households[idx]

	in, problems := parseResident(&c.h, cells, c.fromXLSX, c.now)
	for _, p := range problems {
		c.fail(row, idx, p.col, p.msg)
	}
	if in.Relation == model.RelationHead {
		if hh.headRow != 0 {
			c.fail(row, idx, colRelation, fmt.Sprintf("本户已在第%d行填了户主（%s），一户只能有一位户主", hh.headRow, hh.head))
		} else {
			hh.head, hh.headRow = strings.Clone(in.Name), row
		}
	}
	if !slices.ContainsFunc(problems, func(p problem) bool { return p.col == colIDNumber }) {
		var k [18]byte
		copy(k[:], in.IDNumber)
		if first, dup := c.ids[k]; dup {
			c.fail(row, idx, colIDNumber, fmt.Sprintf("与第%d行的身份证号重复：同一个人只能登记一次", first))
		} else if c.ids[k] = row; hh.territoryID > 0 {
			// A number is looked up only for a row whose household has a node in scope, so
			// that every answer about a number held elsewhere is recorded against that node.
			c.pending = append(c.pending, pendingID{id: strings.Clone(in.IDNumber), row: row, hh: idx, attempt: model.IDAttempt{
				Name: strings.Clone(in.Name), IDNumber: strings.Clone(in.IDNumber), Gender: string(in.Gender), BirthDate: strings.Clone(in.BirthDate),
				Phone: strings.Clone(in.Phone), Relation: strings.Clone(string(in.Relation)), Row: row}})
			if len(c.pending) >= lookupBatch {
				return c.lookup()
			}
		}
	}
	return nil
}

// checkHousehold validates the household fields of a household's first row.
func (c *checker) checkHousehold(row, idx int, cells []string) error {
	hh := &c.households[idx]
	hh.territory = strings.Clone(c.h.cell(cells, colTerritory))
	in := model.HouseholdInput{TerritoryID: -1, Address: c.h.cell(cells, colAddress), MovedInAt: normDate(c.h.cell(cells, colMovedIn), c.fromXLSX)}
	var id int64
	var reason string
	if c.unreadable&(1<<colTerritory) == 0 { // never send garbage to the database
		var err error
		if id, reason, err = c.resolve(hh.territory); err != nil {
			return err
		}
	}
	if reason != "" {
		c.fail(row, idx, colTerritory, reason)
	} else {
		in.TerritoryID = id
	}
	for _, f := range []struct {
		col column
		v   *bool
	}{{colElderly, &in.Flags.ElderlyAlone}, {colHardship, &in.Flags.Hardship}, {colDisability, &in.Flags.Disability}, {colMobile, &in.Flags.Mobile}} {
		v, ok := parseFlag(c.h.cell(cells, f.col))
		if !ok {
			c.fail(row, idx, f.col, "请填“是”或“否”（留空视为否）")
		}
		*f.v = v
	}
	var ve *model.ValidationError
	if err := in.Validate(); errors.As(err, &ve) {
		for _, fe := range ve.Fields {
			if fe.Field == "territory_id" {
				continue // reported above with the reason
			}
			c.fail(row, idx, fieldColumn(fe.Field), fe.Message)
		}
	}
	hh.address, hh.territoryID, hh.flags, hh.movedIn = strings.Clone(in.Address), in.TerritoryID, in.Flags, strings.Clone(in.MovedInAt)
	return nil
}

// checkSameHousehold checks that a later row of a household does not contradict its first.
func (c *checker) checkSameHousehold(row, idx int, cells []string) {
	hh := &c.households[idx]
	if t := c.h.cell(cells, colTerritory); t != "" && hh.territory != "" && t != hh.territory {
		c.fail(row, idx, colTerritory, fmt.Sprintf("与本户第%d行的所属节点“%s”不同：同一户的成员所属节点应相同（可留空）", hh.firstRow, hh.territory))
	}
	if a := c.h.cell(cells, colAddress); a != "" && hh.address != "" && a != hh.address {
		c.fail(row, idx, colAddress, fmt.Sprintf("与本户第%d行的门牌地址“%s”不同：同一户的成员门牌地址应相同（可留空）", hh.firstRow, hh.address))
	}
}

// lookup asks the database about the pending ID numbers.
func (c *checker) lookup() error {
	if len(c.pending) == 0 || c.exists == nil {
		c.pending = c.pending[:0]
		return nil
	}
	ids := make([]string, len(c.pending))
	for i, p := range c.pending {
		ids[i] = p.id
	}
	found, err := c.exists(ids)
	if err != nil {
		return err
	}
	var elsewhere []store.IDConflictAttempt
	for _, p := range c.pending {
		hit, ok := found[p.id]
		switch {
		case !ok:
		case hit.InScope:
			c.fail(p.row, p.hh, colIDNumber, "该身份证号已登记在系统中：如是同一人，请删除这一行，不要重复导入")
		default:
			// Held outside the importer's scope: the same neutral answer as the forms, and
			// the row goes to the administrators who see both sides.
			c.fail(p.row, p.hh, colIDNumber, model.DuplicateIDMessage)
			elsewhere = append(elsewhere, store.IDConflictAttempt{Source: model.ConflictFromImport,
				TargetTerritoryID: c.households[p.hh].territoryID, Collision: hit, Attempt: p.attempt})
		}
	}
	c.pending = c.pending[:0]
	if len(elsewhere) > 0 && c.record != nil {
		return c.record(elsewhere)
	}
	return nil
}

// finish runs the checks that need the whole file and sorts the errors by row and column.
func (c *checker) finish() error {
	if err := c.lookup(); err != nil {
		return err
	}
	c.ids, c.keys = nil, nil // only the first pass needs them
	for i := range c.households {
		hh := &c.households[i]
		if hh.headRow == 0 && hh.key != "" {
			c.fail(hh.firstRow, i, colRelation, fmt.Sprintf("户编号“%s”这一户没有户主：请把其中一人的与户主关系填为“户主”", hh.key))
		}
	}
	order := map[string]int{"": -1}
	for col := range numColumns {
		order[columns[col].Name] = int(col)
	}
	slices.SortStableFunc(c.errs, func(a, b RowError) int {
		if a.Row != b.Row {
			return a.Row - b.Row
		}
		return order[a.Column] - order[b.Column]
	})
	return nil
}

// problem is one bad cell found while parsing a row.
type problem struct {
	col column
	msg string
}

// cellProblems reports cells a database would refuse or a person could not read: invalid UTF-8
// (a file in an encoding we did not recognise) and control characters.
func cellProblems(h *header, cells []string) []problem {
	var out []problem
	for col := range numColumns {
		v := h.cell(cells, col)
		switch {
		case !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError):
			out = append(out, problem{col, "含有无法识别的字符：文件编码可能不对，请在表格软件中另存为“CSV UTF-8”或 .xlsx"})
		case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }):
			out = append(out, problem{col, "含有换行或控制字符，请删除"})
		}
	}
	return out
}

// parseResident reads and validates the resident fields of a row with the same validator the
// API and the pages use. The returned input is normalised (gender and birth date filled from
// the ID number); problems name every bad cell. It touches no database.
func parseResident(h *header, cells []string, fromXLSX bool, now time.Time) (model.ResidentInput, []problem) {
	var out []problem
	in := model.ResidentInput{
		Name:            h.cell(cells, colName),
		BirthDate:       normDate(h.cell(cells, colBirth), fromXLSX),
		Phone:           strings.ReplaceAll(h.cell(cells, colPhone), " ", ""),
		IDNumber:        h.cell(cells, colIDNumber),
		Relation:        parseRelation(h.cell(cells, colRelation)),
		PoliticalStatus: parsePolitical(h.cell(cells, colPolitical)),
		Occupation:      h.cell(cells, colOccupation),
	}
	g, ok := parseGender(h.cell(cells, colGender))
	if !ok {
		out = append(out, problem{colGender, "请填“男”或“女”，也可留空由身份证号推算"})
	}
	in.Gender = g
	noRelation := in.Relation == ""
	if noRelation {
		out = append(out, problem{colRelation, "请填写与户主关系：户主、配偶、子女、父母等"})
	}
	sci := scientific(in.IDNumber)
	noGender, noBirth := in.Gender == "" && ok, in.BirthDate == ""
	var ve *model.ValidationError
	if err := in.Validate(now); errors.As(err, &ve) {
		badID := slices.ContainsFunc(ve.Fields, func(fe model.FieldError) bool { return fe.Field == "id_number" })
		for _, fe := range ve.Fields {
			col := fieldColumn(fe.Field)
			switch {
			case badID && (col == colGender && noGender || col == colBirth && noBirth):
				continue // left empty to be read from the ID number: fixing that fixes these
			case col == colGender && !ok:
				continue // reported above
			case col == colRelation && noRelation:
				continue
			case col == colIDNumber && sci:
				fe.Message = "身份证号被表格软件当成了数字（科学计数法），后几位已经丢失：请把该列设为“文本”格式后重新输入"
			}
			out = append(out, problem{col, fe.Message})
		}
	}
	return in, out
}

func fieldColumn(field string) column {
	if c, ok := fieldColumns[field]; ok {
		return c
	}
	return -1
}
