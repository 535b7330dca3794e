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
