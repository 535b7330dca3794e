package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Service centres (生活服务中心、文化活动中心, issue 12 item 6). Staff at a desk: the list of
// centres (filter by kind, pager), a new centre with its week's hours, a centre's page with its
// rooms and windows and closed days (forms to add both, to rename or stop the centre and each
// room, to remove a closed day), and the day's bookings with check-in
// (booking.go). A resident on a phone: its community's centres as cards, a centre's rooms with a
// big "预约" each, then the booking flow (booking.go): day, free slots, one tap books.

func centreURL(id int64) string { return "/centres/" + strconv.FormatInt(id, 10) }

var centreFields = []string{"community_id", "name", "kind", "address", "hours.0", "hours.1", "hours.2", "hours.3", "hours.4", "hours.5", "hours.6"}

type centresPage struct {
	Page
	List
	Rows []*model.Centre
}

func (wb *Web) listCentres(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	kind := q.Get("kind")
	if kind != "" && !model.CentreKind(kind).Valid() {
		return model.ErrNotFound
	}
	pg, err := wb.st.Centres(r.Context(), scope(r), store.CentreFilter{Kind: model.CentreKind(kind), Cursor: q.Get("cursor"), Limit: 30})
	if err != nil {
		return err
	}
	p := &centresPage{Page: wb.base(r, wb.t("centres.title"), "centres"), Rows: pg.Items}
	p.Head = Head{Title: p.Title, Lead: wb.t("centres.lead")}
	if p.Can(authz.CentreBook) {
		p.Head.Actions = append(p.Head.Actions, Link{Label: wb.t("bookings.mine"), URL: "/bookings", Icon: "clock"})
	}
	if p.Can(authz.CentreWrite) {
		p.Head.Actions = append(p.Head.Actions, Link{Label: wb.t("centres.new"), URL: "/centres/new", Icon: "plus", Primary: true})
	}
	kinds := []Option{{Label: wb.t("list.all")}}
	for _, k := range model.CentreKinds {
		kinds = append(kinds, Option{Value: string(k), Label: k.Label()})
	}
	p.Filters = FilterBar{Action: "/centres", Fields: []Filter{selectFilter("kind", wb.t("centres.filter.kind"), kind, kinds...)}}
	if kind != "" {
		p.Filters.ClearURL = "/centres"
		p.Empty = wb.emptyFiltered("home", wb.t("centres.empty.filtered"), "/centres")
	} else {
		p.Empty = Empty{Icon: "home", Title: wb.t("centres.empty"), Text: wb.t("centres.empty.next")}
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	p.Pager = newPager(wb.t("centres.total", strconv.FormatInt(pg.Total, 10)), "/centres", q, q.Get("cursor"), pg.Next)
	return wb.renderList(w, r, "centres/list", p)
}

type centreNewPage struct {
	Page
	Form        *Form
	Communities []*model.Territory
	Kinds       []model.CentreKind
	Days        []string
}

func (wb *Web) newCentre(w http.ResponseWriter, r *http.Request) error {
	v := url.Values{"kind": {string(model.CentreLife)}}
	for i := range 5 {
		v.Set("hours."+strconv.Itoa(i), "08:30-17:30")
	}
	v.Set("hours.5", "09:00-12:00")
	return wb.centreNewFor(w, r, http.StatusOK, newForm("centre", v, centreFields...))
}

func (wb *Web) centreNewFor(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &centreNewPage{Page: wb.base(r, wb.t("centres.new"), "centres"), Form: f, Kinds: model.CentreKinds}
	for i := range 7 {
		p.Days = append(p.Days, model.WeekdayName(i))
	}
	var err error
	if p.Communities, err = wb.st.CentreCommunities(r.Context(), scope(r)); err != nil {
		return err
	}
	if len(p.Communities) == 1 && f.Values.Get("community_id") == "" {
		f.Values.Set("community_id", strconv.FormatInt(p.Communities[0].ID, 10))
	}
	p.Crumbs = []Crumb{{Name: wb.t("centres.title"), URL: "/centres"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "centres/new", p)
}

func (wb *Web) createCentre(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("centre", r.PostForm, centreFields...)
	in := model.CentreInput{Name: f.Values.Get("name"), Kind: model.CentreKind(f.Values.Get("kind")), Address: f.Values.Get("address")}
	in.CommunityID, _ = strconv.ParseInt(f.Values.Get("community_id"), 10, 64)
	for i := range 7 {
		in.Hours = append(in.Hours, f.Values.Get("hours."+strconv.Itoa(i)))
	}
	c, err := wb.st.CreateCentre(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.centreNewFor(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, centreURL(c.ID), "centre_created")
	return nil
}

// centrePage is one centre as the caller sees it.
type centrePage struct {
	Page
	Centre      *model.Centre
	Today       string
	Room        *Form // staff: a new room or window
	Closed      *Form // staff: a closed day
	Hours       *Form // staff: the week's hours
	Edit        *Form // staff: the centre's name, kind, address and state
	RoomEdit    *Form // staff: a room's change that failed ("entry" names the room)
	Remove      *Form // staff: a closed day's removal that failed (its message)
	Days        []string
	Kinds       []model.RoomKind
	CentreKinds []model.CentreKind
}

var centreEditFields = []string{"name", "kind", "address", "active"}

var roomEditFields = []string{"name", "capacity", "active"}

// RoomForm is the edit form of room r: the one that failed, or one with its values.
func (p *centrePage) RoomForm(r *model.CentreRoom) *Form {
	key := strconv.FormatInt(r.ID, 10)
	if p.RoomEdit != nil && p.RoomEdit.Values.Get("entry") == key {
		return p.RoomEdit
	}
	return newForm("room-"+key, url.Values{"entry": {key}, "name": {r.Name}, "capacity": {strconv.Itoa(r.Capacity)}, "active": {boolValue(r.Active)}}, roomEditFields...)
}

func (wb *Web) centrePageFor(w http.ResponseWriter, r *http.Request, status int, fill func(p *centrePage)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := wb.st.Centre(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	today := wb.st.Now().In(model.Shanghai).Format(time.DateOnly)
	p := &centrePage{Page: wb.base(r, c.Name, "centres"), Centre: c, Today: today, Kinds: []model.RoomKind{model.RoomRoom, model.RoomWindow},
		CentreKinds: model.CentreKinds,
		Room:        newForm("room", url.Values{"kind": {string(model.RoomRoom)}, "slot_minutes": {"60"}, "max_slots": {"2"}}, "name", "kind", "capacity", "slot_minutes", "max_slots"),
		Closed:      newForm("closed", nil, "day", "reason"),
		Edit: newForm("centre-edit", url.Values{"name": {c.Name}, "kind": {string(c.Kind)}, "address": {c.Address}, "active": {boolValue(c.Active)}},
			centreEditFields...)}
	hv := url.Values{}
	for i, h := range c.Hours.Days() {
		hv.Set("hours."+strconv.Itoa(i), h)
		p.Days = append(p.Days, model.WeekdayName(i))
	}
	p.Hours = newForm("hours", hv, centreFields[4:]...)
	p.Crumbs = []Crumb{{Name: wb.t("centres.title"), URL: "/centres"}, {Name: c.Name}}
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Room, p.Closed, p.Hours, p.Edit, p.RoomEdit, p.Remove} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "centres/show", p)
}

func (wb *Web) showCentre(w http.ResponseWriter, r *http.Request) error {
	return wb.centrePageFor(w, r, http.StatusOK, nil)
}

func (wb *Web) addCentreRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("room", r.PostForm, "name", "kind", "capacity", "slot_minutes", "max_slots")
	in := model.RoomInput{Name: f.Values.Get("name"), Kind: model.RoomKind(f.Values.Get("kind"))}
	var bad bool
	for _, x := range []struct {
		name string
		dst  *int
	}{{"capacity", &in.Capacity}, {"slot_minutes", &in.SlotMinutes}, {"max_slots", &in.MaxSlots}} {
		if s := f.Values.Get(x.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				f.add(x.name, wb.t("centres.number.bad"))
				bad = true
			}
			*x.dst = n
		}
	}
	if !bad {
		if _, err = wb.st.AddCentreRoom(r.Context(), scope(r), id, in); err != nil && !f.fail(err) {
			return err
		}
	}
	if f.Invalid() {
		return wb.centrePageFor(w, r, formStatus(err), func(p *centrePage) { p.Room = f })
	}
	redirect(w, r, centreURL(id), "room_added")
	return nil
}

