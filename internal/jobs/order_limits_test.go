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

// TestOrderLimitsJob: the periodic job escalates an order not taken within its category's
// limit to the community, on two instances at once, once.
func TestOrderLimitsJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := mustFixture(t, st)
		h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "点单101室"})
		if err != nil {
			t.Fatal(err)
		}
		cat, err := st.SaveOrderCategory(ctx, authz.System(), f.community.ID, 0, store.OrderCategoryInput{Name: "跑腿", OpenOnPlace: true, TakeWithinHours: 1, FinishWithinHours: 2, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		o, _, err := st.PlaceOrder(ctx, authz.System(), model.OrderInput{CategoryID: cat.ID, HouseholdID: h.ID, Description: "取快递"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(2 * time.Hour)
		st.SetNow(func() time.Time { return later })
		mustQueue(t, st, jobs.Options{OrderLimitsEvery: 30 * time.Millisecond, DutyEvery: -1})
		mustQueue(t, st, jobs.Options{OrderLimitsEvery: 30 * time.Millisecond, DutyEvery: -1})
		deadline := time.Now().Add(2 * time.Minute)
		for {
			got, err := st.Order(ctx, authz.System(), o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == model.OrderEscalated {
				n := 0
				for _, e := range got.History {
					if e.Action == model.ActEscalate {
						n++
					}
				}
				if n != 1 || got.Level != model.LevelCommunity {
					t.Errorf("escalated %d times, level %s", n, got.Level)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not escalated after 2 min: %s", got.Status)
			}
			time.Sleep(30 * time.Millisecond)
		}
	})
}
