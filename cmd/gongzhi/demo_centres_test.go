package main

import (
	"context"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoCentres: after `gongzhi demo` (twice), the demo community has its two centres with
// rooms (one of them stopped, with past bookings only), past bookings mostly checked in (and
// some no-shows), bookings to come, the resident account among their bookers; nothing twice.
func TestDemoCentres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	sys := authz.System()
	p, err := st.Centres(ctx, sys, store.CentreFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[model.CentreKind]int{}
	for _, c := range p.Items {
		kinds[c.Kind]++
		if c.RoomCount < 2 {
			t.Errorf("%s: %d rooms", c.Name, c.RoomCount)
		}
	}
	if len(p.Items) != 2 || kinds[model.CentreLife] != 1 || kinds[model.CentreCulture] != 1 {
		t.Fatalf("centres %v; want one life and one culture centre", kinds)
	}
	var stopped int
	for _, c := range p.Items {
		full, err := st.Centre(ctx, sys, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range full.Rooms {
			if !r.Active {
				stopped++
			}
		}
	}
	if stopped != 1 {
		t.Errorf("%d stopped rooms, want 1", stopped)
	}
	status := map[model.BookingStatus]int{}
	var upcoming int
	now := time.Now()
	for _, c := range p.Items {
		for d := -14; d <= 6; d++ {
			_, day, err := st.DayBookings(ctx, sys, c.ID, store.DayBookingFilter{Day: model.DayOf(now).AddDate(0, 0, d).Format(time.DateOnly), Limit: store.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range day.Items {
				status[b.Status]++
				if b.Status == model.BookingBooked && b.StartsAt.After(now) {
					upcoming++
				}
			}
		}
	}
	if status[model.BookingCheckedIn] < 20 || status[model.BookingNoShow] < 1 || upcoming < 3 {
		t.Errorf("bookings by status %v, %d to come", status, upcoming)
	}
	acc, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := st.MyBookings(ctx, authz.ForUser(acc), true, 0, "")
	if err != nil || len(mine.Items) == 0 {
		t.Errorf("the resident's bookings to come: %+v, %v", mine, err)
	}
}
