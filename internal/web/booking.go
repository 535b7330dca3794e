package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Bookings of a centre's rooms (issue 12 item 6). The booking flow, at phone size and in few
// taps: a centre's page lists its rooms → the room's page shows the next days as chips and the
// chosen day's slots as big buttons → a free slot's button books it (the duration and an
// optional purpose above the slots travel with the button that was pressed). A slot someone
// else took meanwhile is refused by the database and the page says so with the slots redrawn.
// The caller's bookings with a cancel button; staff's day at a centre with check-in.

const bookingDays = 7 // the days the booking flow offers as chips

// DayChip is one day of the booking flow.
type DayChip struct {
	Day   string // 2027-01-05
	Label string // 今天 / 明天 / 1月7日 周四
}

type bookPage struct {
	Page
	Centre  *model.Centre
	Room    *model.CentreRoom
	RoomDay *store.RoomDay
	Days    []DayChip
	Day     string
	Form    *Form
	Slots   []Duration // the durations offered
}

// Duration is one length a booking may take: N slots of the room, Minutes long.
type Duration struct{ N, Minutes int }

func (wb *Web) bookFlow(w http.ResponseWriter, r *http.Request) error {
	return wb.bookPageFor(w, r, http.StatusOK, r.URL.Query(), nil)
}

func (wb *Web) bookPageFor(w http.ResponseWriter, r *http.Request, status int, q url.Values, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	c, err := wb.st.Centre(ctx, sc, id)
	if err != nil {
		return err
	}
	// The flow offers the rooms that take bookings; staff who manage the centre read its
	// stopped rooms too, which the centre's page shows them.
	c.Rooms = slices.DeleteFunc(slices.Clone(c.Rooms), func(rm *model.CentreRoom) bool { return !rm.Active })
	now := wb.st.Now().In(model.Shanghai)
	p := &bookPage{Page: wb.base(r, wb.t("bookings.book.title", c.Name), "centres"), Centre: c, Day: q.Get("day"), Form: f}
	p.Crumbs = []Crumb{{Name: wb.t("centres.title"), URL: "/centres"}, {Name: c.Name, URL: centreURL(c.ID)}, {Name: wb.t("bookings.book.crumb")}}
	if room, _ := strconv.ParseInt(q.Get("room"), 10, 64); room != 0 {
		p.Room = c.Room(room)
	}
	if p.Room == nil && len(c.Rooms) > 0 {
		p.Room = c.Rooms[0]
	}
	today := model.DayOf(now)
	for i := range bookingDays {
		d := today.AddDate(0, 0, i)
		chip := DayChip{Day: d.Format(time.DateOnly)}
		switch i {
		case 0:
			chip.Label = wb.t("bookings.today")
		case 1:
			chip.Label = wb.t("bookings.tomorrow")
		default:
			chip.Label = wb.t("bookings.day", int(d.Month()), d.Day(), model.WeekdayName((int(d.Weekday())+6)%7))
		}
		p.Days = append(p.Days, chip)
	}
	if _, err := time.ParseInLocation(time.DateOnly, p.Day, model.Shanghai); err != nil {
		p.Day = p.Days[0].Day
		if now.Hour() >= 18 {
			p.Day = p.Days[1].Day
		}
	}
	if p.Room != nil {
		if p.RoomDay, err = wb.st.RoomSlots(ctx, sc, c.ID, p.Room.ID, p.Day); err != nil {
			return err
		}
		for n := 1; n <= p.Room.MaxSlots; n++ {
			p.Slots = append(p.Slots, Duration{N: n, Minutes: n * p.Room.SlotMinutes})
		}
	}
	if p.Form == nil {
		p.Form = newForm("book", url.Values{"slots": {"1"}}, "room_id", "day", "start", "slots", "people", "purpose")
	}
	if len(p.Form.Errors) > 0 { // a refused slot (Message alone) has its own box above the slots
		p.Failed = p.Form
	}
	return wb.render(w, r, status, "centres/book", p)
}

// book books the slot whose button was pressed (start), for the duration chosen above them.
func (wb *Web) book(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("book", r.PostForm, "room_id", "day", "start", "slots", "people", "purpose")
	in := model.BookingInput{Day: f.Values.Get("day"), Start: f.Values.Get("start"), Purpose: f.Values.Get("purpose")}
	in.RoomID, _ = strconv.ParseInt(f.Values.Get("room_id"), 10, 64)
	in.Slots, _ = strconv.Atoi(f.Values.Get("slots"))
	in.People, _ = strconv.Atoi(f.Values.Get("people"))
	b, err := wb.st.Book(r.Context(), scope(r), id, in)
	if err != nil {
		if f.fail(err) {
			q := url.Values{"room": {f.Values.Get("room_id")}, "day": {f.Values.Get("day")}}
			return wb.bookPageFor(w, r, formStatus(err), q, f)
		}
		return err
	}
	redirect(w, r, "/bookings#booking-"+strconv.FormatInt(b.ID, 10), "booked")
	return nil
}

type myBookingsPage struct {
	Page
	Items []*model.Booking
	Next  string
	All   bool
	More  string // the next page's URL, "" at the end
}

