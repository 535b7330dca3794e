package importer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

var memberHead = []string{"姓名*", "身份证号", "所在党组织*", "名册", "党员类别*", "入党日期", "转正日期", "人员类型*", "流动情况", "报到类型", "组织关系所在党组织", "服务岗位", "报到日期"}

// memberFixture is a community with a grid branch, the same branch name in a second community
// (names alone are then ambiguous for a street), and a resident who is a party member.
type memberFixture struct {
	tr               tree
	branch, branch2  int64
	residentID       int64
	residentIDNumber string
}

func mustMemberFixture(t *testing.T, st *store.Store) memberFixture {
	t.Helper()
	ctx := context.Background()
	f := memberFixture{tr: mustTree(t, st)}
	f.branch = storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.tr.grid, 0)
	f.branch2 = storetest.PartyOrg(t, st, "community_committee", "", "第一网格党支部", f.tr.community2, 0)
	h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.tr.stairwell.ID, Address: "1栋1单元101室"})
	if err != nil {
		t.Fatal(err)
	}
	f.residentIDNumber = validID("510781", "19560312", 11)
	r, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: h.ID, Name: "陈老党员", Relation: model.RelationHead,
		IDNumber: f.residentIDNumber, PoliticalStatus: model.StatusMasses})
	if err != nil {
		t.Fatal(err)
	}
	f.residentID = r.ID
	return f
}

