package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Service centres (生活服务中心、文化活动中心, issue 12 item 6). A centre belongs to one
// community and has opening hours per weekday (WeekHours) and closed days; its rooms and
// service windows (CentreRoom) are booked by residents for a time slot. A room's day is cut into
// slots of its SlotMinutes, counted from midnight; a booking takes one or more consecutive
// slots that lie wholly inside the centre's opening hours of that day. booking.go holds the
// bookings.

// CentreKind is what a centre is for.
type CentreKind string

// The kinds of centres.
const (
	CentreLife    CentreKind = "life"    // 生活服务中心
	CentreCulture CentreKind = "culture" // 文化活动中心
	CentreOther   CentreKind = "other"   // 其他（如综治工作中心）
)

// CentreKinds lists the kinds in the order forms show them.
var CentreKinds = []CentreKind{CentreLife, CentreCulture, CentreOther}

var centreKindLabels = map[CentreKind]string{CentreLife: "生活服务中心", CentreCulture: "文化活动中心", CentreOther: "其他服务中心"}

// Label is the kind's Chinese name.
func (k CentreKind) Label() string { return centreKindLabels[k] }

// Valid reports whether k is a known kind.
func (k CentreKind) Valid() bool { return centreKindLabels[k] != "" }

// RoomKind is what is booked: a room, or a service window (a counter served by staff).
type RoomKind string

// The kinds of bookable places.
const (
	RoomRoom   RoomKind = "room"   // 活动室
	RoomWindow RoomKind = "window" // 服务窗口
)

var roomKindLabels = map[RoomKind]string{RoomRoom: "活动室", RoomWindow: "服务窗口"}

// Label is the kind's Chinese name.
func (k RoomKind) Label() string { return roomKindLabels[k] }

// Valid reports whether k is a known kind.
func (k RoomKind) Valid() bool { return roomKindLabels[k] != "" }

// Limits of centres and bookings.
const (
	CentreNameMax     = 60  // runes of a centre's or a room's name
	CentreAddressMax  = 120 // runes of an address
	CentreNoteMax     = 200 // runes of a closed day's reason, a booking's purpose
	RoomCapacityMax   = 2000
	RoomMaxSlotsMax   = 16 // slots one booking may take at most (a room's MaxSlots)
	BookingDaysAhead  = 30 // a booking starts at most this many days ahead
	CheckInEarly      = 30 * time.Minute
	hoursGrid         = 15 // opening hours lie on a quarter-hour grid
	minutesPerDay     = 24 * 60
	weekdayCount      = 7
	defaultSlotMinute = 60
)

// SlotMinutesAllowed are the slot lengths a room may have.
var SlotMinutesAllowed = []int{15, 30, 60}

// weekdayNames are the weekdays Monday first, as WeekHours holds them.
var weekdayNames = [weekdayCount]string{"周一", "周二", "周三", "周四", "周五", "周六", "周日"}

// WeekdayName is the Chinese name of the weekday of index i (0 = Monday).
func WeekdayName(i int) string { return weekdayNames[i] }

// weekdayIndex is t's weekday Monday first (0 = Monday).
func weekdayIndex(t time.Time) int { return (int(t.Weekday()) + 6) % 7 }

// DayHours are one weekday's opening hours in minutes from midnight; Open == Close == 0 is
// closed all day.
type DayHours struct{ Open, Close int }

// Closed reports whether the centre is closed all that weekday.
func (h DayHours) Closed() bool { return h.Open == h.Close }

// String is "08:30-17:30", or "" when closed.
func (h DayHours) String() string {
	if h.Closed() {
		return ""
	}
	return ClockText(h.Open) + "-" + ClockText(h.Close)
}

// Label is "08:30–17:30", or "闭馆".
func (h DayHours) Label() string {
	if h.Closed() {
		return "闭馆"
	}
	return ClockText(h.Open) + "–" + ClockText(h.Close)
}

