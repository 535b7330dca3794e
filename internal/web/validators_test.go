package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// bothSurfaces is the whole server (the JSON API and the pages) on the fixture's store, with a
// page client logged in as username and an API token of the same account.
func bothSurfaces(t *testing.T, f *fixture, username string) (c *client, token string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(f.st, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(f.st, log, api.Token, api.New(f.st, log, 1<<20, false), pages).Handler())
	t.Cleanup(srv.Close)
	c = f.anon(t)
	c.base = srv.URL
	if res := f.login(c, username, ""); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", username, res.StatusCode)
	}
	u, err := f.st.UserByUsername(t.Context(), username)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err = f.st.CreateAPIToken(t.Context(), u, "validators", 0, 30)
	if err != nil {
		t.Fatal(err)
	}
	return c, token
}

// apiFieldErrors sends a JSON request with the token and returns the problem's field errors
// ("field: message"), failing unless the answer is 422.
func apiFieldErrors(t *testing.T, c *client, token, method, path, body string) []string {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("API %s %s: status %d, want 422\n%s", method, path, res.StatusCode, b)
	}
	var p struct{ Errors []model.FieldError }
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&p); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field+": "+e.Message)
	}
	slices.Sort(out)
	return out
}

// pageFieldErrors posts a form and returns the error summary's lines ("field: message", the
// field read from the link to its input), failing unless the answer is 422 with the input kept.
func pageFieldErrors(t *testing.T, c *client, path, form string, values url.Values) []string {
	t.Helper()
	res := c.post(path, values).want(t, http.StatusUnprocessableEntity)
	var out []string
	for _, a := range all(res.Doc, ".error-summary li a") {
		field := strings.TrimPrefix(attr(a, "href"), "#f-"+form+"-")
		out = append(out, field+": "+text(a))
		// Every field error is under its field too, and the input keeps what was typed.
		if in := all(res.Doc, "#f-"+form+"-"+field); len(in) == 1 && attr(in[0], "type") != "checkbox" && in[0].Data == "input" {
			if got, want := attr(in[0], "value"), strings.TrimSpace(values.Get(field)); strings.TrimSpace(got) != want {
				t.Errorf("page %s: %s not kept: %q, want %q", path, field, got, want)
			}
			one(t, res.Doc, "#f-"+form+"-"+field+"-error")
		}
	}
	slices.Sort(out)
	return out
}

