package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Bookings of a centre's rooms and windows (model/booking.go). The database decides who gets a
// slot: a booking writes one row of booking_slots per slot it takes, in its own transaction,
// and the primary key (room, slot start) refuses a second writer of any of them; the booking is
// then a *model.ConflictError and nothing of it is written. A cancellation is a conditional
// UPDATE on the status (booked) that frees the booking's slots in the same transaction;
// check-in likewise. Who sees a booking: its booker, and the staff who manage its centre.

const bookingColumns = `b.id, b.centre_id, c.name, b.room_id, r.name, r.kind, b.community_id, b.path, COALESCE(b.user_id, 0), b.booker_name,
	b.purpose, b.people, b.starts_at, b.ends_at, b.slots, b.status, b.checked_at, b.cancelled_at, b.created_at`

const bookingFrom = ` FROM bookings b JOIN centres c ON c.id = b.centre_id JOIN centre_rooms r ON r.id = b.room_id`

type bookingRow struct {
	*model.Booking
	userID int64
}

func scanBooking(rs rowScanner) (bookingRow, error) {
	var b model.Booking
	var user int64
	var checked, cancelled sql.NullTime
	if err := rs.Scan(&b.ID, &b.CentreID, &b.CentreName, &b.RoomID, &b.RoomName, &b.RoomKind, &b.CommunityID, &b.Path, &user, &b.BookerName,
		&b.Purpose, &b.People, &b.StartsAt, &b.EndsAt, &b.Slots, &b.Status, &checked, &cancelled, &b.CreatedAt); err != nil {
		return bookingRow{}, err
	}
	b.StartsAt, b.EndsAt, b.CreatedAt = b.StartsAt.UTC(), b.EndsAt.UTC(), b.CreatedAt.UTC()
	b.CheckedAt, b.CancelledAt = timePtr(checked), timePtr(cancelled)
	return bookingRow{Booking: &b, userID: user}, nil
}

// presentBooking fills the caller's standing and withholds the booker's name from a caller
// who neither made the booking nor manages its centre.
func (vr householder) presentBooking(x bookingRow, now time.Time) *model.Booking {
	b := x.Booking
	b.Mine = vr.sc.UserID != 0 && x.userID == vr.sc.UserID
	manage := vr.managesCentre(b.Path)
	if !b.Mine && !manage {
		b.BookerName = ""
	}
	booked := b.Status == model.BookingBooked
	b.Caller.Cancel = booked && (manage || b.Mine && b.StartsAt.After(now))
	b.Caller.CheckIn = booked && manage
	b.Caller.ArrivedNow = b.Caller.CheckIn && model.CheckOutcome(b, model.BookingCheckedIn, now) == nil
	b.Caller.NoShowNow = b.Caller.CheckIn && model.CheckOutcome(b, model.BookingNoShow, now) == nil
	return b
}

// booking reads booking id as the caller may see it: its booker, or staff who manage its
// centre; model.ErrNotFound otherwise.
func (c conn) booking(ctx context.Context, sc authz.Scope, id int64, now time.Time) (*model.Booking, householder, error) {
	x, err := queryOne(ctx, c, `SELECT `+bookingColumns+bookingFrom+` WHERE b.id = ?`, []any{id}, scanBooking)
	if err != nil {
		return nil, householder{}, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, vr, err
	}
	mine := sc.UserID != 0 && x.userID == sc.UserID && authz.Allowed(sc.Role, authz.CentreBook)
	if !mine && !vr.managesCentre(x.Path) {
		return nil, vr, model.ErrNotFound
	}
	return vr.presentBooking(x, now), vr, nil
}

// Booking returns booking id to its booker or the staff who manage its centre;
// model.ErrNotFound to anyone else and when it does not exist.
func (s *Store) Booking(ctx context.Context, sc authz.Scope, id int64) (*model.Booking, error) {
	b, _, err := s.reader().booking(ctx, sc, id, s.now())
	return b, err
}

// RoomDay is one room's day as the booking flow shows it.
type RoomDay struct {
	Centre *model.Centre
	Room   *model.CentreRoom
	Day    time.Time // midnight in Shanghai
	Hours  model.DayHours
	Closed string // the closed day's reason, or "本中心每周X不开放"; "" when open
	Slots  []model.Slot
}

