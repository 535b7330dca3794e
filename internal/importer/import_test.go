package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// family is three households: one at a community by its code, one at a stairwell by its id,
// one at the stairwell by its name path.
func family(tr tree, path string) []person {
	return []person{
		{key: "A", territory: tr.community.Code, address: "天宝社区12号", name: "王大明", relation: "户主", id: validID("510781", "19600101", 11),
			political: "中共党员", phone: "138 1234 5678", elderly: "是", movedIn: "2001/2/3"},
		{key: "A", name: "刘芳", relation: "妻", id: validID("510781", "19620202", 22)},
		{key: "A", name: "王小明", relation: "子女", id: validID("510781", "19900303", 31), gender: "男", birth: "1990-03-03", political: "共青团员"},
		{key: "B", territory: strconv.FormatInt(tr.stairwell.ID, 10), address: "1栋1单元101室", name: "陈静", relation: "户主",
			id: validID("510781", "19750505", 42), political: "群众", hardship: "是", occupation: "教师"},
		{key: "C", territory: path, address: "1栋1单元102室", name: "赵强", relation: "本人", id: validID("510781", "19800808", 53), political: "预备党员"},
	}
}

func TestImportCSV(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		path := mustCSV(t, rowsOf(family(tr, "江油市/中坝街道/天宝社区/第一网格/1栋/1单元")...))
		var stages []string
		rep, err := ImportHouseholds(ctx, st, path, Options{Scope: authz.System(), Progress: func(stage string, done, total int) {
			stages = append(stages, stage+":"+strconv.Itoa(done)+"/"+strconv.Itoa(total))
		}})
		if err != nil {
			t.Fatalf("ImportHouseholds = %v\n%s", err, errorStrings(rep.Errors))
		}
		if got, want := *rep, (Report{Rows: 5, Households: 3, Residents: 5, Written: true}); !reflect.DeepEqual(got, want) {
			t.Errorf("report = %+v, want %+v", got, want)
		}
		if want := []string{"check:5/0", "write:5/5"}; !reflect.DeepEqual(stages, want) {
			t.Errorf("progress = %v, want %v", stages, want)
		}
		if h, r := counts(t, st); h != 3 || r != 5 {
			t.Errorf("counts = %d households, %d residents; want 3, 5", h, r)
		}
		d, err := st.Territory(ctx, authz.System(), tr.district.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Households != 3 || d.Residents != 5 {
			t.Errorf("district rollup = %d/%d, want 3/5", d.Households, d.Residents)
		}
		page, err := st.Households(ctx, authz.System(), store.HouseholdFilter{Under: tr.community.ID})
		if err != nil {
			t.Fatal(err)
		}
		byHead := map[string]*model.Household{}
		for _, h := range page.Items {
			byHead[h.HeadName] = h
		}
		a := byHead["王大明"]
		if a == nil || a.Members != 3 || a.TerritoryID != tr.community.ID || !a.Flags.ElderlyAlone || a.Flags.Hardship ||
			a.MovedInAt == nil || a.MovedInAt.Format(time.DateOnly) != "2001-02-03" {
			t.Errorf("household A = %+v", a)
		}
		if b := byHead["陈静"]; b == nil || b.TerritoryID != tr.stairwell.ID || !b.Flags.Hardship || b.Address != "1栋1单元101室" {
			t.Errorf("household B = %+v", b)
		}
		if c := byHead["赵强"]; c == nil || c.TerritoryID != tr.stairwell.ID {
			t.Errorf("household C = %+v (name path must resolve, 本人 is 户主)", c)
		}
		rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs.Items {
			got = append(got, strings.Join([]string{r.Name, string(r.Relation), string(r.Gender), r.BirthDate.Format(time.DateOnly), string(r.PoliticalStatus), r.Phone.Plain()}, " "))
		}
		want := []string{
			"王大明 head male 1960-01-01 party_member 13812345678", // the file's words, stored as ids
			"刘芳 spouse female 1962-02-02 masses ",
			"王小明 child male 1990-03-03 league_member ",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("residents of A:\n got %q\nwant %q", got, want)
		}
	})
}

func TestImportReportsEveryBadRowAndWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		stair := strconv.FormatInt(tr.stairwell.ID, 10)
		bad := validID("510781", "19700101", 11)
		bad = bad[:17] + string("0123456789"[(strings.IndexByte("0123456789X", bad[17])+1)%10]) // wrong check digit
		people := []person{
			{key: "1", territory: stair, address: "101室", name: "甲", relation: "户主", id: validID("510781", "19600101", 11)},
			{key: "1", name: "乙", relation: "配偶", id: bad},
			{key: "2", territory: stair, address: "102室", name: "丙", relation: "户主", id: validID("510781", "19600102", 13)},
			{key: "2", name: "丁", relation: "子女", id: validID("510781", "19900102", 15), phone: "12345"},
			{key: "3", territory: stair, address: "103室", name: "戊", relation: "户主", id: validID("510781", "19600103", 17)},
			{key: "3", name: "己", relation: "表哥", id: validID("510781", "19900103", 19)},
		}
		path := mustCSV(t, rowsOf(people...))
		rep, err := ImportHouseholds(ctx, st, path, Options{Scope: authz.System()})
		if !errors.Is(err, ErrInvalidRows) {
			t.Fatalf("err = %v, want ErrInvalidRows", err)
		}
		want := []RowError{
			{Row: 3, Column: "身份证号", Message: "身份证号第18位校验码应为" + string(model.IDCheckDigit(bad))},
			{Row: 5, Column: "联系电话", Message: model.CheckPhone("12345")},
			{Row: 7, Column: "与户主关系", Message: "与户主关系应为：户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、儿媳、女婿、其他"},
		}
		if !reflect.DeepEqual(rep.Errors, want) {
			t.Errorf("errors:\n%s\nwant:\n%s", errorStrings(rep.Errors), errorStrings(want))
		}
		if got, want := rep.Errors[0].String(), "第3行 身份证号：身份证号第18位校验码应为"+string(model.IDCheckDigit(bad)); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		if rep.Written || rep.Rows != 6 || rep.RejectsPath != "" {
			t.Errorf("report = %+v, want 6 rows, nothing written, no rejects file", rep)
		}
		if h, r := counts(t, st); h != 0 || r != 0 {
			t.Errorf("counts = %d, %d; want nothing written", h, r)
		}
		if _, err := os.Stat(rejectsPath(path)); !os.IsNotExist(err) {
			t.Errorf("rejects file exists without SkipInvalid: %v", err)
		}
	})
}

