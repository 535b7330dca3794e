package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

func TestAddHouseholdWithHead(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		c := f.as(t, "comadmin")
		res := c.get(fmt.Sprintf("/households/new?territory=%d", f.building.ID)).want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-household-territory_id option[selected]"), "value"); got != fmt.Sprint(f.building.ID) {
			t.Errorf("preselected node = %q, want the building %d", got, f.building.ID)
		}
		// The form's select offers only nodes the caller may register households at, in scope.
		for _, o := range all(res.Doc, "#f-household-territory_id option") {
			if v := attr(o, "value"); v == fmt.Sprint(f.stairwell2.ID) {
				t.Errorf("form offers a node of another community")
			}
		}

		good := validID("510781", "19650308", 12)
		bad := good[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", good[17])+1)%11])
		form := url.Values{
			"territory_id":     {fmt.Sprint(f.stairwell.ID)},
			"address":          {"1栋1单元502室"},
			"hardship":         {"1"},
			"name":             {"王秀兰"},
			"id_number":        {bad},
			"phone":            {"13812345678"},
			"political_status": {string(model.StatusPartyMember)},
		}
		action := fmt.Sprintf("/households/new?territory=%d", f.building.ID)
		res = c.post(action, form).want(t, http.StatusUnprocessableEntity)
		msg := text(one(t, res.Doc, "#f-household-id_number-error"))
		if want := "身份证号第18位校验码应为" + good[17:]; !strings.Contains(msg, want) {
			t.Errorf("inline error = %q, want it to say %q", msg, want)
		}
		if got := attr(one(t, res.Doc, ".error-summary a"), "href"); got != "#f-household-id_number" {
			t.Errorf("summary links to %q, want #f-household-id_number", got)
		}
		if n := len(all(res.Doc, ".error-summary li")); n != 1 {
			t.Errorf("summary lists %d errors, want 1 (gender and birth date follow from the ID)", n)
		}
		if got := text(one(t, res.Doc, "title")); !strings.HasPrefix(got, "错误：") {
			t.Errorf("title %q does not start with 错误：", got)
		}
		for name, want := range map[string]string{"address": "1栋1单元502室", "name": "王秀兰", "id_number": bad, "phone": "13812345678"} {
			if got := attr(one(t, res.Doc, "#f-household-"+name), "value"); got != want {
				t.Errorf("%s kept = %q, want %q", name, got, want)
			}
		}
		one(t, res.Doc, "input[name=hardship][checked]")
		if got := attr(one(t, res.Doc, "#f-household-territory_id option[selected]"), "value"); got != fmt.Sprint(f.stairwell.ID) {
			t.Errorf("chosen node not kept: %q", got)
		}
		if got := attr(one(t, res.Doc, "#f-household-political_status option[selected]"), "value"); got != "party_member" {
			t.Errorf("political status not kept: %q", got)
		}
		// Nothing half-written.
		res = c.get("/households").want(t, http.StatusOK)
		if got := texts(res.Doc, "#results tbody th.cell-title a"); len(got) != 0 {
			t.Errorf("after a failed add the list shows %q", got)
		}

		form.Set("id_number", good)
		res = c.post(action, form).want(t, http.StatusSeeOther)
		loc := res.Header.Get("Location")
		if !strings.HasPrefix(loc, "/households/") {
			t.Fatalf("redirect to %q", loc)
		}
		res = c.get(loc).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, ".notice")); got == "" {
			t.Errorf("no confirmation after adding")
		}
		masked := model.MaskIDNumber(good)
		if got := texts(res.Doc, "table tbody td.mono"); len(got) < 2 || got[0] != masked || got[1] != "138****5678" {
			t.Errorf("household members' ID and phone = %q, want masked %s", got, masked)
		}
		if strings.Contains(res.Body, good) || strings.Contains(res.Body, "13812345678") {
			t.Errorf("the masked page carries the full ID number or phone")
		}
		if got := text(one(t, res.Doc, "tbody td[data-label=出生日期]")); !strings.HasPrefix(got, "1965-03-08") {
			t.Errorf("birth date derived from the ID = %q", got)
		}
		one(t, res.Doc, "a[href$=?reveal=1]")

		res = c.get("/households").want(t, http.StatusOK)
		if got := texts(res.Doc, "#results tbody th.cell-title a"); len(got) != 1 || got[0] != "1栋1单元502室" {
			t.Errorf("list = %q", got)
		}
		if got := texts(res.Doc, "#results tbody td[data-label=户主]"); len(got) != 1 || got[0] != "王秀兰" {
			t.Errorf("head = %q", got)
		}
		if got := text(one(t, res.Doc, "#results .table-total")); got != "共 1 户" {
			t.Errorf("total = %q", got)
		}
		res = c.get("/residents").want(t, http.StatusOK)
		if got := texts(res.Doc, "#results tbody td[data-label=身份证号]"); len(got) != 1 || got[0] != masked {
			t.Errorf("resident list IDs = %q, want [%s]", got, masked)
		}
		if strings.Contains(res.Body, good) {
			t.Errorf("the resident list carries a full ID number")
		}

		// The same ID number again is refused with the store's reason, input kept.
		form.Set("address", "1栋1单元602室")
		res = c.post(action, form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-household-id_number-error")); !strings.Contains(got, "已登记") {
			t.Errorf("duplicate ID error = %q", got)
		}
		res = c.get("/households").want(t, http.StatusOK)
		if n := len(all(res.Doc, "#results tbody tr")); n != 1 {
			t.Errorf("a refused duplicate left %d households", n)
		}
	})
}