func (wb *Web) addClosedDay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("closed", r.PostForm, "day", "reason")
	if _, err := wb.st.AddClosedDay(r.Context(), scope(r), id, model.ClosedDayInput{Day: f.Values.Get("day"), Reason: f.Values.Get("reason")}); err != nil {
		if f.fail(err) {
			return wb.centrePageFor(w, r, formStatus(err), func(p *centrePage) { p.Closed = f })
		}
		return err
	}
	redirect(w, r, centreURL(id), "closed_day_added")
	return nil
}

// setCentreHours replaces the centre's week of opening hours.
func (wb *Web) setCentreHours(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("hours", r.PostForm, centreFields[4:]...)
	var hours []string
	for i := range 7 {
		hours = append(hours, f.Values.Get("hours."+strconv.Itoa(i)))
	}
	if _, err := wb.st.SetCentreHours(r.Context(), scope(r), id, hours); err != nil {
		if f.fail(err) {
			return wb.centrePageFor(w, r, formStatus(err), func(p *centrePage) { p.Hours = f })
		}
		return err
	}
	redirect(w, r, centreURL(id), "hours_set")
	return nil
}

// updateCentre changes the centre's name, kind, address and state (POST /centres/{id}): a
// stopped centre takes no booking; stopping one with bookings ahead is refused on the form.
func (wb *Web) updateCentre(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("centre-edit", r.PostForm, centreEditFields...)
	name, kind, address, active := f.Values.Get("name"), model.CentreKind(f.Values.Get("kind")), f.Values.Get("address"), f.Checked("active")
	if _, err := wb.st.UpdateCentre(r.Context(), scope(r), id, model.CentrePatch{Name: &name, Kind: &kind, Address: &address, Active: &active}); err != nil {
		if f.fail(err) {
			return wb.centrePageFor(w, r, formStatus(err), func(p *centrePage) { p.Edit = f })
		}
		return err
	}
	redirect(w, r, centreURL(id), "centre_updated")
	return nil
}