// WeekHours are a centre's opening hours Monday first.
type WeekHours [weekdayCount]DayHours

// String encodes the week as the database and the API hold it: seven entries Monday first,
// "08:30-17:30" or "" for closed, joined by commas.
func (w WeekHours) String() string {
	parts := make([]string, weekdayCount)
	for i, h := range w {
		parts[i] = h.String()
	}
	return strings.Join(parts, ",")
}

// Days are the seven entries as strings (Monday first).
func (w WeekHours) Days() []string {
	out := make([]string, weekdayCount)
	for i, h := range w {
		out[i] = h.String()
	}
	return out
}

// ClockText is minutes from midnight as "08:30".
func ClockText(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// ParseClock reads "8:30" or "08:30" (up to "24:00") into minutes from midnight; ok false
// for anything else.
func ParseClock(s string) (int, bool) {
	h, m, found := strings.Cut(strings.TrimSpace(s), ":")
	if !found || len(m) != 2 || len(h) == 0 || len(h) > 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, false
	}
	return hh*60 + mm, true
}

// parseDayHours reads "08:30-17:30" (or "08:30–17:30"); "" or "闭馆" is closed. The message
// says what is wrong.
func parseDayHours(s string) (DayHours, string) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "–", "-"))
	if s == "" || s == "闭馆" || s == "-" {
		return DayHours{}, ""
	}
	a, b, found := strings.Cut(s, "-")
	open, ok1 := ParseClock(a)
	closeAt, ok2 := ParseClock(b)
	switch {
	case !found || !ok1 || !ok2:
		return DayHours{}, "开放时间应写成“08:30-17:30”，不开放的日子留空"
	case open >= closeAt:
		return DayHours{}, "开门时间应早于关门时间"
	case open%hoursGrid != 0 || closeAt%hoursGrid != 0:
		return DayHours{}, "开放时间请取整刻钟（如 08:30、08:45）"
	}
	return DayHours{Open: open, Close: closeAt}, ""
}

// ParseWeekHours reads the encoding of WeekHours.String (seven entries Monday first); used for
// the stored value, where a bad entry is a bug: the error says which.
func ParseWeekHours(s string) (WeekHours, error) {
	var w WeekHours
	parts := strings.Split(s, ",")
	if len(parts) != weekdayCount {
		return w, fmt.Errorf("week hours %q: %d entries", s, len(parts))
	}
	for i, p := range parts {
		h, msg := parseDayHours(p)
		if msg != "" {
			return w, fmt.Errorf("week hours %q: %s", s, msg)
		}
		w[i] = h
	}
	return w, nil
}

// Centre is a service centre of a community.
type Centre struct {
	ID            int64
	CommunityID   int64
	CommunityName string
	Path          string // the community's
	Name          string
	Kind          CentreKind
	Address       string
	Hours         WeekHours
	Active        bool
	Rooms         []*CentreRoom // read with the centre (CentreDetail), nil in lists
	ClosedDays    []ClosedDay   // upcoming closed days (CentreDetail), nil in lists
	RoomCount     int
	CreatedAt     time.Time
	// Caller is what the caller may do: set by the store for the caller who read it.
	Caller CentreCaller
}

// CentreCaller is the caller's standing at a centre.
type CentreCaller struct {
	Manage bool // staff whose territory holds the community: rooms, hours, closed days, the day's bookings, check-in
	Book   bool // may book a room of it (a household's account of the community, or staff who manage it)
}

// HoursOn is the centre's opening hours on day (a date in Shanghai).
func (c *Centre) HoursOn(day time.Time) DayHours { return c.Hours[weekdayIndex(day)] }

// ClosedOn is the reason the centre is closed on day ("" when it is not a closed day).
func (c *Centre) ClosedOn(day string) (string, bool) {
	for _, d := range c.ClosedDays {
		if d.Day == day {
			return d.Reason, true
		}
	}
	return "", false
}

