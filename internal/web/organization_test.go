package web_test

import (
	"context"
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

func TestOrganizationPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx := context.Background()
		staff := f.as(t, "staff")
		community := strconv.FormatInt(f.community.ID, 10)

		res := staff.get("/organizations").want(t, http.StatusOK)
		one(t, res.Doc, ".empty")
		// Register a school, with every field the form has.
		res = staff.post("/organizations/new", url.Values{"type": {"co_building"}, "subtype": {"school"}, "name": {"天宝小学"},
			"territory_id": {community}, "coverage": {"joint"}, "contact_name": {"周校长"}, "offers.venues": {"礼堂"}}).want(t, http.StatusSeeOther)
		loc, _, _ := strings.Cut(res.Header.Get("Location"), "?")
		if !strings.HasPrefix(loc, "/organizations/") {
			t.Fatalf("redirect to %q", loc)
		}
		// Bad input: unknown type and duplicate name, each shown in the summary and at the field,
		// input kept.
		res = staff.post("/organizations/new", url.Values{"type": {"temple"}, "name": {"某寺"}, "territory_id": {community}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, ".error-summary a[href='#f-organization-type']")
		if v := attr(one(t, res.Doc, "input[name=name]"), "value"); v != "某寺" {
			t.Errorf("name kept = %q", v)
		}
		res = staff.post("/organizations/new", url.Values{"type": {"mass"}, "name": {"天宝小学"}, "territory_id": {community}}).want(t, http.StatusUnprocessableEntity)
		if msg := text(one(t, res.Doc, "#f-organization-name-error")); !strings.Contains(msg, "已登记") {
			t.Errorf("duplicate name message = %q", msg)
		}
		p, _ := st.Organizations(ctx, authz.System(), store.OrganizationFilter{})
		if p.Total != 1 {
			t.Fatalf("organizations = %d, want 1", p.Total)
		}
		school := p.Items[0]

		// The desk table: type, coverage and reporting columns; the type filter.
		res = staff.get("/organizations?type=co_building").want(t, http.StatusOK)
		row := one(t, res.Doc, "tbody tr")
		if s := text(row); !strings.Contains(s, "天宝小学") || !strings.Contains(s, "联合党支部") || !strings.Contains(s, "未报到") {
			t.Errorf("row = %q", s)
		}
		res = staff.get("/organizations?type=social").want(t, http.StatusOK)
		if rows := all(res.Doc, "tbody tr"); len(rows) != 0 {
			t.Errorf("social filter: %d rows", len(rows))
		}
		res = staff.get("/organizations?type=temple").want(t, http.StatusOK)
		if !strings.Contains(res.Body, "类型应为") {
			t.Errorf("unknown type filter not explained")
		}

		// Report, then the row says reported.
		staff.post(loc+"/report", url.Values{"reported_on": {"2026-05-04"}}).want(t, http.StatusSeeOther)
		staff.post(loc+"/report", url.Values{"reported_on": {"2026-05-05"}}).want(t, http.StatusConflict)
		res = staff.get(loc).want(t, http.StatusOK)
		if s := text(one(t, res.Doc, "main")); !strings.Contains(s, "2026-05-04") || !strings.Contains(s, "单位报到") {
			t.Errorf("detail = %q", s)
		}

		// Edit keeps the other fields.
		staff.post(loc+"/edit", url.Values{"type": {"co_building"}, "subtype": {"school"}, "name": {"天宝实验小学"},
			"territory_id": {community}, "coverage": {"own"}}).want(t, http.StatusSeeOther)
		o, _ := st.Organization(ctx, authz.System(), school.ID)
		if o.Name != "天宝实验小学" || o.Coverage != model.CoverageOwn {
			t.Errorf("edited = %+v", o)
		}

		// A partner of the school: 我的单位, not the desk table, not another organization.
		other, err := st.CreateOrganization(ctx, authz.System(), model.OrganizationInput{Type: model.OrgEconomic, Name: "天宝农贸合作社", TerritoryID: f.community.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, authz.System(), store.UserInput{Username: "school", Password: password, Role: model.RolePartner, OrganizationID: school.ID}); err != nil {
			t.Fatal(err)
		}
		partner := f.as(t, "school")
		res = partner.get("/organizations").want(t, http.StatusSeeOther)
		if res.Header.Get("Location") != "/organizations/mine" {
			t.Errorf("partner list redirect = %q", res.Header.Get("Location"))
		}
		res = partner.get("/organizations/mine").want(t, http.StatusOK)
		one(t, res.Doc, "nav.sidenav a[href='/organizations/mine']")
		partner.get("/organizations/"+strconv.FormatInt(other.ID, 10)).want(t, http.StatusNotFound)
		partner.post("/organizations/"+strconv.FormatInt(other.ID, 10)+"/edit", url.Values{"name": {"冒名"}}).want(t, http.StatusForbidden)
		partner.post("/organizations/mine", url.Values{"contact_phone": {"12"}}).want(t, http.StatusUnprocessableEntity)
		partner.post("/organizations/mine", url.Values{"contact_name": {"吴老师"}, "offers.skills": {"课后辅导"}}).want(t, http.StatusSeeOther)
		o, _ = st.Organization(ctx, authz.System(), school.ID)
		if o.ContactName != "吴老师" || o.Offers.Skills != "课后辅导" || o.Name != "天宝实验小学" {
			t.Errorf("partner save = %+v", o)
		}

		// Deactivate needs a reason; then the row is gone from the active list.
		staff.post(loc+"/deactivate", url.Values{}).want(t, http.StatusUnprocessableEntity)
		staff.post(loc+"/deactivate", url.Values{"reason": {"学校撤并"}}).want(t, http.StatusSeeOther)
		res = staff.get("/organizations?type=co_building").want(t, http.StatusOK)
		if rows := all(res.Doc, "tbody tr"); len(rows) != 0 {
			t.Errorf("inactive still listed: %d rows", len(rows))
		}
	})
}