func TestImportSkipInvalid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		stair := strconv.FormatInt(tr.stairwell.ID, 10)
		people := []person{
			{key: "1", territory: stair, address: "101室", name: "甲", relation: "户主", id: validID("510781", "19600101", 11)},
			{key: "2", territory: stair, address: "102室", name: "乙", relation: "户主", id: validID("510781", "19600102", 13)},
			{key: "2", name: "丙", relation: "子女", id: validID("510781", "19900102", 15), gender: "女"},
			{key: "3", territory: stair, address: "103室", name: "丁", relation: "户主", id: validID("510781", "19600103", 17)},
		}
		path := mustCSV(t, rowsOf(people...))
		rep, err := ImportHouseholds(ctx, st, path, Options{Scope: authz.System(), SkipInvalid: true})
		if err != nil {
			t.Fatalf("ImportHouseholds = %v", err)
		}
		if want := rejectsPath(path); rep.RejectsPath != want || !strings.HasSuffix(want, "households.rejects.csv") {
			t.Errorf("RejectsPath = %q, want %q", rep.RejectsPath, want)
		}
		if !rep.Written || rep.Households != 2 || rep.Residents != 2 || rep.RejectedHouseholds != 1 || rep.RejectedRows != 2 || len(rep.Errors) != 1 {
			t.Errorf("report = %+v", rep)
		}
		if h, r := counts(t, st); h != 2 || r != 2 {
			t.Errorf("counts = %d, %d; want 2, 2", h, r)
		}
		rows := mustReadCSV(t, rep.RejectsPath)
		if got, want := rows[0], append(layout(), "错误原因"); !reflect.DeepEqual(got, want) {
			t.Errorf("rejects header = %q, want %q", got, want)
		}
		if len(rows) != 3 {
			t.Fatalf("rejects has %d rows, want header + 2", len(rows))
		}
		reason := len(layout())
		if got := rows[1][reason]; got != "第3行 同户第4行有错误，整户未导入" {
			t.Errorf("reason of the good row of a bad household = %q", got)
		}
		if got := rows[2][reason]; !strings.HasPrefix(got, "第4行 性别：性别与身份证号不符") {
			t.Errorf("reason of the bad row = %q", got)
		}

		// Fix the rejects file where it says and import it as it is: 错误原因 is ignored.
		rows[2][colGender] = ""
		fixed := mustFile(t, "fixed.csv", csvBytes(t, rows))
		rep, err = ImportHouseholds(ctx, st, fixed, Options{Scope: authz.System()})
		if err != nil {
			t.Fatalf("import fixed rejects = %v\n%s", err, errorStrings(rep.Errors))
		}
		if h, r := counts(t, st); h != 3 || r != 4 {
			t.Errorf("after the fix counts = %d, %d; want 3, 4", h, r)
		}

		// Every household bad: nothing to write, no error, the rejects file holds them all.
		rep, err = ImportHouseholds(ctx, st, fixed, Options{Scope: authz.System(), SkipInvalid: true})
		if err != nil || rep.Written || rep.Households != 0 || rep.RejectedHouseholds != 1 || rep.RejectsPath == "" {
			t.Fatalf("import again = %+v, %v; want every household set aside, nothing written", rep, err)
		}
		if rows := mustReadCSV(t, rep.RejectsPath); len(rows) != 3 || !strings.Contains(rows[1][reason], "已登记") {
			t.Errorf("rejects = %q", rows)
		}
		if h, r := counts(t, st); h != 3 || r != 4 {
			t.Errorf("counts = %d, %d; want unchanged 3, 4", h, r)
		}
	})
}

