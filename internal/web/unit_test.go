package web_test

import (
	"context"
	"fmt"
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

// TestUnitPages: staff generate a proposal for a grid, a confirm without the override reason
// is refused naming the unit (summary linked to the field), a move across a compound is
// refused, a rename and the confirm form the units, which the list and the unit page show.
// A grid leader reads units but may not form them.
func TestUnitPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx := context.Background()
		compound, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: f.grid.ID, Kind: model.KindCompound, Name: "平房院"})
		if err != nil {
			t.Fatal(err)
		}
		add := func(node *model.Territory, n int, prefix string) {
			for i := 1; i <= n; i++ {
				if _, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: node.ID, Address: fmt.Sprintf("%s%d号", prefix, i)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		add(f.stairwell, 12, "1栋1单元")
		add(compound, 7, "平房院")
		staff := f.as(t, "staff")
		grid := strconv.FormatInt(f.grid.ID, 10)

		res := staff.get("/units").want(t, http.StatusOK)
		one(t, res.Doc, ".empty")
		res = staff.get("/unit-proposals?node="+grid).want(t, http.StatusOK)
		if v := attr(one(t, res.Doc, "select[name=node_id] option[selected]"), "value"); v != grid {
			t.Errorf("preselected node = %q", v)
		}
		res = staff.post("/unit-proposals", url.Values{"node_id": {grid}}).want(t, http.StatusSeeOther)
		path := res.Header.Get("Location")
		if !strings.HasPrefix(path, "/unit-proposals/") {
			t.Fatalf("redirect to %q", path)
		}
		res = staff.get(path).want(t, http.StatusOK)
		cards := all(res.Doc, "section.unit-card")
		if len(cards) != 2 || len(all(res.Doc, "section.unit-card-warn")) != 1 {
			t.Fatalf("%d cards", len(cards))
		}
		// Confirming without the reason: 422, the summary names the unit and links its field.
		res = staff.post(path+"/confirm", url.Values{"version": {"1"}}).want(t, http.StatusUnprocessableEntity)
		link := one(t, res.Doc, ".error-summary a")
		if h := attr(link, "href"); h != "#f-confirm-units[1].override_reason" {
			t.Errorf("summary links to %q", h)
		}
		if !strings.Contains(text(link), "「平房院联建单元」有 7 户") {
			t.Errorf("summary = %q", text(link))
		}
		if id := attr(one(t, res.Doc, ".field-invalid input"), "name"); id != "units[1].override_reason" {
			t.Errorf("invalid field = %q", id)
		}
		// A move across a compound: refused at the card.
		hid := attr(all(res.Doc, "select[name=household_id] option")[0], "value")
		res = staff.post(path+"/move", url.Values{"version": {"1"}, "unit": {"0"}, "household_id": {hid}, "to": {"2"}}).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(text(one(t, res.Doc, "details[open] .field-error")), "不能跨小区") {
			t.Errorf("move across a compound: %s", excerpt(res.Body))
		}
		staff.post(path+"/rename", url.Values{"version": {"1"}, "unit": {"1"}, "name": {"平房院互助联建单元"}}).want(t, http.StatusSeeOther)
		res = staff.post(path+"/confirm", url.Values{"version": {"2"}, "units[1].override_reason": {"院里只有7户"}}).want(t, http.StatusSeeOther)
		to := res.Header.Get("Location")
		res = staff.get(to).want(t, http.StatusOK)
		rows := texts(res.Doc, "tbody th.cell-title")
		if len(rows) != 2 || !strings.Contains(strings.Join(rows, ","), "平房院互助联建单元") {
			t.Fatalf("units = %q", rows)
		}
		href := attr(one(t, res.Doc, "tbody th.cell-title a"), "href")
		res = staff.get(href).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, ".timeline")); !strings.Contains(got, "组建") {
			t.Errorf("history = %q", got)
		}
		gl := f.as(t, "gridleader")
		gl.get("/units").want(t, http.StatusOK)
		gl.get("/unit-proposals").want(t, http.StatusForbidden)
		// Outside the scope: 404.
		other, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: f.community2.ID, Kind: model.KindCompound, Name: "东院"})
		if err != nil {
			t.Fatal(err)
		}
		add(other, 3, "东院")
		p, err := st.ProposeUnits(ctx, authz.System(), other.ID, model.PartitionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		staff.get("/unit-proposals/"+strconv.FormatInt(p.ID, 10)).want(t, http.StatusNotFound)
		_ = store.UnitFilter{}
	})
}
