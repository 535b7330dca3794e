package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Bookings of a centre's rooms and windows (issue 12 item 6). A booking takes Slots
// consecutive slots of one room from StartsAt; every slot it takes is a row of its own that a
// unique key holds (store/booking.go), so two bookings of one slot cannot both be written,
// whatever the timing. booked → checked_in | no_show (staff, at the desk) | cancelled (the
// booker before the start, or staff).

// BookingStatus is where a booking stands.
type BookingStatus string

// The statuses of a booking.
const (
	BookingBooked    BookingStatus = "booked"     // 已预约
	BookingCheckedIn BookingStatus = "checked_in" // 已签到
	BookingNoShow    BookingStatus = "no_show"    // 未到
	BookingCancelled BookingStatus = "cancelled"  // 已取消
)

// BookingStatuses lists the statuses in the order of the flow.
var BookingStatuses = []BookingStatus{BookingBooked, BookingCheckedIn, BookingNoShow, BookingCancelled}

var bookingStatusLabels = map[BookingStatus]string{BookingBooked: "已预约", BookingCheckedIn: "已签到", BookingNoShow: "未到", BookingCancelled: "已取消"}

// Label is the status's Chinese name.
func (s BookingStatus) Label() string { return bookingStatusLabels[s] }

// Valid reports whether s is a known status.
func (s BookingStatus) Valid() bool { return bookingStatusLabels[s] != "" }

// Tone is the status's colour on a tag.
func (s BookingStatus) Tone() string {
	switch s {
	case BookingBooked:
		return "amber"
	case BookingCheckedIn:
		return "green"
	case BookingNoShow:
		return "red"
	}
	return ""
}

// Booking is one booking of a room.
type Booking struct {
	ID          int64
	CentreID    int64
	CentreName  string
	RoomID      int64
	RoomName    string
	RoomKind    RoomKind
	CommunityID int64
	Path        string // the community's
	// BookerName is the display name of the booking account: the booker and staff who manage
	// the centre read it; the store withholds it from everyone else.
	BookerName  string
	Mine        bool // booked by the caller's account
	Purpose     string
	People      int
	StartsAt    time.Time
	EndsAt      time.Time
	Slots       int
	Status      BookingStatus
	CheckedAt   *time.Time
	CancelledAt *time.Time
	CreatedAt   time.Time
	// Caller is what the caller may do with it now (set by the store).
	Caller BookingCaller
}

// BookingCaller is the caller's standing on a booking.
type BookingCaller struct {
	Cancel  bool // the booker before the start, or staff who manage the centre, while booked
	CheckIn bool // staff who manage the centre, while booked
	// ArrivedNow and NoShowNow say which outcome the desk may record at the time it was read
	// (CheckOutcome): checked in from CheckInEarly before the start, no-show once it started.
	ArrivedNow, NoShowNow bool
}

// Day is the booking's date in Shanghai, "2027-01-05".
func (b *Booking) Day() string { return b.StartsAt.In(Shanghai).Format(time.DateOnly) }

// TimeText is "09:00–11:00".
func (b *Booking) TimeText() string {
	return b.StartsAt.In(Shanghai).Format("15:04") + "–" + b.EndsAt.In(Shanghai).Format("15:04")
}

// BookingInput books a room.
type BookingInput struct {
	RoomID  int64
	Day     string // YYYY-MM-DD in Shanghai
	Start   string // "09:00"
	Slots   int    // consecutive slots (0: one)
	People  int    // 0: one
	Purpose string
	// Set by Check.
	StartsAt time.Time
	EndsAt   time.Time
	StartMin int
}

// Validate trims the input and checks its form, naming every bad field; Check then weighs it
// against the room and the centre.
func (in *BookingInput) Validate() error {
	v := &ValidationError{}
	in.Day, in.Start, in.Purpose = strings.TrimSpace(in.Day), strings.TrimSpace(in.Start), strings.TrimSpace(in.Purpose)
	if in.RoomID <= 0 {
		v.Add("room_id", "请选择要预约的活动室或窗口")
	}
	if _, err := time.ParseInLocation(time.DateOnly, in.Day, Shanghai); err != nil {
		v.Add("day", "日期应写成 2027-01-05")
	}
	if _, ok := ParseClock(in.Start); !ok {
		v.Add("start", "请选择开始时间，例如 09:00")
	}
	if in.Slots == 0 {
		in.Slots = 1
	}
	if in.Slots < 0 {
		v.Add("slots", "时段数应至少为 1")
	}
	if in.People == 0 {
		in.People = 1
	}
	if in.People < 0 {
		v.Add("people", "人数应至少为 1")
	}
	if utf8.RuneCountInString(in.Purpose) > CentreNoteMax {
		v.Add("purpose", fmt.Sprintf("用途不能超过 %d 个字", CentreNoteMax))
	}
	return v.Err()
}

