package importer

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func mustTemplate(t *testing.T) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteTemplate(&buf); err != nil {
		t.Fatalf("WriteTemplate = %v", err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("open template: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func mustSave(t *testing.T, f *excelize.File) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "filled.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	f := mustTemplate(t)
	if got, want := f.GetSheetList(), []string{"住户信息", "填写说明"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sheets = %q, want %q", got, want)
	}
	rows, err := f.GetRows("住户信息")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !reflect.DeepEqual(rows[0], layout()) {
		t.Fatalf("template rows = %q, want the header and two examples", rows)
	}
	for _, r := range rows[1:] {
		id := r[colIDNumber]
		if _, msg := model.ParseIDNumber(id, time.Now()); msg != "" {
			t.Errorf("example ID %s: %s", id, msg)
		}
	}
	notes, err := f.GetRows("填写说明")
	if err != nil {
		t.Fatal(err)
	}
	var described []string
	for _, r := range notes {
		if len(r) >= 3 && (r[1] == "必填" || r[1] == "选填") {
			described = append(described, r[0])
		}
	}
	if !reflect.DeepEqual(described, layout()) {
		t.Errorf("填写说明 describes %q, want every column %q", described, layout())
	}
	if w, err := f.GetColWidth("住户信息", "F"); err != nil || w < 20 {
		t.Errorf("ID column width = %v, %v; want at least 20", w, err)
	}
}

func TestXLSXRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)

		t.Run("the unmodified template is refused", func(t *testing.T) {
			rep, err := ImportHouseholds(ctx, st, mustSave(t, mustTemplate(t)), Options{Scope: scopeOf(tr.community)})
			if !errors.Is(err, ErrInvalidRows) || len(rep.Errors) != 1 || rep.Errors[0].Row != 2 || rep.Errors[0].Column != "所属节点" {
				t.Fatalf("import template = %v, %+v; want one error on row 2 所属节点", err, rep)
			}
		})

		f := mustTemplate(t)
		set := func(cell string, v any) {
			t.Helper()
			if err := f.SetCellValue(sheetName, cell, v); err != nil {
				t.Fatal(err)
			}
		}
		set("B2", "天宝社区/第一网格/1栋/1单元")
		// A second household typed the way people type: the code as a number, the birth date as
		// a real date cell (an Excel serial number underneath).
		set("A4", 2)
		set("B4", 510781006001)
		set("C4", "天宝社区3号")
		set("D4", "孙悟")
		set("E4", "户主")
		set("F4", validID("510781", "19900303", 31))
		set("H4", time.Date(1990, 3, 3, 0, 0, 0, 0, time.UTC))
		set("J4", "群众")
		path := mustSave(t, f)
		rep, err := ImportHouseholds(ctx, st, path, Options{Scope: scopeOf(tr.community)})
		if err != nil {
			t.Fatalf("ImportHouseholds = %v\n%s", err, errorStrings(rep.Errors))
		}
		if got, want := *rep, (Report{Rows: 3, Households: 2, Residents: 3, Written: true}); !reflect.DeepEqual(got, want) {
			t.Errorf("report = %+v, want %+v", got, want)
		}
		page, err := st.Households(ctx, authz.System(), store.HouseholdFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range page.Items {
			in := ""
			if h.MovedInAt != nil {
				in = h.MovedInAt.Format(time.DateOnly)
			}
			got = append(got, strings.Join([]string{h.HeadName, h.Address, in}, " "))
		}
		want := []string{"孙悟 天宝社区3号 ", "张建国 1栋1单元502室 2010-05-01"} // ordered by path: community before stairwell
		if !reflect.DeepEqual(got, want) {
			t.Errorf("households = %q, want %q", got, want)
		}

		t.Run("row numbers count rows absent from the sheet", func(t *testing.T) {
			f := excelize.NewFile()
			defer f.Close()
			for i, v := range layout() {
				f.SetCellValue("Sheet1", cellName(i+1, 1), v)
			}
			bad := validID("510781", "19700101", 11)
			bad = bad[:17] + map[bool]string{true: "0", false: "X"}[bad[17] != '0']
			for i, v := range (person{key: "9", territory: tr.community.Code, address: "9号", name: "某", relation: "户主", id: bad}).row() {
				f.SetCellValue("Sheet1", cellName(i+1, 6), v)
			}
			rep, err := ImportHouseholds(ctx, st, mustSave(t, f), Options{Scope: authz.System()})
			if !errors.Is(err, ErrInvalidRows) || len(rep.Errors) != 1 || rep.Errors[0].Row != 6 {
				t.Fatalf("ImportHouseholds = %v, %+v; want one error on row 6", err, rep)
			}
		})
	})
}

func TestExportMasksPersonalFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		people := family(tr, "江油市/中坝街道/天宝社区/第一网格/1栋/1单元")
		if rep, err := ImportHouseholds(ctx, st, mustCSV(t, rowsOf(people...)), Options{Scope: authz.System()}); err != nil {
			t.Fatalf("import = %v\n%s", err, errorStrings(rep.Errors))
		}
		// An empty household exports as one row of its own.
		if _, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: tr.stairwell.ID, Address: "空户"}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		var progress []int
		err := ExportHouseholds(ctx, st, scopeOf(tr.community), store.HouseholdFilter{}, &buf, func(stage string, done, total int) {
			progress = append(progress, done, total)
		})
		if err != nil {
			t.Fatalf("ExportHouseholds = %v", err)
		}
		if want := []int{4, 4}; !reflect.DeepEqual(progress, want) {
			t.Errorf("progress = %v, want %v", progress, want)
		}
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(sheetName)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+len(people)+1 {
			t.Fatalf("export has %d rows, want header + %d", len(rows), len(people)+1)
		}
		if rows[0][colIDNumber] != "身份证号(已脱敏)" || rows[0][colPhone] != "联系电话(已脱敏)" || rows[0][colName] != "姓名" {
			t.Errorf("header = %q", rows[0])
		}
		byName := map[string][]string{}
		for _, r := range rows[1:] {
			for len(r) < int(numColumns) {
				r = append(r, "")
			}
			byName[r[colName]] = r
			for _, p := range people {
				if strings.Contains(strings.Join(r, ","), p.id) {
					t.Errorf("row %q holds the full ID number %s", r, p.id)
				}
			}
		}
		w := byName["王大明"]
		if w == nil {
			t.Fatalf("王大明 missing from %q", rows)
		}
		if got, want := w[colIDNumber], model.MaskIDNumber(people[0].id); got != want {
			t.Errorf("ID = %q, want %q", got, want)
		}
		if got, want := w[colPhone], "138****5678"; got != want {
			t.Errorf("phone = %q, want %q", got, want)
		}
		if got, want := []string{w[colTerritory], w[colAddress], w[colRelation], w[colGender], w[colBirth], w[colPolitical], w[colElderly], w[colMovedIn]},
			[]string{"天宝社区", "天宝社区12号", "户主", "男", "1960-01-01", "中共党员", "是", "2001-02-03"}; !reflect.DeepEqual(got, want) {
			t.Errorf("王大明 = %q, want %q", got, want)
		}
		if got := byName["陈静"][colTerritory]; got != "天宝社区/第一网格/1栋/1单元" {
			t.Errorf("territory path = %q, want it from the top of the scope", got)
		}

		path := filepath.Join(t.TempDir(), "export.xlsx")
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		if _, err := ImportHouseholds(ctx, st, path, Options{Scope: authz.System()}); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "已脱敏") {
			t.Errorf("re-import of an export = %v, want a file error saying it is masked", err)
		}

		buf.Reset()
		if err := ExportHouseholds(ctx, st, scopeOf(tr.community2), store.HouseholdFilter{}, &buf, nil); err != nil {
			t.Fatal(err)
		}
		f2, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer f2.Close()
		if rows, _ := f2.GetRows(sheetName); len(rows) != 1 {
			t.Errorf("export of another community has %d rows, want the header only", len(rows))
		}
	})
}