// RoomSlots returns the slots of room of centre on day (YYYY-MM-DD) with those booked and past
// marked, as the caller may see the centre (model.ErrNotFound otherwise). A room the centre
// does not have (or has stopped) and a bad day are *model.ValidationError.
func (s *Store) RoomSlots(ctx context.Context, sc authz.Scope, centre, room int64, day string) (*RoomDay, error) {
	c := s.reader()
	now := s.now()
	ce, _, err := c.centre(ctx, sc, centre, model.DayOf(now))
	if err != nil {
		return nil, err
	}
	r := ce.Room(room)
	if r == nil || !r.Active {
		return nil, fieldErr("room", "该中心没有这个活动室或窗口，请从列表中选择")
	}
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(day), model.Shanghai)
	if err != nil {
		return nil, fieldErr("day", "日期应写成 2027-01-05")
	}
	rd := &RoomDay{Centre: ce, Room: r, Day: d, Hours: ce.HoursOn(d)}
	if reason, closed := ce.ClosedOn(d.Format(time.DateOnly)); closed {
		rd.Closed = reason
		return rd, nil
	}
	if rd.Hours.Closed() {
		rd.Closed = "本中心每" + model.WeekdayName((int(d.Weekday())+6)%7) + "不开放"
		return rd, nil
	}
	taken := map[int]bool{}
	lo := d.Unix() / 60
	err = eachRow(ctx, c, `SELECT at_minute FROM booking_slots WHERE room_id = ? AND at_minute >= ? AND at_minute < ?`,
		[]any{r.ID, lo, lo + 24*60}, func(rs rowScanner) error {
			var m int64
			if err := rs.Scan(&m); err != nil {
				return err
			}
			taken[int(m-lo)] = true
			return nil
		})
	if err != nil {
		return nil, err
	}
	rd.Slots = model.DaySlots(r, rd.Hours, d, now, taken)
	return rd, nil
}

// errTaken refuses a booking whose slots another holds.
var errTaken = &model.ConflictError{Message: "该时段已被预约，请选择其他时段"}

// Book books in.RoomID of centre id for the caller (a household's account of the centre's
// community, or staff who manage it). model.ErrNotFound when the caller does not see the
// centre; a *model.ForbiddenError when it sees but may not book it; a *model.ValidationError
// naming the field for a room the centre does not have, a day closed or outside the window, a
// time outside the opening hours, past or longer than the room allows, too many people; a
// *model.ConflictError when any of its slots is held by another booking (the primary key of
// booking_slots decides, however many book at once). Nothing is written on any refusal.
func (s *Store) Book(ctx context.Context, sc authz.Scope, id int64, in model.BookingInput) (*model.Booking, error) {
	if !authz.Allowed(sc.Role, authz.CentreBook) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var bid int64
	now := s.now()
	err := s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockCentre(ctx, id, false); err != nil {
			return err
		}
		ce, _, err := tx.centre(ctx, sc, id, model.DayOf(now))
		if err != nil {
			return err
		}
		if !ce.Active { // not "only the community's residents": nobody may book it now
			return &model.ConflictError{Message: "该中心已停用，不能预约"}
		}
		if !ce.Caller.Book {
			return &model.ForbiddenError{Message: "只有本社区的居民（或本社区的工作人员）可以预约这个中心"}
		}
		room := ce.Room(in.RoomID)
		if room == nil {
			return fieldErr("room_id", "该中心没有这个活动室或窗口，请从列表中选择")
		}
		if err := in.Check(ce, room, now); err != nil {
			return err
		}
		name, err := tx.authorName(ctx, sc.UserID)
		if err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `INSERT INTO bookings (centre_id, room_id, community_id, path, user_id, booker_name, purpose, people, starts_at, ends_at, slots, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?) RETURNING id`,
			[]any{ce.ID, room.ID, ce.CommunityID, ce.Path, nullID(sc.UserID), name, in.Purpose, in.People, in.StartsAt, in.EndsAt, in.Slots, now}, &bid); err != nil {
			return err
		}
		if err := tx.takeSlots(ctx, room, ce.CommunityID, bid, in.StartsAt, in.Slots); err != nil {
			return err
		}
		tx.auditAt(sc, ce.Path, "centre.book", "booking", []int64{bid}, fmt.Sprintf("room %d, %s, %d slots", room.ID, in.StartsAt.Format(time.RFC3339), in.Slots))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Booking(ctx, sc, bid)
}

