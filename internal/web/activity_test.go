package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestActivityClosePage: a volunteer service activity's page says what it banks; staff close it
// from the page (the hint says the checked-in volunteers earn their hours), after which it
// offers no close again; a member sees no close form.
func TestActivityClosePage(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx := context.Background()
	start := f.clock.Now().Add(time.Hour).Truncate(time.Minute)
	a, err := st.PublishActivity(ctx, authz.System(), model.ActivityInput{TerritoryID: f.community.ID, Title: "助老送餐", StartsAt: start, EndsAt: start.Add(2 * time.Hour), Service: true})
	if err != nil {
		t.Fatal(err)
	}
	path := "/party/activities/" + strconv.FormatInt(a.ID, 10)
	staff := f.as(t, "staff")
	page := staff.get(path).want(t, http.StatusOK)
	if got := text(one(t, page.Doc, "#activity-service")); !strings.Contains(got, "2 小时") {
		t.Errorf("service row %q", got)
	}
	if got := text(one(t, page.Doc, "#form-activity-close")); !strings.Contains(got, "服务时长") {
		t.Errorf("close form %q", got)
	}
	if n := len(all(f.as(t, "member").get(path).want(t, http.StatusOK).Doc, "#form-activity-close")); n != 0 {
		t.Error("a member is offered to close the activity")
	}
	staff.post(path+"/close", url.Values{}).want(t, http.StatusSeeOther)
	after := staff.get(path).want(t, http.StatusOK)
	if n := len(all(after.Doc, "#form-activity-close")); n != 0 {
		t.Error("a closed activity still offers to close")
	}
	if got := text(one(t, after.Doc, ".page-title .lead")); !strings.Contains(got, "已结束") {
		t.Errorf("status after closing %q", got)
	}
	staff.post(path+"/close", url.Values{}).want(t, http.StatusConflict)
}