func mustReadCSV(tb testing.TB, path string) [][]string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "\ufeff") {
		tb.Errorf("%s has no UTF-8 BOM", path)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

func TestImportWrongColumns(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	tr := mustTree(t, st)
	good := person{key: "1", territory: tr.community.Code, name: "甲", relation: "户主", id: validID("510781", "19600101", 11)}.row()
	for _, tc := range []struct {
		name   string
		header []string
		want   []string // parts of the message
	}{
		{"unknown", append(layout(), "备注", "籍贯"), []string{"无法识别的列：“备注”、“籍贯”"}},
		{"missing", layout()[3:], []string{"缺少必填列：“户编号”、“所属节点”、“门牌地址”"}},
		{"duplicate", append(layout(), "姓名"), []string{"列重复出现：“姓名”"}},
		{"export", func() []string { h := layout(); h[colIDNumber] = "身份证号(已脱敏)"; return h }(), []string{"已脱敏", "缺少必填列：“身份证号”"}},
		{"empty header", make([]string, 5), []string{"第1行应为列名"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mustCSV(t, [][]string{tc.header, good})
			rep, err := ImportHouseholds(context.Background(), st, path, Options{Scope: authz.System()})
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrBadFile) || rep != nil {
				t.Fatalf("ImportHouseholds = %v, %v; want a *FileError", rep, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(fe.Message, w) {
					t.Errorf("message %q does not contain %q", fe.Message, w)
				}
			}
			if h, r := counts(t, st); h != 0 || r != 0 {
				t.Errorf("counts = %d, %d; want nothing written", h, r)
			}
		})
	}
	t.Run("order free, aliases and markers", func(t *testing.T) {
		h := layout()
		h[colTerritory], h[colName] = "所属节点代码或ID", "姓名*"
		rows := [][]string{h, append([]string(nil), good...)}
		for i := range rows { // swap the first two columns
			rows[i][0], rows[i][1] = rows[i][1], rows[i][0]
		}
		rows[1][2] = "101室"
		rep, err := ImportHouseholds(context.Background(), st, mustCSV(t, rows), Options{Scope: authz.System()})
		if err != nil {
			t.Fatalf("ImportHouseholds = %v\n%s", err, errorStrings(rep.Errors))
		}
	})
}

func TestImportNotASpreadsheet(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	mustTree(t, st)
	header := csvBytes(t, [][]string{layout()})
	for _, tc := range []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"text file", "households.txt", header, "只能导入 .csv 或 .xlsx 文件"},
		{"old xls", "households.xls", []byte("x"), "旧版 Excel"},
		{"xlsx that is text", "households.xlsx", header, "不是有效的CSV/XLSX文件"},
		{"xlsx that is a broken zip", "households.xlsx", []byte("PK\x03\x04garbage"), "不是有效的CSV/XLSX文件"},
		{"binary csv", "households.csv", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "不是有效的CSV/XLSX文件"},
		{"xlsx named csv", "households.csv", []byte("PK\x03\x04\x14\x00"), "扩展名改为 .xlsx"},
		{"empty", "households.csv", nil, "文件是空的"},
		{"header only", "households.csv", header, "没有数据行"},
		{"broken quotes", "households.csv", append(header, []byte("1,\"a\"b\"\n2,\"unterminated\n")...), "第2行：CSV 格式有误"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mustFile(t, tc.file, tc.content)
			_, err := ImportHouseholds(context.Background(), st, path, Options{Scope: authz.System()})
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("err = %v, want ErrBadFile", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
			if h, r := counts(t, st); h != 0 || r != 0 {
				t.Errorf("counts = %d, %d; want nothing written", h, r)
			}
		})
	}
}

func TestImportGB18030(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tr := mustTree(t, st)
		content := mustGB18030(t, csvBytes(t, rowsOf(
			person{key: "1", territory: "天宝社区/第一网格/1栋/1单元", address: "1栋1单元301室", name: "欧阳娜娜", relation: "户主",
				id: validID("510781", "19850505", 22), political: "群众", occupation: "个体经营"},
		)))
		path := mustFile(t, "gbk.csv", content)
		rep, err := ImportHouseholds(context.Background(), st, path, Options{Scope: scopeOf(tr.community)})
		if err != nil {
			t.Fatalf("ImportHouseholds = %v\n%s", err, errorStrings(rep.Errors))
		}
		rs, err := st.Residents(context.Background(), authz.System(), store.ResidentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs.Items) != 1 || rs.Items[0].Name != "欧阳娜娜" || rs.Items[0].Occupation != "个体经营" {
			t.Errorf("residents = %+v, want 欧阳娜娜 decoded from GB18030", rs.Items)
		}
	})
}

func TestImportUTF8BOMAndTabs(t *testing.T) {
	t.Parallel()
	rows := rowsOf(person{key: "1", territory: "510781006001", address: "12号", name: "甲", relation: "户主", id: validID("510781", "19600101", 11)})
	var tsv []byte
	for _, r := range rows {
		tsv = append(tsv, strings.Join(r, "\t")+"\r\n"...)
	}
	for name, content := range map[string][]byte{
		"bom.csv": append([]byte("\ufeff"), csvBytes(t, rows)...),
		"tab.csv": tsv,
	} {
		st := storetest.Open(t, "sqlite")
		mustTree(t, st)
		rep, err := ImportHouseholds(context.Background(), st, mustFile(t, name, content), Options{Scope: authz.System()})
		if err != nil {
			t.Errorf("%s: ImportHouseholds = %v\n%s", name, err, errorStrings(rep.Errors))
		}
	}
}

