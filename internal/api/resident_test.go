package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestResidentRoundTrip adds, reads, lists, changes and deletes a resident through the API.
func TestResidentRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		tok := f.mustToken(t, model.RoleGridLeader, tr.gridA)
		h := f.mustHousehold(t, tok, tr.stairA, "101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		child := validID("510781", "20050601", 22)

		r := f.mustDo(t, tok, "POST", "/api/v1/residents", person{HouseholdID: h.ID, Name: "张小燕", IDNumber: child,
			Relation: "子女", Phone: "0816-3221234", PoliticalStatus: "league_member", Occupation: "学生"})
		res := mustJSON[residentOut](t, r, http.StatusCreated)
		if got, want := r.header.Get("Location"), "/api/v1/residents/"+res.ID; got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		want := residentOut{ID: res.ID, HouseholdID: h.ID, TerritoryID: id(tr.stairA.ID), Name: "张小燕", Gender: "female",
			BirthDate: "2005-06-01", Age: res.Age, Phone: model.MaskPhone("0816-3221234"), IDNumber: model.MaskIDNumber(child), Masked: true,
			Relation: "child", RelationLabel: "子女", PoliticalStatus: "league_member", PoliticalStatusLabel: "共青团员", Occupation: "学生",
			CreatedAt: res.CreatedAt, UpdatedAt: res.UpdatedAt}
		if res != want {
			t.Errorf("created = %+v\nwant %+v", res, want)
		}

		reason := url.QueryEscape("核实住户信息")
		for _, c := range []struct {
			query string
			want  int
		}{
			{"", 2},
			{"?household=" + h.ID, 2},
			{"?political_status=league_member", 1},
			{"?political_status=party_member", 0},
			{"?q=小燕", 1},
			{"?q=%25", 0}, // a literal %, not a wildcard
			{"?territory=" + id(tr.buildingA.ID) + "&q=张", 2},
			{"?id_number=" + child + "&reason=" + reason, 1},
			{"?id_number=" + validID("510781", "19580312", 11) + "&household=" + h.ID + "&reason=" + reason, 1},
			{"?id_number=" + validID("510781", "19700101", 99) + "&reason=" + reason, 0},
			{"?phone=08163221234&reason=" + reason, 1},
			{"?phone=0816-3221234&q=张&reason=" + reason, 1},
			{"?phone=13900000000&reason=" + reason, 0},
		} {
			l := mustJSON[listOut[residentOut]](t, f.mustDo(t, tok, "GET", "/api/v1/residents"+c.query, nil), http.StatusOK)
			if len(l.Items) != c.want || *l.Total != int64(c.want) {
				t.Errorf("GET /residents%s = %d (total %d), want %d", c.query, len(l.Items), *l.Total, c.want)
			}
		}

		if p := mustProblem(t, f.mustDo(t, tok, "GET", "/api/v1/residents?id_number=123&phone=abc", nil), http.StatusBadRequest); len(fields(p)) != 2 {
			t.Errorf("bad exact lookups: fields %v, want id_number and phone", fields(p))
		}

		// PATCH changes what it names; a new ID number derives gender and birth date afresh.
		son := validID("510781", "20070909", 31)
		got := mustJSON[residentOut](t, f.mustDo(t, tok, "PATCH", "/api/v1/residents/"+res.ID,
			`{"name":"张小龙","id_number":"`+son+`","political_status":"masses"}`), http.StatusOK)
		if got.Name != "张小龙" || got.Gender != "male" || got.BirthDate != "2007-09-09" || got.Occupation != "学生" ||
			got.PoliticalStatusLabel != "群众" || got.IDNumber != model.MaskIDNumber(son) || got.Relation != "child" || got.RelationLabel != "子女" {
			t.Errorf("patched = %+v", got)
		}
		if hh := mustJSON[householdOut](t, f.mustDo(t, tok, "GET", "/api/v1/households/"+h.ID, nil), http.StatusOK); hh.Members != 2 {
			t.Errorf("members = %d, want 2", hh.Members)
		}

		if r := f.mustDo(t, tok, "DELETE", "/api/v1/residents/"+res.ID, nil); r.status != http.StatusNoContent {
			t.Fatalf("DELETE = %v, want 204", r)
		}
		mustProblem(t, f.mustDo(t, tok, "GET", "/api/v1/residents/"+res.ID, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, tok, "DELETE", "/api/v1/residents/"+res.ID, nil), http.StatusNotFound)
		if hh := mustJSON[householdOut](t, f.mustDo(t, tok, "GET", "/api/v1/households/"+h.ID+"?include=residents", nil), http.StatusOK); hh.Members != 1 || len(hh.Residents) != 1 {
			t.Errorf("after delete: members = %d, residents = %d, want 1", hh.Members, len(hh.Residents))
		}
		if c := f.mustCounts(t); c.residents != 1 || c.rootResidents != 1 {
			t.Errorf("after delete: %+v, want 1 resident", c)
		}
	})
}