// WeekRows are the seven weekdays with their hours, for templates.
func (c *Centre) WeekRows() []WeekRow {
	out := make([]WeekRow, weekdayCount)
	for i, h := range c.Hours {
		out[i] = WeekRow{Name: weekdayNames[i], Hours: h}
	}
	return out
}

// WeekRow is one weekday's line of a centre's hours.
type WeekRow struct {
	Name  string
	Hours DayHours
}

// Room returns the centre's room id, nil when it has none.
func (c *Centre) Room(id int64) *CentreRoom {
	for _, r := range c.Rooms {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// ClosedDay is a date (YYYY-MM-DD, Shanghai) the centre is closed, with the reason.
type ClosedDay struct {
	Day    string
	Reason string
}

// CentreRoom is a room or a service window of a centre.
type CentreRoom struct {
	ID          int64
	CentreID    int64
	Name        string
	Kind        RoomKind
	Capacity    int // people it holds (a window: those served at once)
	SlotMinutes int // the length of a slot
	MaxSlots    int // slots one booking may take at most
	Active      bool
}

// MaxMinutes is the longest booking, in minutes.
func (r *CentreRoom) MaxMinutes() int { return r.SlotMinutes * r.MaxSlots }

// CentreInput creates a centre.
type CentreInput struct {
	CommunityID int64
	Name        string
	Kind        CentreKind
	Address     string
	Hours       []string  // seven entries Monday first: "08:30-17:30" or "" (closed)
	Week        WeekHours // set by Validate
}

// Validate trims the input, reads the hours into Week and names every bad field (hours of
// weekday i as "hours.i", 0 = Monday).
func (in *CentreInput) Validate() error {
	v := &ValidationError{}
	in.Name, in.Address = strings.TrimSpace(in.Name), strings.TrimSpace(in.Address)
	if in.CommunityID <= 0 {
		v.Add("community_id", "请选择社区")
	}
	centreNameInput(v, in.Name)
	if !in.Kind.Valid() {
		v.Add("kind", "请选择中心类型：生活服务中心、文化活动中心或其他")
	}
	if utf8.RuneCountInString(in.Address) > CentreAddressMax {
		v.Add("address", fmt.Sprintf("地址不能超过 %d 个字", CentreAddressMax))
	}
	in.Week = weekInput(v, in.Hours)
	return v.Err()
}

// weekInput reads seven entries Monday first into a week, adding to v what is wrong ("hours",
// or "hours.i" for weekday i).
func weekInput(v *ValidationError, hours []string) WeekHours {
	var w WeekHours
	if len(hours) != weekdayCount {
		v.Add("hours", "请按周一到周日填写 7 天的开放时间（不开放的日子留空）")
		return w
	}
	open, bad := false, false
	for i, s := range hours {
		h, msg := parseDayHours(s)
		if msg != "" {
			v.Add("hours."+strconv.Itoa(i), weekdayNames[i]+"："+msg)
			bad = true
			continue
		}
		w[i] = h
		open = open || !h.Closed()
	}
	if !open && !bad {
		v.Add("hours", "一周至少要有一天开放")
	}
	return w
}

// CentrePatch changes a centre (UpdateCentre): a nil field keeps its value. The opening hours
// have their own change (ValidateWeek).
type CentrePatch struct {
	Name    *string
	Kind    *CentreKind
	Address *string
	Active  *bool
}

// CentreUpdate is a centre's name, kind, address and state after a CentrePatch.
type CentreUpdate struct {
	Name    string
	Kind    CentreKind
	Address string
	Active  bool
}

// Apply is c's fields with the patch's over them, trimmed and checked: a
// *ValidationError names every bad field.
func (p CentrePatch) Apply(c *Centre) (CentreUpdate, error) {
	u := CentreUpdate{Name: c.Name, Kind: c.Kind, Address: c.Address, Active: c.Active}
	if p.Name != nil {
		u.Name = *p.Name
	}
	if p.Kind != nil {
		u.Kind = *p.Kind
	}
	if p.Address != nil {
		u.Address = *p.Address
	}
	if p.Active != nil {
		u.Active = *p.Active
	}
	v := &ValidationError{}
	u.Name, u.Address = strings.TrimSpace(u.Name), strings.TrimSpace(u.Address)
	centreNameInput(v, u.Name)
	if !u.Kind.Valid() {
		v.Add("kind", "请选择中心类型：生活服务中心、文化活动中心或其他")
	}
	if utf8.RuneCountInString(u.Address) > CentreAddressMax {
		v.Add("address", fmt.Sprintf("地址不能超过 %d 个字", CentreAddressMax))
	}
	return u, v.Err()
}

// centreNameInput checks a centre's name, adding to v what is wrong.
func centreNameInput(v *ValidationError, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add("name", "请填写中心名称，例如“幸福社区生活服务中心”")
	case n > CentreNameMax:
		v.Add("name", fmt.Sprintf("名称不能超过 %d 个字", CentreNameMax))
	case strings.ContainsAny(name, "\r\n\t\x00"):
		v.Add("name", "名称只能是一行文字")
	}
}

// ValidateWeek reads a centre's new opening hours (seven entries Monday first), naming every
// bad weekday.
func ValidateWeek(hours []string) (WeekHours, error) {
	v := &ValidationError{}
	w := weekInput(v, hours)
	return w, v.Err()
}

// RoomInput adds a room or a window to a centre.
type RoomInput struct {
	Name        string
	Kind        RoomKind
	Capacity    int
	SlotMinutes int
	MaxSlots    int
}

// Validate trims the input, fills the defaults (a 60-minute slot, up to 4 slots) and names
// every bad field.
func (in *RoomInput) Validate() error {
	v := &ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	roomNameInput(v, in.Name)
	if !in.Kind.Valid() {
		v.Add("kind", "请选择类型：活动室或服务窗口")
	}
	roomCapacityInput(v, in.Capacity)
	if in.SlotMinutes == 0 {
		in.SlotMinutes = defaultSlotMinute
	}
	if in.SlotMinutes != 15 && in.SlotMinutes != 30 && in.SlotMinutes != 60 {
		v.Add("slot_minutes", "每个时段应为 15、30 或 60 分钟")
	}
	if in.MaxSlots == 0 {
		in.MaxSlots = 4
	}
	if in.MaxSlots < 1 || in.MaxSlots > RoomMaxSlotsMax {
		v.Add("max_slots", fmt.Sprintf("一次最多可约的时段数应在 1 到 %d 之间", RoomMaxSlotsMax))
	}
	return v.Err()
}

// RoomPatch changes a room or a window (UpdateCentreRoom): a nil field keeps its value. Its
// kind and slot length stay as they were created: the bookings it holds lie on its slot grid.
type RoomPatch struct {
	Name     *string
	Capacity *int
	Active   *bool
}

// RoomUpdate is a room's name, capacity and state after a RoomPatch.
type RoomUpdate struct {
	Name     string
	Capacity int
	Active   bool
}

// Apply is r's fields with the patch's over them, trimmed and checked: a *ValidationError
// names every bad field.
func (p RoomPatch) Apply(r *CentreRoom) (RoomUpdate, error) {
	u := RoomUpdate{Name: r.Name, Capacity: r.Capacity, Active: r.Active}
	if p.Name != nil {
		u.Name = *p.Name
	}
	if p.Capacity != nil {
		u.Capacity = *p.Capacity
	}
	if p.Active != nil {
		u.Active = *p.Active
	}
	v := &ValidationError{}
	u.Name = strings.TrimSpace(u.Name)
	roomNameInput(v, u.Name)
	roomCapacityInput(v, u.Capacity)
	return u, v.Err()
}

func roomNameInput(v *ValidationError, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add("name", "请填写名称，例如“多功能活动室”或“1号窗口”")
	case n > CentreNameMax:
		v.Add("name", fmt.Sprintf("名称不能超过 %d 个字", CentreNameMax))
	case strings.ContainsAny(name, "\r\n\t\x00"):
		v.Add("name", "名称只能是一行文字")
	}
}

