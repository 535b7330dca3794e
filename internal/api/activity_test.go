package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestActivityServiceAPI: staff publish a volunteer service activity (service, service_hours),
// a registered volunteer checks in with the QR code, staff close it: the volunteer's time bank
// holds the hours; a second close is 409 problem+json; a resident may not close (403).
func TestActivityServiceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustFixture(t, st)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		vol := f.mustToken(t, model.RoleResident, f.tree.stairA)
		var uid int64
		if err := st.DB().QueryRowContext(ctx, `SELECT id FROM users WHERE username = 'resident-`+id(f.tree.stairA.ID)+`'`).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RegisterTaker(ctx, authz.System(), store.TakerInput{UserID: uid, Kind: "volunteer", Name: "赵志愿", TerritoryID: f.tree.gridA.ID}); err != nil {
			t.Fatal(err)
		}
		start := time.Now().Add(-30 * time.Minute).UTC().Truncate(time.Minute)
		a := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/party/activities", map[string]any{
			"territory_id": id(f.tree.community.ID), "title": "助老送餐", "starts_at": start, "ends_at": start.Add(90 * time.Minute), "service": true}), 201)
		if a["service"] != true || a["service_hours"] != 1.5 {
			t.Fatalf("published: %v", a)
		}
		aid := a["id"].(string)
		// The QR code is shown on the page (/party/activities/{id}/qr); the store makes it.
		var n int64
		if _, err := fmt.Sscan(aid, &n); err != nil {
			t.Fatal(err)
		}
		_, code, _, err := st.ActivityCode(ctx, authz.System(), n)
		if err != nil {
			t.Fatal(err)
		}
		mustJSON[map[string]any](t, f.mustDo(t, vol, "POST", "/api/v1/party/checkin", map[string]any{"code": code}), 200)
		mustProblem(t, f.mustDo(t, vol, "POST", "/api/v1/party/activities/"+aid+"/close", nil), 403)
		closed := mustJSON[map[string]any](t, f.mustDo(t, staff, "POST", "/api/v1/party/activities/"+aid+"/close", nil), 200)
		if closed["status"] != "closed" {
			t.Errorf("closed: %v", closed)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/party/activities/"+aid+"/close", nil), 409); p.Detail == "" {
			t.Errorf("second close: %+v", p)
		}
		mine := mustJSON[map[string]any](t, f.mustDo(t, vol, "GET", "/api/v1/timebank", nil), 200)
		holders, _ := mine["holders"].([]any)
		if len(holders) == 0 || holders[0].(map[string]any)["balance_minutes"] != 90.0 {
			t.Fatalf("the volunteer's time bank after the activity: %v", mine)
		}
	})
}
