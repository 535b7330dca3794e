package importer

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/model"
)

// fakeResolve accepts every node but "x" and "", without a database.
func fakeResolve(text string) (int64, string, error) {
	switch text {
	case "":
		return 0, "请填写所属节点", nil
	case "x":
		return 0, "节点“x”不存在或不在您的管辖范围内", nil
	}
	return 7, "", nil
}

// checkCSV runs the first pass over CSV content without a database.
func checkCSV(data []byte, maxRows int) (*checker, error) {
	src := newCSVSource(bytes.NewReader(data), ',', nil)
	h, _, err := readHeader(src)
	if err != nil {
		return nil, err
	}
	c := newChecker(h, false, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), fakeResolve, nil, nil)
	for c.rows < maxRows {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if blank(cells) {
			continue
		}
		if err := c.check(row, cells); err != nil {
			return nil, err
		}
	}
	return c, c.finish()
}

func TestCheckRows(t *testing.T) {
	t.Parallel()
	id1, id2, id3 := validID("510781", "19600101", 11), validID("510781", "19620202", 22), validID("510781", "19900303", 31)
	head := func(key string) person {
		return person{key: key, territory: "n", address: "1号", name: "甲", relation: "户主", id: id1}
	}
	for _, tc := range []struct {
		name string
		rows []person
		want []string
	}{
		{"good", []person{head("1"), {key: "1", name: "乙", relation: "配偶", id: id2}}, nil},
		{"two heads", []person{head("1"), {key: "1", name: "乙", relation: "户主", id: id2}},
			[]string{"第3行 与户主关系：本户已在第2行填了户主（甲），一户只能有一位户主"}},
		{"no head", []person{{key: "1", territory: "n", address: "1号", name: "乙", relation: "配偶", id: id2}},
			[]string{"第2行 与户主关系：户编号“1”这一户没有户主：请把其中一人的与户主关系填为“户主”"}},
		{"key split", []person{head("1"), {key: "2", territory: "n", address: "2号", name: "乙", relation: "户主", id: id2},
			{key: "1", territory: "n", address: "1号", name: "丙", relation: "户主", id: id3}},
			[]string{"第2行 户编号：户编号“1”在第4行又出现了：同一户的成员须填在相邻的行",
				"第4行 户编号：户编号“1”在第2行已用过：同一户的成员须填在相邻的行，不同的户请用不同的编号"}},
		{"empty key", []person{{territory: "n", address: "1号", name: "甲", relation: "户主", id: id1}},
			[]string{"第2行 户编号：请填写户编号：同一户的成员填相同的户编号"}},
		{"unknown node", []person{{key: "1", territory: "x", address: "1号", name: "甲", relation: "户主", id: id1}},
			[]string{"第2行 所属节点：节点“x”不存在或不在您的管辖范围内"}},
		{"bad gender and flag", []person{{key: "1", territory: "n", address: "1号", name: "甲", relation: "户主", id: id1, gender: "未知", elderly: "可能"}},
			[]string{"第2行 性别：请填“男”或“女”，也可留空由身份证号推算", "第2行 独居老人：请填“是”或“否”（留空视为否）"}},
		{"scientific ID", []person{{key: "1", territory: "n", address: "1号", name: "甲", relation: "户主", id: "5.10781E+17"}},
			[]string{"第2行 身份证号：身份证号被表格软件当成了数字（科学计数法），后几位已经丢失：请把该列设为“文本”格式后重新输入"}},
		{"household fields differ", []person{head("1"), {key: "1", territory: "m", address: "2号", name: "乙", relation: "配偶", id: id2}},
			[]string{"第3行 所属节点：与本户第2行的所属节点“n”不同：同一户的成员所属节点应相同（可留空）",
				"第3行 门牌地址：与本户第2行的门牌地址“1号”不同：同一户的成员门牌地址应相同（可留空）"}},
		{"control character", []person{{key: "1", territory: "n", address: "1号", name: "甲\x01", relation: "户主", id: id1}},
			[]string{"第2行 姓名：含有换行或控制字符，请删除"}},
		{"no relation", []person{{key: "1", territory: "n", address: "1号", name: "甲", id: id1}},
			[]string{"第2行 与户主关系：请填写与户主关系：户主、配偶、子女、父母等",
				"第2行 与户主关系：户编号“1”这一户没有户主：请把其中一人的与户主关系填为“户主”"}},
		{"duplicate ID", []person{head("1"), {key: "1", name: "乙", relation: "配偶", id: id1}},
			[]string{"第3行 身份证号：与第2行的身份证号重复：同一个人只能登记一次"}},
		{"missing address and bad date", []person{{key: "1", territory: "n", name: "甲", relation: "户主", id: id1, movedIn: "去年"}},
			[]string{"第2行 门牌地址：请填写门牌地址，例如 3单元502室", "第2行 迁入日期：迁入日期应为 YYYY-MM-DD 格式"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := checkCSV(csvBytes(t, rowsOf(tc.rows...)), MaxRows)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range c.errs {
				got = append(got, e.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestNormDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		xlsx bool
		want string
	}{
		{"1965-03-08", false, "1965-03-08"},
		{"1965/3/8", false, "1965-03-08"},
		{"1965.3.8", false, "1965-03-08"},
		{"19650308", false, "1965-03-08"},
		{"1965年3月8日", false, "1965-03-08"},
		{"1965-03-08 00:00:00", false, "1965-03-08"},
		{"23809", true, "1965-03-08"},
		{"23809", false, "23809"},
		{"59", true, "1900-02-28"},
		{"61", true, "1900-03-01"},
		{"去年", false, "去年"},
		{"", true, ""},
		{"3/8/1965", false, "3/8/1965"},
	} {
		if got := normDate(tc.in, tc.xlsx); got != tc.want {
			t.Errorf("normDate(%q, %v) = %q, want %q", tc.in, tc.xlsx, got, tc.want)
		}
	}
}

// FuzzParseCSV feeds arbitrary bytes to the CSV reader and the row checks (no database) and
// holds them to the contract the second pass relies on: no panic; errors name a data row and
// say something; every row of a household without errors parses cleanly again and the
// household has exactly one head.
func FuzzParseCSV(f *testing.F) {
	good := rowsOf(
		person{key: "1", territory: "n", address: "1号", name: "甲", relation: "户主", id: validID("510781", "19600101", 11), phone: "13812345678"},
		person{key: "1", name: "乙", relation: "配偶", id: validID("510781", "19620202", 22), birth: "1962/2/2", political: "群众"},
		person{key: "2", territory: "x", address: "2号", name: "丙", relation: "本人", id: "5.1E+17", elderly: "是"},
	)
	var seed bytes.Buffer
	seed.Write(csvBytes(f, good))
	f.Add(seed.Bytes())
	f.Add([]byte(strings.Join(layout(), ",") + "\n1,n,1号,甲,户主,11010519491231002X,女,,,,,,,,,\n"))
	f.Add([]byte(strings.Join(layout(), ",") + "\n,,,,,,,,\n\"a\nb\",n,\x00,,\n"))
	f.Add([]byte("户编号,姓名\n1,甲\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := checkCSV(data, 2000)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Message == "" {
				t.Fatalf("error %v is not a *FileError with a message", err)
			}
			return
		}
		for i, e := range c.errs {
			if e.Row < 1 || e.Message == "" {
				t.Fatalf("bad error %+v", e)
			}
			if i > 0 && c.errs[i-1].Row > e.Row {
				t.Fatalf("errors out of order: %+v before %+v", c.errs[i-1], e)
			}
		}
		heads := make([]int, len(c.households))
		src := newCSVSource(bytes.NewReader(data), ',', nil)
		if _, _, err := src.next(); err != nil {
			t.Fatal(err)
		}
		var seg segmenter
		for rows := 0; rows < c.rows; {
			row, cells, err := src.next()
			if err != nil {
				t.Fatalf("second pass: %v", err)
			}
			if blank(cells) {
				continue
			}
			rows++
			idx, _ := seg.next(c.h.cell(cells, colKey))
			if idx >= len(c.households) {
				t.Fatalf("row %d: household %d of %d", row, idx, len(c.households))
			}
			if c.households[idx].bad() {
				continue
			}
			in, problems := parseResident(&c.h, cells, false, c.now)
			if len(problems) > 0 {
				t.Fatalf("row %d of a good household parses with %v", row, problems)
			}
			if in.Relation == model.RelationHead {
				heads[idx]++
			}
		}
		for i, hh := range c.households {
			if !hh.bad() && (heads[i] != 1 || hh.territoryID != 7 || hh.members < 1) {
				t.Fatalf("good household %+v has %d heads", hh, heads[i])
			}
		}
	})
}