// takeSlots writes the n slots of room from start for booking bid in one statement; a slot
// held already is errTaken (the statement fails whole).
func (tx *Tx) takeSlots(ctx context.Context, room *model.CentreRoom, community, bid int64, start time.Time, n int) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO booking_slots (room_id, at_minute, booking_id, community_id) VALUES `)
	args := make([]any, 0, 4*n)
	first := start.Unix() / 60
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?)")
		args = append(args, room.ID, first+int64(i*room.SlotMinutes), bid, community)
	}
	_, err := tx.exec(ctx, q.String(), args...)
	if errors.Is(err, model.ErrConflict) {
		return errTaken
	}
	return err
}

// CancelBooking cancels booking id: its booker before it starts, or staff who manage its
// centre while it is booked; its slots are free again in the same transaction.
// model.ErrNotFound when the caller does not see it; a *model.ConflictError when it is no
// longer booked or (for its booker) has started.
func (s *Store) CancelBooking(ctx context.Context, sc authz.Scope, id int64) (*model.Booking, error) {
	if !authz.Allowed(sc.Role, authz.CentreBook) {
		return nil, model.ErrForbidden
	}
	now := s.now()
	err := s.Tx(ctx, func(tx *Tx) error {
		b, vr, err := tx.booking(ctx, sc, id, now)
		if err != nil {
			return err
		}
		q := `UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancelled_by = ? WHERE id = ? AND status = 'booked'`
		args := []any{now, nullID(sc.UserID), id}
		if !vr.managesCentre(b.Path) {
			q += ` AND starts_at > ?`
			args = append(args, now)
		}
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if b.Status != model.BookingBooked {
				return &model.ConflictError{Message: "该预约" + b.Status.Label() + "，不能取消"}
			}
			return &model.ConflictError{Message: "预约已经开始，不能再取消；如需帮助请联系中心工作人员"}
		}
		if _, err := tx.exec(ctx, `DELETE FROM booking_slots WHERE booking_id = ?`, id); err != nil {
			return err
		}
		tx.auditAt(sc, b.Path, "centre.booking.cancel", "booking", []int64{id}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Booking(ctx, sc, id)
}

// CheckInBooking records staff's outcome for booking id at the desk: checked_in (from
// model.CheckInEarly before its start) or no_show (once it started). model.ErrNotFound when the
// caller does not see it; errNotCentreManager for its booker; a *model.ValidationError for a
// bad or early outcome; a *model.ConflictError when it is no longer booked (a second desk
// checking the same person in among them: the conditional UPDATE decides).
func (s *Store) CheckInBooking(ctx context.Context, sc authz.Scope, id int64, outcome model.BookingStatus) (*model.Booking, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	now := s.now()
	err := s.Tx(ctx, func(tx *Tx) error {
		b, vr, err := tx.booking(ctx, sc, id, now)
		if err != nil {
			return err
		}
		if !vr.managesCentre(b.Path) {
			return errNotCentreManager
		}
		if b.Status != model.BookingBooked {
			return &model.ConflictError{Message: "该预约" + b.Status.Label() + "，无需再次登记"}
		}
		if err := model.CheckOutcome(b, outcome, now); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE bookings SET status = ?, checked_at = ?, checked_by = ? WHERE id = ? AND status = 'booked'`,
			string(outcome), now, nullID(sc.UserID), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			cur, _, err := tx.booking(ctx, sc, id, now)
			if err != nil {
				return err
			}
			return &model.ConflictError{Message: "该预约已" + strings.TrimPrefix(cur.Status.Label(), "已") + "，无需再次登记"}
		}
		tx.auditAt(sc, b.Path, "centre.booking."+string(outcome), "booking", []int64{id}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Booking(ctx, sc, id)
}

// bookingCursor is the position after a booking in (starts_at, id) order.
func bookingCursor(b *model.Booking) string {
	return cursor{key: strconv.FormatInt(b.StartsAt.UnixMicro(), 10), id: b.ID}.encode()
}