func memberCount(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_members`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportMembers: a good file registers members (one linked to the resident by ID number,
// whose political status then follows the roster) and reporting members, all in one go; a
// file with bad rows writes nothing and names every bad row's column and reason, with the bad
// rows in the rejects file; an org name two communities share is refused for a street.
func TestImportMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustMemberFixture(t, st)
		sc := scopeOf(f.tr.community)

		bad := mustFile(t, "members.csv", csvBytes(t, [][]string{memberHead,
			{"王一", "", "第一网格党支部", "在册党员", "正式党员", "1990-07-01", "1991-07-01", "离退休", "", "", "", "", ""},
			{"", "", "第一网格党支部", "", "正式", "", "", "退休", "", "", "", "", ""},
			{"李二", "", "不存在的支部", "", "预备党员", "2030-01-01", "", "在职", "流出", "", "", "", ""},
			{"赵三", "", "第一网格党支部", "报到党员", "正式党员", "", "", "在职", "", "", "", "", ""},
			{"钱四", "51078119560312011X", "第一网格党支部", "", "正式党员", "", "", "其它的", "", "", "", "", ""},
		}))
		rep, err := ImportMembers(ctx, st, bad, MemberOptions{Scope: sc})
		if !errors.Is(err, ErrInvalidRows) {
			t.Fatalf("bad file: err = %v, want ErrInvalidRows", err)
		}
		got := errorStrings(rep.Errors)
		for _, want := range []string{"第3行 姓名：", "第4行 所在党组织：找不到党组织“不存在的支部”", "第4行 入党日期：日期不能晚于今天",
			"第5行 报到类型：", "第6行 身份证号：", "第6行 人员类型："} {
			if !strings.Contains(got, want) {
				t.Errorf("errors lack %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "第2行") {
			t.Errorf("the good row has an error:\n%s", got)
		}
		if n := memberCount(t, st); n != 0 {
			t.Fatalf("a bad file wrote %d members", n)
		}
		rejects, err := os.ReadFile(rep.RejectsPath)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(rejects); !strings.Contains(s, "错误原因") || strings.Contains(s, "王一") || !strings.Contains(s, "李二") {
			t.Errorf("rejects file:\n%s", s)
		}

		// The store's checks: an org the importer does not manage (ambiguous name for the street,
		// by id outside the community) is an error of the row too, and nothing is written.
		street := authz.Scope{UserID: 1, Role: model.RoleStreetAdmin, Path: f.tr.street.Path}
		amb := mustFile(t, "members.csv", csvBytes(t, [][]string{memberHead,
			{"孙五", "", "第一网格党支部", "", "正式党员", "", "", "在职", "", "", "", "", ""}}))
		rep, err = ImportMembers(ctx, st, amb, MemberOptions{Scope: street})
		if !errors.Is(err, ErrInvalidRows) || !strings.Contains(errorStrings(rep.Errors), "有多个党组织名为") {
			t.Errorf("ambiguous org: %v\n%s", err, errorStrings(rep.Errors))
		}

		good := mustFile(t, "members.csv", csvBytes(t, [][]string{memberHead,
			{"王一", "", "第一网格党支部", "在册党员", "正式党员", "1990-07-01", "1991-07-01", "离退休", "", "", "", "楼栋宣传员", ""},
			{"随便写", f.residentIDNumber, itoa(f.branch), "", "预备党员", "2025-07-01", "", "在职", "流出党员", "", "", "", ""},
			{"赵三", "", "第一网格党支部", "报到党员", "正式党员", "", "", "在职", "", "双报到", "市税务局机关党委", "文明劝导岗", "2025-03-05"},
		}))
		var stages []string
		rep, err = ImportMembers(ctx, st, good, MemberOptions{Scope: sc, Progress: func(stage string, _, _ int) { stages = append(stages, stage) }})
		if err != nil {
			t.Fatalf("good file: %v\n%s", err, errorStrings(rep.Errors))
		}
		if !rep.Written || rep.Registered != 2 || rep.Reporting != 1 || rep.Rows != 3 {
			t.Errorf("report = %+v", rep)
		}
		if len(stages) == 0 || stages[len(stages)-1] != StageWrite {
			t.Errorf("progress stages = %v", stages)
		}
		if n := memberCount(t, st); n != 3 {
			t.Errorf("members = %d, want 3", n)
		}
		if n := storetest.OrgMembers(t, st, f.branch); n != 2 {
			t.Errorf("branch's registered count = %d, want 2 (the reporting member is not counted)", n)
		}
		res, err := st.Resident(ctx, authz.System(), f.residentID)
		if err != nil {
			t.Fatal(err)
		}
		if res.PoliticalStatus != model.StatusProbationary {
			t.Errorf("resident's political status = %q, want probationary (follows the roster)", res.PoliticalStatus)
		}
		pg, err := st.Members(ctx, authz.System(), store.MemberFilter{OrgID: f.branch})
		if err != nil {
			t.Fatal(err)
		}
		var name string
		for _, m := range pg.Items {
			if m.ResidentID == f.residentID {
				name = m.Name
			}
		}
		if name != "陈老党员" {
			t.Errorf("linked member's name = %q, want the resident record's", name)
		}

		// The same file again: the resident is on the roster now, so nothing is written.
		rep, err = ImportMembers(ctx, st, good, MemberOptions{Scope: sc})
		if !errors.Is(err, ErrInvalidRows) || !strings.Contains(errorStrings(rep.Errors), "第3行 身份证号：该居民已在党员名册中") {
			t.Errorf("second import: %v\n%s", err, errorStrings(rep.Errors))
		}
		if n := memberCount(t, st); n != 3 {
			t.Errorf("after a refused second import members = %d, want 3", n)
		}
	})
}

// TestMemberTemplate: the template's header is the layout (required columns marked) and the
// file as downloaded passes the header check.
func TestMemberTemplate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteMemberTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	path := mustFile(t, "template.xlsx", buf.Bytes())
	if err := CheckMemberFile(path); err != nil {
		t.Fatalf("the template fails its own check: %v", err)
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(memberSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "姓名*" || rows[0][int(mcOrg)] != "所在党组织*" {
		t.Errorf("template rows = %q", rows)
	}
	if err := CheckMemberFile(mustFile(t, "x.csv", []byte("姓名,党员类别\n王,正式党员\n"))); err == nil || !strings.Contains(err.Error(), "所在党组织") {
		t.Errorf("missing columns: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
