package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestAuditPage: a reveal and an export through the pages are recorded; the auditor of
// community 2 finds the reveal by actor and action on /audit and sees nothing of community 1;
// other roles may not open the page.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{Jobs: startedQueue(t, st)})
		if _, err := st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: "auditor2", DisplayName: "审计",
			Password: password, Role: model.RoleAuditor, ScopeID: f.community2.ID, TOTPSecret: totpSecret}); err != nil {
			t.Fatal(err)
		}
		f.as(t, "streetadmin").get(fmt.Sprintf("/households/%d?reveal=1", f.household2.ID)).want(t, http.StatusOK)
		staff := f.as(t, "staff")
		_, res := followJob(t, staff, staff.post("/households/export", url.Values{}))
		if got := attr(one(t, res.Doc, "#job-status"), "data-status"); got != "succeeded" {
			t.Fatalf("export job ended %q", got)
		}
		p, err := st.AuditLog(context.Background(), authz.System(), store.AuditFilter{Action: "household.export"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].ActorName != "staff" || !strings.Contains(p.Items[0].Detail, "households=0") {
			t.Errorf("export records = %+v", p.Items)
		}

		aud := f.as(t, "auditor2")
		res = aud.get("/audit?actor=streetadmin&action=reveal").want(t, http.StatusOK)
		rows := all(res.Doc, "#results tbody tr")
		if len(rows) != 1 {
			t.Fatalf("auditor's search: %d rows, want 1:\n%s", len(rows), excerpt(res.Body))
		}
		if got := text(one(t, rows[0], "td[data-label=操作]")); got != "resident.reveal" {
			t.Errorf("action cell = %q", got)
		}
		if got := text(one(t, rows[0], "td[data-label=账号]")); !strings.Contains(got, "streetadmin") {
			t.Errorf("actor cell = %q", got)
		}
		// Community 1's records (its nodes, the staff's export) stay out of community 2's view.
		res = aud.get("/audit").want(t, http.StatusOK)
		for _, cell := range texts(res.Doc, "#results tbody td[data-label=账号]") {
			if strings.Contains(cell, "staff") && !strings.Contains(cell, "streetadmin") {
				t.Errorf("community 2's auditor sees a record of community 1's staff: %q", cell)
			}
		}
		// A bad date is an error above an empty table, not an error page.
		res = aud.get("/audit?from=yesterday").want(t, http.StatusOK)
		one(t, res.Doc, ".error-summary")
		if n := len(all(res.Doc, "#results tbody tr")); n != 0 {
			t.Errorf("bad filter shows %d rows", n)
		}
		f.as(t, "staff").get("/audit").want(t, http.StatusForbidden)
		// The menu shows the page to the auditor only.
		if len(all(aud.get("/services").want(t, http.StatusOK).Doc, "a[href=\"/audit\"]")) == 0 {
			t.Error("the auditor's services page has no link to /audit")
		}
	})
}

// TestAuditVerifyPage: the audit page offers the verify form to the auditor; verifying shows
// "完好" and the head; that head given back verifies; a forged head is 422 with the error on the
// field and is an audit record; a malformed head is 422 and nothing runs; staff may not verify.
func TestAuditVerifyPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		if _, err := st.CreateUser(context.Background(), authz.System(), store.UserInput{Username: "auditor2", DisplayName: "审计",
			Password: password, Role: model.RoleAuditor, ScopeID: f.community2.ID, TOTPSecret: totpSecret}); err != nil {
			t.Fatal(err)
		}
		aud := f.as(t, "auditor2")
		one(t, aud.get("/audit").want(t, http.StatusOK).Doc, `form[action="/audit/verify"] input[name=expect_head]`)

		res := aud.post("/audit/verify", url.Values{}).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#verify-result h2")); got != "审计日志完好" {
			t.Errorf("verify result = %q", got)
		}
		head := text(one(t, res.Doc, "#audit-head"))
		if !regexp.MustCompile(`^\d+:[0-9a-f]{64}$`).MatchString(head) {
			t.Fatalf("head = %q", head)
		}
		aud.post("/audit/verify", url.Values{"expect_head": {head}}).want(t, http.StatusOK)

		id, _, _ := strings.Cut(head, ":")
		res = aud.post("/audit/verify", url.Values{"expect_head": {id + ":" + strings.Repeat("0", 64)}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, ".error-summary")
		if got := text(one(t, res.Doc, "#verify-result h2")); got != "校验未通过" {
			t.Errorf("forged head: result %q", got)
		}
		if got := text(one(t, res.Doc, ".field-error")); !strings.Contains(got, "不同") {
			t.Errorf("forged head: field error %q", got)
		}
		p, err := st.AuditLog(context.Background(), authz.System(), store.AuditFilter{Action: "audit.verify"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 3 || p.Items[0].Result != model.AuditFailed || p.Items[0].ActorName != "auditor2" {
			t.Errorf("audit.verify records = %+v", p.Items)
		}

		res = aud.post("/audit/verify", url.Values{"expect_head": {"not a head"}}).want(t, http.StatusUnprocessableEntity)
		if len(all(res.Doc, "#verify-result")) != 0 {
			t.Error("a malformed head ran a verification")
		}
		one(t, res.Doc, ".error-summary")
		f.as(t, "staff").post("/audit/verify", url.Values{}).want(t, http.StatusForbidden)
	})
}
