package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestFoldingChangesNoPage: the pages as New builds them (constant catalog texts and icons
// rendered once at start, the navigation rendered once per role) answer byte for byte what the
// same templates answer when every action runs per request, for every role, on the pages each
// may open and the ones it may not (the error page), a list's htmx fragment, a form sent back
// with errors and the login page.
func TestFoldingChangesNoPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	sys := authz.System()
	h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室 <&\"'+>",
		Flags: model.HouseholdFlags{ElderlyAlone: true, Hardship: true}})
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range []model.ResidentInput{
		{Name: "张三", IDNumber: validID("510781", "19560304", 11), Relation: model.RelationHead, Phone: "13800138000", Occupation: "退休"},
		{Name: "李四", IDNumber: validID("510781", "19600705", 12), Relation: model.RelationSpouse, PoliticalStatus: model.StatusPartyMember},
	} {
		in.HouseholdID = h.ID
		if _, err := st.CreateResident(ctx, sys, in); err != nil {
			t.Fatalf("resident %d: %v", i, err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	unfolded, err := web.NewUnfolded(st, log, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain := httptest.NewServer(server.New(st, log, api.Token, unfolded).Handler())
	t.Cleanup(plain.Close)

	hid, tid := strconv.FormatInt(h.ID, 10), strconv.FormatInt(f.stairwell.ID, 10)
	paths := []string{"/", "/services", "/messages", "/me", "/me/password", "/me/tokens", "/me/data", "/users",
		"/territories", "/territories/" + tid, "/households", "/households?territory=" + tid + "&flag=hardship",
		"/households/new", "/households/" + hid, "/households/" + hid + "?reveal=1", "/households/" + hid + "/edit",
		"/households/" + hid + "/residents/new", "/households/" + hid + "/move-out", "/residents", "/corrections",
		"/conflicts", "/import", "/jobs", "/audit", "/no-such-page"}
	same := func(user, what string, got, want *response) {
		t.Helper()
		if got.StatusCode >= 500 {
			t.Errorf("%s, %s: status %d\n%s", user, what, got.StatusCode, excerpt(got.Body))
		}
		if got.StatusCode != want.StatusCode || got.Body != want.Body {
			t.Errorf("%s, %s: folded pages answer %d\n%s\n--- unfolded %d\n%s", user, what, got.StatusCode, got.Body, want.StatusCode, want.Body)
		}
	}
	anon := f.anon(t)
	same("anonymous", "/login", anon.get("/login"), (&client{t: t, base: plain.URL, hc: anon.hc}).get("/login"))
	for _, user := range []string{"sysadmin", "streetadmin", "comadmin", "staff", "gridleader", "unitleader", "member", "resident"} {
		c := f.as(t, user)
		p := &client{t: t, base: plain.URL, hc: c.hc} // the same session: cookies do not tell ports apart
		for _, path := range paths {
			same(user, path, c.get(path), p.get(path))
		}
		same(user, "htmx results", c.get("/households", "HX-Request", "true", "HX-Target", "results"),
			p.get("/households", "HX-Request", "true", "HX-Target", "results"))
		bad := url.Values{"address": {""}, "moved_in_at": {"2020-13-45"}}
		same(user, "invalid edit", c.post("/households/"+hid+"/edit", bad), p.post("/households/"+hid+"/edit", bad))
	}
}
