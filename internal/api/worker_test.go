package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// partJSON is mustJSON for answers of which the test reads a part.
func partJSON[T any](tb testing.TB, r reply, want int) T {
	tb.Helper()
	var v T
	if r.status != want {
		tb.Fatalf("status = %v, want %d", r, want)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		tb.Fatalf("decode %s into %T: %v", r.body, v, err)
	}
	return v
}

type workerOut struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Phone         string `json:"phone"`
	IDNumber      string `json:"id_number"`
	Qualification string `json:"qualification"`
	TrainingHours string `json:"training_hours"`
	GridCount     int64  `json:"grid_count"`
	Households    int64  `json:"households"`
	Active        bool   `json:"active"`
	Recruitments  []struct {
		Stage string `json:"stage"`
	} `json:"recruitments"`
}

type visitOut struct {
	ID           string `json:"id"`
	PlaceName    string `json:"place_name"`
	FollowStatus string `json:"follow_status"`
	Minutes      int    `json:"minutes"`
}

// TestWorkerAPI: the roster and visits through the API — bad input 422 naming every field, the
// phone masked in every answer but the audited reveal's, a masked phone sent back keeps the
// stored one, grids and coverage, a grid leader refused the roster but logging a visit in its
// grid (not in another), the places nobody visited, the follow-up closed once, the months.
func TestWorkerAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		grid := f.mustToken(t, model.RoleGridLeader, tr.gridA)
		h := f.mustHousehold(t, staff, tr.stairA, "1栋1单元101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
		hb := f.mustHousehold(t, staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})

		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/workers", map[string]any{"community_id": id(tr.community.ID), "name": "", "position": "网格员",
			"qualification": "phd", "phone": "123"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"name", "phone", "qualification"}) {
			t.Errorf("bad worker: %v", got)
		}
		body := map[string]any{"community_id": id(tr.community.ID), "name": "王芳", "position": "专职网格员", "qualification": "worker",
			"phone": "13912345678", "id_number": validID("510781", "19880808", 21), "hired_on": "2020-05-01"}
		mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/workers", body), http.StatusForbidden)
		w := partJSON[workerOut](t, f.mustDo(t, staff, "POST", "/api/v1/workers", body), http.StatusCreated)
		if w.Phone != "139****5678" || strings.Contains(w.IDNumber, "19880808") {
			t.Errorf("created: %+v", w)
		}
		w = partJSON[workerOut](t, f.mustDo(t, staff, "PUT", "/api/v1/workers/"+w.ID, with(body, map[string]any{"phone": w.Phone, "id_number": w.IDNumber, "name": "王芳芳"})), http.StatusOK)
		w = partJSON[workerOut](t, f.mustDo(t, staff, "PUT", "/api/v1/workers/"+w.ID+"/grids", map[string]any{"grid_ids": []string{id(tr.gridA.ID), id(tr.gridB.ID)}}), http.StatusOK)
		if w.GridCount != 2 || w.Households != 2 {
			t.Errorf("coverage: %+v", w)
		}
		mustProblem(t, f.mustDo(t, staff, "PUT", "/api/v1/workers/"+w.ID+"/grids", map[string]any{"grid_ids": []string{id(tr.buildingA.ID)}}), http.StatusUnprocessableEntity)
		w = partJSON[workerOut](t, f.mustDo(t, staff, "POST", "/api/v1/workers/"+w.ID+"/trainings", map[string]any{"date": "2026-03-01", "title": "社工实务", "hours": "2.5"}), http.StatusCreated)
		w = partJSON[workerOut](t, f.mustDo(t, staff, "POST", "/api/v1/workers/"+w.ID+"/recruitments", map[string]any{"stage": "exam", "date": "2020-03-01", "result": "passed", "score": "88"}), http.StatusCreated)
		if w.TrainingHours != "2.5" || len(w.Recruitments) != 1 {
			t.Errorf("records: %+v", w)
		}
		rv := partJSON[map[string]string](t, f.mustDo(t, staff, "POST", "/api/v1/workers/"+w.ID+"/reveal", map[string]any{"reason": "联系"}), http.StatusOK)
		if rv["phone"] != "13912345678" {
			t.Errorf("reveal: the masked phone sent back changed the stored one: %v", rv)
		}
		list := partJSON[struct{ Items []workerOut }](t, f.mustDo(t, staff, "GET", "/api/v1/workers?phone=13912345678", nil), http.StatusOK)
		if len(list.Items) != 1 || list.Items[0].Name != "王芳芳" {
			t.Errorf("phone search: %+v", list)
		}
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/workers", nil), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/workers?qualification=x", nil), http.StatusUnprocessableEntity)

		// Visits.
		v := partJSON[visitOut](t, f.mustDo(t, grid, "POST", "/api/v1/visits", map[string]any{"household_id": h.ID, "findings": "独居老人，血压偏高", "follow_up": "联系社区医生"}), http.StatusCreated)
		if v.FollowStatus != "open" || v.Minutes != 30 || !strings.Contains(v.PlaceName, "101室") {
			t.Errorf("visit: %+v", v)
		}
		p = mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/visits", map[string]any{"household_id": hb.ID, "findings": "看看"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"household_id"}) {
			t.Errorf("a household of another grid: %v", got)
		}
		mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/visits", map[string]any{"territory_id": id(tr.buildingA.ID), "findings": "", "minutes": 900}), http.StatusUnprocessableEntity)
		un := partJSON[struct {
			Items []struct{ Name string }
			Total int
		}](t, f.mustDo(t, staff, "GET", "/api/v1/visits/unvisited?days=7&kind=building", nil), http.StatusOK)
		if len(un.Items) != 1 || un.Items[0].Name != "2栋" {
			t.Errorf("unvisited: %+v", un)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/visits/unvisited?days=abc", nil), http.StatusBadRequest)
		partJSON[visitOut](t, f.mustDo(t, staff, "POST", "/api/v1/visits/"+v.ID+"/follow-up-done", nil), http.StatusOK)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/visits/"+v.ID+"/follow-up-done", nil), http.StatusConflict)
		vs := partJSON[struct{ Items []visitOut }](t, f.mustDo(t, grid, "GET", "/api/v1/visits?mine=true", nil), http.StatusOK)
		if len(vs.Items) != 1 || vs.Items[0].FollowStatus != "done" {
			t.Errorf("my visits: %+v", vs)
		}
		months := partJSON[struct {
			Items []struct {
				Month  string
				Visits int
			}
		}](t, f.mustDo(t, staff, "GET", "/api/v1/visits/months?community="+id(tr.community.ID), nil), http.StatusOK)
		if len(months.Items) != 12 || months.Items[11].Visits != 1 {
			t.Errorf("months: %+v", months)
		}
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/visits/months?community="+id(tr.community.ID), nil), http.StatusForbidden)
	})
}
