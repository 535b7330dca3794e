package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestMeetingBodyPages: the meeting form offers the chosen body's types (the Party's by default,
// the committee's when htmx asks with body=committee, 村民… for a village's org); a committee meeting of a Party type is
// refused at the type field; the meeting's page moves it to the committee with one of the
// committee's types (refused with a Party type, nothing changed) and shows the new type; a
// task's page moves it to the Party organization and refuses a body that is neither.
func TestMeetingBodyPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		staff := f.as(t, "staff")
		org := storetest.PartyOrg(t, st, "community_committee", "", "天宝社区大党委", f.community, 0)
		options := func(res *response) []string {
			var out []string
			for _, o := range all(res.Doc, "#f-meeting-type option") {
				out = append(out, text(o))
			}
			return out
		}
		res := staff.get("/party/meetings/new").want(t, http.StatusOK)
		if got := strings.Join(options(res), ","); got != "支部党员大会,支委会,党小组会,党课" {
			t.Errorf("the Party's types: %s", got)
		}
		if got := attr(one(t, res.Doc, "#f-meeting-body"), "hx-target"); got != "#f-meeting-type-field" {
			t.Errorf("the body select swaps %q", got)
		}
		res = staff.get("/party/meetings/new?body=committee&org_id="+itoa(org)).want(t, http.StatusOK)
		if got := strings.Join(options(res), ","); got != "居民委员会会议,居民代表会议,居民会议" {
			t.Errorf("the committee's types: %s", got)
		}
		// A village names the committee's meetings 村民….
		village, err := st.CreateTerritory(t.Context(), authz.System(), model.TerritoryInput{ParentID: f.street.ID, Kind: model.KindCommunity, Name: "青莲村", Code: "510781006201"})
		if err != nil {
			t.Fatal(err)
		}
		vorg := storetest.PartyOrg(t, st, "community_committee", "", "青莲村党委", village, 0)
		res = f.as(t, "streetadmin").get("/party/meetings/new?body=committee&org_id="+itoa(vorg)).want(t, http.StatusOK)
		if got := strings.Join(options(res), ","); got != "村民委员会会议,村民代表会议,村民会议" {
			t.Errorf("a village committee's types: %s", got)
		}
		start := time.Now().In(model.Shanghai).Add(24 * time.Hour)
		form := func(body, typ string) url.Values {
			return url.Values{"org_id": {itoa(org)}, "body": {body}, "type": {typ}, "title": {"例会"},
				"starts_at": {start.Format("2006-01-02T15:04")}, "ends_at": {start.Add(time.Hour).Format("2006-01-02T15:04")}}
		}
		res = staff.post("/party/meetings/new", form("committee", "branch_assembly")).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-meeting-type-field .field-error")); !strings.Contains(got, "居（村）委会的会议类型") {
			t.Errorf("a committee meeting of a Party type: %q", got)
		}
		if got := strings.Join(options(res), ","); got != "居民委员会会议,居民代表会议,居民会议" {
			t.Errorf("the types offered again: %s", got)
		}
		loc := staff.post("/party/meetings/new", form("party", "committee_meeting")).want(t, http.StatusSeeOther).Header.Get("Location")
		page, _, _ := strings.Cut(loc, "?")

		res = staff.get(page).want(t, http.StatusOK)
		if got := attr(one(t, res.Doc, "#form-meeting-body"), "action"); got != page+"/body" {
			t.Errorf("the body form posts to %q", got)
		}
		res = staff.get(page+"?body=committee&type=committee_meeting", "HX-Request", "true").want(t, http.StatusOK)
		var offered []string
		for _, o := range all(res.Doc, "#f-mbody-type option") {
			offered = append(offered, text(o))
		}
		if got := strings.Join(offered, ","); got != "居民委员会会议,居民代表会议,居民会议" {
			t.Errorf("the page's types for the committee: %s", got)
		}
		res = staff.post(page+"/body", url.Values{"body": {"committee"}, "type": {"committee_meeting"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-mbody-type-field .field-error")); got == "" {
			t.Error("no error at the type")
		}
		res = staff.get(page).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#meeting-type")); got != "支委会" {
			t.Errorf("after a refused change: %q", got)
		}
		staff.post(page+"/body", url.Values{"body": {"committee"}, "type": {"residents_assembly"}}).want(t, http.StatusSeeOther)
		res = staff.get(page).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#meeting-type")) + "/" + text(one(t, res.Doc, "#meeting-body")); got != "居民会议/居（村）委会" {
			t.Errorf("after the change: %q", got)
		}

		// A task moves between the bodies from its page.
		street := f.as(t, "streetadmin")
		street.post("/burden/departments", url.Values{"owner_id": {fmt.Sprint(f.street.ID)}, "name": {"江油市民政局"}, "line": {"民政"}}).want(t, http.StatusSeeOther)
		opts := all(staff.get("/burden/tasks/new").want(t, http.StatusOK).Doc, "#f-task-department_id option")
		today := time.Now().In(model.Shanghai).Format(time.DateOnly)
		loc = staff.post("/burden/tasks/new", url.Values{"community_id": {itoa(f.community.ID)}, "department_id": {attr(opts[len(opts)-1], "value")},
			"title": {"创文检查"}, "received_on": {today}, "due_on": {today}}).want(t, http.StatusSeeOther).Header.Get("Location")
		task, _, _ := strings.Cut(loc, "?")
		res = staff.post(task+"/body", url.Values{"body": {"street"}}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#form-task-body .field-error")); got == "" {
			t.Error("no error for an unknown body")
		}
		staff.post(task+"/body", url.Values{"body": {"party"}}).want(t, http.StatusSeeOther)
		if got := text(one(t, staff.get(task).want(t, http.StatusOK).Doc, "#task-body")); got != "党组织" {
			t.Errorf("the task's body after the change: %q", got)
		}
	})
}
