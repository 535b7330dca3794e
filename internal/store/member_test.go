package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// memberFixture is a community committee with a grid branch and a building group under it, a
// second community's committee, and a household of three residents.
type memberFixture struct {
	tr                         tree
	committee, branch, group   int64
	functional, otherCommittee int64
	street                     int64
	head, spouse, son          *model.Resident
}

func mustMemberFixture(t *testing.T, st *store.Store) memberFixture {
	t.Helper()
	var f memberFixture
	f.tr = mustTree(t, st)
	f.street = storetest.MustOrg(t, st, "street_committee", "中坝街道大工委", f.tr.street.ID, 0)
	f.committee = storetest.MustOrg(t, st, "community_committee", "天宝社区大党委", f.tr.community.ID, f.street)
	f.branch = storetest.MustOrg(t, st, "grid_branch", "第一网格党支部", f.tr.grid.ID, f.committee)
	f.group = storetest.MustOrg(t, st, "building_group", "1栋党小组", f.tr.building.ID, f.branch)
	f.functional = storetest.MustOrg(t, st, "functional_group", "书画兴趣党小组", 0, f.committee)
	f.otherCommittee = storetest.MustOrg(t, st, "community_committee", "东胜社区大党委", f.tr.community2.ID, f.street)
	h := mustHousehold(t, st, f.tr.stairwell, "101室",
		model.ResidentInput{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: model.RelationHead},
		model.ResidentInput{Name: "李秀英", IDNumber: validID("510781", "19600505", 22), Relation: "配偶"},
		model.ResidentInput{Name: "张伟", IDNumber: validID("510781", "19900101", 33), Relation: "子女"})
	rs, err := st.Residents(context.Background(), authz.System(), store.ResidentFilter{HouseholdID: h.ID})
	if err != nil || len(rs.Items) != 3 {
		t.Fatalf("residents: %v", err)
	}
	f.head, f.spouse, f.son = rs.Items[0], rs.Items[1], rs.Items[2]
	return f
}

