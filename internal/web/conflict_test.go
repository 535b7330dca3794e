package web_test

import (
	"context"
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

// TestConflictPages: a community admin adding a household whose head's ID number is held in
// the other community gets the neutral message on the form; the street admin (both sides in
// scope) finds the record on /conflicts and moves the resident in with the CSRF-protected
// form; the community admins see no record.
func TestConflictPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		held := validID("510781", "19700101", 7) // 东胜户主, in community 2
		c := f.as(t, "comadmin")
		form := url.Values{
			"territory_id": {fmt.Sprint(f.stairwell.ID)},
			"address":      {"1栋1单元701室"},
			"name":         {"东胜户主"},
			"id_number":    {held},
			"relation":     {string(model.RelationHead)},
		}
		res := c.post(fmt.Sprintf("/households/new?territory=%d", f.building.ID), form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-household-id_number-error")); !strings.Contains(got, model.DuplicateIDMessage) {
			t.Errorf("page error = %q, want %q", got, model.DuplicateIDMessage)
		}
		if strings.Contains(res.Body, "东胜") && strings.Count(res.Body, "东胜") > strings.Count(res.Body, "东胜户主") {
			t.Errorf("the refusal names the other community")
		}
		res = c.get("/conflicts").want(t, http.StatusOK)
		if n := len(all(res.Doc, "#results tbody tr")); n != 0 {
			t.Errorf("the requesting community sees %d conflicts", n)
		}
		f.as(t, "gridleader").get("/conflicts").want(t, http.StatusForbidden)

		s := f.as(t, "streetadmin")
		res = s.get("/conflicts").want(t, http.StatusOK)
		links := all(res.Doc, "#results tbody th.cell-title a")
		if len(links) != 1 {
			t.Fatalf("street sees %d conflicts, want 1", len(links))
		}
		href := attr(links[0], "href")
		if got := texts(res.Doc, "#results tbody td.mono"); len(got) != 1 || got[0] != model.MaskIDNumber(held) || strings.Contains(res.Body, held) {
			t.Errorf("ID numbers on the list = %q, want masked", got)
		}
		res = s.get(href).want(t, http.StatusOK)
		one(t, res.Doc, "#form-transfer input[name=household_id]") // the refused household was not written
		one(t, res.Doc, "#form-reject")
		c.get(href).want(t, http.StatusNotFound)

		h, err := st.CreateHousehold(context.Background(), authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元701室"})
		if err != nil {
			t.Fatal(err)
		}
		res = s.post(href+"/transfer", url.Values{"household_id": {"x"}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, ".error-summary")
		res = s.post(href+"/transfer", url.Values{"household_id": {fmt.Sprint(h.ID)}, "note": {"核实为同一人"}}).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/conflicts") {
			t.Errorf("after the transfer: Location %q", loc)
		}
		moved, err := st.Household(context.Background(), authz.System(), h.ID)
		if err != nil || moved.Members != 1 || moved.HeadName != "东胜户主" {
			t.Errorf("household after the transfer = %+v, %v", moved, err)
		}
		s.post(href+"/transfer", url.Values{"household_id": {fmt.Sprint(h.ID)}}).want(t, http.StatusConflict)
		res = s.get(href).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#form-transfer")); n != 0 {
			t.Errorf("a handled conflict still offers the transfer")
		}
	})
}