func (wb *Web) myBookings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	all := q.Get("all") == "1"
	pg, err := wb.st.MyBookings(r.Context(), scope(r), !all, 30, q.Get("cursor"))
	if err != nil {
		return err
	}
	p := &myBookingsPage{Page: wb.base(r, wb.t("bookings.mine"), "centres"), Items: pg.Items, Next: pg.Next, All: all}
	if pg.Next != "" {
		allParam := ""
		if all {
			allParam = "1"
		}
		p.More = link("/bookings", "all", allParam, "cursor", pg.Next)
	}
	p.Crumbs = []Crumb{{Name: wb.t("centres.title"), URL: "/centres"}, {Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "centres/mine", p)
}

func (wb *Web) cancelBooking(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	b, err := wb.st.CancelBooking(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	if r.PostForm.Get("back") == "day" {
		redirect(w, r, dayURL(b), "booking_cancelled")
		return nil
	}
	redirect(w, r, "/bookings", "booking_cancelled")
	return nil
}

func dayURL(b *model.Booking) string {
	return link(centreURL(b.CentreID)+"/bookings", "day", b.Day())
}

func (wb *Web) checkInBooking(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	b, err := wb.st.CheckInBooking(r.Context(), scope(r), id, model.BookingStatus(r.PostForm.Get("outcome")))
	if err != nil {
		// A refusal (another desk checked the same person in first, an early outcome) is shown
		// on the booking's row of its day, with the day as it now stands.
		f := newForm("checkin-"+strconv.FormatInt(id, 10), r.PostForm)
		if !f.fail(err) {
			return err
		}
		cur, rerr := wb.st.Booking(r.Context(), scope(r), id)
		if rerr != nil {
			return rerr
		}
		return wb.dayBookingsFor(w, r, cur.CentreID, url.Values{"day": {cur.Day()}}, 0, formStatus(err), f, id)
	}
	redirect(w, r, dayURL(b), "booking_"+string(b.Status))
	return nil
}

type dayBookingsPage struct {
	Page
	List
	Centre  *model.Centre
	Rows    []*model.Booking
	Day     string
	Refused int64 // the booking whose check-in was refused (Page.Failed says why), 0 when none
}

// dayBookings is staff's desk: a centre's bookings of a day by start, filtered by status and
// room, with check-in, no-show and cancel on each booked one.
func (wb *Web) dayBookings(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	room, err := queryID(r, "room")
	if err != nil {
		return err
	}
	return wb.dayBookingsFor(w, r, id, r.URL.Query(), room, http.StatusOK, nil, 0)
}

// dayBookingsFor renders centre id's day as query q asks (room: its room filter, 0 for all)
// with code; failed and refused name a refused check-in to show on its row.
func (wb *Web) dayBookingsFor(w http.ResponseWriter, r *http.Request, id int64, q url.Values, room int64, code int, failed *Form, refused int64) error {
	day := q.Get("day")
	if day == "" {
		day = wb.st.Now().In(model.Shanghai).Format(time.DateOnly)
	}
	status := q.Get("status")
	if status != "" && !model.BookingStatus(status).Valid() {
		return model.ErrNotFound
	}
	c, pg, err := wb.st.DayBookings(r.Context(), scope(r), id, store.DayBookingFilter{Day: day, Status: model.BookingStatus(status), Room: room, Cursor: q.Get("cursor"), Limit: 50})
	if err != nil {
		return err
	}
	p := &dayBookingsPage{Page: wb.base(r, wb.t("bookings.day.title", c.Name), "centres"), Centre: c, Rows: pg.Items, Day: day}
	p.Head = Head{Title: p.Title, Lead: wb.t("bookings.day.lead", day)}
	statuses := []Option{{Label: wb.t("list.all")}}
	for _, s := range model.BookingStatuses {
		statuses = append(statuses, Option{Value: string(s), Label: s.Label()})
	}
	// Open rooms first; a stopped one keeps its past bookings and says so.
	rooms, stopped := []Option{{Label: wb.t("list.all")}}, []Option{}
	for _, rm := range c.Rooms {
		if rm.Active {
			rooms = append(rooms, Option{Value: strconv.FormatInt(rm.ID, 10), Label: rm.Name})
		} else {
			stopped = append(stopped, Option{Value: strconv.FormatInt(rm.ID, 10), Label: wb.t("bookings.filter.room.stopped", rm.Name)})
		}
	}
	rooms = append(rooms, stopped...)
	roomValue := ""
	if room != 0 {
		roomValue = strconv.FormatInt(room, 10)
	}
	base := centreURL(c.ID) + "/bookings"
	p.Filters = FilterBar{Action: base, Fields: []Filter{{Name: "day", Label: wb.t("bookings.filter.day"), Value: day, Type: "date"},
		selectFilter("status", wb.t("bookings.filter.status"), status, statuses...), selectFilter("room", wb.t("bookings.filter.room"), roomValue, rooms...)}}
	if status != "" || room != 0 {
		p.Filters.ClearURL = link(base, "day", day)
	}
	p.Empty = Empty{Icon: "clock", Title: wb.t("bookings.day.empty"), Text: wb.t("bookings.day.empty.next")}
	p.Crumbs = []Crumb{{Name: wb.t("centres.title"), URL: "/centres"}, {Name: c.Name, URL: centreURL(c.ID)}, {Name: wb.t("bookings.day.crumb")}}
	p.Pager = newPager(wb.t("bookings.total", strconv.FormatInt(pg.Total, 10)), base, q, q.Get("cursor"), pg.Next)
	if failed != nil {
		p.Failed, p.Refused = failed, refused
		return wb.render(w, r, code, "centres/day", p)
	}
	return wb.renderList(w, r, "centres/day", p)
}
