package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// The time bank pages: a resident who volunteers sees its balances; spending more than banked
// is refused with the balance in the error and nothing spent; a spend and a gift found by
// address go through; its certificate prints its name and hours; staff see the taker and
// correct it, a resident without a balance gets the empty state.
func TestTimebankPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	sys := authz.System()
	var uid int64
	if err := st.DB().QueryRow(`SELECT id FROM users WHERE username = 'resident'`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	home, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: home.ID, Name: "赵志愿", IDNumber: validID("510781", "19700101", 31), Relation: model.RelationHead})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LinkResident(ctx, sys, uid, r.ID); err != nil {
		t.Fatal(err)
	}
	neighbour, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元102室"})
	if err != nil {
		t.Fatal(err)
	}

	// Not yet a volunteer: only the household, with nothing in it.
	resident := f.as(t, "resident")
	page := resident.get("/timebank").want(t, http.StatusOK)
	if got := text(one(t, page.Doc, "#balance-household")); got != "0" {
		t.Errorf("household balance %q", got)
	}
	if len(all(page.Doc, "#give")) != 0 {
		t.Errorf("a resident who is no taker is offered to give")
	}
	// The page lights its own item in the navigation (it lit none).
	if got := attr(one(t, page.Doc, ".sidenav a[aria-current=page]"), "href"); got != "/timebank" {
		t.Errorf("the navigation's current item is %q", got)
	}

	taker, err := st.RegisterTaker(ctx, sys, store.TakerInput{UserID: uid, Kind: "volunteer", Name: "赵志愿", TerritoryID: f.grid.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CorrectTimebank(ctx, sys, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: taker.ID, Minutes: 120, Reason: "期初"}); err != nil {
		t.Fatal(err)
	}
	cats, err := st.OrderCategories(ctx, sys, f.community.ID)
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := st.PlaceOrder(ctx, sys, model.OrderInput{CategoryID: cats[0].ID, HouseholdID: home.ID, Description: "修水管"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	page = resident.get("/timebank").want(t, http.StatusOK)
	if got := text(one(t, page.Doc, "#balance-taker")); got != "2" {
		t.Errorf("taker balance %q, want 2", got)
	}
	oid := strconv.FormatInt(o.ID, 10)
	bad := resident.post("/timebank/spend", url.Values{"from": {"taker"}, "order_id": {oid}, "hours": {"3"}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(text(one(t, bad.Doc, ".error-summary")), "余额不足：可用 2 小时，需要 3 小时") {
		t.Errorf("spending more than banked: no clear error\n%s", excerpt(bad.Body))
	}
	if v := attr(one(t, bad.Doc, "#f-spend-hours"), "value"); v != "3" {
		t.Errorf("the hours typed were lost: %q", v)
	}
	bad = resident.post("/timebank/spend", url.Values{"from": {"taker"}, "order_id": {oid}, "hours": {"一小时"}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.Body, "请填写小时数") {
		t.Errorf("hours in words: no clear error\n%s", excerpt(bad.Body))
	}
	resident.post("/timebank/spend", url.Values{"from": {"taker"}, "order_id": {oid}, "hours": {"0.5"}}).want(t, http.StatusSeeOther)
	found := resident.get("/timebank?q="+url.QueryEscape("102")).want(t, http.StatusOK)
	if v := attr(one(t, found.Doc, "#form-give input[type=radio]"), "value"); v != strconv.FormatInt(neighbour.ID, 10) {
		t.Errorf("the household found: %q", v)
	}
	resident.post("/timebank/give", url.Values{"household_id": {strconv.FormatInt(neighbour.ID, 10)}, "hours": {"1"}, "note": {"邻里互助"}}).want(t, http.StatusSeeOther)
	page = resident.get("/timebank?holder=taker&done=timebank_given").want(t, http.StatusOK)
	if got := text(one(t, page.Doc, "#balance-taker")); got != "0.5" {
		t.Errorf("after spend and gift: %q, want 0.5", got)
	}
	if n := len(all(page.Doc, "#entries li")); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}

	cert := resident.get("/timebank/certificate").want(t, http.StatusOK)
	if got := text(one(t, cert.Doc, "#cert-name")); got != "赵志愿" {
		t.Errorf("certificate name %q", got)
	}
	if !strings.HasPrefix(text(one(t, cert.Doc, "#cert-number")), "SJ") {
		t.Errorf("certificate number missing")
	}
	resident.get("/timebank/certificate?from=abc").want(t, http.StatusUnprocessableEntity)

	staff := f.as(t, "staff")
	tp := "/timebank/takers/" + strconv.FormatInt(taker.ID, 10)
	staff.get(tp).want(t, http.StatusOK)
	staff.get(tp+"/certificate").want(t, http.StatusOK)
	bad = staff.post(tp+"/correct", url.Values{"minutes": {"-60"}, "reason": {"多记"}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.Body, "余额不足：可用 0.5 小时，需要 1 小时") {
		t.Errorf("a correction below zero: no clear error\n%s", excerpt(bad.Body))
	}
	staff.post(tp+"/correct", url.Values{"minutes": {"30"}, "reason": {"补录"}}).want(t, http.StatusSeeOther)
	if got := text(one(t, staff.get(tp).want(t, http.StatusOK).Doc, "#record-balance")); got != "1" {
		t.Errorf("balance after the correction %q, want 1", got)
	}
	resident.get(tp).want(t, http.StatusForbidden)
	f.as(t, "gridleader").post(tp+"/correct", url.Values{"minutes": {"30"}, "reason": {"补录"}}).want(t, http.StatusForbidden)

	// A member without a household or a taker: the empty state.
	empty := f.as(t, "member").get("/timebank").want(t, http.StatusOK)
	one(t, empty.Doc, ".empty")
	f.as(t, "member").get("/timebank/certificate").want(t, http.StatusOK)
}
