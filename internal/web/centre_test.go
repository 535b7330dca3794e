package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestCentrePages: staff create a centre from the form (a bad weekday answered under its
// field, the input kept) and add a room; a resident of the community sees it in the list and
// books a free slot with one tap on the phone flow; a second booking of that slot by another
// resident is refused on the same page (409, the reason in the summary, the slot shown taken);
// the resident's bookings list it with a cancel button; staff's day lists it with the booker's
// name (check-in opens 30 minutes ahead: tomorrow's says so); a check-in lost to another desk is
// refused on the day's list, on the booking's row (409); a resident of another community gets 404.
func TestCentrePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		var heads []int64
		for i, name := range []string{"王建华", "李秀英"} {
			h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d室", 101+i)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: name, IDNumber: validID("510781", "19650308", 70+i), Relation: model.RelationHead})
			if err != nil {
				t.Fatal(err)
			}
			heads = append(heads, r.ID)
		}
		for i, name := range []string{"resident", "member"} {
			if err := st.LinkResident(ctx, sys, mustUserID(t, st, name), heads[i]); err != nil {
				t.Fatal(err)
			}
		}
		staff := f.as(t, "staff")
		res := staff.get("/centres/new").want(t, http.StatusOK)
		one(t, res.Doc, "#form-centre")
		form := url.Values{"community_id": {fmt.Sprint(f.community.ID)}, "name": {"天宝社区文化活动中心"}, "kind": {"culture"}}
		for i := range 7 {
			form.Set(fmt.Sprintf("hours.%d", i), "08:00-20:00")
		}
		form.Set("hours.2", "9点到5点")
		res = staff.post("/centres", form).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "周三") {
			t.Errorf("a bad weekday: %q", got)
		}
		if got := attr(one(t, res.Doc, "input[name='hours.2']"), "value"); got != "9点到5点" {
			t.Errorf("the input is not kept: %q", got)
		}
		form.Set("hours.2", "")
		res = staff.post("/centres", form).want(t, http.StatusSeeOther)
		path := strings.Split(res.Header.Get("Location"), "?")[0]
		centre := mustInt(t, strings.TrimPrefix(path, "/centres/"))
		staff.post(path+"/rooms", url.Values{"name": {"多功能活动室"}, "kind": {"room"}, "capacity": {"30"}, "slot_minutes": {"60"}, "max_slots": {"2"}}).want(t, http.StatusSeeOther)
		hours := url.Values{}
		for i := range 7 {
			hours.Set(fmt.Sprintf("hours.%d", i), "08:00-20:00")
		}
		hours.Set("hours.2", "")
		hours.Set("hours.4", "20:00-08:00")
		res = staff.post(path+"/hours", hours).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, ".error-summary")); !strings.Contains(got, "周五") {
			t.Errorf("bad hours: %q", got)
		}
		hours.Set("hours.4", "08:00-20:00")
		staff.post(path+"/hours", hours).want(t, http.StatusSeeOther)
		c, err := st.Centre(ctx, sys, centre)
		if err != nil || len(c.Rooms) != 1 {
			t.Fatalf("the centre: %+v, %v", c, err)
		}
		room := c.Rooms[0].ID

		// The resident: list, centre, flow, one tap.
		resident, member := f.as(t, "resident"), f.as(t, "member")
		res = resident.get("/centres").want(t, http.StatusOK)
		one(t, res.Doc, fmt.Sprintf("#centre-%d", centre))
		res = resident.get(path).want(t, http.StatusOK)
		one(t, res.Doc, fmt.Sprintf("#book-room-%d", room))
		day := model.DayOf(time.Now()).AddDate(0, 0, 1)
		for day.Weekday() == time.Wednesday {
			day = day.AddDate(0, 0, 1)
		}
		dayText := day.Format(time.DateOnly)
		flow := fmt.Sprintf("%s/book?room=%d&day=%s", path, room, dayText)
		res = resident.get(flow).want(t, http.StatusOK)
		one(t, res.Doc, "#slot-0900")
		booking := url.Values{"room_id": {fmt.Sprint(room)}, "day": {dayText}, "slots": {"1"}, "start": {"09:00"}, "purpose": {"书法班"}}
		res = resident.post(path+"/book", booking).want(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/bookings") {
			t.Errorf("after booking: %q", loc)
		}
		res = member.post(path+"/book", booking).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, "#book-conflict")); !strings.Contains(got, "该时段已被预约") {
			t.Errorf("the second booking: %q", got)
		}
		if got := text(one(t, res.Doc, "#slot-0900")); !strings.Contains(got, "已约") {
			t.Errorf("the taken slot: %q", got)
		}
		booking.Set("start", "07:00")
		res = member.post(path+"/book", booking).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#start-error")); !strings.Contains(got, "超出开放时间") {
			t.Errorf("before opening: %q", got)
		}
		res = resident.get("/bookings").want(t, http.StatusOK)
		if n := len(all(res.Doc, ".booking-item")); n != 1 {
			t.Errorf("my bookings: %d", n)
		}
		one(t, res.Doc, "form[action$='/cancel'] button")

		// Staff's day: the name and check-in.
		res = staff.get(fmt.Sprintf("%s/bookings?day=%s", path, dayText)).want(t, http.StatusOK)
		rows := all(res.Doc, "#results tbody tr")
		if len(rows) != 1 || !strings.Contains(text(rows[0]), "resident") || len(all(rows[0], "button[id^='checkin-']")) != 0 ||
			!strings.Contains(text(rows[0]), "开始前 30 分钟起可签到") {
			t.Errorf("the day's bookings: %d rows", len(rows))
		}
		resident.get(path+"/bookings").want(t, http.StatusForbidden)

		// A check-in lost to another desk: the day again, the refusal on the booking's row.
		bid := mustInt(t, strings.TrimPrefix(attr(rows[0], "id"), "booking-"))
		b, err := st.Booking(ctx, sys, bid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AsOf(func() time.Time { return b.StartsAt.Add(-10 * time.Minute) }).CheckInBooking(ctx, sys, bid, model.BookingCheckedIn); err != nil {
			t.Fatal(err)
		}
		res = staff.post(fmt.Sprintf("/bookings/%d/check-in", bid), url.Values{"outcome": {"checked_in"}}).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, fmt.Sprintf("#booking-%d #form-checkin-%d", bid, bid))); !strings.Contains(got, "已签到") {
			t.Errorf("the lost check-in on its row: %q", got)
		}
		if got := attr(one(t, res.Doc, ".error-summary a"), "href"); got != fmt.Sprintf("#form-checkin-%d", bid) {
			t.Errorf("the summary links to %q", got)
		}
		one(t, res.Doc, fmt.Sprintf("#booking-%d .tag", bid))

		// Another community's resident.
		p, err := st.Centres(ctx, sys, store.CentreFilter{})
		if err != nil || !slices.ContainsFunc(p.Items, func(c *model.Centre) bool { return c.ID == centre }) {
			t.Fatal(err)
		}
		u, err := st.CreateUser(ctx, sys, store.UserInput{Username: "dongsheng", DisplayName: "东胜居民", Password: password, Role: model.RoleResident, ScopeID: f.community2.ID})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := st.Residents(ctx, sys, store.ResidentFilter{HouseholdID: f.household2.ID})
		if err != nil || len(rs.Items) == 0 {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, rs.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		f.as(t, "dongsheng").get(path).want(t, http.StatusNotFound)
	})
}

