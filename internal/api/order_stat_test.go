package api_test

import (
	"net/http"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOrderStatsAPI: staff read the statistics of their subtree (an order placed counts at
// once); a resident may not (403); another grid's node is 404 to a grid leader; bad months are 422 naming
// the field; an unknown parameter is 400.
func TestOrderStatsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		h := f.mustHousehold(t, staff, f.tree.stairA, "1栋1单元201室", person{Name: "王奶奶", IDNumber: validID("510781", "19400101", 611), Relation: "户主"})
		cats := someJSON[struct {
			Items []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"items"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/orders/categories?community="+id(f.tree.community.ID), nil), http.StatusOK)
		for range 2 {
			someJSON[orderOut](t, f.mustDo(t, staff, "POST", "/api/v1/orders", map[string]any{"category_id": cats.Items[0].ID, "household_id": h.ID, "description": "代居民下单"}), http.StatusCreated)
		}
		type figures struct {
			Placed     int64 `json:"placed"`
			Taken      int64 `json:"taken"`
			TimeToTake struct {
				Buckets   []int64 `json:"buckets"`
				P90Bucket int     `json:"p90_bucket"`
			} `json:"time_to_take"`
			Ratings struct {
				Stars []int64 `json:"stars"`
			} `json:"ratings"`
		}
		type stats struct {
			TerritoryID string    `json:"territory_id"`
			From        string    `json:"from"`
			To          string    `json:"to"`
			Total       figures   `json:"total"`
			Months      []figures `json:"months"`
			Categories  []struct {
				Category string `json:"category"`
				figures
			} `json:"categories"`
		}
		got := someJSON[stats](t, f.mustDo(t, staff, "GET", "/api/v1/orders/stats?territory="+id(f.tree.community.ID), nil), http.StatusOK)
		if got.TerritoryID != id(f.tree.community.ID) || got.Total.Placed != 2 || got.Total.Taken != 0 || len(got.Months) != 12 ||
			got.Months[11].Placed != 2 || len(got.Categories) != 1 || got.Categories[0].Category != cats.Items[0].Name ||
			len(got.Total.TimeToTake.Buckets) != 5 || got.Total.TimeToTake.P90Bucket != -1 || len(got.Total.Ratings.Stars) != 5 {
			t.Errorf("stats: %+v", got)
		}
		if other := someJSON[stats](t, f.mustDo(t, staff, "GET", "/api/v1/orders/stats?category=别的", nil), http.StatusOK); other.Total.Placed != 0 {
			t.Errorf("another category: %+v", other)
		}
		res := f.mustToken(t, model.RoleResident, f.tree.stairA)
		mustProblem(t, f.mustDo(t, res, "GET", "/api/v1/orders/stats", nil), http.StatusForbidden)
		other := f.mustToken(t, model.RoleGridLeader, f.tree.gridB)
		mustProblem(t, f.mustDo(t, other, "GET", "/api/v1/orders/stats?territory="+id(f.tree.gridA.ID), nil), http.StatusNotFound)
		if theirs := someJSON[stats](t, f.mustDo(t, other, "GET", "/api/v1/orders/stats", nil), http.StatusOK); theirs.Total.Placed != 0 || theirs.TerritoryID != id(f.tree.gridB.ID) {
			t.Errorf("the other grid's own: %+v", theirs)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/orders/stats?from=2026-13", nil), http.StatusUnprocessableEntity); message(p, "from") == "" {
			t.Errorf("bad month: %+v", p)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/orders/stats?month=2026-01", nil), http.StatusBadRequest)
	})
}
