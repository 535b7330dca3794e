package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// subjectOut is GET /me/data.
type subjectOut struct {
	GeneratedAt string `json:"generated_at"`
	Linked      bool   `json:"linked"`
	Account     struct {
		Username       string  `json:"username"`
		DisplayName    string  `json:"display_name"`
		Role           string  `json:"role"`
		RoleLabel      string  `json:"role_label"`
		ScopeName      string  `json:"scope_name"`
		CreatedAt      string  `json:"created_at"`
		LastLoginAt    *string `json:"last_login_at"`
		ActiveSessions int     `json:"active_sessions"`
	} `json:"account"`
	Resident         *residentOut  `json:"resident"`
	Household        *householdOut `json:"household"`
	HouseholdMembers []struct {
		Name           string `json:"name"`
		Relation       string `json:"relation"`
		RelationLabel  string `json:"relation_label"`
		IDNumberMasked string `json:"id_number_masked"`
	} `json:"household_members"`
	Corrections []correctionOut `json:"corrections"`
}

// correctionOut is a correction request as the API renders it.
type correctionOut struct {
	ID             string  `json:"id"`
	ResidentID     string  `json:"resident_id"`
	ResidentName   string  `json:"resident_name"`
	TerritoryID    string  `json:"territory_id"`
	Field          string  `json:"field"`
	FieldLabel     string  `json:"field_label"`
	CurrentValue   string  `json:"current_value"`
	RequestedValue string  `json:"requested_value"`
	Masked         bool    `json:"masked"`
	Reason         string  `json:"reason"`
	Status         string  `json:"status"`
	StatusLabel    string  `json:"status_label"`
	Note           string  `json:"note"`
	HandledAt      *string `json:"handled_at"`
	CreatedAt      string  `json:"created_at"`
}

// mustLinkedResident logs in a resident account scoped to node and links it to residentID.
func (f *fixture) mustLinkedResident(tb testing.TB, node *model.Territory, residentID string) string {
	tb.Helper()
	tok := f.mustToken(tb, model.RoleResident, node)
	u, err := f.st.UserByUsername(context.Background(), fmt.Sprintf("%s-%d", model.RoleResident, node.ID))
	if err != nil {
		tb.Fatal(err)
	}
	rid, _ := strconv.ParseInt(residentID, 10, 64)
	if err := f.st.LinkResident(context.Background(), authz.System(), u.ID, rid); err != nil {
		tb.Fatalf("link: %v", err)
	}
	return tok
}