// fieldsOf names every bad field of a *model.ValidationError, comma-separated.
func fieldsOf(err error) string {
	var v *model.ValidationError
	if !errors.As(err, &v) {
		return ""
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return strings.Join(out, ",")
}

func residentStatus(t *testing.T, st *store.Store, id int64) model.PoliticalStatus {
	t.Helper()
	r, err := st.Resident(context.Background(), authz.System(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.PoliticalStatus
}

// TestMemberRosterAndResidentAgree: adding a member sets the resident's political status in the
// same transaction, converting updates both, the resident's status cannot drift from the
// roster, and a refused write changes neither.
func TestMemberRosterAndResidentAgree(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		f := mustMemberFixture(t, st)
		if got := residentStatus(t, st, f.son.ID); got != model.StatusMasses {
			t.Fatalf("before: %s", got)
		}
		m, err := st.CreateMember(ctx, sys, model.MemberInput{ResidentID: f.son.ID, OrgID: f.group, Status: model.MemberProbationary,
			Category: model.CategoryInWork, JoinedOn: "2025-07-01", Education: model.EduBachelor})
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "张伟" || m.Gender != model.GenderMale || m.BirthDate.Year() != 1990 || m.OrgName != "1栋党小组" || m.List != model.ListRegistered {
			t.Errorf("member = %+v", m)
		}
		if got := residentStatus(t, st, f.son.ID); got != model.StatusProbationary {
			t.Errorf("resident after adding a probationary member: %s, want probationary", got)
		}
		if n := storetest.OrgMembers(t, st, f.group); n != 1 {
			t.Errorf("group members = %d, want 1", n)
		}
		// Converting too early is refused, nothing changes.
		if _, err := st.ConvertMember(ctx, sys, m.ID, "2026-01-01"); fieldsOf(err) != "full_on" {
			t.Errorf("early conversion: %v", err)
		}
		if got := residentStatus(t, st, f.son.ID); got != model.StatusProbationary {
			t.Errorf("resident after refused conversion: %s", got)
		}
		// The resident's own record cannot leave the roster's status behind.
		ps := model.StatusMasses
		if _, err := st.PatchResident(ctx, sys, f.son.ID, model.ResidentPatch{PoliticalStatus: &ps}); fieldsOf(err) != "political_status" {
			t.Errorf("resident status against the roster: %v", err)
		}
		c, err := st.ConvertMember(ctx, sys, m.ID, "2026-07-01")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != model.MemberFull || c.FullOn.Format("2006-01-02") != "2026-07-01" {
			t.Errorf("converted = %s %v", c.Status, c.FullOn)
		}
		if got := residentStatus(t, st, f.son.ID); got != model.StatusPartyMember {
			t.Errorf("resident after conversion: %s, want party_member", got)
		}
		if _, err := st.ConvertMember(ctx, sys, m.ID, "2026-07-02"); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second conversion: %v, want conflict", err)
		}
		h, err := st.MemberHistory(ctx, sys, m.ID)
		if err != nil || len(h) != 2 || h[0].Action != "created" || h[1].Action != "converted" {
			t.Errorf("history = %+v, %v", h, err)
		}
		// Every current member linked to a resident agrees with the resident record.
		var disagree int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM party_members m JOIN residents r ON r.id = m.resident_id
			WHERE m.left_on IS NULL AND NOT ((m.status = 'full' AND r.political_status = 'party_member') OR (m.status = 'probationary' AND r.political_status = 'probationary'))`).Scan(&disagree); err != nil {
			t.Fatal(err)
		}
		if disagree != 0 {
			t.Errorf("%d members disagree with their resident record", disagree)
		}
	})
}

// TestMemberBadInput: a member in two branches at once, a street committee or functional group
// as the one org, an org outside the scope: clear errors, nothing written.
func TestMemberBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		f := mustMemberFixture(t, st)
		if _, err := st.CreateMember(ctx, sys, model.MemberInput{ResidentID: f.head.ID, OrgID: f.branch, Status: model.MemberFull,
			Category: model.CategoryRetired}); err != nil {
			t.Fatal(err)
		}
		_, err := st.CreateMember(ctx, sys, model.MemberInput{ResidentID: f.head.ID, OrgID: f.group, Status: model.MemberFull, Category: model.CategoryRetired})
		if fieldsOf(err) != "resident_id" || !strings.Contains(err.Error(), "只能属于一个") {
			t.Errorf("member in two branches: %v", err)
		}
		for name, org := range map[string]int64{"street committee": f.street, "functional group": f.functional} {
			if _, err := st.CreateMember(ctx, sys, model.MemberInput{Name: "王五", OrgID: org, Status: model.MemberFull, Category: model.CategoryRetired}); fieldsOf(err) != "org_id" {
				t.Errorf("%s as the one org: %v", name, err)
			}
		}
		// Community staff of the first community cannot place a member in the second's committee.
		staff := mustAccount(t, st, "staff1", model.RoleCommunityStaff, f.tr.community.ID, "")
		if _, err := st.CreateMember(ctx, authz.ForUser(staff), model.MemberInput{Name: "王五", OrgID: f.otherCommittee, Status: model.MemberFull,
			Category: model.CategoryRetired}); fieldsOf(err) != "org_id" {
			t.Errorf("org outside the scope: %v", err)
		}
		all, err := st.Members(ctx, sys, store.MemberFilter{})
		if err != nil || all.Total != 1 {
			t.Errorf("members after bad input: %d, %v", all.Total, err)
		}
		if n := storetest.OrgMembers(t, st, f.group) + storetest.OrgMembers(t, st, f.otherCommittee); n != 0 {
			t.Errorf("counts changed: %d", n)
		}
		if got := residentStatus(t, st, f.head.ID); got != model.StatusPartyMember {
			t.Errorf("head status %s", got)
		}
	})
}

// TestMemberScope: staff by territory; a grid leader the grid's branch; a member account its own
// record, and with the secretary post its org's members; the reporting list is apart.
func TestMemberScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		f := mustMemberFixture(t, st)
		mk := func(in model.MemberInput) *model.Member {
			t.Helper()
			m, err := st.CreateMember(ctx, sys, in)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		inGroup := mk(model.MemberInput{ResidentID: f.head.ID, OrgID: f.group, Status: model.MemberFull, Category: model.CategoryRetired})
		inCommittee := mk(model.MemberInput{Name: "赵六", OrgID: f.committee, Status: model.MemberFull, Category: model.CategoryUnemployed})
		elsewhere := mk(model.MemberInput{Name: "钱七", OrgID: f.otherCommittee, Status: model.MemberFull, Category: model.CategoryRetired, Mobility: model.MobilityOutflow})
		reporting := mk(model.MemberInput{List: model.ListReporting, Name: "孙八", OrgID: f.branch, Status: model.MemberFull,
			Category: model.CategoryInWork, ReportingKind: model.ReportingInWork, HomeOrg: "市教育局机关党委", Workplace: "市教育局"})
		if n := storetest.OrgMembers(t, st, f.branch); n != 0 {
			t.Errorf("a reporting member counted in the branch's registered members: %d", n)
		}
		ids := func(sc authz.Scope, filt store.MemberFilter) []int64 {
			t.Helper()
			p, err := st.Members(ctx, sc, filt)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, m := range p.Items {
				out = append(out, m.ID)
			}
			if int64(len(out)) != p.Total {
				t.Errorf("total %d, items %d", p.Total, len(out))
			}
			return out
		}
		eq := func(what string, got []int64, want ...int64) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %v, want %v", what, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: %v, want %v", what, got, want)
					return
				}
			}
		}
		staff := authz.ForUser(mustAccount(t, st, "staff1", model.RoleCommunityStaff, f.tr.community.ID, ""))
		eq("staff", ids(staff, store.MemberFilter{}), inCommittee.ID, inGroup.ID)
		eq("all", ids(sys, store.MemberFilter{}), inCommittee.ID, inGroup.ID, elsewhere.ID)
		eq("by org subtree", ids(sys, store.MemberFilter{OrgID: f.branch}), inGroup.ID)
		eq("outflow", ids(sys, store.MemberFilter{Mobility: model.MobilityOutflow}), elsewhere.ID)
		eq("reporting list", ids(staff, store.MemberFilter{List: model.ListReporting}), reporting.ID)
		eq("not yet reported", ids(staff, store.MemberFilter{List: model.ListReporting, Reported: "no"}), reporting.ID)
		grid := authz.ForUser(mustAccount(t, st, "grid1", model.RoleGridLeader, f.tr.grid.ID, ""))
		eq("grid leader", ids(grid, store.MemberFilter{}), inGroup.ID)
		if _, err := st.UpdateMember(ctx, grid, inGroup.ID, model.MemberPatch{Workplace: strPtr("某单位")}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("grid leader changes a member: %v", err)
		}

		memberUser := mustAccount(t, st, "member1", model.RoleMember, f.tr.community.ID, "")
		if _, err := st.DB().ExecContext(ctx, `UPDATE party_members SET user_id = `+memberItoa(memberUser.ID)+` WHERE id = `+memberItoa(inCommittee.ID)); err != nil {
			t.Fatal(err)
		}
		me := authz.ForUser(memberUser)
		eq("member: own record", ids(me, store.MemberFilter{}), inCommittee.ID)
		if _, err := st.Member(ctx, me, inGroup.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("member reads another: %v", err)
		}
		if ok, _ := st.ManagesOrg(ctx, me, f.branch); ok {
			t.Error("member manages the branch without a post")
		}
		storetest.MustPost(t, st, f.branch, "secretary", memberUser.ID)
		if ok, err := st.ManagesOrg(ctx, me, f.group); !ok || err != nil {
			t.Errorf("secretary of the branch manages its group: %v %v", ok, err)
		}
		if ok, _ := st.ManagesOrg(ctx, me, f.committee); ok {
			t.Error("branch secretary manages the committee above")
		}
		eq("secretary", ids(me, store.MemberFilter{}), inCommittee.ID, inGroup.ID)
		u, err := st.UpdateMember(ctx, me, inGroup.ID, model.MemberPatch{Workplace: strPtr("退休"), Education: memberPtr(model.EduSenior)})
		if err != nil || u.Workplace != "退休" || u.Education != model.EduSenior {
			t.Errorf("secretary updates: %+v %v", u, err)
		}
		if _, err := st.UpdateMember(ctx, me, inCommittee.ID, model.MemberPatch{Workplace: strPtr("x")}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("member updates own record as if secretary of the committee: %v", err)
		}
		resident := authz.ForUser(mustAccount(t, st, "res1", model.RoleResident, f.tr.community.ID, ""))
		eq("resident", ids(resident, store.MemberFilter{}))
	})
}

func strPtr(s string) *string   { return &s }
func memberPtr[T any](v T) *T   { return &v }
func memberItoa(n int64) string { return strconv.FormatInt(n, 10) }