func TestRevealIsForFieldStaffOnly(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	full := validID("510781", "19700101", 7) // the head of household2, in community2
	path := fmt.Sprintf("/households/%d?reveal=1", f.household2.ID)

	res := f.as(t, "streetadmin").get(path).want(t, http.StatusOK)
	if !strings.Contains(text(one(t, res.Doc, "tbody td[data-label=身份证号]")), full) {
		t.Errorf("street admin with reveal=1 does not see the full number")
	}
	if got := text(one(t, res.Doc, ".callout-warn")); !strings.Contains(got, "已记录") {
		t.Errorf("reveal notice = %q, want it to say the view is recorded", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}

	// A unit leader reads households but may not reveal: the page stays masked, no link.
	h, err := f.st.CreateHousehold(t.Context(), authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
	if err != nil {
		t.Fatal(err)
	}
	id := validID("510781", "19520202", 3)
	if _, err := f.st.CreateResident(t.Context(), authz.System(), model.ResidentInput{HouseholdID: h.ID, Name: "老李", IDNumber: id, Relation: model.RelationHead}); err != nil {
		t.Fatal(err)
	}
	f.leadUnit(t, h.ID)
	res = f.as(t, "unitleader").get(fmt.Sprintf("/households/%d?reveal=1", h.ID)).want(t, http.StatusOK)
	if strings.Contains(res.Body, id) {
		t.Errorf("unit leader sees the full ID number")
	}
	// With the number masked, the birth date shows its year only: the full date and the mask's
	// visible digits would leave about ten candidates for the number.
	if got := text(one(t, res.Doc, "tbody td[data-label=出生日期]")); got != "1952年生" || strings.Contains(res.Body, "1952-02-02") {
		t.Errorf("unit leader's birth cell = %q, want the year only", got)
	}
	staff := f.as(t, "streetadmin").get(fmt.Sprintf("/households/%d", h.ID)).want(t, http.StatusOK)
	if got := text(one(t, staff.Doc, "tbody td[data-label=出生日期]")); !strings.Contains(got, "1952-02-02") {
		t.Errorf("street admin's birth cell = %q, want the date", got)
	}
	if len(all(res.Doc, "a[href$=?reveal=1]")) != 0 || len(all(res.Doc, ".callout-warn")) != 0 {
		t.Errorf("unit leader is offered the full view")
	}
	if len(all(res.Doc, "a[href$=/residents/new]")) != 0 {
		t.Errorf("unit leader is offered to add a member")
	}
}

func TestMoveOutChecksFirst(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		c := f.as(t, "streetadmin")
		base := fmt.Sprintf("/households/%d/move-out", f.household2.ID)
		res := c.get(base).want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-moveout-date"), "value"); len(got) != 10 {
			t.Errorf("default move-out date = %q", got)
		}
		res = c.post(base, url.Values{"date": {"2024-13-01"}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, "#f-moveout-date-error")
		if got := attr(one(t, res.Doc, "#f-moveout-date"), "value"); got != "2024-13-01" {
			t.Errorf("bad date not kept: %q", got)
		}

		res = c.post(base, url.Values{"date": {"2024-05-01"}, "note": {"迁往绵阳"}}).want(t, http.StatusOK)
		one(t, res.Doc, "form input[name=confirm][value=1]")
		if got := texts(res.Doc, ".summary dd"); !strings.Contains(strings.Join(got, "|"), "2024-05-01") {
			t.Errorf("check page answers = %q", got)
		}
		if h, _ := f.st.Household(t.Context(), scopeOf(t, f, "streetadmin"), f.household2.ID); h.MovedOutAt != nil {
			t.Fatalf("moved out before confirming")
		}
		res = c.post(base, url.Values{"date": {"2024-05-01"}, "note": {"迁往绵阳"}, "confirm": {"1"}}).want(t, http.StatusSeeOther)
		res = c.get(res.Header.Get("Location")).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "h1 .badge")); got != "已迁出" {
			t.Errorf("badge = %q", got)
		}
		if len(all(res.Doc, "a[href$=/move-out]")) != 0 {
			t.Errorf("a moved-out household still offers move-out")
		}
		res = c.get(fmt.Sprintf("/territories/%d", f.community2.ID)).want(t, http.StatusOK)
		if got := texts(res.Doc, ".stat .stat-value"); got[0] != "0" {
			t.Errorf("community households after move-out = %q", got)
		}
	})
}

func TestAddMember(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	c := f.as(t, "streetadmin")
	path := fmt.Sprintf("/households/%d/residents/new", f.household2.ID)
	res := c.get(path).want(t, http.StatusOK)
	// The household has a head: 户主 is not offered again.
	for _, o := range texts(res.Doc, "#f-resident-relation option") {
		if o == "户主" {
			t.Errorf("relation offers 户主 to a household that has one")
		}
	}
	res = c.post(path, url.Values{"name": {"东胜之子"}, "id_number": {validID("510781", "19980505", 21)}}).want(t, http.StatusUnprocessableEntity)
	if got := text(one(t, res.Doc, "#f-resident-relation-error")); got != "错误：请选择与户主关系" {
		t.Errorf("relation error = %q", got)
	}
	res = c.post(path, url.Values{"name": {"东胜之子"}, "relation": {"子女"}, "id_number": {validID("510781", "19980505", 21)},
		"political_status": {"league_member"}}).want(t, http.StatusSeeOther)
	res = c.get(res.Header.Get("Location")).want(t, http.StatusOK)
	if got := texts(res.Doc, "tbody th.cell-title"); len(got) != 2 || got[1] != "东胜之子" {
		t.Errorf("members = %q", got)
	}
}

// scopeOf is the store scope of a fixture account, for checks made around the pages.
func scopeOf(t *testing.T, f *fixture, username string) authz.Scope {
	t.Helper()
	u, err := f.st.Authenticate(t.Context(), username, password)
	if err != nil {
		t.Fatal(err)
	}
	return authz.ForUser(u)
}