// TestCentreEditPages: staff rename the centre on its page (a blank name answered under its
// field, the input kept), stop it while a booking is ahead (refused on the form, 409, in
// Chinese), then, the booking cancelled, stop it (the page says so, the resident has no booking
// button) and start it again; a room's form lowers its capacity below the booking (409 on that
// room's form, opened) and stops the room (shown stopped to staff, hidden from residents); a
// closed day's button removes it (a day gone by: the reason above the list); staff of another
// community get 404, a resident 403, and no form is shown to a resident.
func TestCentreEditPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx, sys := t.Context(), authz.System()
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: "1栋1单元101室"})
		if err != nil {
			t.Fatal(err)
		}
		head, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "王建华", IDNumber: validID("510781", "19650308", 70), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.LinkResident(ctx, sys, mustUserID(t, st, "resident"), head.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, sys, store.UserInput{Username: "dsstaff", DisplayName: "东胜工作人员", Password: password, Role: model.RoleCommunityStaff, ScopeID: f.community2.ID, TOTPSecret: totpSecret}); err != nil {
			t.Fatal(err)
		}
		c, err := st.CreateCentre(ctx, sys, model.CentreInput{CommunityID: f.community.ID, Name: "天宝社区生活服务中心", Kind: model.CentreLife, Address: "天宝路8号", Hours: slices.Repeat([]string{"08:00-20:00"}, 7)})
		if err != nil {
			t.Fatal(err)
		}
		room, err := st.AddCentreRoom(ctx, sys, c.ID, model.RoomInput{Name: "多功能活动室", Kind: model.RoomRoom, Capacity: 30})
		if err != nil {
			t.Fatal(err)
		}
		day := model.DayOf(f.clock.Now()).AddDate(0, 0, 1).Format(time.DateOnly)
		b, err := st.Book(ctx, sys, c.ID, model.BookingInput{RoomID: room.ID, Day: day, Start: "09:00", People: 12})
		if err != nil {
			t.Fatal(err)
		}
		path := centreURLOf(c.ID)
		staff, resident := f.as(t, "staff"), f.as(t, "resident")

		res := resident.get(path).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#form-centre-edit, form[action*='/rooms/'], form[action$='/remove']")); n != 0 {
			t.Errorf("a resident sees %d edit forms", n)
		}

		// The centre: a blank name, then a stop refused, then a rename.
		edit := url.Values{"name": {" "}, "kind": {"culture"}, "address": {"天宝路9号"}, "active": {"1"}}
		res = staff.post(path, edit).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#f-centre-edit-name-error")); !strings.Contains(got, "请填写中心名称") {
			t.Errorf("a blank name: %q", got)
		}
		if got := attr(one(t, res.Doc, "#f-centre-edit-address"), "value"); got != "天宝路9号" {
			t.Errorf("the input is not kept: %q", got)
		}
		edit.Set("name", "天宝社区文化活动中心")
		edit.Del("active")
		res = staff.post(path, edit).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, "#centre-edit-error")); !strings.Contains(got, "1 条尚未开始的预约") {
			t.Errorf("stopping with a booking ahead: %q", got)
		}

		// A room: a capacity below the booking's 12 refused on its own form, opened.
		roomPath := fmt.Sprintf("%s/rooms/%d", path, room.ID)
		res = staff.post(roomPath, url.Values{"name": {"多功能厅"}, "capacity": {"10"}, "active": {"1"}}).want(t, http.StatusConflict)
		if got := text(one(t, res.Doc, fmt.Sprintf("#room-%d-error", room.ID))); !strings.Contains(got, "超过 10 人") {
			t.Errorf("a capacity below a booking: %q", got)
		}
		if !hasAttr(one(t, res.Doc, fmt.Sprintf("#room-%d details", room.ID)), "open") {
			t.Errorf("the room's form is not open")
		}
		res = staff.post(roomPath, url.Values{"name": {"多功能厅"}, "capacity": {"十二"}, "active": {"1"}}).want(t, http.StatusUnprocessableEntity)
		one(t, res.Doc, fmt.Sprintf("#f-room-%d-capacity-error", room.ID))
		staff.post(roomPath, url.Values{"name": {"多功能厅"}, "capacity": {"12"}, "active": {"1"}}).want(t, http.StatusSeeOther)

		if _, err := st.CancelBooking(ctx, sys, b.ID); err != nil {
			t.Fatal(err)
		}
		staff.post(roomPath, url.Values{"name": {"多功能厅"}, "capacity": {"12"}}).want(t, http.StatusSeeOther)
		res = staff.get(path).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("#room-%d", room.ID))); !strings.Contains(got, "多功能厅") || !strings.Contains(got, "已停用") {
			t.Errorf("staff's stopped room: %q", got)
		}
		res = resident.get(path).want(t, http.StatusOK)
		if n := len(all(res.Doc, fmt.Sprintf("#room-%d", room.ID))); n != 0 {
			t.Errorf("a resident sees the stopped room")
		}
		res = staff.get(fmt.Sprintf("%s/book?room=%d", path, room.ID)).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#book-rooms, #form-book")); n != 0 {
			t.Errorf("the booking flow offers the stopped room to staff")
		}
		// The day's bookings still filter by the stopped room, named as stopped.
		res = staff.get(path+"/bookings?day="+day).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, fmt.Sprintf("select#room option[value='%d']", room.ID))); got != "多功能厅（已停用）" {
			t.Errorf("the stopped room in the day's filter: %q", got)
		}
		staff.post(roomPath, url.Values{"name": {"多功能厅"}, "capacity": {"12"}, "active": {"1"}}).want(t, http.StatusSeeOther)

		// The centre stopped, then started again.
		staff.post(path, edit).want(t, http.StatusSeeOther)
		res = resident.get(path).want(t, http.StatusOK)
		one(t, res.Doc, "#centre-inactive")
		if n := len(all(res.Doc, "a[id^='book-room-']")); n != 0 {
			t.Errorf("a stopped centre offers %d booking buttons", n)
		}
		res = resident.get(path+"/book").want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#book-closed")); !strings.Contains(got, "已停用") {
			t.Errorf("the booking flow of a stopped centre: %q", got)
		}
		edit.Set("active", "1")
		staff.post(path, edit).want(t, http.StatusSeeOther)
		res = resident.get(path).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "h1")); got != "天宝社区文化活动中心" {
			t.Errorf("the renamed centre: %q", got)
		}
		one(t, res.Doc, fmt.Sprintf("#book-room-%d", room.ID))

		// Closed days: removed with its button; a day gone by refused above the list.
		if _, err := st.AddClosedDay(ctx, sys, c.ID, model.ClosedDayInput{Day: day, Reason: "设备检修"}); err != nil {
			t.Fatal(err)
		}
		res = staff.get(path).want(t, http.StatusOK)
		one(t, res.Doc, "#remove-closed-"+day)
		past := model.DayOf(f.clock.Now()).AddDate(0, 0, -1).Format(time.DateOnly)
		res = staff.post(path+"/closed-days/"+past+"/remove", url.Values{}).want(t, http.StatusUnprocessableEntity)
		if got := text(one(t, res.Doc, "#closed-remove-error")); !strings.Contains(got, "已经过去") {
			t.Errorf("removing a day gone by: %q", got)
		}
		resident.post(path+"/closed-days/"+day+"/remove", url.Values{}).want(t, http.StatusForbidden)
		f.as(t, "dsstaff").post(path+"/closed-days/"+day+"/remove", url.Values{}).want(t, http.StatusNotFound)
		f.as(t, "dsstaff").post(path, edit).want(t, http.StatusNotFound)
		staff.post(path+"/closed-days/"+day+"/remove", url.Values{}).want(t, http.StatusSeeOther)
		res = staff.get(path).want(t, http.StatusOK)
		if n := len(all(res.Doc, "#closed-days li")); n != 0 {
			t.Errorf("closed days after the removal: %d", n)
		}
		staff.post(path+"/closed-days/"+day+"/remove", url.Values{}).want(t, http.StatusNotFound)
	})
}

func centreURLOf(id int64) string { return fmt.Sprintf("/centres/%d", id) }
