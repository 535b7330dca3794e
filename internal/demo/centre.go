package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's service centres (issue 12 item 6). A community given to Centres gets a life
// service centre (a service window and a multi-purpose room; closed on Sundays) and a culture
// centre (a calligraphy room, a dance hall and a reading room; closed on Mondays, and a closed
// day for maintenance ten days ahead, and a chess room stopped today after two weeks of use, so a
// stopped room shows), with two weeks of past bookings at the desk (most
// checked in, some no-shows, a few cancelled) and bookings for the coming week, among them the
// demo resident and member accounts'. As the votes do, every step runs on a view of the store
// whose clock reads the time the step took place (store.AsOf). A community that has centres
// gets nothing more.

// CentresResult counts what Centres did.
type CentresResult struct {
	Centres, Rooms, Past, Upcoming, CheckedIn int
}

type demoRoom struct {
	name     string
	kind     model.RoomKind
	capacity int
	slot     int
	max      int
	purposes []string
	stopped  bool // stopped today (UpdateCentreRoom): past bookings only
}

type demoCentre struct {
	suffix string
	kind   model.CentreKind
	addr   string
	hours  []string
	rooms  []demoRoom
}

var demoCentres = []demoCentre{
	{"生活服务中心", model.CentreLife, "社区党群服务中心一楼", []string{"08:30-17:30", "08:30-17:30", "08:30-17:30", "08:30-17:30", "08:30-17:30", "09:00-12:00", ""}, []demoRoom{
		{"便民服务窗口", model.RoomWindow, 1, 15, 2, []string{"办理居住证明", "高龄补贴申领", "医保参保咨询", "开具证明材料"}, false},
		{"多功能活动室", model.RoomRoom, 40, 60, 3, []string{"楼栋议事会", "老年健康讲座", "志愿者培训", "联建单元碰头会"}, false},
	}},
	{"文化活动中心", model.CentreCulture, "社区文化广场东侧", []string{"", "09:00-21:00", "09:00-21:00", "09:00-21:00", "09:00-21:00", "09:00-21:00", "09:00-21:00"}, []demoRoom{
		{"书画室", model.RoomRoom, 20, 60, 3, []string{"老年书法班", "少儿国画课", "书画协会交流"}, false},
		{"舞蹈排练厅", model.RoomRoom, 30, 60, 3, []string{"广场舞队排练", "合唱团排练", "太极拳晨练"}, false},
		{"阅览室", model.RoomRoom, 16, 30, 4, []string{"读书会", "课后作业辅导", "党史学习小组"}, false},
		{"棋牌室", model.RoomRoom, 12, 60, 3, []string{"象棋比赛", "老年棋牌活动"}, true},
	}},
}

