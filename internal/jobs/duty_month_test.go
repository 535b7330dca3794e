package jobs_test

import (
	"context"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestDutyMonthJob: the periodic duty month generates a new unit's rotation and reminds the
// month's duty household once, however often it runs, on however many instances.
func TestDutyMonthJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustFixture(t, st)
		var ids []int64
		var heads []int64
		for i := range 3 {
			h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "联建" + string(rune('A'+i)) + "室"})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: h.ID, Name: "户主" + string(rune('A'+i)), IDNumber: idNumber(9000 + i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, h.ID)
			heads = append(heads, r.ID)
		}
		u := storetest.MustUnit(t, st, "联建单元", ids...)
		acct := storetest.RawUser(t, st, "duty_head", model.RoleResident, f.stairwell)
		if err := st.LinkResident(ctx, authz.System(), acct.ID, heads[0]); err != nil {
			t.Fatal(err)
		}
		// Two instances, each running the duty month every 30 ms.
		mustQueue(t, st, jobs.Options{DutyEvery: 30 * time.Millisecond})
		q2 := mustQueue(t, st, jobs.Options{DutyEvery: 30 * time.Millisecond})
		deadline := time.Now().Add(2 * time.Minute) // generous: a busy machine under -race is slow
		for {
			if n, _ := st.UnreadNotifications(ctx, authz.ForUser(acct)); n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no reminder after 2 min")
			}
			time.Sleep(30 * time.Millisecond)
		}
		if err := q2.DutyMonth(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if n, _ := st.UnreadNotifications(ctx, authz.ForUser(acct)); n != 1 {
			t.Errorf("%d reminders, want 1", n)
		}
		if got, _ := st.Unit(ctx, authz.System(), u.ID); got.RotationUntil != (model.ThisMonth(time.Now()) + 11).String() {
			t.Errorf("rotation_until = %q", got.RotationUntil)
		}
	})
}