// TestSubjectAPI: a resident sees and exports only their own data, unmasked; asks for a
// correction that staff in scope accept; staff elsewhere see a 404.
func TestSubjectAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staffA := f.mustToken(t, model.RoleGridLeader, tr.gridA)
		staffB := f.mustToken(t, model.RoleGridLeader, tr.gridB)
		ownID, spouseID, otherID := validID("510781", "19580312", 11), validID("510781", "19600101", 22), validID("510781", "19700505", 33)
		hA := f.mustHousehold(t, staffA, tr.stairA, "1栋1单元101室",
			person{Name: "张建国", IDNumber: ownID, Phone: "13812345678", Relation: "户主", Occupation: "退休"},
			person{Name: "刘秀英", IDNumber: spouseID, Relation: "配偶"})
		hB := f.mustHousehold(t, staffB, tr.stairB, "2栋1单元202室",
			person{Name: "王邻居", IDNumber: otherID, Phone: "13987654321", Relation: "户主"})
		var own string
		for _, r := range f.mustResidents(t, staffA, hA.ID) {
			if r.Name == "张建国" {
				own = r.ID
			}
		}

		// A resident account without a link gets a clear empty state, not an error.
		unlinked := f.mustToken(t, model.RoleResident, tr.stairB)
		d := mustJSON[subjectOut](t, f.mustDo(t, unlinked, "GET", "/api/v1/me/data", nil), http.StatusOK)
		if d.Linked || d.Resident != nil || d.Household != nil || len(d.HouseholdMembers) != 0 || d.Account.Role != "resident" {
			t.Errorf("unlinked /me/data = %+v", d)
		}
		p := mustProblem(t, f.mustDo(t, unlinked, "POST", "/api/v1/me/corrections", map[string]string{"field": "name", "value": "某某"}), http.StatusConflict)
		if !strings.Contains(p.Detail, "关联") {
			t.Errorf("unlinked correction detail = %q", p.Detail)
		}

		// The linked subject sees their own record unmasked and nothing of the neighbours.
		me := f.mustLinkedResident(t, tr.stairA, own)
		d = mustJSON[subjectOut](t, f.mustDo(t, me, "GET", "/api/v1/me/data", nil), http.StatusOK)
		if !d.Linked || d.Resident == nil || d.Resident.IDNumber != ownID || d.Resident.Phone != "13812345678" || d.Resident.Masked {
			t.Fatalf("own resident = %+v", d.Resident)
		}
		if d.Household == nil || d.Household.Address != "1栋1单元101室" || len(d.HouseholdMembers) != 1 ||
			d.HouseholdMembers[0].IDNumberMasked != model.MaskIDNumber(spouseID) || d.Account.ActiveSessions != 1 || d.Account.LastLoginAt == nil {
			t.Errorf("household part = %+v %+v %+v", d.Household, d.HouseholdMembers, d.Account)
		}
		exp := f.mustDo(t, me, "GET", "/api/v1/me/data/export", nil)
		if cd := exp.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".json") {
			t.Errorf("export Content-Disposition = %q", cd)
		}
		// The file is the same document as GET /me/data, every field of it.
		if e := mustJSON[subjectOut](t, exp, http.StatusOK); e.Resident == nil || *e.Resident != *d.Resident || e.Household.Address != d.Household.Address || e.Household.Flags != d.Household.Flags ||
			len(e.HouseholdMembers) != len(d.HouseholdMembers) || e.Account.Username != d.Account.Username {
			t.Errorf("export = %+v\nwant the data of /me/data %+v", e, d)
		}
		full := string(exp.body)
		for _, want := range []string{ownID, "13812345678", "张建国", "1栋1单元101室", "退休", "1958-03-12", "户主", "刘秀英",
			model.MaskIDNumber(spouseID), `"elderly_alone"`, `"hardship"`, `"political_status"`, `"username"`, `"last_login_at"`} {
			if !strings.Contains(full, want) {
				t.Errorf("export lacks %s", want)
			}
		}
		for _, leak := range []string{"王邻居", otherID, "13987654321", hB.Address, spouseID} {
			if strings.Contains(full, leak) {
				t.Errorf("export contains %q of someone else", leak)
			}
		}

		// Staff roles and other roles have no /me/data; a subject has no staff list.
		mustProblem(t, f.mustDo(t, staffA, "GET", "/api/v1/me/data", nil), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, me, "GET", "/api/v1/corrections", nil), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, "", "GET", "/api/v1/me/data", nil), http.StatusUnauthorized)

		// An invalid ID number is refused when asked.
		bad, _ := wrongCheckDigit(validID("510781", "19580312", 13))
		p = mustProblem(t, f.mustDo(t, me, "POST", "/api/v1/me/corrections", map[string]string{"field": "id_number", "value": bad}), http.StatusUnprocessableEntity)
		if got := fields(p); len(got) != 1 || got[0] != "value" || !strings.Contains(message(p, "value"), "校验码") {
			t.Errorf("bad ID number problem = %+v", p)
		}

		newID := validID("510781", "19580313", 11)
		c := mustJSON[correctionOut](t, f.mustDo(t, me, "POST", "/api/v1/me/corrections",
			map[string]string{"field": "id_number", "value": newID, "reason": "出生日期登记错了一天"}), http.StatusCreated)
		if c.Status != "open" || c.RequestedValue != newID || c.CurrentValue != model.MaskIDNumber(ownID) || c.FieldLabel != "身份证号" {
			t.Errorf("created = %+v", c)
		}
		mine := mustJSON[listOut[correctionOut]](t, f.mustDo(t, me, "GET", "/api/v1/me/corrections", nil), http.StatusOK)
		if len(mine.Items) != 1 || mine.Items[0].ID != c.ID {
			t.Errorf("my corrections = %+v", mine)
		}

		// Staff of the other grid neither see nor handle it.
		l := mustJSON[listOut[correctionOut]](t, f.mustDo(t, staffB, "GET", "/api/v1/corrections?status=open", nil), http.StatusOK)
		if len(l.Items) != 0 {
			t.Errorf("other grid sees %d requests", len(l.Items))
		}
		mustProblem(t, f.mustDo(t, staffB, "POST", "/api/v1/corrections/"+c.ID+"/accept", nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, staffB, "POST", "/api/v1/corrections/"+c.ID+"/reject", map[string]string{"note": "no"}), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, staffB, "GET", "/api/v1/corrections?territory="+id(tr.gridA.ID), nil), http.StatusNotFound)

		l = mustJSON[listOut[correctionOut]](t, f.mustDo(t, staffA, "GET", "/api/v1/corrections?status=open&territory="+id(tr.buildingA.ID), nil), http.StatusOK)
		if len(l.Items) != 1 || l.Items[0].RequestedValue != model.MaskIDNumber(newID) || !l.Items[0].Masked || *l.Total != 1 {
			t.Fatalf("staff list = %+v", l)
		}
		mustProblem(t, f.mustDo(t, staffA, "GET", "/api/v1/corrections?status=done", nil), http.StatusBadRequest)
		p = mustProblem(t, f.mustDo(t, staffA, "POST", "/api/v1/corrections/"+c.ID+"/reject", nil), http.StatusUnprocessableEntity)
		if got := fields(p); len(got) != 1 || got[0] != "note" {
			t.Errorf("reject without note = %+v", p)
		}
		acc := mustJSON[correctionOut](t, f.mustDo(t, staffA, "POST", "/api/v1/corrections/"+c.ID+"/accept", map[string]string{"note": "已核对户口簿"}), http.StatusOK)
		if acc.Status != "accepted" || acc.HandledAt == nil || acc.Note != "已核对户口簿" {
			t.Errorf("accepted = %+v", acc)
		}
		mustProblem(t, f.mustDo(t, staffA, "POST", "/api/v1/corrections/"+c.ID+"/accept", nil), http.StatusConflict)
		d = mustJSON[subjectOut](t, f.mustDo(t, me, "GET", "/api/v1/me/data", nil), http.StatusOK)
		if d.Resident.IDNumber != newID || d.Resident.BirthDate != "1958-03-13" || len(d.Corrections) != 1 || d.Corrections[0].Status != "accepted" {
			t.Errorf("after acceptance = %+v, corrections %+v", d.Resident, d.Corrections)
		}

		// Valid when asked, refused at acceptance: by then the number belongs to someone else.
		c2 := mustJSON[correctionOut](t, f.mustDo(t, me, "POST", "/api/v1/me/corrections", map[string]string{"field": "id_number", "value": otherID}), http.StatusCreated)
		p = mustProblem(t, f.mustDo(t, staffA, "POST", "/api/v1/corrections/"+c2.ID+"/accept", nil), http.StatusUnprocessableEntity)
		if got := fields(p); len(got) != 1 || got[0] != "value" {
			t.Errorf("accept of a taken number = %+v", p)
		}
		rej := mustJSON[correctionOut](t, f.mustDo(t, staffA, "POST", "/api/v1/corrections/"+c2.ID+"/reject", map[string]string{"note": "与户籍信息不符"}), http.StatusOK)
		if rej.Status != "rejected" {
			t.Errorf("rejected = %+v", rej)
		}

		// Administrators link an account to its resident record through the users API, both in scope.
		var spouse string
		for _, r := range f.mustResidents(t, staffA, hA.ID) {
			if r.Name == "刘秀英" {
				spouse = r.ID
			}
		}
		nu, err := f.st.UserByUsername(context.Background(), fmt.Sprintf("%s-%d", model.RoleResident, tr.stairB.ID))
		if err != nil {
			t.Fatal(err)
		}
		linkPath := "/api/v1/users/" + id(nu.ID) + "/resident"
		adminB := f.mustToken(t, model.RoleCommunityAdmin, tr.gridB)
		adminA := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		p = mustProblem(t, f.mustDo(t, adminB, "PUT", linkPath, map[string]string{"resident_id": spouse}), http.StatusUnprocessableEntity)
		if got := fields(p); len(got) != 1 || got[0] != "resident_id" {
			t.Errorf("link to a resident out of scope = %+v", p)
		}
		mustProblem(t, f.mustDo(t, adminA, "PUT", "/api/v1/users/999999/resident", map[string]string{"resident_id": spouse}), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, staffA, "PUT", linkPath, map[string]string{"resident_id": spouse}), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, adminA, "PUT", linkPath, map[string]string{"resident_id": "0"}), http.StatusBadRequest)
		type linkOut struct {
			UserID     string  `json:"user_id"`
			ResidentID *string `json:"resident_id"`
		}
		l2 := mustJSON[linkOut](t, f.mustDo(t, adminA, "PUT", linkPath, map[string]string{"resident_id": spouse}), http.StatusOK)
		if l2.ResidentID == nil || *l2.ResidentID != spouse {
			t.Errorf("link = %+v", l2)
		}
		d = mustJSON[subjectOut](t, f.mustDo(t, unlinked, "GET", "/api/v1/me/data", nil), http.StatusOK)
		if !d.Linked || d.Resident.Name != "刘秀英" || d.Resident.IDNumber != spouseID {
			t.Errorf("after linking /me/data = %+v", d.Resident)
		}
		l2 = mustJSON[linkOut](t, f.mustDo(t, adminA, "PUT", linkPath, `{"resident_id":null}`), http.StatusOK)
		if l2.ResidentID != nil {
			t.Errorf("unlink = %+v", l2)
		}
		if d = mustJSON[subjectOut](t, f.mustDo(t, unlinked, "GET", "/api/v1/me/data", nil), http.StatusOK); d.Linked {
			t.Errorf("after unlinking still linked")
		}
	})
}

// mustResidents lists a household's residents (masked) through the API.
func (f *fixture) mustResidents(tb testing.TB, token, householdID string) []residentOut {
	tb.Helper()
	return mustJSON[listOut[residentOut]](tb, f.mustDo(tb, token, "GET", "/api/v1/residents?household="+householdID, nil), http.StatusOK).Items
}