func roomCapacityInput(v *ValidationError, n int) {
	if n < 1 || n > RoomCapacityMax {
		v.Add("capacity", fmt.Sprintf("容纳人数应在 1 到 %d 之间", RoomCapacityMax))
	}
}

// ParseClosedDay reads the day of a closed day to remove (YYYY-MM-DD, Shanghai), which must be
// today or later at now: a closed day gone by is the centre's history.
func ParseClosedDay(day string, now time.Time) (string, error) {
	day = strings.TrimSpace(day)
	d, err := time.ParseInLocation(time.DateOnly, day, Shanghai)
	switch {
	case err != nil:
		return "", fieldErrorf("day", "日期应写成 2027-01-01")
	case d.Before(DayOf(now)):
		return "", fieldErrorf("day", "已经过去的闭馆日不能删除")
	}
	return day, nil
}

// ClosedDayInput closes a centre on a day.
type ClosedDayInput struct {
	Day    string // YYYY-MM-DD
	Reason string
}

// Validate trims the input and checks the day is today or later (in Shanghai at now).
func (in *ClosedDayInput) Validate(now time.Time) error {
	v := &ValidationError{}
	in.Day, in.Reason = strings.TrimSpace(in.Day), strings.TrimSpace(in.Reason)
	d, err := time.ParseInLocation(time.DateOnly, in.Day, Shanghai)
	switch {
	case err != nil:
		v.Add("day", "日期应写成 2027-01-01")
	case d.Before(DayOf(now)):
		v.Add("day", "不能设置已经过去的日期")
	}
	switch n := utf8.RuneCountInString(in.Reason); {
	case n == 0:
		v.Add("reason", "请写明闭馆原因，居民会看到它")
	case n > CentreNoteMax:
		v.Add("reason", fmt.Sprintf("原因不能超过 %d 个字", CentreNoteMax))
	}
	return v.Err()
}