// Check weighs a validated booking against room of centre at now: the start on the room's slot
// grid, the length within the room's limit, the people within its capacity, the day open (its
// weekday's hours, not a closed day), the slots inside the hours, the start in the future and
// at most BookingDaysAhead days ahead. It sets StartsAt, EndsAt and StartMin; a refusal is a
// *ValidationError naming the field, in words that say how to fix it.
func (in *BookingInput) Check(c *Centre, room *CentreRoom, now time.Time) error {
	v := &ValidationError{}
	day, _ := time.ParseInLocation(time.DateOnly, in.Day, Shanghai)
	start, _ := ParseClock(in.Start)
	in.StartMin = start
	in.StartsAt = day.Add(time.Duration(start) * time.Minute).UTC()
	in.EndsAt = in.StartsAt.Add(time.Duration(in.Slots*room.SlotMinutes) * time.Minute)
	end := start + in.Slots*room.SlotMinutes
	hours := c.HoursOn(day)
	switch {
	case !c.Active || !room.Active:
		v.Add("room_id", "该活动室或窗口已停用，请选择其他")
	case day.Before(DayOf(now)):
		v.Add("day", "不能预约已经过去的日期")
	case day.After(DayOf(now).AddDate(0, 0, BookingDaysAhead)):
		v.Add("day", fmt.Sprintf("最多可预约 %d 天以内的时段", BookingDaysAhead))
	case hours.Closed():
		v.Add("day", fmt.Sprintf("%s每%s不开放，请选择其他日期", c.Name, weekdayNames[weekdayIndex(day)]))
	default:
		if reason, closed := c.ClosedOn(in.Day); closed {
			v.Add("day", fmt.Sprintf("%s当天闭馆（%s），请选择其他日期", in.Day, reason))
		}
	}
	if len(v.Fields) == 0 {
		switch {
		case start%room.SlotMinutes != 0:
			v.Add("start", fmt.Sprintf("开始时间应为整 %d 分钟的时段起点", room.SlotMinutes))
		case in.Slots > room.MaxSlots:
			v.Add("slots", fmt.Sprintf("%s一次最多预约 %d 分钟（%d 个时段）", room.Name, room.MaxMinutes(), room.MaxSlots))
		case start < hours.Open || end > hours.Close:
			v.Add("start", fmt.Sprintf("超出开放时间：当天开放 %s，请在开放时间内选择", hours.Label()))
		case !in.StartsAt.After(now):
			v.Add("start", "该时段已经开始或已过去，请选择之后的时段")
		}
	}
	if in.People > room.Capacity {
		v.Add("people", fmt.Sprintf("%s最多容纳 %d 人", room.Name, room.Capacity))
	}
	return v.Err()
}

// CheckInInput is staff's outcome for a booking at the desk.
type CheckInInput struct {
	Outcome BookingStatus // checked_in or no_show
}

// CheckOutcome decides staff's outcome for b at now: checked_in from CheckInEarly before the
// start, no_show once it started; a *ValidationError for any other outcome or too early.
func CheckOutcome(b *Booking, outcome BookingStatus, now time.Time) error {
	switch outcome {
	case BookingCheckedIn:
		if now.Before(b.StartsAt.Add(-CheckInEarly)) {
			return fieldErrorf("outcome", "开始前 %d 分钟起才能签到（本预约 %s %s 开始）", int(CheckInEarly/time.Minute), b.Day(), b.StartsAt.In(Shanghai).Format("15:04"))
		}
	case BookingNoShow:
		if now.Before(b.StartsAt) {
			return fieldErrorf("outcome", "预约开始后才能标记未到")
		}
	default:
		return fieldErrorf("outcome", "签到结果应为 checked_in（已签到）或 no_show（未到）")
	}
	return nil
}

func fieldErrorf(field, format string, args ...any) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}
