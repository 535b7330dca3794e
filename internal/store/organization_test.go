package store_test

import (
	"context"
	"errors"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func mustOrganization(t *testing.T, st *store.Store, in model.OrganizationInput) *model.Organization {
	t.Helper()
	o, err := st.CreateOrganization(context.Background(), authz.System(), in)
	if err != nil {
		t.Fatalf("create organization %s: %v", in.Name, err)
	}
	return o
}

func mustCount(t *testing.T, st *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestOrganizationRegister(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		school := mustOrganization(t, st, model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeSchool, Name: "江油市第一中学",
			TerritoryID: tr.community.ID, ContactName: "王老师", ContactPhone: "0816-3212345", Coverage: model.CoverageOwn,
			Offers: model.Offers{Venues: "操场、礼堂周末开放"}})
		if school.Type.Label() != "驻区单位" || school.Path != tr.community.Path || school.Offers.Venues == "" || school.Coverage != model.CoverageOwn || !school.Active {
			t.Fatalf("created = %+v", school)
		}
		team := mustOrganization(t, st, model.OrganizationInput{Type: model.OrgVolunteerTeam, Name: "夕阳红志愿服务队", TerritoryID: tr.community.ID, Joinable: true})
		other := mustOrganization(t, st, model.OrganizationInput{Type: model.OrgSocial, Name: "东胜邻里互助协会", TerritoryID: tr.community2.ID})

		// Scope: community staff of the first community see two, not the other community's.
		staff := mustUser(t, st, "staff1", model.RoleCommunityStaff, tr.community)
		sc := authz.ForUser(staff)
		p, err := st.Organizations(ctx, sc, store.OrganizationFilter{})
		if err != nil || p.Total != 2 || len(p.Items) != 2 {
			t.Fatalf("staff list = %+v, %v; want 2", p, err)
		}
		if _, err := st.Organization(ctx, sc, other.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("other community's organization = %v, want ErrNotFound", err)
		}
		p, err = st.Organizations(ctx, authz.System(), store.OrganizationFilter{Type: model.OrgVolunteerTeam})
		if err != nil || len(p.Items) != 1 || p.Items[0].ID != team.ID {
			t.Errorf("type filter = %+v, %v", p, err)
		}
		// Paging: one per page, two pages.
		p1, err := st.Organizations(ctx, authz.System(), store.OrganizationFilter{Limit: 2})
		if err != nil || len(p1.Items) != 2 || p1.Next == "" || p1.Total != 3 {
			t.Fatalf("page 1 = %+v, %v", p1, err)
		}
		p2, err := st.Organizations(ctx, authz.System(), store.OrganizationFilter{Limit: 2, Cursor: p1.Next})
		if err != nil || len(p2.Items) != 1 || p2.Next != "" {
			t.Fatalf("page 2 = %+v, %v", p2, err)
		}

		// Bad input: unknown type, duplicate name at the same node; nothing written.
		before := mustCount(t, st, `SELECT COUNT(*) FROM organizations`)
		_, err = st.CreateOrganization(ctx, sc, model.OrganizationInput{Type: "church", Name: "某组织", TerritoryID: tr.community.ID})
		if fieldOf(err) != "type" {
			t.Errorf("unknown type = %v, want a field error on type", err)
		}
		_, err = st.CreateOrganization(ctx, sc, model.OrganizationInput{Type: model.OrgMass, Name: "江油市第一中学", TerritoryID: tr.community.ID})
		if fieldOf(err) != "name" {
			t.Errorf("duplicate name = %v, want a field error on name", err)
		}
		// The same name at another node is another organization.
		if _, err := st.CreateOrganization(ctx, authz.System(), model.OrganizationInput{Type: model.OrgMass, Name: "江油市第一中学", TerritoryID: tr.grid.ID}); err != nil {
			t.Errorf("same name at another node = %v", err)
		}
		_, err = st.CreateOrganization(ctx, sc, model.OrganizationInput{Type: model.OrgMass, Name: "越界组织", TerritoryID: tr.community2.ID})
		if fieldOf(err) != "territory_id" {
			t.Errorf("node outside scope = %v, want a field error on territory_id", err)
		}
		if got := mustCount(t, st, `SELECT COUNT(*) FROM organizations`); got != before+1 {
			t.Errorf("organizations = %d, want %d (only the valid one written)", got, before+1)
		}
		// A rename onto a taken name is refused too, and changes nothing.
		in := model.OrganizationInput{Type: model.OrgVolunteerTeam, Name: "江油市第一中学", TerritoryID: tr.community.ID, Joinable: true}
		if _, err := st.UpdateOrganization(ctx, sc, team.ID, in); fieldOf(err) != "name" {
			t.Errorf("rename onto a taken name = %v", err)
		}

		// Reporting (单位报到): co-building units only, once.
		if _, err := st.ReportOrganization(ctx, sc, team.ID, "2026-03-01"); fieldOf(err) != "type" {
			t.Errorf("team reporting = %v, want a field error on type", err)
		}
		if _, err := st.ReportOrganization(ctx, sc, school.ID, "2999-01-01"); fieldOf(err) != "reported_on" {
			t.Errorf("future report = %v", err)
		}
		got, err := st.ReportOrganization(ctx, sc, school.ID, "2026-03-05")
		if err != nil || got.ReportedOn == nil || got.ReportedOn.Format("2006-01-02") != "2026-03-05" {
			t.Fatalf("report = %+v, %v", got, err)
		}
		if _, err := st.ReportOrganization(ctx, sc, school.ID, "2026-03-06"); !errors.Is(err, model.ErrConflict) {
			t.Errorf("report twice = %v, want conflict", err)
		}
		p, _ = st.Organizations(ctx, sc, store.OrganizationFilter{Reported: "yes"})
		if len(p.Items) != 1 || p.Items[0].ID != school.ID {
			t.Errorf("reported filter = %+v", p.Items)
		}

		// Deactivate, never delete; history kept.
		if _, err := st.SetOrganizationActive(ctx, sc, team.ID, false, ""); fieldOf(err) != "reason" {
			t.Errorf("deactivate without reason = %v", err)
		}
		if _, err := st.SetOrganizationActive(ctx, sc, team.ID, false, "队伍解散"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetOrganizationActive(ctx, sc, team.ID, false, "再停一次"); !errors.Is(err, model.ErrConflict) {
			t.Errorf("deactivate twice = %v, want conflict", err)
		}
		p, _ = st.Organizations(ctx, sc, store.OrganizationFilter{Inactive: true})
		if len(p.Items) != 1 || p.Items[0].ID != team.ID || p.Items[0].Active {
			t.Errorf("inactive list = %+v", p.Items)
		}
		ev, err := st.OrganizationEvents(ctx, sc, team.ID)
		if err != nil || len(ev) != 2 || ev[0].Action != "deactivated" || ev[1].Action != "created" {
			t.Errorf("history = %+v, %v", ev, err)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'organization.%'`); n < 5 {
			t.Errorf("audit records = %d, want every change recorded", n)
		}
	})
}

func TestPartnerAccount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		unit := mustOrganization(t, st, model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeHospital, Name: "江油市人民医院", TerritoryID: tr.community.ID})
		other := mustOrganization(t, st, model.OrganizationInput{Type: model.OrgCoBuilding, Subtype: model.SubtypeCompany, Name: "天宝物业公司", TerritoryID: tr.community.ID})
		admin := authz.ForUser(mustUser(t, st, "cadmin", model.RoleCommunityAdmin, tr.community))

		// A partner account needs an organization; its scope is the organization's node.
		_, err := st.CreateUser(ctx, admin, store.UserInput{Username: "p0", Password: testPassword, Role: model.RolePartner, ScopeID: tr.community.ID})
		if fieldOf(err) != "organization_id" {
			t.Fatalf("partner without organization = %v", err)
		}
		_, err = st.CreateUser(ctx, admin, store.UserInput{Username: "g0", Password: testPassword, Role: model.RoleGridLeader, ScopeID: tr.grid.ID, OrganizationID: unit.ID})
		if fieldOf(err) != "organization_id" {
			t.Fatalf("grid leader with organization = %v", err)
		}
		u, err := st.CreateUser(ctx, admin, store.UserInput{Username: "hospital", Password: testPassword, Role: model.RolePartner, ScopeID: tr.grid.ID, OrganizationID: unit.ID})
		if err != nil {
			t.Fatal(err)
		}
		if u.OrganizationID != unit.ID || u.ScopeID != tr.community.ID {
			t.Fatalf("partner = org %d scope %d, want org %d scope %d", u.OrganizationID, u.ScopeID, unit.ID, tr.community.ID)
		}
		sc := authz.ForUser(u)
		p, err := st.Organizations(ctx, sc, store.OrganizationFilter{})
		if err != nil || len(p.Items) != 1 || p.Items[0].ID != unit.ID || p.Total != 1 {
			t.Fatalf("partner list = %+v, %v", p, err)
		}
		// Bad input: a partner editing another organization: not found, nothing changed.
		if _, err := st.UpdateOrganizationContact(ctx, sc, other.ID, model.OrganizationContact{ContactName: "冒名"}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("partner editing another organization = %v, want ErrNotFound", err)
		}
		if o, _ := st.Organization(ctx, authz.System(), other.ID); o.ContactName != "" {
			t.Errorf("other organization changed: %+v", o)
		}
		got, err := st.UpdateOrganizationContact(ctx, sc, unit.ID, model.OrganizationContact{ContactName: "李主任", ContactPhone: "13800001234",
			Offers: model.Offers{Skills: "义诊、健康讲座"}})
		if err != nil || got.Offers.Skills != "义诊、健康讲座" || got.ContactName != "李主任" {
			t.Fatalf("partner own update = %+v, %v", got, err)
		}
		if _, err := st.UpdateOrganizationContact(ctx, sc, unit.ID, model.OrganizationContact{ContactPhone: "12345"}); fieldOf(err) != "contact_phone" {
			t.Errorf("bad phone = %v", err)
		}
		// The request's account carries the organization (sessions).
		tok, _, err := st.CreateSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		ru, err := st.UserBySession(ctx, tok)
		if err != nil || ru.OrganizationID != unit.ID {
			t.Fatalf("session user = %+v, %v", ru, err)
		}
		// Changing the role away from partner drops the organization.
		g := model.RoleGridLeader
		gid := tr.grid.ID
		u2, err := st.UpdateUser(ctx, admin, u.ID, store.UserPatch{Role: &g, ScopeID: &gid})
		if err != nil || u2.OrganizationID != 0 {
			t.Fatalf("role change = %+v, %v", u2, err)
		}
	})
}

func TestJoinTeam(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		team := mustOrganization(t, st, model.OrganizationInput{Type: model.OrgVolunteerTeam, Name: "邻里守望队", TerritoryID: tr.community.ID, Joinable: true})
		closed := mustOrganization(t, st, model.OrganizationInput{Type: model.OrgSocial, Name: "书法协会", TerritoryID: tr.community.ID})
		h := mustHousehold(t, st, tr.stairwell, "1单元101室", model.ResidentInput{Name: "张桂兰", Relation: model.RelationHead, IDNumber: validID("510781", "19550308", 41)})
		r := mustResidentNamed(t, st, h, "张桂兰")
		u := mustUser(t, st, "zhang", model.RoleResident, tr.community)
		sc := authz.ForUser(u)
		if err := st.JoinTeam(ctx, sc, team.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("join without linked resident = %v, want conflict", err)
		}
		if err := st.LinkResident(ctx, authz.System(), u.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.JoinTeam(ctx, sc, team.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.JoinTeam(ctx, sc, team.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("join twice = %v, want conflict", err)
		}
		if err := st.JoinTeam(ctx, sc, closed.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("join a non-joinable organization = %v, want not found", err)
		}
		teams, joined, err := st.JoinableTeams(ctx, sc)
		if err != nil || len(teams) != 1 || !joined[team.ID] {
			t.Fatalf("joinable = %v %v %v", teams, joined, err)
		}
		o, _ := st.Organization(ctx, authz.System(), team.ID)
		if o.Members != 1 {
			t.Errorf("members = %d, want 1", o.Members)
		}
		m, err := st.TeamMembers(ctx, authz.System(), team.ID)
		if err != nil || len(m) != 1 || m[0].Name != "张桂兰" {
			t.Errorf("team members = %+v, %v", m, err)
		}
		if err := st.LeaveTeam(ctx, sc, team.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.LeaveTeam(ctx, sc, team.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("leave twice = %v", err)
		}
	})
}
