package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOwningBodyAPI: a task carries its owning body (the committee unless told), is created
// with one, an unknown one is a field error, and the list filters by it.
func TestOwningBodyAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		street := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		dept := mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/burden/departments", map[string]any{"owner_id": id(tr.street.ID), "name": "江油市民政局", "line": "民政"}), http.StatusCreated)
		duty := mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/burden/duties", map[string]any{"owner_id": id(tr.street.ID), "code": "MZ-01", "name": "低保受理", "basis": "《社会救助暂行办法》"}), http.StatusCreated)
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		task := func(body string) map[string]any {
			return map[string]any{"community_id": id(tr.community.ID), "department_id": dept["id"], "duty_id": duty["id"], "title": "低保年审" + body, "received_on": today, "due_on": today, "body": body}
		}
		if got := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks", task("")), http.StatusCreated); got.Body != "committee" || got.BodyLabel != "居（村）委会" {
			t.Errorf("a task saying no body: %+v", got)
		}
		if got := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks", task("party")), http.StatusCreated); got.Body != "party" {
			t.Errorf("a Party organization's task: %+v", got)
		}
		p := mustProblem(t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks", task("street")), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"body"}) {
			t.Errorf("an unknown body: %v", got)
		}
		l := mustJSON[struct {
			Items []burdenTaskOut `json:"items"`
			Total int             `json:"total"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/burden/tasks?body=party", nil), http.StatusOK)
		if len(l.Items) != 1 || l.Items[0].Body != "party" {
			t.Errorf("the Party organization's tasks: %+v", l.Items)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/burden/tasks?body=x", nil), http.StatusUnprocessableEntity)
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/meetings?body=x", nil), http.StatusBadRequest)
	})
}
