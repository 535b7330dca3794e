package api

import (
	"net/http"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Bookings (issue 12 item 6) at /api/v1/bookings: the caller's own (?upcoming=true: those still
// to come), one booking (its booker, or staff who manage its centre), cancelling, and staff's
// check-in at the desk. A booking is made at /api/v1/centres/{id}/bookings (centre.go).

type bookingJSON struct {
	ID          ID     `json:"id"`
	CentreID    ID     `json:"centre_id"`
	CentreName  string `json:"centre_name"`
	RoomID      ID     `json:"room_id"`
	RoomName    string `json:"room_name"`
	RoomKind    string `json:"room_kind"`
	BookerName  string `json:"booker_name,omitempty"`
	Mine        bool   `json:"mine"`
	Purpose     string `json:"purpose"`
	People      int    `json:"people"`
	Day         string `json:"day"`
	StartsAt    string `json:"starts_at"`
	EndsAt      string `json:"ends_at"`
	Slots       int    `json:"slots"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	CheckedAt   string `json:"checked_at,omitempty"`
	CancelledAt string `json:"cancelled_at,omitempty"`
	CreatedAt   string `json:"created_at"`
	CanCancel   bool   `json:"can_cancel"`
	CanCheckIn  bool   `json:"can_check_in"`
}

func toBookingJSON(b *model.Booking) bookingJSON {
	out := bookingJSON{ID: ID(b.ID), CentreID: ID(b.CentreID), CentreName: b.CentreName, RoomID: ID(b.RoomID), RoomName: b.RoomName,
		RoomKind: string(b.RoomKind), BookerName: b.BookerName, Mine: b.Mine, Purpose: b.Purpose, People: b.People, Day: b.Day(),
		StartsAt: rfc3339(b.StartsAt), EndsAt: rfc3339(b.EndsAt), Slots: b.Slots, Status: string(b.Status), StatusLabel: b.Status.Label(),
		CreatedAt: rfc3339(b.CreatedAt), CanCancel: b.Caller.Cancel, CanCheckIn: b.Caller.CheckIn}
	if b.CheckedAt != nil {
		out.CheckedAt = rfc3339(*b.CheckedAt)
	}
	if b.CancelledAt != nil {
		out.CancelledAt = rfc3339(*b.CancelledAt)
	}
	return out
}

func (a *API) myBookings(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "upcoming")
	fields := queryFields(err)
	up := r.URL.Query().Get("upcoming")
	if up != "" && up != "true" && up != "false" {
		fields = append(fields, model.FieldError{Field: "upcoming", Message: "upcoming 应为 true 或 false"})
	}
	if lq.Territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory", Message: "我的预约不按节点筛选"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.MyBookings(r.Context(), authz.ScopeFrom(r.Context()), up == "true", lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toBookingJSON))
}

func (a *API) getBooking(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := a.st.Booking(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBookingJSON(b))
}

func (a *API) cancelBooking(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := a.st.CancelBooking(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBookingJSON(b))
}

type checkInRequest struct {
	Outcome string `json:"outcome"`
}

func (a *API) checkInBooking(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req checkInRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	b, err := a.st.CheckInBooking(r.Context(), authz.ScopeFrom(r.Context()), id, model.BookingStatus(req.Outcome))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBookingJSON(b))
}
