package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestTimebankFromActivities: closing a volunteer service activity banks its length (at most
// 8 hours) for every registered taker checked in at it — a volunteer registered by staff, a
// member registered as on its first order — once, with a message; who signed up but was not
// there, who is no taker (a resident) and an activity not published as service bank nothing.
// Two closes at once: one succeeds, the hours are banked once.
func TestTimebankFromActivities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustLifeWorld(t, st, 3)
		vu := storetest.RawUser(t, st, "volunteer", model.RoleResident, w.tr.stairwell)
		vol := authz.ForUser(vu)
		volTaker, err := st.RegisterTaker(ctx, w.staff, store.TakerInput{UserID: vu.ID, Kind: "volunteer", Name: "赵志愿", TerritoryID: w.tr.grid.ID})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
		at(st, start.Add(-24*time.Hour))
		publish := func(title string, service bool, length time.Duration) *model.Activity {
			t.Helper()
			a, err := st.PublishActivity(ctx, w.staff, model.ActivityInput{TerritoryID: w.tr.community.ID, Title: title, StartsAt: start, EndsAt: start.Add(length), Service: service})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		service := publish("敬老院志愿服务", true, 150*time.Minute)
		long := publish("社区大扫除（两天）", true, 30*time.Hour)
		plain := publish("党课学习", false, 2*time.Hour)
		if !service.Service || service.ServiceMinutes() != 150 || long.ServiceMinutes() != model.ServiceMinutesMax || plain.Service {
			t.Fatalf("service %v/%d, long %d, plain %v", service.Service, service.ServiceMinutes(), long.ServiceMinutes(), plain.Service)
		}
		at(st, start.Add(10*time.Minute))
		for _, a := range []*model.Activity{service, long, plain} {
			_, code, _, err := st.ActivityCode(ctx, w.staff, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, sc := range []authz.Scope{vol, w.memberScopes[1], w.resident} {
				if _, err := st.CheckIn(ctx, sc, code); err != nil {
					t.Fatalf("check in at %s: %v", a.Title, err)
				}
			}
			if _, err := st.SignUp(ctx, w.memberScopes[2], a.ID); err != nil { // signed up, never came
				t.Fatal(err)
			}
		}
		at(st, start.Add(3*time.Hour))
		// Two closes of the service activity at once: one succeeds.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = st.SetActivityStatus(ctx, w.staff, service.ID, model.ActivityClosed)
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs...), model.ErrConflict) {
			t.Fatalf("two closes: %v", errs)
		}
		for _, a := range []*model.Activity{long, plain} {
			if _, err := st.SetActivityStatus(ctx, w.staff, a.ID, model.ActivityClosed); err != nil {
				t.Fatal(err)
			}
		}

		balance := func(sc authz.Scope) (int, int64) {
			t.Helper()
			hs, err := st.TimebankHolders(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				if h.Kind == model.HolderTaker {
					return h.Balance, h.ID
				}
			}
			return 0, 0
		}
		want := 150 + model.ServiceMinutesMax
		if got, id := balance(vol); got != want || id != volTaker.ID {
			t.Errorf("the volunteer's balance %d (taker %d), want %d", got, id, want)
		}
		got, memberTaker := balance(w.memberScopes[1])
		if got != want || memberTaker == 0 {
			t.Errorf("the member's balance %d (taker %d), want %d, registered", got, memberTaker, want)
		}
		if got, id := balance(w.memberScopes[2]); got != 0 || id != 0 {
			t.Errorf("who signed up but never came: %d (taker %d)", got, id)
		}
		if n := lifeCount(t, st, `SELECT COUNT(*) FROM timebank_entries WHERE kind = 'earn' AND activity_id IS NOT NULL`); n != 4 {
			t.Errorf("%d earn entries from activities, want 4 (two takers, two service activities)", n)
		}
		if n := lifeCount(t, st, `SELECT COUNT(*) FROM timebank_entries WHERE activity_id = ?`, plain.ID); n != 0 {
			t.Errorf("the activity not published as service banked %d entries", n)
		}
		if n := lifeCount(t, st, `SELECT minutes FROM order_takers WHERE id = ?`, volTaker.ID); n != want {
			t.Errorf("the volunteer's service record %d minutes, want %d", n, want)
		}
		rec, err := st.ServiceRecord(ctx, vol, volTaker.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Balance != want {
			t.Errorf("service record balance %d, want %d", rec.Balance, want)
		}
		if n := lifeCount(t, st, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'timebank.earn'`, vu.ID); n != 2 {
			t.Errorf("the volunteer got %d messages, want 2", n)
		}
		// The ledger cannot be edited, and an earn names exactly one source.
		if _, err := st.DB().ExecContext(ctx, `UPDATE timebank_entries SET minutes = 1`); err == nil {
			t.Error("the ledger took an UPDATE")
		}
	})
}
