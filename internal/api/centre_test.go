package api_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type roomOut struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	KindLabel   string `json:"kind_label"`
	Capacity    int    `json:"capacity"`
	SlotMinutes int    `json:"slot_minutes"`
	MaxSlots    int    `json:"max_slots"`
	Active      bool   `json:"active"`
}

type centreOut struct {
	ID            string    `json:"id"`
	CommunityID   string    `json:"community_id"`
	CommunityName string    `json:"community_name"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"`
	KindLabel     string    `json:"kind_label"`
	Address       string    `json:"address"`
	Hours         []string  `json:"hours"`
	Active        bool      `json:"active"`
	RoomCount     int       `json:"room_count"`
	Rooms         []roomOut `json:"rooms"`
	ClosedDays    []struct {
		Day    string `json:"day"`
		Reason string `json:"reason"`
	} `json:"closed_days"`
	CreatedAt string `json:"created_at"`
	CanManage bool   `json:"can_manage"`
	CanBook   bool   `json:"can_book"`
}

type bookingOut struct {
	ID          string `json:"id"`
	CentreID    string `json:"centre_id"`
	CentreName  string `json:"centre_name"`
	RoomID      string `json:"room_id"`
	RoomName    string `json:"room_name"`
	RoomKind    string `json:"room_kind"`
	BookerName  string `json:"booker_name"`
	Mine        bool   `json:"mine"`
	Purpose     string `json:"purpose"`
	People      int    `json:"people"`
	Day         string `json:"day"`
	StartsAt    string `json:"starts_at"`
	EndsAt      string `json:"ends_at"`
	Slots       int    `json:"slots"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	CheckedAt   string `json:"checked_at"`
	CancelledAt string `json:"cancelled_at"`
	CreatedAt   string `json:"created_at"`
	CanCancel   bool   `json:"can_cancel"`
	CanCheckIn  bool   `json:"can_check_in"`
}

type slotsOut struct {
	CentreID string  `json:"centre_id"`
	Room     roomOut `json:"room"`
	Day      string  `json:"day"`
	Hours    string  `json:"hours"`
	Closed   string  `json:"closed"`
	Slots    []struct {
		Start  string `json:"start"`
		End    string `json:"end"`
		Free   bool   `json:"free"`
		Booked bool   `json:"booked"`
		Past   bool   `json:"past"`
	} `json:"slots"`
}

// apiDay is the date n days from today in Shanghai; apiHours opens 08:00–20:00 every weekday
// but that of day closedIn.
func apiDay(n int) string { return model.DayOf(time.Now()).AddDate(0, 0, n).Format(time.DateOnly) }

func apiHours(closedIn int) []string {
	hours := slices.Repeat([]string{"08:00-20:00"}, 7)
	d := model.DayOf(time.Now()).AddDate(0, 0, closedIn)
	hours[(int(d.Weekday())+6)%7] = ""
	return hours
}

// centreAPIWorld: a centre of the fixture's community with a room, a resident and a neighbour
// of it, and a resident of another community with a centre of its own.
type centreAPIWorld struct {
	f                         *fixture
	staff, voter, neighbour   string
	outsider                  string
	centre, room, otherCentre string
	otherRoom                 string
}

func mustCentreAPIWorld(t *testing.T, st *store.Store) centreAPIWorld {
	t.Helper()
	f := mustFixture(t, st)
	tr := f.tree
	w := centreAPIWorld{f: f, staff: f.mustToken(t, model.RoleCommunityStaff, tr.community)}
	a := f.mustHousehold(t, w.staff, tr.stairA, "1栋1单元101室", person{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: "户主"})
	b := f.mustHousehold(t, w.staff, tr.stairB, "2栋1单元201室", person{Name: "李秀英", IDNumber: validID("510781", "19600505", 12), Relation: "户主"})
	w.voter = f.mustLinkedResident(t, tr.stairA, a.Residents[0].ID)
	w.neighbour = f.mustLinkedResident(t, tr.stairB, b.Residents[0].ID)
	other := mustTerritory(t, st, tr.street, model.KindCommunity, "太白社区")
	otherStair := mustTerritory(t, st, mustTerritory(t, st, other, model.KindGrid, "第一网格"), model.KindStairwell, "1单元")
	admin := f.mustToken(t, model.RoleStreetAdmin, tr.street)
	far := f.mustHousehold(t, admin, otherStair, "5栋1单元101室", person{Name: "赵外人", IDNumber: validID("510781", "19700707", 13), Relation: "户主"})
	w.outsider = f.mustLinkedResident(t, otherStair, far.Residents[0].ID)
	c := mustJSON[centreOut](t, f.mustDo(t, w.staff, "POST", "/api/v1/centres", map[string]any{"community_id": id(tr.community.ID), "name": "天宝社区生活服务中心",
		"kind": "life", "address": "天宝路8号", "hours": apiHours(3)}), http.StatusCreated)
	w.centre = c.ID
	w.room = mustJSON[roomOut](t, f.mustDo(t, w.staff, "POST", "/api/v1/centres/"+c.ID+"/rooms", map[string]any{"name": "多功能活动室", "kind": "room", "capacity": 30, "max_slots": 3}), http.StatusCreated).ID
	oc := mustJSON[centreOut](t, f.mustDo(t, admin, "POST", "/api/v1/centres", map[string]any{"community_id": id(other.ID), "name": "太白文化活动中心",
		"kind": "culture", "hours": apiHours(3)}), http.StatusCreated)
	w.otherCentre = oc.ID
	w.otherRoom = mustJSON[roomOut](t, f.mustDo(t, admin, "POST", "/api/v1/centres/"+oc.ID+"/rooms", map[string]any{"name": "书画室", "kind": "room", "capacity": 10}), http.StatusCreated).ID
	return w
}

// TestCentreAPI: centres, rooms and closed days made by staff; a resident reads its
// community's centre and its free slots, books (bad input 422 naming the field in Chinese,
// nothing written; a second booking of a slot 409), lists and cancels its bookings; staff see
// the day's bookings with names and check people in; another community's resident gets 404.
func TestCentreAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustCentreAPIWorld(t, st)
		f := w.f
		one := "/api/v1/centres/" + w.centre

		p := mustProblem(t, f.mustDo(t, w.staff, "POST", "/api/v1/centres", map[string]any{"community_id": id(f.tree.community.ID), "name": "", "kind": "x", "hours": []string{"", "", "", "", "", "", "9点"}}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"hours.6", "kind", "name"}) {
			t.Errorf("a bad centre: %v", got)
		}
		mustProblem(t, f.mustDo(t, w.voter, "POST", "/api/v1/centres", map[string]any{"community_id": id(f.tree.community.ID), "name": "x", "kind": "life", "hours": apiHours(3)}), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, w.staff, "POST", one+"/rooms", map[string]any{"name": "多功能活动室", "kind": "room", "capacity": 5}), http.StatusConflict)
		mustJSON[centreOut](t, f.mustDo(t, w.staff, "POST", one+"/closed-days", map[string]any{"day": apiDay(2), "reason": "设备检修"}), http.StatusCreated)
		bad := apiHours(3)
		bad[0] = "8点"
		p = mustProblem(t, f.mustDo(t, w.staff, "PUT", one+"/hours", map[string]any{"hours": bad}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"hours.0"}) || !strings.Contains(message(p, "hours.0"), "周一") {
			t.Errorf("bad hours: %+v", p)
		}
		mustProblem(t, f.mustDo(t, w.voter, "PUT", one+"/hours", map[string]any{"hours": apiHours(3)}), http.StatusForbidden)
		if got := mustJSON[centreOut](t, f.mustDo(t, w.staff, "PUT", one+"/hours", map[string]any{"hours": apiHours(3)}), http.StatusOK); !slices.Equal(got.Hours, apiHours(3)) {
			t.Errorf("the hours: %v", got.Hours)
		}

		c := mustJSON[centreOut](t, f.mustDo(t, w.voter, "GET", one, nil), http.StatusOK)
		if !c.CanBook || c.CanManage || len(c.Rooms) != 1 || len(c.ClosedDays) != 1 || c.ClosedDays[0].Reason != "设备检修" {
			t.Errorf("the resident reads the centre: %+v", c)
		}
		mustProblem(t, f.mustDo(t, w.outsider, "GET", one, nil), http.StatusNotFound)
		if l := mustJSON[listOut[centreOut]](t, f.mustDo(t, w.outsider, "GET", "/api/v1/centres", nil), http.StatusOK); len(l.Items) != 1 || l.Items[0].ID != w.otherCentre {
			t.Errorf("the outsider lists %+v", l.Items)
		}

		// Bad bookings: each refused with its field and a Chinese message, nothing written.
		before := bookingCounts(t, st)
		book := func(tok string, body map[string]any) reply {
			t.Helper()
			return f.mustDo(t, tok, "POST", one+"/bookings", body)
		}
		good := map[string]any{"room_id": w.room, "day": apiDay(1), "start": "09:00", "slots": 2, "purpose": "老年合唱队排练"}
		for _, c := range []struct {
			name   string
			change map[string]any
			field  string
			words  string
		}{
			{"outside the hours", map[string]any{"start": "19:00"}, "start", "超出开放时间"},
			{"a closed day", map[string]any{"day": apiDay(2)}, "day", "闭馆"},
			{"a closed weekday", map[string]any{"day": apiDay(3)}, "day", "不开放"},
			{"in the past", map[string]any{"day": apiDay(-1)}, "day", "已经过去"},
			{"too long", map[string]any{"slots": 5}, "slots", "一次最多预约"},
			{"a room of another community", map[string]any{"room_id": w.otherRoom}, "room_id", "该中心没有这个活动室"},
		} {
			p := mustProblem(t, book(w.voter, with(good, c.change)), http.StatusUnprocessableEntity)
			if got := fields(p); !slices.Equal(got, []string{c.field}) || !strings.Contains(message(p, c.field), c.words) {
				t.Errorf("%s: %v %q", c.name, got, message(p, c.field))
			}
		}
		mustProblem(t, f.mustDo(t, w.outsider, "POST", one+"/bookings", good), http.StatusNotFound)
		if after := bookingCounts(t, st); after != before {
			t.Errorf("refused bookings changed %+v to %+v", before, after)
		}

		b := mustJSON[bookingOut](t, book(w.voter, good), http.StatusCreated)
		if !b.Mine || b.Status != "booked" || !b.CanCancel || b.CanCheckIn || b.Day != apiDay(1) {
			t.Errorf("booked: %+v", b)
		}
		p = mustProblem(t, book(w.neighbour, with(good, map[string]any{"start": "10:00", "slots": 1})), http.StatusConflict)
		if !strings.Contains(p.Detail, "该时段已被预约") {
			t.Errorf("a second booking of the slot: %+v", p)
		}
		s := mustJSON[slotsOut](t, f.mustDo(t, w.neighbour, "GET", one+"/slots?room="+w.room+"&day="+apiDay(1), nil), http.StatusOK)
		if len(s.Slots) != 12 || !s.Slots[1].Booked || s.Slots[1].Free || !s.Slots[3].Free {
			t.Errorf("slots: %+v", s)
		}
		mustProblem(t, f.mustDo(t, w.neighbour, "GET", one+"/slots?day="+apiDay(1), nil), http.StatusBadRequest)
		mustProblem(t, f.mustDo(t, w.neighbour, "GET", "/api/v1/bookings/"+b.ID, nil), http.StatusNotFound)

		// Staff: the day's bookings with names; check-in not yet (a day ahead).
		day := mustJSON[listOut[bookingOut]](t, f.mustDo(t, w.staff, "GET", one+"/bookings?day="+apiDay(1), nil), http.StatusOK)
		if len(day.Items) != 1 || day.Items[0].BookerName == "" || !day.Items[0].CanCheckIn {
			t.Errorf("the day's bookings: %+v", day)
		}
		mustProblem(t, f.mustDo(t, w.voter, "GET", one+"/bookings", nil), http.StatusForbidden)
		p = mustProblem(t, f.mustDo(t, w.staff, "POST", "/api/v1/bookings/"+b.ID+"/check-in", map[string]any{"outcome": "checked_in"}), http.StatusUnprocessableEntity)
		if !strings.Contains(message(p, "outcome"), "才能签到") {
			t.Errorf("checking in early: %+v", p)
		}

		// Mine, then cancelled: the slot is free again.
		mine := mustJSON[listOut[bookingOut]](t, f.mustDo(t, w.voter, "GET", "/api/v1/bookings?upcoming=true", nil), http.StatusOK)
		if len(mine.Items) != 1 || mine.Items[0].ID != b.ID {
			t.Errorf("my bookings: %+v", mine)
		}
		mustProblem(t, f.mustDo(t, w.neighbour, "POST", "/api/v1/bookings/"+b.ID+"/cancel", nil), http.StatusNotFound)
		if got := mustJSON[bookingOut](t, f.mustDo(t, w.voter, "POST", "/api/v1/bookings/"+b.ID+"/cancel", nil), http.StatusOK); got.Status != "cancelled" || got.CanCancel {
			t.Errorf("cancelled: %+v", got)
		}
		mustProblem(t, f.mustDo(t, w.voter, "POST", "/api/v1/bookings/"+b.ID+"/cancel", nil), http.StatusConflict)
		mustJSON[bookingOut](t, book(w.neighbour, with(good, map[string]any{"start": "10:00", "slots": 1})), http.StatusCreated)
	})
}

// TestCentreChangesAPI: staff rename a centre and a room with PATCH (absent fields stay; bad
// input 422 naming the field; a second of the name 409), stop them (409 while a booking is
// ahead; then a booking is 409 "该中心已停用") and start them again; a capacity below a
// booking's people is 409; a closed day is removed with DELETE (again: 404; a day gone by 422);
// a resident gets 403, staff of another community 404.
func TestCentreChangesAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustCentreAPIWorld(t, st)
		f := w.f
		one := "/api/v1/centres/" + w.centre
		room := one + "/rooms/" + w.room
		otherStaff := f.mustToken(t, model.RoleCommunityStaff, mustTerritory(t, st, f.tree.street, model.KindCommunity, "中坝社区"))

		p := mustProblem(t, f.mustDo(t, w.staff, "PATCH", one, map[string]any{"name": " ", "kind": "x"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"kind", "name"}) || !strings.Contains(message(p, "name"), "请填写中心名称") {
			t.Errorf("a bad change: %+v", p)
		}
		c := mustJSON[centreOut](t, f.mustDo(t, w.staff, "PATCH", one, map[string]any{"name": "天宝社区文化活动中心", "kind": "culture"}), http.StatusOK)
		if c.Name != "天宝社区文化活动中心" || c.Kind != "culture" || c.Address != "天宝路8号" || !c.Active {
			t.Errorf("renamed: %+v", c)
		}
		mustProblem(t, f.mustDo(t, w.voter, "PATCH", one, map[string]any{"active": false}), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, otherStaff, "PATCH", one, map[string]any{"active": false}), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, otherStaff, "PATCH", room, map[string]any{"active": false}), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, w.staff, "PATCH", one+"/rooms/"+w.otherRoom, map[string]any{"active": false}), http.StatusNotFound)
		mustProblem(t, f.mustDo(t, w.staff, "PATCH", one, map[string]any{"active": "no"}), http.StatusBadRequest)

		good := map[string]any{"room_id": w.room, "day": apiDay(1), "start": "09:00", "people": 8, "purpose": "书法班"}
		b := mustJSON[bookingOut](t, f.mustDo(t, w.voter, "POST", one+"/bookings", good), http.StatusCreated)
		p = mustProblem(t, f.mustDo(t, w.staff, "PATCH", one, map[string]any{"active": false}), http.StatusConflict)
		if !strings.Contains(p.Detail, "1 条尚未开始的预约") {
			t.Errorf("stopping with a booking ahead: %+v", p)
		}
		p = mustProblem(t, f.mustDo(t, w.staff, "PATCH", room, map[string]any{"capacity": 5}), http.StatusConflict)
		if !strings.Contains(p.Detail, "超过 5 人") {
			t.Errorf("a capacity below a booking: %+v", p)
		}
		mustProblem(t, f.mustDo(t, w.staff, "PATCH", room, map[string]any{"active": false}), http.StatusConflict)
		r := mustJSON[roomOut](t, f.mustDo(t, w.staff, "PATCH", room, map[string]any{"name": "书画室", "capacity": 8}), http.StatusOK)
		if r.Name != "书画室" || r.Capacity != 8 || !r.Active || r.SlotMinutes != 60 {
			t.Errorf("the room changed: %+v", r)
		}
		p = mustProblem(t, f.mustDo(t, w.staff, "PATCH", room, map[string]any{"capacity": 0}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"capacity"}) {
			t.Errorf("a zero capacity: %v", got)
		}
		mustJSON[bookingOut](t, f.mustDo(t, w.voter, "POST", "/api/v1/bookings/"+b.ID+"/cancel", nil), http.StatusOK)
		if r := mustJSON[roomOut](t, f.mustDo(t, w.staff, "PATCH", room, map[string]any{"active": false}), http.StatusOK); r.Active {
			t.Errorf("the room stopped: %+v", r)
		}
		if c := mustJSON[centreOut](t, f.mustDo(t, w.voter, "GET", one, nil), http.StatusOK); len(c.Rooms) != 0 {
			t.Errorf("a resident sees a stopped room: %+v", c.Rooms)
		}
		mustJSON[roomOut](t, f.mustDo(t, w.staff, "PATCH", room, map[string]any{"active": true}), http.StatusOK)
		if c := mustJSON[centreOut](t, f.mustDo(t, w.staff, "PATCH", one, map[string]any{"active": false}), http.StatusOK); c.Active || c.CanBook {
			t.Errorf("the centre stopped: %+v", c)
		}
		p = mustProblem(t, f.mustDo(t, w.voter, "POST", one+"/bookings", good), http.StatusConflict)
		if !strings.Contains(p.Detail, "该中心已停用") {
			t.Errorf("booking a stopped centre: %+v", p)
		}
		mustJSON[centreOut](t, f.mustDo(t, w.staff, "PATCH", one, map[string]any{"active": true}), http.StatusOK)

		mustJSON[centreOut](t, f.mustDo(t, w.staff, "POST", one+"/closed-days", map[string]any{"day": apiDay(2), "reason": "设备检修"}), http.StatusCreated)
		mustProblem(t, f.mustDo(t, w.voter, "DELETE", one+"/closed-days/"+apiDay(2), nil), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, otherStaff, "DELETE", one+"/closed-days/"+apiDay(2), nil), http.StatusNotFound)
		p = mustProblem(t, f.mustDo(t, w.staff, "DELETE", one+"/closed-days/"+apiDay(-1), nil), http.StatusUnprocessableEntity)
		if !strings.Contains(message(p, "day"), "已经过去") {
			t.Errorf("removing a day gone by: %+v", p)
		}
		if c := mustJSON[centreOut](t, f.mustDo(t, w.staff, "DELETE", one+"/closed-days/"+apiDay(2), nil), http.StatusOK); len(c.ClosedDays) != 0 {
			t.Errorf("after the removal: %+v", c.ClosedDays)
		}
		mustProblem(t, f.mustDo(t, w.staff, "DELETE", one+"/closed-days/"+apiDay(2), nil), http.StatusNotFound)
	})
}

// TestConcurrentBookingsAPI: 50 requests for one slot at once over HTTP, on both engines:
// exactly one 201, 49 problem details 409, one booking written. The time it took is logged
// (docs/benchmarks.md, issue 12).
func TestConcurrentBookingsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := mustCentreAPIWorld(t, st)
		const n = 50
		tokens := []string{w.voter, w.neighbour, w.staff}
		body := fmt.Sprintf(`{"room_id":%q,"day":%q,"start":"15:00"}`, w.room, apiDay(1))
		replies := make(chan reply, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				req, err := http.NewRequest("POST", w.f.url+"/api/v1/centres/"+w.centre+"/bookings", strings.NewReader(body))
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				replies <- reply{status: resp.StatusCode, header: resp.Header, body: b}
			})
		}
		began := time.Now()
		close(start)
		wg.Wait()
		took := time.Since(began)
		close(replies)
		got := map[int]int{}
		for r := range replies {
			got[r.status]++
			if r.status == http.StatusConflict && !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("a refusal without problem details: %v", r)
			}
			if r.status != http.StatusCreated && r.status != http.StatusConflict {
				t.Errorf("unexpected reply: %v", r)
			}
		}
		if got[http.StatusCreated] != 1 || got[http.StatusConflict] != n-1 {
			t.Errorf("replies %v, want one 201 and %d 409", got, n-1)
		}
		var rows int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM bookings`).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("%d bookings written (%v), want 1", rows, err)
		}
		t.Logf("50 concurrent bookings of one slot: %v (one 201, %d 409)", took.Round(time.Millisecond), got[http.StatusConflict])
	})
}

// bookingCounts is the number of bookings and of held slots.
func bookingCounts(tb testing.TB, st *store.Store) [2]int {
	tb.Helper()
	var c [2]int
	if err := st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM bookings), (SELECT COUNT(*) FROM booking_slots)`).Scan(&c[0], &c[1]); err != nil {
		tb.Fatal(err)
	}
	return c
}
