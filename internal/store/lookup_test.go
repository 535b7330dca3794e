package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestLookupByNumber: an exact lookup by ID number or phone is refused (and the refusal
// recorded) for a role that sees the field masked, needs a reason, returns only what lies in the
// caller's scope, and is recorded with who, which residents and why.
func TestLookupByNumber(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		id := validID("510781", "19580312", 11)
		mustHousehold(t, st, tr.stairwell, "一号楼1单元101",
			model.ResidentInput{Name: "张建国", IDNumber: id, Relation: model.RelationHead, Phone: "13812345678"})
		other := validID("510781", "19600505", 22)
		mustHousehold(t, st, tr.stairwell2, "八号楼2单元201",
			model.ResidentInput{Name: "李秀英", IDNumber: other, Relation: model.RelationHead, Phone: "13912345678"})
		leader := authz.ForUser(mustUser(t, st, "leader", model.RoleUnitLeader, tr.community))
		staff := authz.ForUser(mustUser(t, st, "staff", model.RoleCommunityStaff, tr.community))

		for _, f := range []store.ResidentFilter{{IDNumber: id, Reason: "核实"}, {Phone: "13812345678", Reason: "核实"}} {
			_, err := st.Residents(ctx, leader, f)
			var fe *model.ForbiddenError
			if !errors.As(err, &fe) {
				t.Errorf("unit leader lookup %+v: %v, want a ForbiddenError", f, err)
			}
		}
		if denied := mustAudit(t, st, authz.System(), store.AuditFilter{Action: store.ActionLookup, Result: model.AuditDenied}); len(denied) != 2 || denied[0].ActorName != "leader" {
			t.Errorf("denied lookups recorded: %+v", denied)
		}

		for _, reason := range []string{"", "  ", "查 510781195803120011", "a\nb", strings.Repeat("理", 201)} {
			_, err := st.Residents(ctx, staff, store.ResidentFilter{IDNumber: id, Reason: reason})
			var ve *model.ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != "reason" {
				t.Errorf("reason %q: %v, want a validation error on reason", reason, err)
			}
		}

		p, err := st.Residents(ctx, staff, store.ResidentFilter{IDNumber: strings.ToLower(id), Reason: "核实低保申请"})
		if err != nil || len(p.Items) != 1 || p.Items[0].Name != "张建国" || p.Total != 1 {
			t.Fatalf("staff lookup: %+v, %v", p, err)
		}
		if p, err := st.Residents(ctx, staff, store.ResidentFilter{IDNumber: other, Reason: "核实"}); err != nil || len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("lookup of a number outside the scope: %+v, %v; want nothing", p, err)
		}
		ok := mustAudit(t, st, authz.System(), store.AuditFilter{Action: store.ActionLookup, Result: model.AuditOK})
		if len(ok) != 2 {
			t.Fatalf("%d lookups recorded, want 2", len(ok))
		}
		if r := ok[1]; r.ActorName != "staff" || len(r.ObjectIDs) != 1 || r.ObjectIDs[0] != p.Items[0].ID ||
			!strings.Contains(r.Detail, "reason=核实低保申请") || !strings.Contains(r.Detail, "by=id_number") || strings.Contains(r.Detail, id) {
			t.Errorf("lookup record: %+v", r)
		}
		if r := ok[0]; len(r.ObjectIDs) != 0 || r.Scope != tr.community.Path {
			t.Errorf("empty lookup record: %+v", r)
		}
	})
}

