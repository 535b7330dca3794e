package api_test

import (
	"context"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type pointsRuleOut struct {
	CommunityID string `json:"community_id"`
	Source      string `json:"source"`
	SourceLabel string `json:"source_label"`
	Points      int    `json:"points"`
	Default     bool   `json:"default"`
}

type pointsEntryOut struct {
	ID          string  `json:"id"`
	Points      int     `json:"points"`
	Reason      string  `json:"reason"`
	Source      string  `json:"source"`
	SourceLabel string  `json:"source_label"`
	SourceID    *string `json:"source_id"`
	CorrectsID  *string `json:"corrects_id"`
	CreatedAt   string  `json:"created_at"`
}

type standingOut struct {
	Rank        int    `json:"rank"`
	MemberID    string `json:"member_id"`
	Name        string `json:"name"`
	OrgID       string `json:"org_id"`
	OrgName     string `json:"org_name"`
	ServicePost string `json:"service_post"`
	Points      int    `json:"points"`
}

// TestPointsAPI: a community's rules read and set by staff (the next award follows the rule;
// bad values 422; grid leaders 403), a correction appended as a new entry (the total follows,
// the entry stays; an entry of another member 422), and the public profile seen by a member
// of the same branch (its groups included) but not by one of another branch.
func TestPointsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)
		me := f.mustToken(t, model.RoleMember, f.tree.community)
		var meID int64
		if err := st.DB().QueryRowContext(ctx, `SELECT id FROM users WHERE username = 'member-`+id(f.tree.community.ID)+`'`).Scan(&meID); err != nil {
			t.Fatal(err)
		}
		branchA := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.tree.gridA, 0)
		groupA := storetest.PartyOrg(t, st, "building_group", "", "1栋党小组", f.tree.buildingA, branchA)
		branchB := storetest.PartyOrg(t, st, "grid_branch", "", "第二网格党支部", f.tree.gridB, 0)
		mine := storetest.PartyMember(t, st, "王建国", branchA, meID)
		neighbour := storetest.PartyMember(t, st, "李秀英", groupA, 0)
		other := storetest.PartyMember(t, st, "张志强", branchB, 0)

		rules := "/api/v1/party/points/rules?community=" + id(f.tree.community.ID)
		got := mustJSON[struct {
			Items []pointsRuleOut `json:"items"`
		}](t, f.mustDo(t, staff, "GET", rules, nil), 200)
		if len(got.Items) != 5 || got.Items[0].Source != "meeting" || got.Items[0].Points != 2 || !got.Items[0].Default {
			t.Errorf("default rules = %+v", got.Items)
		}
		set := mustJSON[struct {
			Items []pointsRuleOut `json:"items"`
		}](t, f.mustDo(t, staff, "PUT", "/api/v1/party/points/rules", map[string]any{"community_id": id(f.tree.community.ID), "source": "meeting", "points": 4}), 200)
		if set.Items[0].Points != 4 || set.Items[0].Default {
			t.Errorf("after setting meeting = 4: %+v", set.Items[0])
		}
		if p := mustProblem(t, f.mustDo(t, staff, "PUT", "/api/v1/party/points/rules", map[string]any{"community_id": id(f.tree.community.ID), "source": "meeting", "points": 1001}), 422); message(p, "points") == "" {
			t.Errorf("1001 points: %+v", p)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "PUT", "/api/v1/party/points/rules", map[string]any{"community_id": id(f.tree.gridA.ID), "source": "meeting", "points": 1}), 422); message(p, "community_id") == "" {
			t.Errorf("a rule on a grid: %+v", p)
		}
		mustProblem(t, f.mustDo(t, grid, "GET", rules, nil), 403)

		// The next attendance follows the community's rule.
		var entry int64
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			n, err := tx.AwardPoints(ctx, mine, model.PointsMeeting, 77, "组织生活：支部党员大会", 0)
			if n != 4 {
				t.Errorf("awarded %d, want the rule's 4", n)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ledger := mustJSON[struct {
			MemberID string           `json:"member_id"`
			Total    int              `json:"total"`
			Entries  []pointsEntryOut `json:"entries"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/party/points/members/"+id(mine)+"/ledger", nil), 200)
		if ledger.Total != 4 || len(ledger.Entries) != 1 {
			t.Fatalf("ledger = %+v", ledger)
		}
		entryID := ledger.Entries[0].ID
		if err := st.DB().QueryRowContext(ctx, `SELECT id FROM party_points_entries WHERE member_id = `+id(mine)).Scan(&entry); err != nil || id(entry) != entryID {
			t.Fatalf("entry %d %v", entry, err)
		}
		c := mustJSON[pointsEntryOut](t, f.mustDo(t, staff, "POST", "/api/v1/party/points/members/"+id(mine)+"/corrections",
			map[string]any{"entry_id": entryID, "points": -2, "reason": "重复签到"}), 201)
		if c.Source != "correction" || c.CorrectsID == nil || *c.CorrectsID != entryID || c.Points != -2 {
			t.Errorf("correction = %+v", c)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/points/members/"+id(other)+"/corrections",
			map[string]any{"entry_id": entryID, "points": 1, "reason": "错人"}), 422); message(p, "entry_id") == "" {
			t.Errorf("an entry of another member: %+v", p)
		}
		mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/party/points/members/"+id(mine)+"/corrections",
			map[string]any{"entry_id": entryID, "points": 1, "reason": "网格员"}), 403)

		// 亮身份: a member of the same branch (a group under it) yes, another branch no.
		prof := mustJSON[standingOut](t, f.mustDo(t, me, "GET", "/api/v1/party/points/members/"+id(mine), nil), 200)
		if prof.Points != 2 || prof.OrgName != "第一网格党支部" {
			t.Errorf("my profile = %+v; want 2 points after the correction", prof)
		}
		mustJSON[standingOut](t, f.mustDo(t, me, "GET", "/api/v1/party/points/members/"+id(neighbour), nil), 200)
		mustProblem(t, f.mustDo(t, me, "GET", "/api/v1/party/points/members/"+id(other), nil), 404)
		mustJSON[standingOut](t, f.mustDo(t, grid, "GET", "/api/v1/party/points/members/"+id(neighbour), nil), 200)
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/party/points/members/"+id(other), nil), 404)

		// The entries stand: two rows, the first unchanged.
		var rows, first int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*), MIN(points) + 0 FROM party_points_entries WHERE member_id = `+id(mine)+` AND source = 'meeting'`).Scan(&rows, &first); err != nil || rows != 1 || first != 4 {
			t.Errorf("original entry: %d rows, %d points, %v", rows, first, err)
		}
	})
}
