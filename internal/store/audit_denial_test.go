package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestAuditDenialsAggregated: 500 refusals of an anonymous caller add one audit record per
// minute they span (so at most a handful), and the counter says 500; refused logins that anyone
// can cause (unknown username, locked account) are aggregated alike; a logged-in user's 5
// refusals are 5 records.
func TestAuditDenialsAggregated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		sys := authz.System()
		ctx := authz.WithRequest(context.Background(), authz.Request{ID: "r1", Source: "203.0.113.9"})
		const route = "GET /api/v1/households"
		for range 500 {
			if err := st.RecordDenied(ctx, authz.Scope{}, "household.read", route); err != nil {
				t.Fatal(err)
			}
		}
		counts, err := st.DenialCounts(ctx, sys, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		minutes := map[int64]bool{}
		for _, c := range counts {
			if c.Source != "203.0.113.9" || c.Route != route || c.Outcome != "denied" || c.Action != "household.read" {
				t.Errorf("counter %+v", c)
			}
			total += c.Count
			minutes[c.Minute.Unix()] = true
		}
		recs := mustAudit(t, st, sys, store.AuditFilter{Result: model.AuditDenied})
		t.Logf("%s: 500 anonymous denials → %d audit records, %d counters, counted %d", st.Engine(), len(recs), len(counts), total)
		if total != 500 {
			t.Errorf("counters sum to %d, want 500", total)
		}
		if len(recs) != len(minutes) || len(recs) > 3 {
			t.Errorf("%d audit records for 500 anonymous denials over %d minutes, want one per minute", len(recs), len(minutes))
		}

		// Another source is counted apart and gets its own first record.
		other := authz.WithRequest(context.Background(), authz.Request{Source: "198.51.100.7"})
		if err := st.RecordDenied(other, authz.Scope{}, "household.read", route); err != nil {
			t.Fatal(err)
		}
		if n := len(mustAudit(t, st, sys, store.AuditFilter{Result: model.AuditDenied})); n != len(recs)+1 {
			t.Errorf("a second source: %d records, want %d", n, len(recs)+1)
		}

		// A logged-in user's refusals are each recorded.
		u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "m1", Password: "长城-correct-horse-7", Role: model.RoleSystemAdmin})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if err := st.RecordDenied(ctx, authz.ForUser(u), "household.read", route); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(mustAudit(t, st, sys, store.AuditFilter{Actor: "m1", Result: model.AuditDenied})); n != 5 {
			t.Errorf("a logged-in user's 5 denials: %d records, want 5", n)
		}

		// Logins anyone can refuse themselves: unknown username (and a locked account) are
		// aggregated; wrong passwords of an existing account are each recorded up to the lock.
		for range 6 {
			if _, err := st.Authenticate(ctx, "nobody-here", "whatever password"); !errors.Is(err, model.ErrUnauthenticated) {
				t.Fatal(err)
			}
		}
		for range store.MaxFailedLogins + 3 {
			if _, err := st.Authenticate(ctx, "m1", "not the password"); !errors.Is(err, model.ErrUnauthenticated) {
				t.Fatal(err)
			}
		}
		failed := mustAudit(t, st, sys, store.AuditFilter{Action: "auth.login", Result: model.AuditFailed})
		var unknown, m1 int
		for _, r := range failed {
			if r.ActorName == "m1" {
				m1++
			} else {
				unknown++
			}
		}
		// 5 counted failures + the first refusal while locked (per minute); unknown: one per minute.
		if unknown > 3 || m1 < store.MaxFailedLogins+1 || m1 > store.MaxFailedLogins+3 {
			t.Errorf("failed-login records: %d for the unknown name (6 tries), %d for m1 (%d tries)", unknown, m1, store.MaxFailedLogins+3)
		}
		counts, err = st.DenialCounts(ctx, sys, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		byOutcome := map[string]int64{}
		for _, c := range counts {
			byOutcome[c.Outcome] += c.Count
		}
		if byOutcome["failed: unknown username"] != 6 {
			t.Errorf("unknown-username counter = %d, want 6 (%v)", byOutcome["failed: unknown username"], byOutcome)
		}
		if _, err := st.DenialCounts(ctx, authz.Scope{UserID: 7, Role: model.RoleAuditor, Path: "/1/"}, time.Time{}, time.Time{}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a scoped auditor reading the counters: %v", err)
		}
		mustVerify(t, st)
	})
}