func TestImportScopeAndKind(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tr := mustTree(t, st)
		ctx := context.Background()
		row := func(territory string) person {
			return person{key: "1", territory: territory, address: "1号", name: "甲", relation: "户主", id: validID("510781", "19600101", 11)}
		}
		for _, tc := range []struct {
			name      string
			scope     authz.Scope
			territory string
			want      string // "" means it imports
		}{
			{"code outside scope", scopeOf(tr.community2), tr.community.Code, "节点“510781006001”不存在或不在您的管辖范围内"},
			{"id outside scope", scopeOf(tr.community2), strconv.FormatInt(tr.stairwell.ID, 10), "不存在或不在您的管辖范围内"},
			{"path outside scope", scopeOf(tr.community2), "天宝社区/第一网格/1栋/1单元", "在“东胜社区”下找不到名为“天宝社区”的节点"},
			{"zero scope", authz.Scope{}, tr.community.Code, "不存在或不在您的管辖范围内"},
			{"street is too high", authz.System(), tr.street.Code, "“中坝街道”是街道/乡镇，住户应登记在社区及以下的节点"},
			{"unknown id", authz.System(), "99999", "不存在"},
			{"path with empty level", authz.System(), "江油市//天宝社区", "有空的一级"},
			{"path inside scope without the root", scopeOf(tr.community2), "8栋/2单元", ""},
			{"path inside scope with the root", scopeOf(tr.community2), "东胜社区／8栋／2单元", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := mustCSV(t, rowsOf(row(tc.territory)))
				rep, err := ImportHouseholds(ctx, st, path, Options{Scope: tc.scope})
				if tc.want == "" {
					if err != nil {
						t.Fatalf("ImportHouseholds = %v\n%s", err, errorStrings(rep.Errors))
					}
					for _, table := range []string{"residents", "household_events", "households"} {
						if _, err := st.DB().ExecContext(ctx, `DELETE FROM `+table); err != nil {
							t.Fatal(err)
						}
					}
					return
				}
				if !errors.Is(err, ErrInvalidRows) || len(rep.Errors) != 1 {
					t.Fatalf("ImportHouseholds = %v, %+v; want one row error", err, rep)
				}
				if e := rep.Errors[0]; e.Row != 2 || e.Column != "所属节点" || !strings.Contains(e.Message, tc.want) {
					t.Errorf("error = %v, want row 2 所属节点 containing %q", e, tc.want)
				}
			})
		}
	})
}

func TestImportDuplicatesAgainstFileAndDatabase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tr := mustTree(t, st)
		ctx := context.Background()
		id := validID("510781", "19600101", 11)
		first := rowsOf(person{key: "1", territory: tr.community.Code, address: "1号", name: "甲", relation: "户主", id: id})
		if _, err := ImportHouseholds(ctx, st, mustCSV(t, first), Options{Scope: authz.System()}); err != nil {
			t.Fatal(err)
		}
		second := rowsOf(
			person{key: "1", territory: tr.community.Code, address: "2号", name: "乙", relation: "户主", id: validID("510781", "19600102", 13)},
			person{key: "1", name: "乙妻", relation: "配偶", id: validID("510781", "19600102", 13)},
			person{key: "2", territory: tr.community.Code, address: "3号", name: "甲", relation: "户主", id: strings.ToLower(id)},
		)
		rep, err := ImportHouseholds(ctx, st, mustCSV(t, second), Options{Scope: authz.System()})
		if !errors.Is(err, ErrInvalidRows) {
			t.Fatalf("err = %v, want ErrInvalidRows", err)
		}
		want := []RowError{
			{Row: 3, Column: "身份证号", Message: "与第2行的身份证号重复：同一个人只能登记一次"},
			{Row: 4, Column: "身份证号", Message: "该身份证号已登记在系统中：如是同一人，请删除这一行，不要重复导入"},
		}
		if !reflect.DeepEqual(rep.Errors, want) {
			t.Errorf("errors:\n%s\nwant:\n%s", errorStrings(rep.Errors), errorStrings(want))
		}
		if h, r := counts(t, st); h != 1 || r != 1 {
			t.Errorf("counts = %d, %d; want the first import only", h, r)
		}
	})
}

