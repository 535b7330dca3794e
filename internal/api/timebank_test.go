package api_test

import (
	"context"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestTimebankAPI: a volunteer with a household of its own reads its balances, spends on its
// household's order (more than banked: 409 saying what is available, nothing written), gives
// to a household of its community (not of another: 422), finds households by address, prints
// its certificate; staff read and correct the takers of their territory, and no one else.
func TestTimebankAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustFixture(t, st)
		sys := authz.System()
		vol := f.mustToken(t, model.RoleResident, f.tree.stairA)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)
		other := mustTerritory(t, st, f.tree.street, model.KindCommunity, "东胜社区")
		otherStaff := f.mustToken(t, model.RoleCommunityStaff, other)
		var uid int64
		if err := st.DB().QueryRowContext(ctx, `SELECT id FROM users WHERE username = 'resident-`+id(f.tree.stairA.ID)+`'`).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		home, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.tree.stairA.ID, Address: "1栋1单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: home.ID, Name: "赵志愿", IDNumber: validID("510781", "19700101", 601), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, uid, r.ID); err != nil {
			t.Fatal(err)
		}
		neighbour, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.tree.stairB.ID, Address: "2栋1单元202室"})
		if err != nil {
			t.Fatal(err)
		}
		far, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: other.ID, Address: "东胜8栋101室"})
		if err != nil {
			t.Fatal(err)
		}
		taker, err := st.RegisterTaker(ctx, sys, store.TakerInput{UserID: uid, Kind: "volunteer", Name: "赵志愿", TerritoryID: f.tree.gridA.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CorrectTimebank(ctx, sys, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: taker.ID, Minutes: 120, Reason: "期初"}); err != nil {
			t.Fatal(err)
		}
		cats, err := st.OrderCategories(ctx, sys, f.tree.community.ID)
		if err != nil {
			t.Fatal(err)
		}
		o, _, err := st.PlaceOrder(ctx, sys, model.OrderInput{CategoryID: cats[0].ID, HouseholdID: home.ID, Description: "修水管"}, nil)
		if err != nil {
			t.Fatal(err)
		}

		mine := mustJSON[map[string]any](t, f.mustDo(t, vol, "GET", "/api/v1/timebank", nil), 200)
		holders, _ := mine["holders"].([]any)
		if len(holders) != 2 || holders[0].(map[string]any)["balance_minutes"] != 120.0 || holders[0].(map[string]any)["balance_hours"] != "2" ||
			holders[1].(map[string]any)["kind"] != "household" || mine["record"] == nil || mine["entries"].(map[string]any)["total"] != 1.0 {
			t.Fatalf("my time bank: %v", mine)
		}
		entries := func() int {
			var n int
			if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM timebank_entries`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := entries()
		p := mustProblem(t, f.mustDo(t, vol, "POST", "/api/v1/timebank/spends", map[string]any{"order_id": id(o.ID), "minutes": 180}), 409)
		if p.Detail != "余额不足：可用 2 小时，需要 3 小时" || entries() != before {
			t.Errorf("spending more than banked: %+v (%d entries, were %d)", p, entries(), before)
		}
		if p := mustProblem(t, f.mustDo(t, vol, "POST", "/api/v1/timebank/spends", map[string]any{"order_id": id(o.ID), "minutes": 0}), 422); message(p, "minutes") == "" {
			t.Errorf("zero minutes: %+v", p)
		}
		spent := mustJSON[map[string]any](t, f.mustDo(t, vol, "POST", "/api/v1/timebank/spends", map[string]any{"order_id": id(o.ID), "minutes": 60}), 201)
		if spent["minutes"] != -60.0 || spent["kind"] != "spend" || spent["order_id"] != id(o.ID) {
			t.Errorf("spend: %v", spent)
		}
		if p := mustProblem(t, f.mustDo(t, vol, "POST", "/api/v1/timebank/gifts", map[string]any{"household_id": id(far.ID), "minutes": 30}), 422); message(p, "household_id") == "" {
			t.Errorf("a gift outside the community: %+v", p)
		}
		gift := mustJSON[map[string]any](t, f.mustDo(t, vol, "POST", "/api/v1/timebank/gifts", map[string]any{"household_id": id(neighbour.ID), "minutes": 30, "note": "邻里互助"}), 201)
		if gift["minutes"] != -30.0 || gift["counterparty"] != "2栋1单元202室" {
			t.Errorf("gift: %v", gift)
		}
		found := mustJSON[map[string]any](t, f.mustDo(t, vol, "GET", "/api/v1/timebank/households?q=202", nil), 200)
		if items, _ := found["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id(neighbour.ID) {
			t.Errorf("households found: %v", found)
		}
		if p := mustProblem(t, f.mustDo(t, vol, "GET", "/api/v1/timebank/households?q=2", nil), 400); message(p, "q") == "" {
			t.Errorf("a one-character search: %+v", p)
		}
		cert := mustJSON[map[string]any](t, f.mustDo(t, vol, "GET", "/api/v1/timebank/certificate", nil), 200)
		if cert["taker_name"] != "赵志愿" || cert["community"] != "天宝社区" || !strings.HasPrefix(cert["number"].(string), "SJ") {
			t.Errorf("certificate: %v", cert)
		}
		if p := mustProblem(t, f.mustDo(t, vol, "GET", "/api/v1/timebank/certificate?from=yesterday", nil), 400); message(p, "from") == "" {
			t.Errorf("a bad date: %+v", p)
		}

		// Staff of the territory; not another community's, not a resident.
		path := "/api/v1/timebank/takers/" + id(taker.ID)
		view := mustJSON[map[string]any](t, f.mustDo(t, grid, "GET", path, nil), 200)
		if view["entries"].(map[string]any)["total"] != 3.0 {
			t.Errorf("staff's view: %v", view)
		}
		mustProblem(t, f.mustDo(t, otherStaff, "GET", path, nil), 404)
		mustProblem(t, f.mustDo(t, vol, "GET", path, nil), 403)
		mustJSON[map[string]any](t, f.mustDo(t, staff, "GET", path+"/certificate?from=2020-01-01", nil), 200)
		mustProblem(t, f.mustDo(t, grid, "POST", path+"/corrections", map[string]any{"minutes": 30, "reason": "补录"}), 403)
		mustProblem(t, f.mustDo(t, otherStaff, "POST", path+"/corrections", map[string]any{"minutes": 30, "reason": "补录"}), 404)
		if p := mustProblem(t, f.mustDo(t, staff, "POST", path+"/corrections", map[string]any{"minutes": 30}), 422); message(p, "reason") == "" {
			t.Errorf("a correction without a reason: %+v", p)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", path+"/corrections", map[string]any{"minutes": -31, "reason": "多记"}), 409)
		c := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", path+"/corrections", map[string]any{"minutes": -30, "reason": "多记"}), 201)
		if c["kind"] != "correction" || c["minutes"] != -30.0 {
			t.Errorf("correction: %v", c)
		}
		h, err := st.TimebankHolder(ctx, sys, model.HolderTaker, taker.ID)
		if err != nil || h.Balance != 0 {
			t.Errorf("balance after all: %+v, %v", h, err)
		}
	})
}