// DayOf is the midnight (in Shanghai) that begins t's day.
func DayOf(t time.Time) time.Time {
	y, m, d := t.In(Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Shanghai)
}

// Slot is one slot of a room on a day, as the booking flow shows it.
type Slot struct {
	Start  int // minutes from midnight
	End    int
	Free   bool // neither booked nor past
	Past   bool
	Booked bool
}

// StartText is "09:00".
func (s Slot) StartText() string { return ClockText(s.Start) }

// Key is "0900", for element ids.
func (s Slot) Key() string { return fmt.Sprintf("%02d%02d", s.Start/60, s.Start%60) }

// EndText is "10:00".
func (s Slot) EndText() string { return ClockText(s.End) }

// DaySlots are the slots of room on day (midnight in Shanghai) inside hours, marked past at
// now and booked when their start (minutes from midnight) is in taken.
func DaySlots(room *CentreRoom, hours DayHours, day time.Time, now time.Time, taken map[int]bool) []Slot {
	if hours.Closed() || room.SlotMinutes <= 0 {
		return nil
	}
	var out []Slot
	first := (hours.Open + room.SlotMinutes - 1) / room.SlotMinutes * room.SlotMinutes
	for m := first; m+room.SlotMinutes <= hours.Close; m += room.SlotMinutes {
		s := Slot{Start: m, End: m + room.SlotMinutes}
		s.Past = !day.Add(time.Duration(m) * time.Minute).After(now)
		s.Booked = taken[m]
		s.Free = !s.Past && !s.Booked
		out = append(out, s)
	}
	return out
}
