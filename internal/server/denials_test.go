package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestAnonymousDenialsBounded (issue 6, item 4): 500 requests without a login against the real
// server add at most a handful of audit records (one per route and minute from this source) and
// the counter says 500; a logged-in member's 5 refused requests are 5 records.
func TestAnonymousDenialsBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		ts, _ := errorServer(t, st)
		before := countAudit(t, st, model.AuditDenied)
		for i := range 500 {
			path := "/api/v1/households"
			if i%2 == 1 {
				path = fmt.Sprintf("/api/v1/residents/%d", i) // another route; the id is not part of the key
			}
			req, _ := http.NewRequest("GET", ts.URL+path, nil)
			if a := send(t, req); a.status != http.StatusUnauthorized {
				t.Fatalf("anonymous GET %s = %d, want 401", path, a.status)
			}
		}
		counts, err := st.DenialCounts(ctx, sys, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, c := range counts {
			total += c.Count
		}
		added := countAudit(t, st, model.AuditDenied) - before
		t.Logf("%s: 500 anonymous requests → %d audit records, %d counters summing to %d", st.Engine(), added, len(counts), total)
		if total != 500 {
			t.Errorf("counters sum to %d, want 500", total)
		}
		if added != len(counts) || added > 6 {
			t.Errorf("500 anonymous requests added %d audit records (%d counters), want one per counter, a handful", added, len(counts))
		}

		u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "partner1", Password: "长城-correct-horse-7", Role: model.RoleSystemAdmin})
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := st.CreateSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		// A system admin is refused the subject's own data routes: 403, each recorded.
		before = countAudit(t, st, model.AuditDenied)
		for range 5 {
			req, _ := http.NewRequest("GET", ts.URL+"/api/v1/me/data", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			if a := send(t, req); a.status != http.StatusForbidden {
				t.Fatalf("system admin GET /api/v1/me/data = %d, want 403", a.status)
			}
		}
		if n := countAudit(t, st, model.AuditDenied) - before; n != 5 {
			t.Errorf("a logged-in user's 5 refused requests: %d records, want 5", n)
		}
	})
}

func countAudit(t *testing.T, st *store.Store, result model.AuditResult) int {
	t.Helper()
	n := 0
	f := store.AuditFilter{Result: result, Limit: store.MaxLimit}
	for {
		p, err := st.AuditLog(context.Background(), authz.System(), f)
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
		if p.Next == "" {
			return n
		}
		f.Cursor = p.Next
	}
}
