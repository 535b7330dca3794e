package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestCentreBooking: a resident books a room of the community's culture centre from the phone —
// the centres list, the centre's rooms, tomorrow's chip, a free slot tapped once — and lands on
// its bookings; a neighbour who had the same slot on screen taps it a moment later and is told
// on the same page that it is taken, the slot now shown as booked; staff see the day's booking
// with the resident's name and a check-in button — on the phone and at desktop size.
func TestCentreBooking(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			cs, err := a.st.Territories(bg, sys, store.TerritoryFilter{Kind: model.KindCommunity, Limit: 10})
			if err != nil || len(cs.Items) != 1 {
				t.Fatalf("the community: %+v, %v", cs, err)
			}
			community := cs.Items[0]
			for i, name := range []string{"zhangjia", "lijia"} {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19580311", fmt.Sprintf("%03d", 500+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: []string{"张家户主", "李家户主"}[i], IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: name, DisplayName: []string{"张建国", "李秀英"}[i], Password: "book a room 2026 冬至", Role: model.RoleResident, ScopeID: stair.ID})
				if err != nil {
					t.Fatal(err)
				}
				if err := a.st.LinkResident(bg, sys, u.ID, r.ID); err != nil {
					t.Fatal(err)
				}
			}
			c, err := a.st.CreateCentre(bg, sys, model.CentreInput{CommunityID: community.ID, Name: "天宝社区文化活动中心", Kind: model.CentreCulture,
				Address: "文化广场东侧", Hours: []string{"08:00-21:00", "08:00-21:00", "08:00-21:00", "08:00-21:00", "08:00-21:00", "08:00-21:00", "08:00-21:00"}})
			if err != nil {
				t.Fatal(err)
			}
			room, err := a.st.AddCentreRoom(bg, sys, c.ID, model.RoomInput{Name: "书画室", Kind: model.RoomRoom, Capacity: 20, SlotMinutes: 60, MaxSlots: 3})
			if err != nil {
				t.Fatal(err)
			}
			dance, err := a.st.AddCentreRoom(bg, sys, c.ID, model.RoomInput{Name: "舞蹈排练厅", Kind: model.RoomRoom, Capacity: 30, SlotMinutes: 60, MaxSlots: 3})
			if err != nil {
				t.Fatal(err)
			}
			tomorrow := model.DayOf(time.Now()).AddDate(0, 0, 1).Format(time.DateOnly)

			// The neighbour has tomorrow's slots on screen, 10:00 free.
			nb := mustBrowser(t, vp)
			nstep, ntext := steps(t, nb)
			nstep("the neighbour opens tomorrow's slots", append(login(a, "lijia", "book a room 2026 冬至", ""),
				chromedp.Navigate(fmt.Sprintf("%s/centres/%d/book?room=%d&day=%s", a.url, c.ID, room.ID, tomorrow)),
				chromedp.WaitVisible(chromedp.CSS(`button#slot-1000`)))...)

			// The resident books it from the phone: list → centre → room → tomorrow → 10:00.
			res := mustBrowser(t, vp)
			rstep, rtext := steps(t, res)
			rstep("the resident opens the centres", append(login(a, "zhangjia", "book a room 2026 冬至", ""),
				chromedp.Navigate(a.url+"/centres"),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#centre-%d`, c.ID))),
				shot(t, vp, "centres-01-list"))...)
			// On the phone the week's hours stay inside the centre's card: the card is not wider
			// than the screen, its values not pushed out of sight.
			noLayoutFaults(t, res, "/centres")
			rstep("the resident opens the centre",
				press(fmt.Sprintf(`#centre-%d a[href="/centres/%d"]`, c.ID, c.ID)),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#book-room-%d`, room.ID))),
				shot(t, vp, "centres-02-centre"))
			rstep("pick the room and tomorrow",
				press(fmt.Sprintf(`#book-room-%d`, room.ID)),
				chromedp.WaitVisible(chromedp.CSS(`#form-book`)),
				pressAway(fmt.Sprintf(`.day-chips a[href*="day=%s"]`, tomorrow)), // today's page may have a 10:00 slot too
				chromedp.WaitVisible(chromedp.CSS(`button#slot-1000`)),
				chromedp.SetValue(chromedp.CSS(`input[name=purpose]`), "老年书法班"),
				shot(t, vp, "centres-03-slots"))
			rstep("tap 10:00",
				press(`button#slot-1000`),
				chromedp.WaitVisible(chromedp.CSS(`.booking-item`)),
				shot(t, vp, "centres-04-booked"))
			if s := rtext(`.booking-list`); !strings.Contains(s, tomorrow+" 10:00–11:00") || !strings.Contains(s, "书画室") || !strings.Contains(s, "已预约") {
				t.Errorf("the resident's bookings: %q", s)
			}

			// The neighbour taps the same slot a moment later: refused, the slot shown taken.
			nstep("the neighbour taps 10:00 too",
				press(`button#slot-1000`),
				chromedp.WaitVisible(chromedp.CSS(`#book-conflict`)),
				shot(t, vp, "centres-05-refused"))
			if s := ntext(`#book-conflict`); !strings.Contains(s, "该时段已被预约") {
				t.Errorf("the second booking: %q", s)
			}
			if s := ntext(`#slot-1000`); !strings.Contains(s, "已约") {
				t.Errorf("the taken slot: %q", s)
			}
			if _, day, err := a.st.DayBookings(bg, sys, c.ID, store.DayBookingFilter{Day: tomorrow}); err != nil || day.Total != 1 {
				t.Errorf("tomorrow's bookings: %+v, %v; want the one", day, err)
			}

			// Staff at the desk: the day's booking with the name and check-in.
			staff := mustBrowser(t, vp)
			sstep, stext := steps(t, staff)
			sstep("staff see tomorrow's bookings", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(fmt.Sprintf("%s/centres/%d/bookings?day=%s", a.url, c.ID, tomorrow)),
				chromedp.WaitVisible(chromedp.CSS(`#results tbody tr`)),
				shot(t, vp, "centres-06-staff-day"))...)
			if s := stext(`#results tbody`); !strings.Contains(s, "张建国") || !strings.Contains(s, "签到") {
				t.Errorf("the staff's day: %q", s)
			}

			// Staff stop rooms: the booked one is refused while its booking is to come; the other
			// stops, and the resident's centre page no longer offers it.
			booked, free := fmt.Sprintf(`#room-%d`, room.ID), fmt.Sprintf(`#room-%d`, dance.ID)
			sstep("stopping the booked room is refused",
				chromedp.Navigate(fmt.Sprintf("%s/centres/%d", a.url, c.ID)),
				press(booked+` summary`),
				chromedp.WaitVisible(chromedp.CSS(booked+` input[name=active]`)),
				press(booked+` input[name=active]`),
				press(fmt.Sprintf(`#save-room-%d`, room.ID)),
				chromedp.WaitVisible(chromedp.CSS(booked+` .field-error`)),
				shot(t, vp, "centres-07-stop-refused"))
			if s := stext(booked + ` .field-error`); !strings.Contains(s, "尚未开始的预约") {
				t.Errorf("stopping a booked room: %q", s)
			}
			sstep("stop the other room",
				chromedp.Navigate(fmt.Sprintf("%s/centres/%d", a.url, c.ID)),
				press(free+` summary`),
				chromedp.WaitVisible(chromedp.CSS(free+` input[name=active]`)),
				press(free+` input[name=active]`),
				press(fmt.Sprintf(`#save-room-%d`, dance.ID)),
				chromedp.WaitVisible(chromedp.CSS(`.notice`)),
				chromedp.WaitVisible(chromedp.CSS(free)),
				shot(t, vp, "centres-08-stopped"))
			if s := stext(free); !strings.Contains(s, "已停用") {
				t.Errorf("the stopped room: %q", s)
			}
			rstep("the resident's centre page",
				chromedp.Navigate(fmt.Sprintf("%s/centres/%d", a.url, c.ID)),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#book-room-%d`, room.ID))))
			if n, err := chromedp.Run(res, chromedp.Evaluate[int](`document.querySelectorAll('`+free+`, #book-room-`+itoa(dance.ID)+`').length`)); err != nil || n != 0 {
				t.Errorf("the stopped room is still offered to the resident (%d elements, %v)", n, err)
			}
		})
	}
}
