package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Service centres' part of the matrix (issue 12 item 6). A centre belongs to a community: the
// relations own, same household, same unit, same grid and same community share community c1's,
// same street has c2's, other street c3's. Staff reach the centres of their territory's
// communities (and manage them); grid leaders, and residents, members and unit leaders (linked
// to a household of c1, as for votes) read c1's centres, and the household roles book there:
// the community reach. Each centre is open round the clock every day, so a case's booking is
// never outside the hours; every booking takes a fresh room, so no two cases race for a slot.
// A booking is seen by its booker and by staff who manage its centre: a fresh booking is made
// by the caller's own account where it may book there, by the system otherwise.

const (
	centreObj      objKind = 2600 + iota // the standing centre of the relation's community
	bookingObj                           // a fresh booking of tomorrow, the caller's own where it may book there
	bookingSoonObj                       // a fresh booking starting within 15 minutes (check-in opens 30 minutes ahead), by the system
)

const (
	centreRead  routeKind = 3500 + iota // see centres, rooms, slots: staff by territory; grid leaders, residents, members, unit leaders of the community
	centreBook                          // book, see and cancel one's bookings: staff by territory; residents, members, unit leaders of the community
	centreWrite                         // create and change centres, rooms, closed days, the day's bookings, check-in: staff by territory
)

func centreHousehold(r model.Role) bool {
	return r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident
}

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case centreRead:
			return fieldWorker(r) || centreHousehold(r), true
		case centreBook:
			return staffRole(r) || centreHousehold(r), true
		case centreWrite:
			return staffRole(r), true
		}
		return false, false
	})
	extraReach = append(extraReach, func(_ *world, r model.Role, k routeKind) (relation, bool) {
		if k == centreRead && r == model.RoleGridLeader || (k == centreRead || k == centreBook) && centreHousehold(r) {
			return relCommunity, true // the centres of their community (a grid leader's: the one above its grid)
		}
		return 0, false
	})
	extraKindNames[centreRead] = "centre read"
	extraKindNames[centreBook] = "centre book"
	extraKindNames[centreWrite] = "centre write"
	maps.Copy(specs, centreSpecs)
	maps.Copy(patternKinds, centrePatternKinds)
	maps.Copy(objKinds, centreObjKinds)
}

var (
	centreMu     sync.Mutex
	centreWorlds = map[*fixture]map[int64]int64{} // by community: the standing centre
)

// centreOf is the standing centre of the relation's community.
func (w *world) centreOf(rel relation) int64 {
	w.tb.Helper()
	w.electionWorld() // the unit leader's account is linked to the same-unit household's head
	centreMu.Lock()
	defer centreMu.Unlock()
	m, ok := centreWorlds[w.fixture]
	if !ok {
		m = map[int64]int64{}
		centreWorlds[w.fixture] = m
	}
	c := w.communityOfRel(rel)
	if id, ok := m[c.ID]; ok {
		return id
	}
	ce, err := w.st.CreateCentre(context.Background(), authz.System(), model.CentreInput{CommunityID: c.ID, Name: fmt.Sprintf("矩阵中心%d", w.nextSeq()),
		Kind: model.CentreLife, Hours: slices.Repeat([]string{"00:00-24:00"}, 7)})
	if err != nil {
		w.tb.Fatalf("centre at %s: %v", rel, err)
	}
	m[c.ID] = ce.ID
	return ce.ID
}

// freshRoom adds a room of 15-minute slots to centre (as the system).
func (w *world) freshRoom(centre int64) int64 {
	w.tb.Helper()
	r, err := w.st.AddCentreRoom(context.Background(), authz.System(), centre, model.RoomInput{Name: fmt.Sprintf("矩阵活动室%d", w.nextSeq()),
		Kind: model.RoomRoom, Capacity: 10, SlotMinutes: 15, MaxSlots: 4})
	if err != nil {
		w.tb.Fatalf("room of %d: %v", centre, err)
	}
	return r.ID
}

// freshClosedDay closes centre on a day of its own far ahead (as the system) and returns it.
func (w *world) freshClosedDay(centre int64) string {
	w.tb.Helper()
	day := model.DayOf(time.Now()).AddDate(0, 0, 400+w.nextSeq()).Format(time.DateOnly)
	if _, err := w.st.AddClosedDay(context.Background(), authz.System(), centre, model.ClosedDayInput{Day: day, Reason: "矩阵闭馆"}); err != nil {
		w.tb.Fatalf("closed day of %d: %v", centre, err)
	}
	return day
}

