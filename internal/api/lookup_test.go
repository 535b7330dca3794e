package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestLookupByNumberAPI: GET /residents?id_number= or ?phone= is 403 problem+json (recorded as
// denied) for a role that sees the field masked, 422 without a reason, and 429 with Retry-After
// over the account's allowance (3 here), also recorded.
func TestLookupByNumberAPI(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine, store.WithLookupLimit(3))
			f := mustFixture(t, st)
			tr := f.tree
			staff := f.mustToken(t, model.RoleCommunityStaff, tr.community)
			number := validID("510781", "19580312", 11)
			f.mustHousehold(t, staff, tr.stairA, "101室", person{Name: "张建国", IDNumber: number, Phone: "13812345678", Relation: "户主"})
			leader := f.mustToken(t, model.RoleUnitLeader, tr.community)
			reason := "&reason=" + url.QueryEscape("核实住户信息")
			for _, q := range []string{"?id_number=" + number + reason, "?phone=13812345678" + reason} {
				p := mustProblem(t, f.mustDo(t, leader, "GET", "/api/v1/residents"+q, nil), http.StatusForbidden)
				if p.Detail == "" {
					t.Errorf("unit leader %s: no reason in %+v", q, p)
				}
			}
			denied, err := st.AuditLog(context.Background(), authz.System(), store.AuditFilter{Action: store.ActionLookup, Result: model.AuditDenied})
			if err != nil || len(denied.Items) != 2 {
				t.Fatalf("denied lookups recorded: %v, %v", denied, err)
			}

			if p := mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/residents?id_number="+number, nil), http.StatusUnprocessableEntity); len(fields(p)) != 1 || fields(p)[0] != "reason" {
				t.Errorf("lookup without reason: %+v", p)
			}
			for i := range 3 {
				l := mustJSON[listOut[residentOut]](t, f.mustDo(t, staff, "GET", "/api/v1/residents?id_number="+number+reason, nil), http.StatusOK)
				if len(l.Items) != 1 {
					t.Fatalf("lookup %d: %d items", i, len(l.Items))
				}
			}
			r := f.mustDo(t, staff, "GET", "/api/v1/residents?phone=13812345678"+reason, nil)
			p := mustProblem(t, r, http.StatusTooManyRequests)
			if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s <= 0 || s > 3601 {
				t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
			}
			if p.Type != "https://gongzhi.example/problems/rate-limited" || p.Detail == "" {
				t.Errorf("429 problem: %+v", p)
			}
			denied, err = st.AuditLog(context.Background(), authz.System(), store.AuditFilter{Action: store.ActionLookup, Result: model.AuditDenied})
			if err != nil || len(denied.Items) != 3 {
				t.Errorf("refusals recorded: %d, %v; want 3", len(denied.Items), err)
			}
		})
	}
}