// TestReveal checks masking: lists and household reads always mask; a single resident read
// shows the full numbers only with ?reveal=true and a role allowed personal.reveal, and a
// reveal asked for by another role is 403.
func TestReveal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		leader := f.mustToken(t, model.RoleGridLeader, tr.gridA)
		number, phone := validID("510781", "19580312", 11), "13812345678"
		h := f.mustHousehold(t, staff, tr.stairA, "101室", person{Name: "张建国", IDNumber: number, Phone: phone, Relation: "户主"})
		unit := f.mustToken(t, model.RoleUnitLeader, tr.buildingA) // leads the unit of that household
		path := "/api/v1/residents/" + h.Residents[0].ID
		masked, maskedPhone := "5107**********"+number[14:], "138****5678"

		tests := []struct {
			name   string
			token  string
			query  string
			status int
			masked bool
		}{
			{"staff, no reveal", staff, "", http.StatusOK, true},
			{"staff reveals", staff, "?reveal=true", http.StatusOK, false},
			{"grid leader reveals", leader, "?reveal=true", http.StatusOK, false},
			{"grid leader, reveal=false", leader, "?reveal=false", http.StatusOK, true},
			{"unit leader, no reveal", unit, "", http.StatusOK, true},
			{"unit leader reveals", unit, "?reveal=true", http.StatusForbidden, true},
			{"reveal=yes", staff, "?reveal=yes", http.StatusBadRequest, true},
		}
		for _, tt := range tests {
			r := f.mustDo(t, tt.token, "GET", path+tt.query, nil)
			if tt.status != http.StatusOK {
				mustProblem(t, r, tt.status)
				continue
			}
			res := mustJSON[residentOut](t, r, http.StatusOK)
			wantID, wantPhone := masked, maskedPhone
			if !tt.masked {
				wantID, wantPhone = number, phone
			}
			if res.Masked != tt.masked || res.IDNumber != wantID || res.Phone != wantPhone {
				t.Errorf("%s: masked=%v id_number=%s phone=%s; want %v %s %s", tt.name, res.Masked, res.IDNumber, res.Phone, tt.masked, wantID, wantPhone)
			}
		}

		// Lists never reveal, and do not take the parameter.
		l := mustJSON[listOut[residentOut]](t, f.mustDo(t, staff, "GET", "/api/v1/residents", nil), http.StatusOK)
		if len(l.Items) != 1 || !l.Items[0].Masked || l.Items[0].IDNumber != masked || l.Items[0].Phone != maskedPhone {
			t.Errorf("list = %+v", l.Items)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/residents?reveal=true", nil), http.StatusBadRequest)
		hh := mustJSON[householdOut](t, f.mustDo(t, staff, "GET", "/api/v1/households/"+h.ID+"?include=residents&reveal=true", nil), http.StatusOK)
		if !hh.Residents[0].Masked || hh.Residents[0].IDNumber != masked {
			t.Errorf("household read embeds %+v, want masked", hh.Residents[0])
		}
	})
}
