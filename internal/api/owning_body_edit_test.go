package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type meetingOut = map[string]any

// TestOwningBodyEditAPI: PATCH moves a meeting to the committee with one of the committee's
// types and a task to the Party organization; a type of the other body, a body that is neither,
// another community's staff and a committee meeting scheduled with a Party type are refused
// and change nothing.
func TestOwningBodyEditAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		c2, err := st.CreateTerritory(context.Background(), authz.System(), model.TerritoryInput{ParentID: tr.street.ID, Kind: model.KindCommunity, Name: "东胜社区"})
		if err != nil {
			t.Fatal(err)
		}
		other := f.mustToken(t, model.RoleCommunityStaff, c2)
		org := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", tr.community, 0)
		start := time.Now().In(model.Shanghai).Add(24 * time.Hour).Truncate(time.Minute)
		schedule := func(body, typ string) reply {
			return f.mustDo(t, staff, "POST", "/api/v1/party/meetings", map[string]any{"org_id": id(org), "type": typ, "body": body, "title": "例会",
				"starts_at": start, "ends_at": start.Add(time.Hour)})
		}
		p := mustProblem(t, schedule("committee", "committee_meeting"), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"type"}) {
			t.Errorf("a committee meeting of the Party's type: %v", got)
		}
		ms := mustJSON[struct {
			Items []meetingOut `json:"items"`
		}](t, schedule("", "committee_meeting"), http.StatusCreated)
		m := ms.Items[0]
		url := "/api/v1/party/meetings/" + m["id"].(string)
		for _, c := range []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"body": "committee"}, "type"},
			{map[string]any{"body": "committee", "type": "party_lecture"}, "type"},
			{map[string]any{"type": "residents_assembly"}, "type"},
			{map[string]any{"body": "street", "type": "residents_assembly"}, "body"},
		} {
			p := mustProblem(t, f.mustDo(t, staff, "PATCH", url, c.in), http.StatusUnprocessableEntity)
			if got := fields(p); !slices.Equal(got, []string{c.field}) {
				t.Errorf("%v: fields %v, want %s", c.in, got, c.field)
			}
		}
		mustProblem(t, f.mustDo(t, other, "PATCH", url, map[string]any{"body": "committee", "type": "residents_committee"}), http.StatusNotFound)
		if got := mustJSON[meetingOut](t, f.mustDo(t, staff, "GET", url, nil), http.StatusOK); got["body"] != "party" || got["type"] != "committee_meeting" {
			t.Fatalf("after refused changes: %+v", got)
		}
		got := mustJSON[meetingOut](t, f.mustDo(t, staff, "PATCH", url, map[string]any{"body": "committee", "type": "residents_representatives"}), http.StatusOK)
		if got["body"] != "committee" || got["type"] != "residents_representatives" || got["type_label"] != "居民代表会议" {
			t.Errorf("moved to the committee: %+v", got)
		}

		// Tasks.
		street := f.mustToken(t, model.RoleStreetAdmin, tr.street)
		dept := mustJSON[map[string]any](t, f.mustDo(t, street, "POST", "/api/v1/burden/departments", map[string]any{"owner_id": id(tr.street.ID), "name": "江油市民政局", "line": "民政"}), http.StatusCreated)
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		tk := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "POST", "/api/v1/burden/tasks", map[string]any{"community_id": id(tr.community.ID), "department_id": dept["id"],
			"title": "创文检查", "received_on": today, "due_on": today}), http.StatusCreated)
		turl := "/api/v1/burden/tasks/" + tk.ID
		p = mustProblem(t, f.mustDo(t, staff, "PATCH", turl, map[string]any{"body": "street"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"body"}) {
			t.Errorf("an unknown body: %v", got)
		}
		mustProblem(t, f.mustDo(t, other, "PATCH", turl, map[string]any{"body": "party"}), http.StatusNotFound)
		if got := mustJSON[burdenTaskOut](t, f.mustDo(t, staff, "PATCH", turl, map[string]any{"body": "party"}), http.StatusOK); got.Body != "party" {
			t.Errorf("moved to the Party: %+v", got)
		}
	})
}