func TestSaveUpload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct{ name, want string }{
		{`C:\Users\me\住户 名单.CSV`, "住户 名单.csv"},
		{"../../etc/passwd.xlsx", "passwd.xlsx"},
		{"..", "upload"},
		{"a:b?.csv", "a_b_.csv"},
	} {
		path, err := SaveUpload(dir, tc.name, strings.NewReader("x"))
		if err != nil {
			t.Fatalf("SaveUpload(%q) = %v", tc.name, err)
		}
		if got := filepath.Base(path); got != tc.want || filepath.Dir(path) != dir {
			t.Errorf("SaveUpload(%q) = %q, want %q in %q", tc.name, path, tc.want, dir)
		}
	}
}

// TestImportDuplicateOutOfScope: a row whose ID number a resident outside the importer's scope
// holds gets the neutral message (in the report and the rejects file) and is recorded for the
// administrators who see both sides; a number held inside the scope keeps the precise one.
func TestImportDuplicateOutOfScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		if _, err := ImportHouseholds(ctx, st, mustCSV(t, rowsOf(family(tr, "江油市/中坝街道/天宝社区/第一网格/1栋/1单元")...)), Options{Scope: authz.System()}); err != nil {
			t.Fatal(err)
		}
		held := family(tr, "")[3].id // 陈静, in community 1
		u, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: "admin2", Password: "correct horse battery staple 2", Role: model.RoleCommunityAdmin, ScopeID: tr.community2.ID})
		if err != nil {
			t.Fatal(err)
		}
		sc := authz.ForUser(u)
		where := strconv.FormatInt(tr.stairwell2.ID, 10)
		path := mustCSV(t, rowsOf(
			person{key: "X", territory: where, address: "8栋2单元201", name: "陈静", relation: "户主", id: held},
			person{key: "Y", territory: where, address: "8栋2单元202", name: "周一", relation: "户主", id: validID("510781", "19880808", 64)},
		))
		rep, err := ImportHouseholds(ctx, st, path, Options{Scope: sc, SkipInvalid: true})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		want := []RowError{{Row: 2, Column: "身份证号", Message: model.DuplicateIDMessage}}
		if !reflect.DeepEqual(rep.Errors, want) || rep.Households != 1 || rep.RejectedHouseholds != 1 {
			t.Errorf("report = %+v, want errors %v and one household written", rep, want)
		}
		rows := mustReadCSV(t, rep.RejectsPath)
		if len(rows) != 2 || rows[1][len(layout())] != "第2行 身份证号："+model.DuplicateIDMessage {
			t.Errorf("rejects = %q", rows)
		}
		p, err := st.IDConflicts(ctx, scopeOf(tr.street), store.ConflictFilter{})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("conflicts seen by the street = %v, %v; want 1", p, err)
		}
		if c := p.Items[0]; c.Source != model.ConflictFromImport || c.TargetTerritoryID != tr.stairwell2.ID || c.TargetHouseholdID != 0 ||
			c.Attempt.Row != 2 || c.Attempt.Name != "陈静" || c.RequestedBy != u.ID {
			t.Errorf("conflict = %+v", c)
		}
		if p, err := st.IDConflicts(ctx, sc, store.ConflictFilter{}); err != nil || len(p.Items) != 0 {
			t.Errorf("the importer sees %d conflicts (%v), want 0", len(p.Items), err)
		}
	})
}
