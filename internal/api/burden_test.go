package api_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type burdenTaskOut struct {
	ID             string `json:"id"`
	CommunityID    string `json:"community_id"`
	CommunityName  string `json:"community_name"`
	DepartmentID   string `json:"department_id"`
	DepartmentName string `json:"department_name"`
	DepartmentLine string `json:"department_line"`
	OnList         bool   `json:"on_list"`
	DutyID         string `json:"duty_id"`
	DutyCode       string `json:"duty_code"`
	DutyName       string `json:"duty_name"`
	Body           string `json:"body"`
	BodyLabel      string `json:"body_label"`
	Title          string `json:"title"`
	Detail         string `json:"detail"`
	ReceivedOn     string `json:"received_on"`
	DueOn          string `json:"due_on"`
	Status         string `json:"status"`
	StatusLabel    string `json:"status_label"`
	Minutes        int    `json:"minutes"`
	Hours          string `json:"hours"`
	DecisionReason string `json:"decision_reason"`
	DecidedBy      string `json:"decided_by"`
	DecidedAt      string `json:"decided_at"`
	DoneAt         string `json:"done_at"`
	DoneBy         string `json:"done_by"`
	CreatedBy      string `json:"created_by"`
	CreatedAt      string `json:"created_at"`
	CanWork        bool   `json:"can_work"`
	CanDecide      bool   `json:"can_decide"`
}

// TestBurdenAPI: the street keeps its register and list, community staff record tasks on and
// off the list, accept and finish them, the street decides the off-list one (50 racing
// decisions: one 200, 49 409), the view sums the hours; another community's staff get 404.
func TestBurdenAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		street := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		other := mustTerritory(t, st, tr.street, model.KindCommunity, "太白社区")
		otherStaff := f.mustToken(t, model.RoleCommunityStaff, other)

		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/burden/departments", map[string]any{"owner_id": id(tr.street.ID), "name": "民政局", "line": "民政"}), http.StatusForbidden)
		p := mustProblem(t, f.mustDo(t, street, "POST", "/api/v1/burden/departments", map[string]any{"owner_id": id(tr.street.ID), "name": "", "line": "火星"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"line", "name"}) {
			t.Errorf("bad department: %v", got)
		}
		dept := mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/burden/departments", map[string]any{"owner_id": id(tr.street.ID), "name": "江油市民政局", "line": "民政"}), http.StatusCreated)
		mustProblem(t, f.mustDo(t, street, "POST", "/api/v1/burden/departments", map[string]any{"owner_id": id(tr.street.ID), "name": "江油市民政局", "line": "民政"}), http.StatusConflict)
		duty := mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/burden/duties", map[string]any{"owner_id": id(tr.street.ID), "code": "MZ-01", "name": "低保受理", "basis": "《社会救助暂行办法》"}), http.StatusCreated)
		list := mustJSON[struct {
			Items []map[string]any `json:"items"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/burden/duties?community="+id(tr.community.ID)+"&active=true", nil), http.StatusOK)
		if len(list.Items) != 1 {
			t.Errorf("duties for the community: %v", list.Items)
		}

		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		body := map[string]any{"community_id": id(tr.community.ID), "department_id": dept["id"], "duty_id": duty["id"], "title": "低保年审", "received_on": today, "due_on": today}
		p = mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks", map[string]any{"community_id": id(tr.community.ID)}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"department_id", "due_on", "received_on", "title"}) {
			t.Errorf("bad task: %v", got)
		}
		on := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks", body), http.StatusCreated)
		if on.Status != "received" || !on.OnList || on.DutyCode != "MZ-01" || !on.CanWork || on.CanDecide {
			t.Errorf("on the list: %+v", on)
		}
		mustProblem(t, f.mustDo(t, otherStaff, "GET", "/api/v1/burden/tasks/"+on.ID, nil), http.StatusNotFound)
		mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks/"+on.ID+"/accept", nil), http.StatusOK)
		p = mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks/"+on.ID+"/done", map[string]any{"hours": "1.x"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"hours"}) {
			t.Errorf("bad hours: %v", got)
		}
		done := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks/"+on.ID+"/done", map[string]any{"hours": "2.5"}), http.StatusOK)
		if done.Status != "done" || done.Minutes != 150 {
			t.Errorf("done: %+v", done)
		}

		off := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks", with(body, map[string]any{"duty_id": nil, "title": "创文入户调查"})), http.StatusCreated)
		if off.Status != "pending" || off.OnList {
			t.Errorf("off the list: %+v", off)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks/"+off.ID+"/accept", nil), http.StatusConflict)
		mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks/"+off.ID+"/decision", map[string]any{"approve": true, "reason": "同意"}), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, street, "POST", "/api/v1/burden/tasks/"+off.ID+"/decision", map[string]any{"reason": "同意"}), http.StatusUnprocessableEntity)

		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := f.mustDo(t, street, "POST", "/api/v1/burden/tasks/"+off.ID+"/decision", map[string]any{"approve": true, "reason": "临时任务，同意承接"})
				mu.Lock()
				codes[r.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[http.StatusOK] != 1 || codes[http.StatusConflict] != 49 {
			t.Errorf("racing decisions: %v", codes)
		}
		got := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "GET", "/api/v1/burden/tasks/"+off.ID, nil), http.StatusOK)
		if got.Status != "accepted" || got.DecisionReason != "临时任务，同意承接" || got.DecidedBy == "" {
			t.Errorf("decided: %+v", got)
		}

		page := mustJSON[struct {
			Items []burdenTaskOut `json:"items"`
			Total int             `json:"total"`
		}](t, f.mustDo(t, street, "GET", "/api/v1/burden/tasks?on_list=no&territory="+id(tr.street.ID), nil), http.StatusOK)
		if page.Total != 1 || len(page.Items) != 1 {
			t.Errorf("off-list tasks: %+v", page)
		}
		mustProblem(t, f.mustDo(t, street, "GET", "/api/v1/burden/tasks?on_list=maybe", nil), http.StatusUnprocessableEntity)
		view := mustJSON[map[string]any](t, f.mustDo(t, street, "GET", "/api/v1/burden/view?territory="+id(tr.street.ID), nil), http.StatusOK)
		if view["task_minutes"] != 150.0 || view["tasks"] != 2.0 || view["off_list"] != 1.0 || len(view["months"].([]any)) != 12 {
			t.Errorf("view: %+v", view)
		}
		mustProblem(t, f.mustDo(t, otherStaff, "GET", "/api/v1/burden/view?territory="+id(tr.community.ID), nil), http.StatusNotFound)
	})
}