// TestLookupLimit: 50 concurrent lookups by one account with an allowance of 10 an hour: the
// database decides, exactly 10 succeed, 40 are refused with a RateLimitError, and every one is
// recorded. Another account is not affected.
func TestLookupLimit(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine, store.WithLookupLimit(10))
			ctx := context.Background()
			tr := mustTree(t, st)
			id := validID("510781", "19580312", 11)
			mustHousehold(t, st, tr.stairwell, "一号楼1单元101",
				model.ResidentInput{Name: "张建国", IDNumber: id, Relation: model.RelationHead})
			staff := authz.ForUser(mustUser(t, st, "staff", model.RoleCommunityStaff, tr.community))
			const n = 50
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = st.Residents(ctx, staff, store.ResidentFilter{IDNumber: id, Reason: "核实"})
				}()
			}
			wg.Wait()
			succeeded, limited := 0, 0
			for _, err := range errs {
				var rl *model.RateLimitError
				switch {
				case err == nil:
					succeeded++
				case errors.As(err, &rl):
					limited++
					if rl.RetryAfter <= 0 || rl.RetryAfter > store.LookupWindow+time.Second {
						t.Errorf("Retry-After %v", rl.RetryAfter)
					}
				default:
					t.Errorf("lookup: %v", err)
				}
			}
			if succeeded != 10 || limited != 40 {
				t.Errorf("%d succeeded, %d limited; want 10 and 40", succeeded, limited)
			}
			if got := len(mustAudit(t, st, authz.System(), store.AuditFilter{Action: store.ActionLookup, Result: model.AuditOK})); got != 10 {
				t.Errorf("%d lookups recorded ok, want 10", got)
			}
			if got := len(mustAudit(t, st, authz.System(), store.AuditFilter{Action: store.ActionLookup, Result: model.AuditDenied})); got != 40 {
				t.Errorf("%d refusals recorded, want 40", got)
			}
			// The allowance is per account.
			other := authz.ForUser(mustUser(t, st, "staff2", model.RoleCommunityStaff, tr.community))
			if _, err := st.Residents(ctx, other, store.ResidentFilter{IDNumber: id, Reason: "核实"}); err != nil {
				t.Errorf("another account: %v", err)
			}
			if v := mustVerify(t, st); !v.OK() {
				t.Errorf("audit chain after concurrent lookups: %+v", v)
			}
		})
	}
}

// TestRevealResidents: the one way full ID numbers and phones leave the store. A role not
// allowed personal.reveal is refused and recorded; others get the values of the residents in
// their scope only, and a record naming them and the reason is written first. A patch keeps
// the stored number and phone without them ever leaving the store.
func TestRevealResidents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		id := validID("510781", "19580312", 11)
		h := mustHousehold(t, st, tr.stairwell, "一号楼1单元101",
			model.ResidentInput{Name: "张建国", IDNumber: id, Relation: model.RelationHead, Phone: "13812345678"})
		mine := mustResidentNamed(t, st, h, "张建国")
		other := mustResidentNamed(t, st, mustHousehold(t, st, tr.stairwell2, "八号楼",
			model.ResidentInput{Name: "李秀英", IDNumber: validID("510781", "19600505", 22), Relation: model.RelationHead}), "李秀英")
		leader := authz.ForUser(mustUser(t, st, "leader", model.RoleUnitLeader, tr.community))
		staff := authz.ForUser(mustUser(t, st, "staff", model.RoleCommunityStaff, tr.community))

		if _, err := st.RevealResidents(ctx, leader, []int64{mine.ID}, "test"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("unit leader reveal: %v, want ErrForbidden", err)
		}
		if got := mustAudit(t, st, authz.System(), store.AuditFilter{Action: string(authz.PersonalReveal), Result: model.AuditDenied}); len(got) != 1 {
			t.Errorf("%d denied reveals recorded, want 1", len(got))
		}
		vs, err := st.RevealResidents(ctx, staff, []int64{mine.ID, other.ID}, "household=1")
		if err != nil || len(vs) != 1 || vs[mine.ID].IDNumber != id || vs[mine.ID].Phone != "13812345678" {
			t.Fatalf("staff reveal = %+v, %v; want only the resident in scope, in full", vs, err)
		}
		recs := mustAudit(t, st, authz.System(), store.AuditFilter{Action: store.ActionReveal, Result: model.AuditOK})
		if len(recs) != 1 || len(recs[0].ObjectIDs) != 1 || recs[0].ObjectIDs[0] != mine.ID || !strings.Contains(recs[0].Detail, "household=1") || recs[0].ActorName != "staff" {
			t.Errorf("reveal records: %+v", recs)
		}

		name := "张建华"
		r, err := st.PatchResident(ctx, staff, mine.ID, model.ResidentPatch{Name: &name})
		if err != nil || r.Name != name || r.IDNumber.Plain() != id || r.Phone.Plain() != "13812345678" {
			t.Fatalf("patch = %+v, %v", r, err)
		}
		phone := ""
		if r, err = st.PatchResident(ctx, staff, mine.ID, model.ResidentPatch{Phone: &phone}); err != nil || !r.Phone.IsZero() || r.IDNumber.Plain() != id {
			t.Errorf("patch clearing the phone = %+v, %v", r, err)
		}
		if _, err := st.PatchResident(ctx, staff, other.ID, model.ResidentPatch{Name: &name}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("patch outside the scope: %v", err)
		}
	})
}
