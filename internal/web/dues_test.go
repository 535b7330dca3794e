package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// The dues pages: a branch's members × months with arrears in red and totals in yuan, the
// payment form (a fraction of a fen refused with a clear error and nothing recorded; on a
// member's behalf), the member's own dues on "my branch", and no dues for a grid leader.
func TestDuesPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	var memberUser int64
	if err := st.DB().QueryRow(`SELECT id FROM users WHERE username = 'member'`).Scan(&memberUser); err != nil {
		t.Fatal(err)
	}
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	m1 := storetest.PartyMember(t, st, "王建国", branch, memberUser)
	m2 := storetest.PartyMember(t, st, "李秀英", branch, 0)
	for _, m := range []int64{m1, m2} {
		if _, err := st.DeclareIncome(ctx, authz.System(), m, 4500_00, false); err != nil { // retired: 22.50 a month
			t.Fatal(err)
		}
	}
	month := time.Now().In(model.Shanghai).Format("2006-01")
	staff := f.as(t, "staff")

	list := staff.get("/party/dues").want(t, http.StatusOK)
	if got := text(one(t, list.Doc, "#dues-table th.cell-title")); !strings.Contains(got, "王建国") {
		// one org in scope: the page opens on its members
		t.Fatalf("dues page: first member %q\n%s", got, excerpt(list.Body))
	}
	if got := text(one(t, list.Doc, "#dues-arrears")); got != "45.00" {
		t.Errorf("arrears = %q, want 45.00", got)
	}
	if n := len(all(list.Doc, "#dues-table tr.row-overdue")); n != 2 {
		t.Errorf("%d rows in arrears, want 2", n)
	}

	pay := "/party/dues/members/" + strconv.FormatInt(m1, 10) + "/pay"
	form := staff.get(pay).want(t, http.StatusOK)
	if v := attr(one(t, form.Doc, "#f-dues-amount"), "value"); v != "22.50" {
		t.Errorf("amount prefilled %q, want 22.50", v)
	}
	bad := staff.post(pay, url.Values{"month": {month}, "amount": {"22.505"}, "paid_on": {time.Now().In(model.Shanghai).Format(time.DateOnly)}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.Body, "分") {
		t.Errorf("a fraction of a fen: no clear error\n%s", excerpt(bad.Body))
	}
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM party_dues_payments`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("payments after a refused one: %d %v", n, err)
	}
	ok := staff.post(pay, url.Values{"month": {month}, "amount": {"22.5"}, "paid_on": {time.Now().In(model.Shanghai).Format(time.DateOnly)}, "paid_by": {"王小明"}}).want(t, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); !strings.Contains(loc, "org="+strconv.FormatInt(branch, 10)) || !strings.Contains(loc, "done=dues_recorded") {
		t.Errorf("after the payment: Location %q", loc)
	}
	again := staff.post(pay, url.Values{"month": {month}, "amount": {"22.50"}, "paid_on": {time.Now().In(model.Shanghai).Format(time.DateOnly)}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(again.Body, "不能重复登记") {
		t.Errorf("second payment for the month: no clear error\n%s", excerpt(again.Body))
	}
	list = staff.get("/party/dues?org="+strconv.FormatInt(branch, 10)).want(t, http.StatusOK)
	if got := text(one(t, list.Doc, "#dues-arrears")); got != "22.50" {
		t.Errorf("arrears after the payment = %q, want 22.50", got)
	}

	if href := attr(one(t, list.Doc, "a[download]"), "href"); !strings.HasPrefix(href, "/party/dues/statement.xlsx?") {
		t.Errorf("statement link %q", href)
	} else if x := staff.get(href).want(t, http.StatusOK); x.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" || !strings.HasPrefix(x.Body, "PK") {
		t.Errorf("statement: %s, %d bytes", x.Header.Get("Content-Type"), len(x.Body))
	}

	f.as(t, "gridleader").get("/party/dues").want(t, http.StatusForbidden)

	me := f.as(t, "member").get("/party/me").want(t, http.StatusOK)
	if got := text(one(t, me.Doc, "#my-dues-paid")); got != "22.50" {
		t.Errorf("my dues paid = %q, want 22.50", got)
	}
	if got := text(one(t, me.Doc, "#my-dues-arrears")); got != "0.00" {
		t.Errorf("my arrears = %q, want 0.00", got)
	}
}

// The income declaration: staff and the branch secretary by post open the form from the
// payment page, the preview shows the monthly amount by the rates as typed (and a clear error
// for a fraction of a fen) without saving, a bad income is refused with nothing changed, a good
// one sets the dues and returns to the payment page; the income is never shown back.
func TestDuesIncomePage(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	var memberUser int64
	if err := st.DB().QueryRow(`SELECT id FROM users WHERE username = 'member'`).Scan(&memberUser); err != nil {
		t.Fatal(err)
	}
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	secretary := storetest.PartyMember(t, st, "王建国", branch, memberUser)
	// The phone's 办事 tab offers 党费 to staff and to a member who is secretary by post only.
	sec := f.as(t, "member")
	if n := len(all(sec.get("/services").want(t, http.StatusOK).Doc, "#tile-dues")); n != 0 {
		t.Errorf("a member without a post sees the dues tile")
	}
	storetest.PartyPost(t, st, branch, secretary, "secretary")
	if n := len(all(sec.get("/services").want(t, http.StatusOK).Doc, "#tile-dues")); n != 1 {
		t.Errorf("the branch secretary sees %d dues tiles, want 1", n)
	}
	if n := len(all(f.as(t, "staff").get("/services").want(t, http.StatusOK).Doc, "#tile-dues")); n != 1 {
		t.Errorf("staff see %d dues tiles, want 1", n)
	}
	m := storetest.PartyMember(t, st, "李秀英", branch, 0) // retired
	path := "/party/dues/members/" + strconv.FormatInt(m, 10) + "/income"
	monthly := func() int64 {
		t.Helper()
		a, err := st.MemberDues(ctx, authz.System(), m, time.Now().In(model.Shanghai).Year())
		if err != nil {
			t.Fatal(err)
		}
		return a.MonthlyFen
	}

	staff := f.as(t, "staff")
	payPage := staff.get("/party/dues/members/"+strconv.FormatInt(m, 10)+"/pay").want(t, http.StatusOK)
	if href := attr(one(t, payPage.Doc, "#dues-income-link"), "href"); href != path {
		t.Errorf("income link %q, want %q", href, path)
	}
	form := staff.get(path).want(t, http.StatusOK)
	if got := text(one(t, form.Doc, "#dues-current")); got != "未申报收入" {
		t.Errorf("current dues %q, want 未申报收入", got)
	}
	if got := attr(one(t, form.Doc, "form#form-income"), "hx-post"); got != path+"/preview" {
		t.Errorf("preview hx-post %q", got)
	}
	preview := staff.post(path+"/preview", url.Values{"income": {"4500"}}).want(t, http.StatusOK)
	if got := text(one(t, preview.Doc, "#dues-preview-amount")); got != "22.50" {
		t.Errorf("preview of 4500 yuan (retired) = %q, want 22.50", got)
	}
	preview = staff.post(path+"/preview", url.Values{"income": {"4500.505"}}).want(t, http.StatusOK)
	if got := text(one(t, preview.Doc, "#dues-preview-error")); !strings.Contains(got, "分") {
		t.Errorf("preview of a fraction of a fen: %q", got)
	}
	preview = staff.post(path+"/preview", url.Values{"income": {"4500"}, "subsistence": {"1"}}).want(t, http.StatusOK)
	if got := text(one(t, preview.Doc, "#dues-preview-amount")); got != "0.20" {
		t.Errorf("preview on subsistence = %q, want 0.20", got)
	}
	if monthly() != 0 {
		t.Fatal("the preview saved")
	}
	bad := staff.post(path, url.Values{"income": {"4500.505"}}).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, bad.Doc, "#f-income-income-error")); !strings.Contains(got, "分") {
		t.Errorf("a fraction of a fen: field error %q\n%s", got, excerpt(bad.Body))
	}
	if monthly() != 0 {
		t.Fatal("a refused income changed the dues")
	}
	ok := staff.post(path, url.Values{"income": {"6000"}}).want(t, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); !strings.HasPrefix(loc, "/party/dues/members/"+strconv.FormatInt(m, 10)+"/pay") || !strings.Contains(loc, "done=income_declared") {
		t.Errorf("after declaring: Location %q", loc)
	}
	if got := monthly(); got != 6000 {
		t.Errorf("retired at 6000 yuan: %d fen, want 6000 (1%%)", got)
	}
	again := staff.get(path).want(t, http.StatusOK)
	if got := text(one(t, again.Doc, "#dues-current")); got != "60.00" {
		t.Errorf("current dues after declaring %q, want 60.00", got)
	}
	if v := attr(one(t, again.Doc, "#f-income-income"), "value"); v != "" {
		t.Errorf("income field prefilled %q, want empty", v)
	}

	// The branch secretary by post declares too; a grid leader may not.
	sec.get(path).want(t, http.StatusOK)
	sec.post(path, url.Values{"income": {"3000"}}).want(t, http.StatusSeeOther)
	if got := monthly(); got != 1500 {
		t.Errorf("declared by the secretary: %d fen, want 1500", got)
	}
	f.as(t, "gridleader").get(path).want(t, http.StatusForbidden)
}
