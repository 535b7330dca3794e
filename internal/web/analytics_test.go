package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// The composition page: staff see the members of the community by category with the shares and
// a chart element per dimension over its table, the meeting compliance and the study completion; a grid leader may not open it; a node outside
// the scope is not found.
func TestAnalyticsPage(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.grid, 0)
	for i, c := range []model.MemberCategory{model.CategoryRetired, model.CategoryRetired, model.CategoryInWork, model.CategoryUnemployed} {
		_, err := st.CreateMember(ctx, authz.System(), model.MemberInput{Name: "党员" + strconv.Itoa(i), Gender: model.GenderMale, BirthDate: "1950-01-01",
			OrgID: branch, Status: model.MemberFull, JoinedOn: "1980-07-01", FullOn: "1981-07-01", Category: c, Education: model.EduSenior})
		if err != nil {
			t.Fatal(err)
		}
	}
	staff := f.as(t, "staff")
	page := staff.get("/party/analytics?territory_id="+strconv.FormatInt(f.community.ID, 10)).want(t, http.StatusOK)
	if got := text(one(t, page.Doc, "#analytics-registered")); got != "4" {
		t.Errorf("registered = %q, want 4\n%s", got, excerpt(page.Body))
	}
	if !strings.Contains(page.Body, "50.0%") || !strings.Contains(page.Body, "退休") {
		t.Errorf("no retired share of 50.0%%\n%s", excerpt(page.Body))
	}
	if n := len(all(page.Doc, ".analytics-chart[data-chart]")); n != 9 {
		t.Errorf("%d chart elements, want 9 (seven dimensions, meeting compliance, study)", n)
	}
	// The branch has held no meeting: one org, overdue; nothing assigned to study.
	if o, d := text(one(t, page.Doc, "#analytics-life-orgs")), text(one(t, page.Doc, "#analytics-life-overdue")); o != "1" || d != "1" {
		t.Errorf("compliance: %s orgs, %s overdue; want 1 and 1", o, d)
	}
	if a := text(one(t, page.Doc, "#analytics-study-assigned")); a != "0" {
		t.Errorf("study assigned = %s, want 0", a)
	}
	f.as(t, "gridleader").get("/party/analytics").want(t, http.StatusForbidden)
	staff.get("/party/analytics?territory_id="+strconv.FormatInt(f.community2.ID, 10)).want(t, http.StatusNotFound)
}
