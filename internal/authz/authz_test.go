package authz

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"gongzhi/internal/model"
)

func TestScope(t *testing.T) {
	grid := Scope{Role: model.RoleGridLeader, Path: "/1/5/23/"}
	tests := []struct {
		sc       Scope
		path     string
		contains bool
		narrow   string
		ok       bool
	}{
		{grid, "/1/5/23/", true, "/1/5/23/", true},
		{grid, "/1/5/23/77/", true, "/1/5/23/77/", true},
		{grid, "/1/5/234/", false, "", false}, // a sibling whose id starts alike
		{grid, "/1/5/", false, "/1/5/23/", true},
		{grid, "/1/6/", false, "", false},
		{grid, "", false, "/1/5/23/", true},
		{System(), "/9/", true, "/9/", true},
		{Scope{Role: model.RoleResident}, "/1/", false, "", false},
	}
	for _, tt := range tests {
		if got := tt.sc.Contains(tt.path); got != tt.contains {
			t.Errorf("%+v.Contains(%q) = %v, want %v", tt.sc, tt.path, got, tt.contains)
		}
		got, ok := tt.sc.Narrow(tt.path)
		if got != tt.narrow || ok != tt.ok {
			t.Errorf("%+v.Narrow(%q) = %q, %v; want %q, %v", tt.sc, tt.path, got, ok, tt.narrow, tt.ok)
		}
	}
	lo, hi := PathRange("/1/5/")
	for _, p := range []string{"/1/5/", "/1/5/9/", "/1/5/99/3/"} {
		if !(p >= lo && p < hi) {
			t.Errorf("%q outside PathRange(/1/5/) = [%q, %q)", p, lo, hi)
		}
	}
	for _, p := range []string{"/1/50/", "/1/6/", "/1/4/9/", "/1/"} {
		if p >= lo && p < hi {
			t.Errorf("%q inside PathRange(/1/5/) = [%q, %q)", p, lo, hi)
		}
	}
}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Error("right password refused")
	}
	for _, wrong := range []string{"correct horse batterY", "", "correct horse battery "} {
		if CheckPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	if CheckPassword("", "gongzhi-dummy-password") {
		t.Error("an unknown user (empty hash) was accepted with the dummy password")
	}
	if CheckPassword("$argon2id$garbage", "x") {
		t.Error("malformed hash accepted")
	}
}

func TestGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	var denied error
	deny := func(w http.ResponseWriter, r *http.Request, err error) {
		denied = err
		w.WriteHeader(http.StatusForbidden)
	}
	session := &model.User{Role: model.RoleGridLeader}
	token := &model.User{Role: model.RoleGridLeader, TokenID: 7}
	tests := []struct {
		route Route
		user  *model.User
		want  int
		err   error
	}{
		{NewRoute("/", Public, ok), nil, http.StatusTeapot, nil},
		{NewRoute("/", HouseholdRead, ok), nil, http.StatusForbidden, model.ErrUnauthenticated},
		{NewRoute("/", HouseholdRead, ok), &model.User{Role: model.RoleResident}, http.StatusForbidden, model.ErrForbidden},
		{NewRoute("/", HouseholdRead, ok), session, http.StatusTeapot, nil},
		{NewRoute("/", HouseholdRead, ok), token, http.StatusTeapot, nil},
		{NewRoute("/", Action("no.such.action"), ok), &model.User{Role: model.RoleSystemAdmin}, http.StatusForbidden, model.ErrForbidden},
		// A session-only route: a session passes, an API token of the same account does not.
		{SessionRoute("/", TokenOwn, ok), session, http.StatusTeapot, nil},
		{SessionRoute("/", TokenOwn, ok), token, http.StatusForbidden, model.ErrForbidden},
		{SessionRoute("/", TokenOwn, ok), nil, http.StatusForbidden, model.ErrUnauthenticated},
		{SessionRoute("/", Public, ok), session, http.StatusForbidden, model.ErrForbidden},
	}
	for _, tt := range tests {
		denied = nil
		r := httptest.NewRequest("GET", "/", nil)
		if tt.user != nil {
			r = r.WithContext(WithUser(r.Context(), tt.user))
		}
		w := httptest.NewRecorder()
		Guard(tt.route, deny).ServeHTTP(w, r)
		if w.Code != tt.want || denied != tt.err {
			t.Errorf("Guard(%s, session only %v) for %+v = %d, %v; want %d, %v", tt.route.Action, tt.route.SessionOnly, tt.user, w.Code, denied, tt.want, tt.err)
		}
	}
}
