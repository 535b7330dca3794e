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

// TestBulkAddMember: members added through a Bulk are on their org's roster with the resident's
// status agreeing, the org counts registered members once, the declared income gives the dues by
// the rates, payments are recorded; a resident already on a roster fails the whole Bulk and
// nothing is written; a street committee cannot register members.
func TestBulkAddMember(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustMemberFixture(t, st)
		sys := authz.System()
		born := func(r *model.Resident) string { return r.BirthDate.Format(time.DateOnly) }
		paid := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		head := store.BulkMember{In: model.MemberInput{ResidentID: f.head.ID, Name: f.head.Name, Gender: f.head.Gender, BirthDate: born(f.head),
			OrgID: f.branch, Status: model.MemberFull, JoinedOn: "1985-07-01", FullOn: "1986-07-01", Category: model.CategoryRetired,
			Education: model.Educations[0]},
			Declared: true, IncomeFen: 400000,
			Payments: []store.BulkPayment{{Month: "2025-03", AmountFen: 2000, PaidOn: paid}, {Month: "2025-04", AmountFen: 2000, PaidOn: paid.AddDate(0, 1, 0), PaidBy: "家属"}}}
		son := store.BulkMember{In: model.MemberInput{ResidentID: f.son.ID, Name: f.son.Name, Gender: f.son.Gender, BirthDate: born(f.son),
			OrgID: f.group, Status: model.MemberProbationary, JoinedOn: time.Now().AddDate(0, -2, 0).Format(time.DateOnly), Category: model.CategoryInWork,
			Education: model.Educations[0]}}
		reporting := store.BulkMember{In: model.MemberInput{List: model.ListReporting, ReportingKind: model.ReportingInWork, HomeOrg: "市教育局机关党委",
			ResidentID: f.spouse.ID, Name: f.spouse.Name, Gender: f.spouse.Gender, BirthDate: born(f.spouse),
			OrgID: f.branch, Status: model.MemberFull, JoinedOn: "1990-07-01", FullOn: "1991-07-01", Category: model.CategoryInWork, Education: model.Educations[0]}}
		err := st.Bulk(ctx, func(b *store.Bulk) error {
			for _, m := range []*store.BulkMember{&head, &son, &reporting} {
				if err := b.AddMember(m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if head.ID == 0 || son.ID != head.ID+1 || reporting.ID != son.ID+1 {
			t.Errorf("ids %d, %d, %d: want consecutive", head.ID, son.ID, reporting.ID)
		}
		if n := storetest.OrgMembers(t, st, f.branch); n != 1 {
			t.Errorf("branch counts %d registered members, want 1 (the reporting member is not counted)", n)
		}
		if n := storetest.OrgMembers(t, st, f.group); n != 1 {
			t.Errorf("group counts %d registered members, want 1", n)
		}
		for _, c := range []struct {
			r    *model.Resident
			want model.PoliticalStatus
		}{{f.head, model.StatusPartyMember}, {f.son, model.StatusProbationary}, {f.spouse, model.StatusPartyMember}} {
			r, err := st.Resident(ctx, sys, c.r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.PoliticalStatus != c.want {
				t.Errorf("%s: political status %q, want %q (as on the roster)", r.Name, r.PoliticalStatus, c.want)
			}
		}
		d, err := st.MemberDues(ctx, sys, head.ID, 2025)
		if err != nil {
			t.Fatal(err)
		}
		if want := model.MonthlyDues(model.CategoryRetired, 400000, false); d.MonthlyFen != want || want != 2000 {
			t.Errorf("monthly dues %d fen, want %d (retired, 4,000 yuan: 0.5 %%)", d.MonthlyFen, want)
		}
		if len(d.Payments) != 2 || d.Payments[1].PaidBy != "家属" {
			t.Errorf("payments %+v, want March and April, April paid by family", d.Payments)
		}
		m, err := st.Member(ctx, sys, son.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.OrgID != f.group || m.Status != model.MemberProbationary || m.Name != f.son.Name {
			t.Errorf("son on the roster: %+v", m)
		}

		// A member in two branches at once: the whole Bulk fails, nothing is written.
		before := memberBulkCount(t, st)
		again := store.BulkMember{In: head.In}
		again.In.OrgID = f.committee
		other := store.BulkMember{In: model.MemberInput{Name: "王芳", Gender: model.Gender("female"), OrgID: f.committee, Status: model.MemberFull,
			JoinedOn: "2000-07-01", FullOn: "2001-07-01", Category: model.CategoryOther, Education: model.Educations[0]}}
		err = st.Bulk(ctx, func(b *store.Bulk) error {
			if err := b.AddMember(&other); err != nil {
				return err
			}
			return b.AddMember(&again)
		})
		if !errors.Is(err, model.ErrConflict) {
			t.Errorf("resident on the roster twice: %v, want a conflict", err)
		}
		if after := memberBulkCount(t, st); after != before {
			t.Errorf("%d members after the failed Bulk, want %d", after, before)
		}
		if n := storetest.OrgMembers(t, st, f.committee); n != 0 {
			t.Errorf("committee counts %d after the failed Bulk", n)
		}

		// A street committee has no members of its own.
		street := store.BulkMember{In: other.In}
		street.In.OrgID = f.street
		err = st.Bulk(ctx, func(b *store.Bulk) error { return b.AddMember(&street) })
		if fieldsOf(err) != "org_id" {
			t.Errorf("member of a street committee: %v, want an error on org_id", err)
		}
	})
}

// memberBulkCount is the number of rows in party_members.
func memberBulkCount(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM party_members`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