// Centres gives community its two centres (see the file comment) by staff by; bookers are the
// accounts that book (the demo resident and member; staff by when none). Deterministic for the
// seed and the day of today (the instant the demo runs).
func Centres(ctx context.Context, st *store.Store, by authz.Scope, community *model.Territory, bookers []authz.Scope, seed int64, today time.Time) (CentresResult, error) {
	var res CentresResult
	p, err := st.Centres(ctx, authz.System(), store.CentreFilter{Territory: community.ID, Limit: 1})
	if err != nil || len(p.Items) > 0 {
		return res, err
	}
	rng := seedFor(seed, fmt.Sprintf("centres-%d", community.ID))
	day0 := model.DayOf(today)
	clock := day0.AddDate(0, 0, -30).Add(9 * time.Hour)
	at := st.AsOf(func() time.Time { return clock })
	if len(bookers) == 0 {
		bookers = []authz.Scope{by}
	}
	bookersAll := append([]authz.Scope{by}, bookers...)
	for _, dc := range demoCentres {
		c, err := at.CreateCentre(ctx, by, model.CentreInput{CommunityID: community.ID, Name: community.Name + dc.suffix, Kind: dc.kind, Address: dc.addr, Hours: dc.hours})
		if err != nil {
			return res, err
		}
		res.Centres++
		var rooms []*model.CentreRoom
		for _, r := range dc.rooms {
			room, err := at.AddCentreRoom(ctx, by, c.ID, model.RoomInput{Name: r.name, Kind: r.kind, Capacity: r.capacity, SlotMinutes: r.slot, MaxSlots: r.max})
			if err != nil {
				return res, err
			}
			rooms = append(rooms, room)
			res.Rooms++
		}
		if dc.kind == model.CentreCulture {
			clock = day0.Add(8 * time.Hour)
			if _, err := at.AddClosedDay(ctx, by, c.ID, model.ClosedDayInput{Day: day0.AddDate(0, 0, 10).Format(time.DateOnly), Reason: "空调设备检修"}); err != nil {
				return res, err
			}
		}
		week, err := model.ParseWeekHours(strings.Join(dc.hours, ","))
		if err != nil {
			return res, err
		}
		// Two weeks past and one to come; each room's day gets a few bookings.
		for d := -14; d <= 6; d++ {
			day := day0.AddDate(0, 0, d)
			h := week[(int(day.Weekday())+6)%7]
			if h.Closed() {
				continue
			}
			for i, room := range rooms {
				plan := dc.rooms[i]
				if plan.stopped && d >= 0 {
					continue
				}
				n := 1 + rng.IntN(3)
				if d >= 0 {
					n = rng.IntN(3)
				}
				for range n {
					slots := 1 + rng.IntN(plan.max)
					first := (h.Open + room.SlotMinutes - 1) / room.SlotMinutes
					last := (h.Close - slots*room.SlotMinutes) / room.SlotMinutes
					if last < first {
						continue
					}
					start := (first + rng.IntN(last-first+1)) * room.SlotMinutes
					startsAt := day.Add(time.Duration(start) * time.Minute)
					who := bookersAll[rng.IntN(len(bookersAll))]
					if d >= 0 && d <= 3 && res.Upcoming < len(bookers) {
						who = bookers[res.Upcoming] // each demo account has a booking to come
					}
					clock = startsAt.Add(-time.Duration(24+rng.IntN(72)) * time.Hour)
					if d >= 0 && !startsAt.After(today) {
						continue // today's slots already begun
					}
					if clock.Before(c.CreatedAt) {
						clock = c.CreatedAt.Add(time.Hour)
					}
					if d >= 0 {
						clock = today
					}
					people := 1
					if plan.kind == model.RoomRoom {
						people = 4 + rng.IntN(plan.capacity-4)
					}
					b, err := at.Book(ctx, who, c.ID, model.BookingInput{RoomID: room.ID, Day: day.Format(time.DateOnly), Start: model.ClockText(start),
						Slots: slots, People: people, Purpose: plan.purposes[rng.IntN(len(plan.purposes))]})
					if err != nil {
						continue // a slot taken by an earlier booking of the plan: the database said no
					}
					if d >= 0 {
						res.Upcoming++
						continue
					}
					res.Past++
					switch x := rng.IntN(20); {
					case x == 0:
						if _, err := at.CancelBooking(ctx, who, b.ID); err != nil {
							return res, err
						}
					case x <= 2:
						clock = b.StartsAt.Add(20 * time.Minute)
						if _, err := at.CheckInBooking(ctx, by, b.ID, model.BookingNoShow); err != nil {
							return res, err
						}
					default:
						clock = b.StartsAt.Add(-time.Duration(rng.IntN(15)) * time.Minute)
						if _, err := at.CheckInBooking(ctx, by, b.ID, model.BookingCheckedIn); err != nil {
							return res, err
						}
						res.CheckedIn++
					}
				}
			}
		}
		clock = today
		stop := false
		for i, room := range rooms {
			if dc.rooms[i].stopped {
				if _, err := at.UpdateCentreRoom(ctx, by, c.ID, room.ID, model.RoomPatch{Active: &stop}); err != nil {
					return res, err
				}
			}
		}
	}
	return res, nil
}
