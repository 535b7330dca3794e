package api

import (
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Service centres (issue 12 item 6) at /api/v1/centres: list and read (the community's
// residents, members and unit leaders; staff and grid leaders by territory), create, change
// (PATCH: rename, stop, start again), add and change rooms, add and remove closed days (staff),
// a room's free slots of a day, the day's bookings (staff), and booking a room (POST
// /api/v1/centres/{id}/bookings). The caller's own bookings, cancelling and checking in are
// booking.go's, under /api/v1/bookings. Opening hours are seven strings Monday first,
// "08:30-17:30" or "" for a day the centre is closed.

type roomJSON struct {
	ID          ID     `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	KindLabel   string `json:"kind_label"`
	Capacity    int    `json:"capacity"`
	SlotMinutes int    `json:"slot_minutes"`
	MaxSlots    int    `json:"max_slots"`
	Active      bool   `json:"active"`
}

func toRoomJSON(r *model.CentreRoom) roomJSON {
	return roomJSON{ID: ID(r.ID), Name: r.Name, Kind: string(r.Kind), KindLabel: r.Kind.Label(), Capacity: r.Capacity,
		SlotMinutes: r.SlotMinutes, MaxSlots: r.MaxSlots, Active: r.Active}
}

type closedDayJSON struct {
	Day    string `json:"day"`
	Reason string `json:"reason"`
}

type centreJSON struct {
	ID            ID              `json:"id"`
	CommunityID   ID              `json:"community_id"`
	CommunityName string          `json:"community_name"`
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	KindLabel     string          `json:"kind_label"`
	Address       string          `json:"address"`
	Hours         []string        `json:"hours"`
	Active        bool            `json:"active"`
	RoomCount     int             `json:"room_count"`
	Rooms         []roomJSON      `json:"rooms,omitempty"`
	ClosedDays    []closedDayJSON `json:"closed_days,omitempty"`
	CreatedAt     string          `json:"created_at"`
	CanManage     bool            `json:"can_manage"`
	CanBook       bool            `json:"can_book"`
}

func toCentreJSON(c *model.Centre) centreJSON {
	out := centreJSON{ID: ID(c.ID), CommunityID: ID(c.CommunityID), CommunityName: c.CommunityName, Name: c.Name, Kind: string(c.Kind),
		KindLabel: c.Kind.Label(), Address: c.Address, Hours: c.Hours.Days(), Active: c.Active, RoomCount: c.RoomCount,
		CreatedAt: rfc3339(c.CreatedAt), CanManage: c.Caller.Manage, CanBook: c.Caller.Book}
	if c.Rooms != nil {
		out.Rooms = make([]roomJSON, len(c.Rooms))
		for i, r := range c.Rooms {
			out.Rooms[i] = toRoomJSON(r)
		}
		out.ClosedDays = make([]closedDayJSON, len(c.ClosedDays))
		for i, d := range c.ClosedDays {
			out.ClosedDays[i] = closedDayJSON(d)
		}
	}
	return out
}

func (a *API) listCentres(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "kind")
	if err != nil {
		return err
	}
	p, err := a.st.Centres(r.Context(), authz.ScopeFrom(r.Context()), store.CentreFilter{Kind: model.CentreKind(r.URL.Query().Get("kind")),
		Territory: lq.Territory, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toCentreJSON))
}

type centreCreate struct {
	CommunityID ID       `json:"community_id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Address     string   `json:"address"`
	Hours       []string `json:"hours"`
}

func (a *API) createCentre(w http.ResponseWriter, r *http.Request) error {
	var req centreCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.CreateCentre(r.Context(), authz.ScopeFrom(r.Context()), model.CentreInput{CommunityID: int64(req.CommunityID), Name: req.Name,
		Kind: model.CentreKind(req.Kind), Address: req.Address, Hours: req.Hours})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCentreJSON(c))
}

func (a *API) getCentre(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.st.Centre(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCentreJSON(c))
}

type roomCreate struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Capacity    int    `json:"capacity"`
	SlotMinutes int    `json:"slot_minutes"`
	MaxSlots    int    `json:"max_slots"`
}

func (a *API) addCentreRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req roomCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	room, err := a.st.AddCentreRoom(r.Context(), authz.ScopeFrom(r.Context()), id, model.RoomInput{Name: req.Name, Kind: model.RoomKind(req.Kind),
		Capacity: req.Capacity, SlotMinutes: req.SlotMinutes, MaxSlots: req.MaxSlots})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toRoomJSON(room))
}

func (a *API) addClosedDay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req closedDayJSON
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.AddClosedDay(r.Context(), authz.ScopeFrom(r.Context()), id, model.ClosedDayInput{Day: req.Day, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCentreJSON(c))
}

// centrePatch changes a centre's name, kind, address or state; absent fields stay.
type centrePatch struct {
	Name    *string `json:"name"`
	Kind    *string `json:"kind"`
	Address *string `json:"address"`
	Active  *bool   `json:"active"`
}