// updateCentreRoom changes a room's name, capacity and state (POST /centres/{id}/rooms/{room});
// a refusal opens that room's form again with the input kept.
func (wb *Web) updateCentreRoom(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	room, err := strconv.ParseInt(r.PathValue("room"), 10, 64)
	if err != nil || room <= 0 {
		return model.ErrNotFound
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	key := strconv.FormatInt(room, 10)
	r.PostForm.Set("entry", key)
	f := newForm("room-"+key, r.PostForm, roomEditFields...)
	name, active := f.Values.Get("name"), f.Checked("active")
	capacity, convErr := strconv.Atoi(strings.TrimSpace(f.Values.Get("capacity")))
	if convErr != nil {
		f.add("capacity", wb.t("centres.number.bad"))
	} else if _, err = wb.st.UpdateCentreRoom(r.Context(), scope(r), id, room, model.RoomPatch{Name: &name, Capacity: &capacity, Active: &active}); err != nil && !f.fail(err) {
		return err
	}
	if f.Invalid() {
		return wb.centrePageFor(w, r, formStatus(err), func(p *centrePage) { p.RoomEdit = f })
	}
	redirect(w, r, centreURL(id), "room_updated")
	return nil
}

// removeClosedDay opens the centre again on a closed day (POST
// /centres/{id}/closed-days/{day}/remove); a refusal is shown above the closed days.
func (wb *Web) removeClosedDay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("closed-remove", nil)
	if _, err := wb.st.RemoveClosedDay(r.Context(), scope(r), id, r.PathValue("day")); err != nil {
		if !f.fail(err) {
			return err
		}
		for _, e := range f.Errors { // the day is the path's, not a field of the page: one line
			f.Message = e.Message
		}
		f.Errors = nil
		return wb.centrePageFor(w, r, formStatus(err), func(p *centrePage) { p.Remove = f })
	}
	redirect(w, r, centreURL(id), "closed_day_removed")
	return nil
}