func (cur cursor) bookingAt() (time.Time, error) {
	us, err := strconv.ParseInt(cur.key, 10, 64)
	if err != nil {
		return time.Time{}, ErrBadCursor
	}
	return time.UnixMicro(us).UTC(), nil
}

// DayBookingFilter narrows the bookings of a centre's day.
type DayBookingFilter struct {
	Day    string              // YYYY-MM-DD in Shanghai; "" today
	Status model.BookingStatus // "": all
	Room   int64               // 0: all rooms
	Limit  int
	Cursor string
}

// DayBookings lists the bookings of centre id on a day by start, for the staff who manage it;
// model.ErrNotFound when the caller does not see the centre, errNotCentreManager when it sees
// but does not manage it. The page's Total counts the day's bookings matching the filter.
func (s *Store) DayBookings(ctx context.Context, sc authz.Scope, id int64, f DayBookingFilter) (*model.Centre, *Page[*model.Booking], error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, nil, fieldErr("status", "状态应为 booked、checked_in、no_show 或 cancelled")
	}
	now := s.now()
	day := model.DayOf(now)
	if strings.TrimSpace(f.Day) != "" {
		d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.Day), model.Shanghai)
		if err != nil {
			return nil, nil, fieldErr("day", "日期应写成 2027-01-05")
		}
		day = d
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	c := s.reader()
	ce, err := c.managedCentre(ctx, sc, id, model.DayOf(now))
	if err != nil {
		return nil, nil, err
	}
	w := filter{where: []string{"b.centre_id = ?", "b.starts_at >= ?", "b.starts_at < ?"}, args: []any{ce.ID, day.UTC(), day.AddDate(0, 0, 1).UTC()}}
	if f.Status != "" {
		w.add("b.status = ?", string(f.Status))
	}
	if f.Room != 0 {
		w.add("b.room_id = ?", f.Room)
	}
	count := w.clone()
	if cur.id != 0 {
		at, err := cur.bookingAt()
		if err != nil {
			return nil, nil, err
		}
		w.add("(b.starts_at > ? OR b.starts_at = ? AND b.id > ?)", at, at, cur.id)
	}
	limit := clampLimit(f.Limit)
	rows, err := queryAll(ctx, c, `SELECT `+bookingColumns+bookingFrom+` WHERE `+w.sql()+` ORDER BY b.starts_at, b.id LIMIT ?`, append(w.args, limit+1), scanBooking)
	if err != nil {
		return nil, nil, err
	}
	p := &Page[*model.Booking]{}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, nil, err
	}
	for _, x := range rows {
		p.Items = append(p.Items, vr.presentBooking(x, now))
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.Next = bookingCursor(p.Items[limit-1])
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM bookings b WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, nil, err
	}
	return ce, p, nil
}

// MyBookings lists the caller's own bookings, the latest start first; upcoming narrows them to
// those still booked that have not ended.
func (s *Store) MyBookings(ctx context.Context, sc authz.Scope, upcoming bool, limit int, cursorText string) (*Page[*model.Booking], error) {
	p := &Page[*model.Booking]{}
	if !authz.Allowed(sc.Role, authz.CentreBook) || sc.UserID == 0 {
		return p, nil
	}
	cur, err := decodeCursor(cursorText)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := s.reader()
	w := filter{where: []string{"b.user_id = ?"}, args: []any{sc.UserID}}
	if upcoming {
		w.add("b.status = 'booked' AND b.ends_at > ?", now)
	}
	count := w.clone()
	if cur.id != 0 {
		at, err := cur.bookingAt()
		if err != nil {
			return nil, err
		}
		w.add("(b.starts_at < ? OR b.starts_at = ? AND b.id < ?)", at, at, cur.id)
	}
	limit = clampLimit(limit)
	rows, err := queryAll(ctx, c, `SELECT `+bookingColumns+bookingFrom+` WHERE `+w.sql()+` ORDER BY b.starts_at DESC, b.id DESC LIMIT ?`, append(w.args, limit+1), scanBooking)
	if err != nil {
		return nil, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		p.Items = append(p.Items, vr.presentBooking(x, now))
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.Next = bookingCursor(p.Items[limit-1])
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM bookings b WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	return p, nil
}