// TestOneSetOfValidators sends each rule's bad value through the JSON API and through the page
// form on one server and one store, and expects the same field error (field and message) from
// both, and nothing changed by either.
func TestOneSetOfValidators(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室", MovedInAt: "2020-05-01"})
		if err != nil {
			t.Fatal(err)
		}
		headID := validID("510781", "19650308", 11)
		if _, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王建华", IDNumber: headID,
			Phone: "13812345678", Relation: model.RelationHead}); err != nil {
			t.Fatal(err)
		}
		m, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王小明", IDNumber: validID("510781", "19950611", 13),
			Relation: "子女", PoliticalStatus: model.StatusLeagueMember, Occupation: "教师"})
		if err != nil {
			t.Fatal(err)
		}
		c, token := bothSurfaces(t, f, "comadmin")
		fresh := validID("510781", "19900101", 33)
		bad, right := badCheckDigit(fresh)
		hh, mm := strconv.FormatInt(h.ID, 10), strconv.FormatInt(m.ID, 10)
		long := func(n int) string { return strings.Repeat("长", n) }
		// The page's edit form posts every field it offers; a rule changes one of them.
		memberForm := func(kv ...string) url.Values {
			v := url.Values{"name": {"王小明"}, "relation": {"子女"}, "political_status": {"league_member"}, "occupation": {"教师"}}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		householdForm := func(kv ...string) url.Values {
			v := url.Values{"address": {"1栋1单元101室"}, "moved_in_at": {"2020-05-01"}}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}
		rules := []struct {
			name               string
			apiMethod, apiPath string
			apiBody            string
			pagePath, form     string
			page               url.Values
			want               string // "field: message"; "" when only the agreement is checked
		}{
			{name: "name required", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"name":"  "}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("name", "  "), want: "name: 请填写姓名"},
			{name: "name too long", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"name":"` + long(33) + `"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("name", long(33)), want: "name: 姓名不能超过32个字"},
			{name: "relation unknown", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"relation":"邻居"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("relation", "邻居")},
			{name: "relation required on create", apiMethod: "POST", apiPath: "/api/v1/residents",
				apiBody:  `{"household_id":"` + hh + `","name":"李四","id_number":"` + fresh + `","political_status":"masses"}`,
				pagePath: "/households/" + hh + "/residents/new", form: "resident",
				page: url.Values{"name": {"李四"}, "id_number": {fresh}, "political_status": {"masses"}}, want: "relation: 请选择与户主关系"},
			{name: "one head per household", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"relation":"户主"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("relation", "户主"),
				want: "relation: 该户已有户主（王建华），请选择其他关系"},
			{name: "ID number check digit", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"id_number":"` + bad + `"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("id_number", bad),
				want: "id_number: 身份证号第18位校验码应为" + string(right)},
			{name: "ID number registered", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"id_number":"` + headID + `"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("id_number", headID)},
			{name: "phone", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"phone":"12345"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("phone", "12345")},
			{name: "political status", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"political_status":"x"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("political_status", "x")},
			{name: "occupation too long", apiMethod: "PATCH", apiPath: "/api/v1/residents/" + mm, apiBody: `{"occupation":"` + long(65) + `"}`,
				pagePath: "/residents/" + mm + "/edit", form: "resident", page: memberForm("occupation", long(65)), want: "occupation: 职业不能超过64个字"},
			{name: "address required", apiMethod: "PATCH", apiPath: "/api/v1/households/" + hh, apiBody: `{"address":" "}`,
				pagePath: "/households/" + hh + "/edit", form: "household", page: householdForm("address", " "),
				want: "address: 请填写门牌地址，例如 3单元502室"},
			{name: "address too long", apiMethod: "PATCH", apiPath: "/api/v1/households/" + hh, apiBody: `{"address":"` + long(129) + `"}`,
				pagePath: "/households/" + hh + "/edit", form: "household", page: householdForm("address", long(129)), want: "address: 地址不能超过128个字"},
			{name: "move-in date format", apiMethod: "PATCH", apiPath: "/api/v1/households/" + hh, apiBody: `{"moved_in_at":"2020/05/01"}`,
				pagePath: "/households/" + hh + "/edit", form: "household", page: householdForm("moved_in_at", "2020/05/01"),
				want: "moved_in_at: 迁入日期应为 YYYY-MM-DD 格式"},
			{name: "move-out date format", apiMethod: "POST", apiPath: "/api/v1/households/" + hh + "/move-out", apiBody: `{"date":"2024-13-01"}`,
				pagePath: "/households/" + hh + "/move-out", form: "moveout", page: url.Values{"date": {"2024-13-01"}},
				want: "date: 迁出日期应为 YYYY-MM-DD 格式，例如 2024-06-30"},
			{name: "move-out before move-in", apiMethod: "POST", apiPath: "/api/v1/households/" + hh + "/move-out", apiBody: `{"date":"2019-12-31"}`,
				pagePath: "/households/" + hh + "/move-out", form: "moveout", page: url.Values{"date": {"2019-12-31"}},
				want: "date: 迁出日期不能早于迁入日期 2020-05-01"},
			{name: "move-out before move-in, at the confirmation", apiMethod: "POST", apiPath: "/api/v1/households/" + hh + "/move-out", apiBody: `{"date":"2019-12-31"}`,
				pagePath: "/households/" + hh + "/move-out", form: "moveout", page: url.Values{"date": {"2019-12-31"}, "confirm": {"1"}},
				want: "date: 迁出日期不能早于迁入日期 2020-05-01"},
			{name: "move-out note too long", apiMethod: "POST", apiPath: "/api/v1/households/" + hh + "/move-out", apiBody: `{"date":"2024-06-30","note":"` + long(201) + `"}`,
				pagePath: "/households/" + hh + "/move-out", form: "moveout", page: url.Values{"date": {"2024-06-30"}, "note": {long(201)}},
				want: "note: 备注不能超过200个字"},
		}
		before := householdState(t, st, h.ID)
		for _, r := range rules {
			t.Run(r.name, func(t *testing.T) {
				got := apiFieldErrors(t, c, token, r.apiMethod, r.apiPath, r.apiBody)
				page := pageFieldErrors(t, c, r.pagePath, r.form, r.page)
				if !slices.Equal(got, page) {
					t.Errorf("API errors %q, page errors %q: the surfaces disagree", got, page)
				}
				if r.want != "" && !slices.Equal(got, []string{r.want}) {
					t.Errorf("errors = %q, want [%q]", got, r.want)
				}
				if len(got) != 1 {
					t.Errorf("errors = %q, want exactly one", got)
				}
				if after := householdState(t, st, h.ID); after != before {
					t.Errorf("data changed:\n%s\nwant\n%s", after, before)
				}
			})
		}
	})
}

// badCheckDigit returns id with a wrong check digit, and the right one.
func badCheckDigit(id string) (string, byte) {
	right := id[17]
	wrong := byte('0')
	if right == '0' {
		wrong = '1'
	}
	return id[:17] + string(wrong), right
}

// householdState is everything an edit could change about household id: its fields, its
// members' fields and its history, as text.
func householdState(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	ctx, sys := t.Context(), authz.System()
	h, err := st.Household(ctx, sys, id)
	if err != nil {
		t.Fatal(err)
	}
	h.UpdatedAt = h.CreatedAt
	var b strings.Builder
	fmt.Fprintf(&b, "%+v\n", *h)
	rs, err := st.Residents(ctx, sys, store.ResidentFilter{HouseholdID: id, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Items {
		r.UpdatedAt = r.CreatedAt
		fmt.Fprintf(&b, "%+v\n", *r)
	}
	events, err := st.HouseholdEvents(ctx, sys, id)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%d events", len(events))
	return b.String()
}