// centreObject is the object of kind at the relation for role.
func (w *world) centreObject(kind objKind, rel relation, role model.Role) int64 {
	w.tb.Helper()
	centre := w.centreOf(rel)
	ctx := context.Background()
	switch kind {
	case centreObj:
		return centre
	case bookingObj:
		in := model.BookingInput{RoomID: w.freshRoom(centre), Day: model.DayOf(time.Now()).AddDate(0, 0, 1).Format(time.DateOnly), Start: "10:00"}
		if u := w.users[role]; u != nil {
			if b, err := w.st.Book(ctx, authz.ForUser(u), centre, in); err == nil {
				return b.ID
			}
		}
		b, err := w.st.Book(ctx, authz.System(), centre, in)
		if err != nil {
			w.tb.Fatalf("booking at %s: %v", rel, err)
		}
		return b.ID
	case bookingSoonObj:
		start := time.Now().In(model.Shanghai).Truncate(15 * time.Minute).Add(15 * time.Minute)
		b, err := w.st.Book(ctx, authz.System(), centre, model.BookingInput{RoomID: w.freshRoom(centre), Day: start.Format(time.DateOnly), Start: start.Format("15:04")})
		if err != nil {
			w.tb.Fatalf("booking soon at %s: %v", rel, err)
		}
		return b.ID
	}
	return 0
}

func tomorrow() string { return model.DayOf(time.Now()).AddDate(0, 0, 1).Format(time.DateOnly) }

var centrePatternKinds = map[string]objKind{
	"/api/v1/bookings/{id}/check-in": bookingSoonObj,
	"/bookings/{id}/check-in":        bookingSoonObj,
}

var centreObjKinds = map[string]objKind{
	"/api/v1/centres/{id}":  centreObj,
	"/api/v1/bookings/{id}": bookingObj,
	"/centres/{id}":         centreObj,
	"/bookings/{id}":        bookingObj,
}

func noForm(*world, relation, int64) url.Values { return url.Values{} }

