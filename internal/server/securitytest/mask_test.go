package securitytest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/model"
)

// runMaskOracle is the oracle test of issue 6.1: for every role that reads people but sees
// their ID number and phone masked and their hardship and party status not at all, every list
// filter, search, sort and export over those fields is tried, on both surfaces, and none may
// reveal more than the mask: a filter over a masked or withheld field is refused with 403 (a
// page without such a filter may ignore it, answering exactly the unfiltered rows); a search for
// a full ID number, its birth date digits or a full phone finds nothing; a sort by such a field
// is refused or changes nothing; an export is refused or shows the masks; and no read shows a
// birth date beyond its year.
func runMaskOracle(t *testing.T, w *world) {
	var roles []model.Role
	for _, r := range model.Roles {
		if may(r, peopleRead) && !seesInFull(r) {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		t.Fatal("no role reads people with masks: the oracle has nothing to try")
	}
	// Residents the roles can reach: their own household's and the unit's.
	var subjects []*model.Resident
	for _, rel := range []relation{relOwn, relHousehold, relUnit} {
		subjects = append(subjects, w.targets[rel].resident)
	}
	var tries int
	get := func(token, p string) (int, string) {
		resp := w.do(token, "GET", p, "", nil)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// fullDates are the forms a full birth date takes on a page or in JSON.
	fullDates := func(r *model.Resident) []string {
		d := r.BirthDate
		return []string{d.Format("2006-01-02"), d.Format("20060102"), d.Format("2006/01/02"),
			fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day()), d.Format("2006年01月02日")}
	}
	// shows reports what of the residents' protected values a body carries.
	shows := func(body string) []string {
		var out []string
		for _, r := range subjects {
			for _, s := range append([]string{r.IDNumber.Plain(), r.Phone.Plain()}, fullDates(r)...) {
				if s != "" && strings.Contains(body, s) {
					out = append(out, s)
				}
			}
		}
		for _, s := range []string{`"political_status":"party_member"`, `"hardship":true`, `"hardship":false`} {
			if strings.Contains(body, s) {
				out = append(out, s)
			}
		}
		return out
	}
	jsonBirth := regexp.MustCompile(`"birth_date":"([^"]*)"`)
	for _, role := range roles {
		token := w.token(role)
		under := "territory=" + fmt.Sprint(w.targets[relOwn].node.ID)
		r0 := subjects[0]
		// Filters: refused.
		for _, p := range []string{
			"/api/v1/residents?reason=" + url.QueryEscape("核实") + "&id_number=" + r0.IDNumber.Plain(),
			"/api/v1/residents?reason=" + url.QueryEscape("核实") + "&phone=" + r0.Phone.Plain(),
			"/api/v1/residents?political_status=party_member",
			"/api/v1/residents?political_status=masses",
			"/api/v1/households?flag=hardship",
			"/residents?political_status=party_member",
			"/households?flag=hardship",
		} {
			tries++
			if code, body := get(token, p); code != http.StatusForbidden {
				t.Errorf("%s: GET %s: HTTP %d, want 403 (a filter over a field the role sees masked) %v", role, p, code, shows(body))
			}
		}
		// Page filters the pages do not offer: ignored is fine, if the rows are the unfiltered ones.
		for _, base := range []string{"/residents?" + under, "/households?" + under} {
			_, plain := w.pageList(token, base)
			for _, q := range []string{"id_number=" + r0.IDNumber.Plain(), "phone=" + r0.Phone.Plain()} {
				tries++
				code, rows := w.pageList(token, base+"&"+q)
				if code != http.StatusForbidden && (code != http.StatusOK || !slices.Equal(rows, plain)) {
					t.Errorf("%s: GET %s&%s: HTTP %d with rows %q, want 403 or the unfiltered rows %q", role, base, q, code, rows, plain)
				}
			}
		}
		// Search: a full ID number, its birth digits or a full phone finds nothing.
		for _, r := range subjects {
			for _, needle := range []string{r.IDNumber.Plain(), r.IDNumber.Plain()[6:14], r.Phone.Plain()} {
				for _, p := range []string{"/api/v1/residents?" + under + "&q=", "/api/v1/households?" + under + "&q="} {
					tries++
					code, got, _, err := w.jsonList(token, p+url.QueryEscape(needle))
					if err != nil {
						t.Error(err)
						continue
					}
					if code == http.StatusOK && len(got) > 0 {
						t.Errorf("%s: GET %s…: a search over a masked value found %d rows", role, p, len(got))
					}
				}
				for _, p := range []string{"/residents?" + under + "&q=", "/households?" + under + "&q="} {
					tries++
					code, rows := w.pageList(token, p+url.QueryEscape(needle))
					if code == http.StatusOK && len(rows) > 0 {
						t.Errorf("%s: GET %s…: a search over a masked value found %d rows", role, p, len(rows))
					}
				}
			}
		}
		// Sort: refused, or the order is the unsorted one.
		for _, list := range []string{"/api/v1/residents?" + under, "/api/v1/households?" + under} {
			plain := w.listOrder(token, list)
			for _, field := range []string{"id_number", "phone", "birth_date", "hardship", "political_status"} {
				for _, param := range []string{"sort=" + field, "sort=-" + field, "order=" + field} {
					tries++
					p := list + "&" + param
					resp := w.do(token, "GET", p, "", nil)
					resp.Body.Close()
					if resp.StatusCode >= 400 && resp.StatusCode < 500 {
						continue
					}
					if got := w.listOrder(token, p); !slices.Equal(got, plain) {
						t.Errorf("%s: GET %s: HTTP %d, ordered %v, unsorted %v: a sort over a masked field", role, p, resp.StatusCode, got, plain)
					}
				}
			}
		}
		// Export: every export route of both surfaces is refused, or its workbook is masked.
		for _, pattern := range exportRoutes {
			sp := specs[pattern]
			method, path, _, _ := route(pattern)
			if sp.query != nil {
				path += "?" + sp.query(w, relOwn)
			}
			var ct string
			var body io.Reader
			if sp.body != nil {
				var b []byte
				ct, b = sp.body(w, relOwn, 0)
				body = strings.NewReader(string(b))
			}
			tries++
			resp := w.do(token, method, path, ct, body)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusForbidden:
			case resp.StatusCode == http.StatusOK && strings.HasPrefix(string(b), "PK"):
				if leaked := shows(workbookText(t, string(b))); len(leaked) > 0 {
					t.Errorf("%s: %s: the export shows %v", role, pattern, leaked)
				}
			default:
				t.Errorf("%s: %s: HTTP %d, want 403 or a masked workbook", role, pattern, resp.StatusCode)
			}
		}
		// Reads: nothing beyond the mask, the birth date at most its year.
		h := w.targets[relOwn].household
		for _, p := range []string{
			"/api/v1/residents?" + under,
			fmt.Sprintf("/api/v1/residents/%d", r0.ID),
			fmt.Sprintf("/api/v1/households/%d?include=residents", h.ID),
			fmt.Sprintf("/households/%d", h.ID),
			"/residents?" + under,
			"/households?" + under,
		} {
			tries++
			code, body := get(token, p)
			if code != http.StatusOK {
				t.Errorf("%s: GET %s: HTTP %d, want 200", role, p, code)
				continue
			}
			if leaked := shows(body); len(leaked) > 0 {
				t.Errorf("%s: GET %s shows %v", role, p, leaked)
			}
			for _, m := range jsonBirth.FindAllStringSubmatch(body, -1) {
				if !regexp.MustCompile(`^(\d{4})?$`).MatchString(m[1]) {
					t.Errorf("%s: GET %s: birth_date %q, want the year at most", role, p, m[1])
				}
			}
		}
	}
	verdict := "none revealed more than the mask"
	if t.Failed() {
		verdict = "some revealed more than the mask (above)"
	}
	msg := fmt.Sprintf("mask oracle (%s): %d roles that see masks (%v), %d filters, searches, sorts, exports and reads tried: %s",
		w.engine, len(roles), roles, tries, verdict)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
}

// exportRoutes are the routes whose path names an export, from the matrix's specs (so a new
// export route is tried as soon as it has a spec).
var exportRoutes = func() []string {
	var out []string
	for pattern := range specs {
		if strings.Contains(pattern, "export") && !strings.Contains(pattern, "/me/") {
			out = append(out, pattern)
		}
	}
	slices.Sort(out)
	return out
}()

// listOrder is the order of the ids of an API list's first page.
func (w *world) listOrder(token, p string) []string {
	resp := w.do(token, "GET", p, "", nil)
	defer resp.Body.Close()
	var env struct {
		Items []struct {
			ID json.Number `json:"id"`
		} `json:"items"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&env)
	var out []string
	for _, it := range env.Items {
		out = append(out, it.ID.String())
	}
	return out
}