// updateCentre renames a centre or stops it (active false) and starts it again.
func (a *API) updateCentre(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req centrePatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p := model.CentrePatch{Name: req.Name, Address: req.Address, Active: req.Active}
	if req.Kind != nil {
		k := model.CentreKind(*req.Kind)
		p.Kind = &k
	}
	c, err := a.st.UpdateCentre(r.Context(), authz.ScopeFrom(r.Context()), id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCentreJSON(c))
}

// roomPatch changes a room's name, capacity or state; absent fields stay.
type roomPatch struct {
	Name     *string `json:"name"`
	Capacity *int    `json:"capacity"`
	Active   *bool   `json:"active"`
}

// updateCentreRoom changes room {room} of centre {id}.
func (a *API) updateCentreRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	room, err := strconv.ParseInt(r.PathValue("room"), 10, 64)
	if err != nil || room <= 0 {
		return model.ErrNotFound
	}
	var req roomPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	rm, err := a.st.UpdateCentreRoom(r.Context(), authz.ScopeFrom(r.Context()), id, room, model.RoomPatch{Name: req.Name, Capacity: req.Capacity, Active: req.Active})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toRoomJSON(rm))
}

// removeClosedDay opens a centre again on closed day {day} (YYYY-MM-DD).
func (a *API) removeClosedDay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := a.st.RemoveClosedDay(r.Context(), authz.ScopeFrom(r.Context()), id, r.PathValue("day"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCentreJSON(c))
}

type hoursRequest struct {
	Hours []string `json:"hours"`
}

// setCentreHours replaces a centre's opening hours.
func (a *API) setCentreHours(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req hoursRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.SetCentreHours(r.Context(), authz.ScopeFrom(r.Context()), id, req.Hours)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCentreJSON(c))
}

type slotJSON struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Free   bool   `json:"free"`
	Booked bool   `json:"booked"`
	Past   bool   `json:"past"`
}

type roomDayJSON struct {
	CentreID ID         `json:"centre_id"`
	Room     roomJSON   `json:"room"`
	Day      string     `json:"day"`
	Hours    string     `json:"hours"`
	Closed   string     `json:"closed,omitempty"`
	Slots    []slotJSON `json:"slots"`
}

// centreSlots answers a room's slots of a day: ?room=ID&day=YYYY-MM-DD, both required.
func (a *API) centreSlots(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var fields []model.FieldError
	for k := range q {
		if k != "room" && k != "day" {
			fields = append(fields, model.FieldError{Field: k, Message: "未知的查询参数"})
		}
	}
	room := queryID(q.Get("room"), "room", &fields)
	if room == 0 && len(fields) == 0 {
		fields = append(fields, model.FieldError{Field: "room", Message: "请用 room 指明活动室或窗口"})
	}
	if q.Get("day") == "" {
		fields = append(fields, model.FieldError{Field: "day", Message: "请用 day 指明日期，如 2027-01-05"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	rd, err := a.st.RoomSlots(r.Context(), authz.ScopeFrom(r.Context()), id, room, q.Get("day"))
	if err != nil {
		return err
	}
	out := roomDayJSON{CentreID: ID(rd.Centre.ID), Room: toRoomJSON(rd.Room), Day: rd.Day.Format("2006-01-02"), Hours: rd.Hours.String(),
		Closed: rd.Closed, Slots: make([]slotJSON, len(rd.Slots))}
	for i, s := range rd.Slots {
		out.Slots[i] = slotJSON{Start: s.StartText(), End: s.EndText(), Free: s.Free, Booked: s.Booked, Past: s.Past}
	}
	return writeJSON(w, http.StatusOK, out)
}

// centreBookings lists a centre's bookings of a day for staff: ?day=YYYY-MM-DD (today when
// absent), status, room, limit and cursor.
func (a *API) centreBookings(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lq, err := parseList(r, "day", "status", "room")
	fields := queryFields(err)
	q := r.URL.Query()
	room := queryID(q.Get("room"), "room", &fields)
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "一个中心的预约不按节点筛选"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	_, p, err := a.st.DayBookings(r.Context(), authz.ScopeFrom(r.Context()), id, store.DayBookingFilter{Day: q.Get("day"),
		Status: model.BookingStatus(q.Get("status")), Room: room, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toBookingJSON))
}

type bookingCreate struct {
	RoomID  ID     `json:"room_id"`
	Day     string `json:"day"`
	Start   string `json:"start"`
	Slots   int    `json:"slots"`
	People  int    `json:"people"`
	Purpose string `json:"purpose"`
}

func (a *API) book(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req bookingCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	b, err := a.st.Book(r.Context(), authz.ScopeFrom(r.Context()), id, model.BookingInput{RoomID: int64(req.RoomID), Day: req.Day, Start: req.Start,
		Slots: req.Slots, People: req.People, Purpose: req.Purpose})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/bookings/"+strconv.FormatInt(b.ID, 10))
	return writeJSON(w, http.StatusCreated, toBookingJSON(b))
}
