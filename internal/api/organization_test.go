package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type organizationOut struct {
	ID            string       `json:"id"`
	Type          string       `json:"type"`
	TypeLabel     string       `json:"type_label"`
	Subtype       string       `json:"subtype"`
	SubtypeLabel  string       `json:"subtype_label"`
	Name          string       `json:"name"`
	TerritoryID   string       `json:"territory_id"`
	ContactName   string       `json:"contact_name"`
	Offers        model.Offers `json:"offers"`
	Coverage      string       `json:"party_coverage"`
	CoverageLabel string       `json:"party_coverage_label"`
	ReportedOn    *string      `json:"reported_on"`
	Status        string       `json:"status"`
	TerritoryName string       `json:"territory_name"`
	ContactPhone  string       `json:"contact_phone"`
	Address       string       `json:"address"`
	PartyOrgID    *string      `json:"party_org_id"`
	Joinable      bool         `json:"joinable"`
	Members       int          `json:"members"`
	CreatedAt     string       `json:"created_at"`
	UpdatedAt     string       `json:"updated_at"`
}

// mustPartnerToken creates a partner account of organization orgID and logs it in.
func (f *fixture) mustPartnerToken(tb testing.TB, username string, orgID int64) string {
	tb.Helper()
	if _, err := f.st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: username, Password: password,
		Role: model.RolePartner, OrganizationID: orgID}); err != nil {
		tb.Fatalf("create partner: %v", err)
	}
	r := f.mustDo(tb, "", "POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	var login struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(r.body, &login); err != nil || login.Token == "" {
		tb.Fatalf("partner login = %v", r)
	}
	return login.Token
}

func TestOrganizationsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)
		community := id(f.tree.community.ID)

		school := mustJSON[organizationOut](t, f.mustDo(t, staff, "POST", "/api/v1/organizations", map[string]any{
			"type": "co_building", "subtype": "school", "name": "江油市实验小学", "territory_id": community,
			"contact_name": "赵校长", "contact_phone": "0816-3225566", "party_coverage": "own",
			"offers": map[string]string{"venues": "周末开放操场"}}), http.StatusCreated)
		if school.Type != "co_building" || school.TypeLabel != "驻区单位" || school.SubtypeLabel != "学校" || school.CoverageLabel != "单独建立党组织" || school.Offers.Venues != "周末开放操场" {
			t.Fatalf("created = %+v", school)
		}
		company := mustJSON[organizationOut](t, f.mustDo(t, staff, "POST", "/api/v1/organizations", map[string]any{
			"type": "co_building", "subtype": "company", "name": "天宝物业服务有限公司", "territory_id": community}), http.StatusCreated)

		// Bad input: an unknown type, a duplicate name at the same node; nothing written.
		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/organizations", map[string]any{"type": "temple", "name": "某寺", "territory_id": community}), http.StatusUnprocessableEntity)
		if !slices.Contains(fields(p), "type") {
			t.Errorf("unknown type: fields = %v", fields(p))
		}
		p = mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/organizations", map[string]any{"type": "mass", "name": "江油市实验小学", "territory_id": community}), http.StatusUnprocessableEntity)
		if !slices.Contains(fields(p), "name") {
			t.Errorf("duplicate name: fields = %v", fields(p))
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/organizations?type=temple", nil), http.StatusBadRequest)

		l := mustJSON[struct {
			Items []organizationOut `json:"items"`
			Total int               `json:"total"`
		}](t, f.mustDo(t, grid, "GET", "/api/v1/organizations?type=co_building", nil), http.StatusOK)
		if l.Total != 0 || len(l.Items) != 0 {
			t.Errorf("grid leader list = %+v, want none (both lie at the community, above the grid)", l)
		}
		mustJSON[organizationOut](t, f.mustDo(t, staff, "POST", "/api/v1/organizations", map[string]any{
			"type": "volunteer_team", "name": "第一网格邻里守望队", "territory_id": id(f.tree.gridA.ID), "joinable": true}), http.StatusCreated)
		l = mustJSON[struct {
			Items []organizationOut `json:"items"`
			Total int               `json:"total"`
		}](t, f.mustDo(t, grid, "GET", "/api/v1/organizations", nil), http.StatusOK)
		if l.Total != 1 || len(l.Items) != 1 || l.Items[0].Type != "volunteer_team" {
			t.Errorf("grid leader list = %+v, want the grid's team", l)
		}
		// A grid leader reads but does not write.
		mustProblem(t, f.mustDo(t, grid, "PATCH", "/api/v1/organizations/"+school.ID, map[string]any{"name": "改名"}), http.StatusForbidden)

		// Report, then report again: 409.
		got := mustJSON[organizationOut](t, f.mustDo(t, staff, "POST", "/api/v1/organizations/"+school.ID+"/report", map[string]string{"reported_on": "2026-04-01"}), http.StatusOK)
		if got.ReportedOn == nil || *got.ReportedOn != "2026-04-01" {
			t.Errorf("reported = %+v", got)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/organizations/"+school.ID+"/report", map[string]string{"reported_on": "2026-04-02"}), http.StatusConflict)

		// A partner account needs an organization (the accounts API).
		admin := f.mustToken(t, model.RoleCommunityAdmin, f.tree.community)
		p = mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/users", map[string]any{"username": "p_none", "password": password,
			"role": "partner", "scope_id": community}), http.StatusUnprocessableEntity)
		if !slices.Contains(fields(p), "organization_id") {
			t.Errorf("partner without organization: fields = %v", fields(p))
		}
		mustJSON[map[string]any](t, f.mustDo(t, admin, "POST", "/api/v1/users", map[string]any{"username": "p_company", "password": password,
			"role": "partner", "organization_id": company.ID}), http.StatusCreated)

		// A partner reads and updates its own organization, not another.
		partner := f.mustPartnerToken(t, "school", mustInt(t, school.ID))
		l = mustJSON[struct {
			Items []organizationOut `json:"items"`
			Total int               `json:"total"`
		}](t, f.mustDo(t, partner, "GET", "/api/v1/organizations", nil), http.StatusOK)
		if len(l.Items) != 1 || l.Items[0].ID != school.ID {
			t.Errorf("partner list = %+v", l.Items)
		}
		mustProblem(t, f.mustDo(t, partner, "GET", "/api/v1/organizations/"+company.ID, nil), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, partner, "PATCH", "/api/v1/organizations/"+company.ID+"/contact", map[string]any{"contact_name": "冒名者"}), http.StatusNotFound)
		after := mustJSON[organizationOut](t, f.mustDo(t, staff, "GET", "/api/v1/organizations/"+company.ID, nil), http.StatusOK)
		if after.ContactName != "" {
			t.Errorf("another organization changed by a partner: %+v", after)
		}
		mustProblem(t, f.mustDo(t, partner, "PATCH", "/api/v1/organizations/"+school.ID, map[string]any{"name": "改名"}), http.StatusForbidden)
		own := mustJSON[organizationOut](t, f.mustDo(t, partner, "PATCH", "/api/v1/organizations/"+school.ID+"/contact", map[string]any{
			"contact_name": "钱老师", "offers": map[string]string{"skills": "课后托管志愿者"}}), http.StatusOK)
		if own.ContactName != "钱老师" || own.Offers.Skills != "课后托管志愿者" || own.Offers.Venues != "" {
			t.Errorf("partner update = %+v", own)
		}

		// Deactivate (never delete), with history.
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/organizations/"+company.ID+"/deactivate", map[string]string{}), http.StatusUnprocessableEntity)
		d := mustJSON[organizationOut](t, f.mustDo(t, staff, "POST", "/api/v1/organizations/"+company.ID+"/deactivate", map[string]string{"reason": "迁出辖区"}), http.StatusOK)
		if d.Status != "inactive" {
			t.Errorf("deactivated = %+v", d)
		}
		h := mustJSON[struct {
			Items []struct {
				ID          string `json:"id"`
				Action      string `json:"action"`
				ActionLabel string `json:"action_label"`
				Detail      string `json:"detail"`
				At          string `json:"at"`
			} `json:"items"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/organizations/"+company.ID+"/history", nil), http.StatusOK)
		if len(h.Items) != 2 || h.Items[0].Action != "deactivated" {
			t.Errorf("history = %+v", h)
		}
	})
}

func mustInt(tb testing.TB, s string) int64 {
	tb.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		tb.Fatalf("id %q: %v", s, err)
	}
	return n
}
