package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestOwningBodyPages: the task form offers the owning body (the committee chosen by default),
// a Party organization's task is recorded from it, the list shows and filters by the body, the
// task's page shows it, the meeting form offers it (the Party organization by default), and the
// bodies page counts what the committee owns.
func TestOwningBodyPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		street, staff := f.as(t, "streetadmin"), f.as(t, "staff")
		street.post("/burden/departments", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "name": {"江油市民政局"}, "line": {"民政"}}).want(t, http.StatusSeeOther)
		res := staff.get("/burden/tasks/new").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-task-body option[selected]"), "value"); got != "committee" {
			t.Errorf("the task form's default body: %q", got)
		}
		opts := all(res.Doc, "#f-task-department_id option")
		dept := attr(opts[len(opts)-1], "value")
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		task := func(title, body string) {
			staff.post("/burden/tasks/new", url.Values{"community_id": {fmt.Sprint(f.community.ID)}, "department_id": {dept}, "body": {body},
				"title": {title}, "received_on": {today}, "due_on": {today}}).want(t, http.StatusSeeOther)
		}
		task("党建任务", "party")
		task("社区任务", "committee")
		res = staff.get("/burden?body=party").want(t, http.StatusOK)
		rows := all(res.Doc, "#burden-rows tr")
		if len(rows) != 1 || !strings.Contains(text(rows[0]), "党建任务") || text(one(t, rows[0], ".task-body")) != "党组织" {
			t.Errorf("the Party organization's tasks: %d rows", len(rows))
		}
		res = staff.get("/burden/tasks/"+strings.TrimPrefix(attr(one(t, rows[0], "a"), "href"), "/burden/tasks/")).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#task-body")); got != "党组织" {
			t.Errorf("the task's body: %q", got)
		}

		res = staff.get("/party/meetings/new").want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#f-meeting-body option[selected]"), "value"); got != "party" {
			t.Errorf("the meeting form's default body: %q", got)
		}

		res = staff.get("/bodies?community="+itoa(f.community.ID)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#owned-tasks .stat-value")); got != "1" {
			t.Errorf("the committee's tasks: %q", got)
		}
		if got := attr(one(t, res.Doc, "#owned-tasks a"), "href"); !strings.Contains(got, "body=committee") {
			t.Errorf("the link to the committee's tasks: %q", got)
		}
	})
}
