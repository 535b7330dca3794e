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

// TestBodyTerms: a residents' committee term with its members — entered by staff of the
// community only, the members' people checked to be of the community, one term per start day;
// the body's kind from the community's code (a village code makes a villagers' committee); the
// cross appointment found from the Party committee's current post held by the same Party member
// or by a Party member linked to the same resident, and gone when that post ends; decisions the
// body owns, read by a grid leader of the community, not by another community's staff.
func TestBodyTerms(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		staff := authz.ForUser(mustUser(t, st, "bstaff", model.RoleCommunityStaff, tr.community))
		other := authz.ForUser(mustUser(t, st, "bother", model.RoleCommunityStaff, tr.community2))
		grid := authz.ForUser(mustUser(t, st, "bgrid", model.RoleGridLeader, tr.grid))
		h := mustHousehold(t, st, tr.stairwell, "1栋1单元101室", model.ResidentInput{Name: "陈主任", IDNumber: validID("510781", "19700101", 31), Relation: model.RelationHead})
		rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: h.ID})
		if err != nil || len(rs.Items) != 1 {
			t.Fatal(err)
		}
		chen := rs.Items[0].ID
		far := mustHousehold(t, st, tr.stairwell2, "8栋2单元201室", model.ResidentInput{Name: "外人", IDNumber: validID("510781", "19700101", 32), Relation: model.RelationHead})
		farRes, _ := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: far.ID})

		committee := storetest.MustOrg(t, st, "community_committee", "天宝社区党委", tr.community.ID, 0)
		var member, other2 int64
		storetest.Exec(t, st, `INSERT INTO party_members (list, resident_id, name, org_id, path, community_id, status, category, created_at, updated_at)
			SELECT 'registered', ?, '陈主任', ?, path, id, 'full', 'retired', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM territories WHERE id = ? RETURNING id`, chen, committee, tr.community.ID)
		if err := st.DB().QueryRowContext(ctx, `SELECT MAX(id) FROM party_members`).Scan(&member); err != nil {
			t.Fatal(err)
		}
		storetest.Exec(t, st, `INSERT INTO party_members (list, name, org_id, path, community_id, status, category, created_at, updated_at)
			SELECT 'registered', '刘委员', ?, path, id, 'full', 'retired', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM territories WHERE id = ? RETURNING id`, committee, tr.community.ID)
		if err := st.DB().QueryRowContext(ctx, `SELECT MAX(id) FROM party_members`).Scan(&other2); err != nil {
			t.Fatal(err)
		}
		// 陈 is the Party committee's secretary (by the member record of her resident), 刘 its organizer.
		storetest.Exec(t, st, `INSERT INTO party_posts (org_id, post, member_id, starts_on, created_at) VALUES (?, 'secretary', ?, CURRENT_DATE, CURRENT_TIMESTAMP) RETURNING id`, committee, member)
		storetest.Exec(t, st, `INSERT INTO party_posts (org_id, post, member_id, starts_on, created_at) VALUES (?, 'organizer', ?, CURRENT_DATE, CURRENT_TIMESTAMP) RETURNING id`, committee, other2)

		in := model.BodyTermInput{CommunityID: tr.community.ID, StartsOn: "2026-01-01", EndsOn: "2030-12-31", ElectedOn: "2025-12-20",
			ElectionResult: "应到选民 2310 人，实到 1986 人，5 人当选",
			Members: []model.BodyMemberInput{{Post: model.BodyDirector, Name: "陈主任", ResidentID: chen}, {Post: model.BodyDeputy, Name: "刘委员", PartyMemberID: other2},
				{Post: model.BodyCommittee, Name: "张委员"}}}
		if _, err := st.CreateBodyTerm(ctx, grid, in); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a grid leader enters a term: %v", err)
		}
		if _, err := st.CreateBodyTerm(ctx, other, in); firstField(err) != "community_id" {
			t.Errorf("another community's staff: %v", err)
		}
		bad := in
		bad.Members = append([]model.BodyMemberInput{}, in.Members...)
		bad.Members[2].ResidentID = farRes.Items[0].ID
		if _, err := st.CreateBodyTerm(ctx, staff, bad); firstField(err) != "members" {
			t.Errorf("a member of another community: %v", err)
		}
		bad = in
		bad.EndsOn, bad.Members = "2035-01-01", []model.BodyMemberInput{{Post: model.BodyDeputy, Name: "甲"}}
		if _, err := st.CreateBodyTerm(ctx, staff, bad); fieldErrOf(err) == "" {
			t.Errorf("a term of nine years without a director: %v", err)
		}
		b, err := st.CreateBodyTerm(ctx, staff, in)
		if err != nil {
			t.Fatal(err)
		}
		if b.Kind != model.BodyResidents || len(b.Members) != 3 || b.Members[0].Post != model.BodyDirector {
			t.Errorf("term %+v", b)
		}
		if b.Members[0].PartyPost != model.PostSecretary || b.Members[1].PartyPost != model.PostOrganizer || b.Members[2].PartyPost != "" || b.CrossAppointed() != 2 {
			t.Errorf("cross appointments: %q %q %q", b.Members[0].PartyPost, b.Members[1].PartyPost, b.Members[2].PartyPost)
		}
		if _, err := st.CreateBodyTerm(ctx, staff, in); !errors.Is(err, model.ErrConflict) {
			t.Errorf("the same term twice: %v", err)
		}
		storetest.Exec(t, st, `UPDATE party_posts SET ended_at = CURRENT_TIMESTAMP WHERE member_id = ? RETURNING id`, other2)
		if b, err = st.BodyTerm(ctx, grid, b.ID); err != nil || b.Members[1].PartyPost != "" || b.CrossAppointed() != 1 {
			t.Errorf("after the organizer's post ended: %v %+v", err, b)
		}
		if _, err := st.BodyTerm(ctx, other, b.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community reads the term: %v", err)
		}

		if _, err := st.AddBodyDecision(ctx, staff, b.ID, model.BodyDecisionInput{Kind: "vote", On: "2026-03-01", Title: "x"}); firstField(err) != "kind" {
			t.Errorf("a bad kind: %v", err)
		}
		if _, err := st.AddBodyDecision(ctx, other, b.ID, model.BodyDecisionInput{Kind: model.DecisionMeeting, On: "2026-03-01", Title: "居民会议"}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community records a meeting: %v", err)
		}
		for _, d := range []model.BodyDecisionInput{{Kind: model.DecisionMeeting, On: "2026-03-01", Title: "居民代表会议：小区停车收费方案"},
			{Kind: model.DecisionDecision, On: "2026-03-05", Title: "通过停车收费方案", Content: "收费标准公示七天"}} {
			if _, err := st.AddBodyDecision(ctx, staff, b.ID, d); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := st.BodyDecisions(ctx, grid, b.ID, 10)
		if err != nil || len(ds) != 2 || ds[0].Kind != model.DecisionDecision {
			t.Errorf("decisions: %v %+v", err, ds)
		}
		terms, err := st.BodyTerms(ctx, staff, tr.community.ID)
		if err != nil || len(terms) != 1 {
			t.Errorf("terms: %v %d", err, len(terms))
		}

		// A village's code makes a villagers' committee.
		village, err := st.CreateTerritory(ctx, authz.System(), model.TerritoryInput{ParentID: tr.street.ID, Kind: model.KindCommunity, Name: "青莲村", Code: "510781006201"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := st.CreateBodyTerm(ctx, authz.System(), model.BodyTermInput{CommunityID: village.ID, StartsOn: "2026-01-01", EndsOn: "2030-12-31", ElectedOn: "2025-12-01",
			Members: []model.BodyMemberInput{{Post: model.BodyDirector, Name: "村主任"}}})
		if err != nil || v.Kind != model.BodyVillagers || v.Kind.Label() != "村民委员会" {
			t.Errorf("village: %v %+v", err, v)
		}
	})
}