var centreSpecs = map[string]spec{
	"GET /api/v1/centres": {kind: centreRead},
	"POST /api/v1/centres": {kind: centreWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"community_id":"%d","name":"矩阵新中心%d","kind":"culture","hours":["08:00-17:00","","","","","",""]}`,
			w.communityOfRel(rel).ID, w.nextSeq())
	}},
	"GET /api/v1/centres/{id}": {kind: centreRead, scoped: true},
	"POST /api/v1/centres/{id}/rooms": {kind: centreWrite, scoped: true, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"name":"矩阵新活动室%d","kind":"window","capacity":1,"slot_minutes":30}`, w.nextSeq())
	}},
	"POST /api/v1/centres/{id}/closed-days": {kind: centreWrite, scoped: true, body: func(w *world, _ relation, _ int64) (string, []byte) {
		day := model.DayOf(time.Now()).AddDate(0, 0, 100+w.nextSeq()).Format(time.DateOnly)
		return "application/json", fmt.Appendf(nil, `{"day":%q,"reason":"矩阵闭馆"}`, day)
	}},
	// Changing a centre, a room, a closed day (issue 12 item 6, the remaining part): the
	// standing centre's address (it stays open), a fresh room's name, a fresh closed day.
	"PATCH /api/v1/centres/{id}": {kind: centreWrite, scoped: true, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"address":"矩阵路%d号"}`, w.nextSeq())
	}},
	"PATCH /api/v1/centres/{id}/rooms/{room}": {kind: centreWrite, scoped: true, path: func(w *world, rel relation) string {
		c := w.centreOf(rel)
		return fmt.Sprintf("/api/v1/centres/%d/rooms/%d", c, w.freshRoom(c))
	}, body: func(w *world, _ relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"name":"矩阵改名活动室%d","capacity":12}`, w.nextSeq())
	}},
	"DELETE /api/v1/centres/{id}/closed-days/{day}": {kind: centreWrite, scoped: true, path: func(w *world, rel relation) string {
		c := w.centreOf(rel)
		return fmt.Sprintf("/api/v1/centres/%d/closed-days/%s", c, w.freshClosedDay(c))
	}},
	"POST /centres/{id}": {kind: centreWrite, scoped: true, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"name": {fmt.Sprintf("矩阵改名中心%d", w.nextSeq())}, "kind": {"life"}, "address": {"矩阵路"}, "active": {"1"}}
	})},
	"POST /centres/{id}/rooms/{room}": {kind: centreWrite, scoped: true, path: func(w *world, rel relation) string {
		c := w.centreOf(rel)
		return fmt.Sprintf("/centres/%d/rooms/%d", c, w.freshRoom(c))
	}, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"name": {fmt.Sprintf("矩阵页面改名活动室%d", w.nextSeq())}, "capacity": {"12"}, "active": {"1"}}
	})},
	"POST /centres/{id}/closed-days/{day}/remove": {kind: centreWrite, scoped: true, body: formBody(noForm), path: func(w *world, rel relation) string {
		c := w.centreOf(rel)
		return fmt.Sprintf("/centres/%d/closed-days/%s/remove", c, w.freshClosedDay(c))
	}},
	"PUT /api/v1/centres/{id}/hours": {kind: centreWrite, scoped: true, body: jsonBody(`{"hours":["00:00-24:00","00:00-24:00","00:00-24:00","00:00-24:00","00:00-24:00","00:00-24:00","00:00-24:00"]}`)},
	"POST /centres/{id}/hours": {kind: centreWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		v := url.Values{}
		for i := range 7 {
			v.Set(fmt.Sprintf("hours.%d", i), "00:00-24:00")
		}
		return v
	})},
	"GET /api/v1/centres/{id}/slots": {kind: centreRead, scoped: true, query: func(w *world, rel relation) string {
		return fmt.Sprintf("room=%d&day=%s", w.freshRoom(w.centreOf(rel)), tomorrow())
	}},
	"GET /api/v1/centres/{id}/bookings": {kind: centreWrite, scoped: true},
	"POST /api/v1/centres/{id}/bookings": {kind: centreBook, scoped: true, body: func(w *world, _ relation, id int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"room_id":"%d","day":%q,"start":"10:00","purpose":"矩阵"}`, w.freshRoom(id), tomorrow())
	}},
	"GET /api/v1/bookings":                {kind: centreBook},
	"GET /api/v1/bookings/{id}":           {kind: centreBook, scoped: true, fresh: true},
	"POST /api/v1/bookings/{id}/cancel":   {kind: centreBook, scoped: true, fresh: true},
	"POST /api/v1/bookings/{id}/check-in": {kind: centreWrite, scoped: true, fresh: true, body: jsonBody(`{"outcome":"checked_in"}`)},

	// The pages: the list, the staff's new centre, a centre with the staff's forms, the
	// booking flow and its one-tap booking, the staff's day, my bookings, cancel and check-in.
	"GET /centres":     {kind: centreRead},
	"GET /centres/new": {kind: centreWrite},
	"POST /centres": {kind: centreWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		v := url.Values{"community_id": {strconv.FormatInt(w.communityOfRel(rel).ID, 10)}, "name": {fmt.Sprintf("矩阵页面中心%d", w.nextSeq())}, "kind": {"life"}}
		for i := range 7 {
			v.Set(fmt.Sprintf("hours.%d", i), "08:00-17:00")
		}
		return v
	})},
	"GET /centres/{id}": {kind: centreRead, scoped: true},
	"POST /centres/{id}/rooms": {kind: centreWrite, scoped: true, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"name": {fmt.Sprintf("矩阵页面活动室%d", w.nextSeq())}, "kind": {"room"}, "capacity": {"8"}}
	})},
	"POST /centres/{id}/closed-days": {kind: centreWrite, scoped: true, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"day": {model.DayOf(time.Now()).AddDate(0, 0, 100+w.nextSeq()).Format(time.DateOnly)}, "reason": {"矩阵页面闭馆"}}
	})},
	"GET /centres/{id}/book": {kind: centreBook, scoped: true},
	"POST /centres/{id}/book": {kind: centreBook, scoped: true, body: formBody(func(w *world, _ relation, id int64) url.Values {
		return url.Values{"room_id": {strconv.FormatInt(w.freshRoom(id), 10)}, "day": {tomorrow()}, "start": {"10:00"}, "slots": {"1"}}
	})},
	"GET /centres/{id}/bookings": {kind: centreWrite, scoped: true},
	"GET /bookings":              {kind: centreBook},
	"POST /bookings/{id}/cancel": {kind: centreBook, scoped: true, fresh: true, body: formBody(noForm)},
	"POST /bookings/{id}/check-in": {kind: centreWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"outcome": {"checked_in"}}
	})},
}
