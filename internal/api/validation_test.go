package api_test

import (
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestBadInput sends malformed and invalid requests and checks each answer's status, the
// fields it names, and that none of them changed anything.
func TestBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		tok := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		registered := validID("510781", "19580312", 11)
		h := f.mustHousehold(t, tok, tr.stairA, "101室", person{Name: "张建国", IDNumber: registered, Relation: "户主"})
		res := h.Residents[0]
		fresh := validID("510781", "19900101", 33)
		bad, right := wrongCheckDigit(fresh)
		checkDigit := "身份证号第18位校验码应为" + string(right)
		stair, hh, rr := id(tr.stairA.ID), "/api/v1/households/"+h.ID, "/api/v1/residents/"+res.ID
		oversized := `{"territory_id":"` + stair + `","address":"` + strings.Repeat("长", maxBody/3+10) + `"}`

		tests := []struct {
			name         string
			method, path string
			body         string
			contentType  string // "" means application/json when there is a body
			status       int
			fields       []string // sorted; nil when the problem names none
			field, msg   string   // a field whose message must be msg
		}{
			{name: "malformed JSON", method: "POST", path: "/api/v1/households", body: `{"territory_id":`, status: 400},
			{name: "not an object", method: "POST", path: "/api/v1/households", body: `[1,2]`, status: 400},
			{name: "two objects", method: "POST", path: "/api/v1/households", body: `{} {}`, status: 400},
			{name: "empty body", method: "POST", path: "/api/v1/residents", body: ``, status: 400},
			{name: "not JSON content type", method: "POST", path: "/api/v1/households", body: `{}`, contentType: "text/plain", status: 400},
			{name: "unknown field", method: "POST", path: "/api/v1/households",
				body: `{"territory_id":"` + stair + `","address":"1号","colour":"red"}`, status: 400, fields: []string{"colour"}},
			{name: "unknown field in a resident", method: "POST", path: "/api/v1/households",
				body: `{"territory_id":"` + stair + `","address":"1号","residents":[{"name":"甲","nickname":"小甲"}]}`, status: 400, fields: []string{"nickname"}},
			{name: "territory_id in a household patch", method: "PATCH", path: hh, body: `{"territory_id":"` + id(tr.stairB.ID) + `"}`, status: 400, fields: []string{"territory_id"}},
			{name: "household_id in a resident patch", method: "PATCH", path: rr, body: `{"household_id":"1"}`, status: 400, fields: []string{"household_id"}},
			{name: "wrong type", method: "POST", path: "/api/v1/households", body: `{"territory_id":"` + stair + `","address":5}`, status: 400, fields: []string{"address"}},
			{name: "wrong type in flags", method: "PATCH", path: hh, body: `{"flags":{"hardship":"yes"}}`, status: 400, fields: []string{"flags.hardship"}},
			{name: "id that is not a number", method: "POST", path: "/api/v1/households", body: `{"territory_id":"abc","address":"1号"}`, status: 400, fields: []string{"territory_id"}},
			{name: "oversized body", method: "POST", path: "/api/v1/households", body: oversized, status: 413},
			{name: "bad ID number check digit", method: "POST", path: "/api/v1/residents",
				body:   `{"household_id":"` + h.ID + `","name":"李四","id_number":"` + bad + `","gender":"male","birth_date":"1990-01-01","relation":"子女"}`,
				status: 422, fields: []string{"id_number"}, field: "id_number", msg: checkDigit},
			{name: "bad ID number check digit in a new household", method: "POST", path: "/api/v1/households",
				body:   `{"territory_id":"` + stair + `","address":"102室","residents":[{"name":"李四","id_number":"` + bad + `","gender":"male","birth_date":"1990-01-01","relation":"户主"}]}`,
				status: 422, fields: []string{"residents[0].id_number"}, field: "residents[0].id_number", msg: checkDigit},
			{name: "bad ID number in a patch", method: "PATCH", path: rr, body: `{"id_number":"` + bad + `","gender":"male","birth_date":"1990-01-01"}`,
				status: 422, fields: []string{"id_number"}, field: "id_number", msg: checkDigit},
			{name: "every bad field of a resident", method: "POST", path: "/api/v1/residents",
				body:   `{"household_id":"999999","name":"","id_number":"` + fresh + `","phone":"12345","relation":"邻居","political_status":"x","occupation":"` + strings.Repeat("职", 65) + `"}`,
				status: 422, fields: []string{"household_id", "name", "occupation", "phone", "political_status", "relation"}},
			{name: "ID number already registered", method: "POST", path: "/api/v1/residents",
				body:   `{"household_id":"` + h.ID + `","name":"李四","id_number":"` + registered + `","relation":"子女"}`,
				status: 422, fields: []string{"id_number"}},
			{name: "second head", method: "POST", path: "/api/v1/residents",
				body:   `{"household_id":"` + h.ID + `","name":"李四","id_number":"` + fresh + `","relation":"户主"}`,
				status: 422, fields: []string{"relation"}},
			{name: "unknown territory_id", method: "POST", path: "/api/v1/households",
				body: `{"territory_id":"999999","address":"1号"}`, status: 422, fields: []string{"territory_id"}},
			{name: "territory_id outside the scope", method: "POST", path: "/api/v1/households",
				body: `{"territory_id":"` + id(tr.street.ID) + `","address":"1号"}`, status: 422, fields: []string{"territory_id"}},
			{name: "empty address in a patch", method: "PATCH", path: hh, body: `{"address":"  "}`, status: 422, fields: []string{"address"}},
			{name: "bad move-out date", method: "POST", path: hh + "/move-out", body: `{"date":"2024/06/30"}`, status: 422, fields: []string{"date"}},
			{name: "move-out without date", method: "POST", path: hh + "/move-out", body: `{"note":"搬走"}`, status: 422, fields: []string{"date"}},
			{name: "territory: empty name and unknown parent", method: "POST", path: "/api/v1/territories",
				body: `{"parent_id":"999999","kind":"grid","name":""}`, status: 422, fields: []string{"name", "parent_id"}},
			{name: "territory: under its own descendant", method: "PATCH", path: "/api/v1/territories/" + id(tr.gridA.ID),
				body: `{"parent_id":"` + id(tr.stairA.ID) + `"}`, status: 422, fields: []string{"parent_id"}},
			{name: "territory: under itself", method: "PATCH", path: "/api/v1/territories/" + id(tr.gridA.ID),
				body: `{"parent_id":"` + id(tr.gridA.ID) + `"}`, status: 422, fields: []string{"parent_id"}},
			{name: "limit 0", method: "GET", path: "/api/v1/households?limit=0", status: 400, fields: []string{"limit"}},
			{name: "limit not a number", method: "GET", path: "/api/v1/residents?limit=ten", status: 400, fields: []string{"limit"}},
			{name: "limit too large", method: "GET", path: "/api/v1/households?limit=501", status: 400, fields: []string{"limit"}},
			{name: "bad cursor", method: "GET", path: "/api/v1/households?cursor=!!", status: 422, fields: []string{"cursor"}},
			{name: "forged cursor", method: "GET", path: "/api/v1/residents?cursor=bm90LWEtY3Vyc29y", status: 422, fields: []string{"cursor"}},
			{name: "bad territory filter", method: "GET", path: "/api/v1/households?territory=x", status: 400, fields: []string{"territory"}},
			{name: "unknown flag", method: "GET", path: "/api/v1/households?flag=rich", status: 400, fields: []string{"flag"}},
			{name: "bad moved_out", method: "GET", path: "/api/v1/households?moved_out=maybe", status: 400, fields: []string{"moved_out"}},
			{name: "unknown query parameter", method: "GET", path: "/api/v1/households?colour=red", status: 400, fields: []string{"colour"}},
			{name: "bad household filter", method: "GET", path: "/api/v1/residents?household=-1", status: 400, fields: []string{"household"}},
			{name: "unknown political status", method: "GET", path: "/api/v1/residents?political_status=x", status: 400, fields: []string{"political_status"}},
			{name: "several bad parameters", method: "GET", path: "/api/v1/households?limit=0&flag=x&moved_out=1", status: 400, fields: []string{"flag", "limit", "moved_out"}},
			{name: "id that is not a number in the path", method: "GET", path: "/api/v1/households/abc", status: 404},
			{name: "no such route", method: "GET", path: "/api/v1/nothing", status: 404},
		}
		before := f.mustCounts(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var body any
				if tt.body != "" || tt.method != "GET" {
					body = tt.body
				}
				var r reply
				if tt.contentType != "" {
					r = f.mustDoAs(t, tok, tt.method, tt.path, tt.contentType, tt.body)
				} else {
					r = f.mustDo(t, tok, tt.method, tt.path, body)
				}
				p := mustProblem(t, r, tt.status)
				if tt.fields != nil {
					if got := fields(p); !slices.Equal(got, tt.fields) {
						t.Errorf("fields = %v, want %v (%s)", got, tt.fields, r.body)
					}
				}
				if tt.field != "" {
					if got := message(p, tt.field); got != tt.msg {
						t.Errorf("message of %s = %q, want %q", tt.field, got, tt.msg)
					}
				}
				if after := f.mustCounts(t); after != before {
					t.Errorf("data changed: %+v, want %+v", after, before)
				}
			})
		}
	})
}
