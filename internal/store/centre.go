package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Service centres (issue 12 item 6; model/centre.go says what a centre is). This file holds
// the centres, their rooms and closed days; booking.go the bookings.
//
// Who reads a centre, as votes (vote.go, householder): staff and grid leaders whose territory
// holds the centre's community or lies in it; the accounts (residents, members, unit leaders)
// linked to a resident whose household lies in the community. Who manages it (rooms, closed
// days, the day's bookings, check-in): staff whose territory holds the community
// (centre.write). Who books: a household's account of the community, and staff who manage it.

const centreColumns = `c.id, c.community_id, t.name, c.path, c.name, c.kind, c.address, c.hours, c.active, c.created_at,
	(SELECT COUNT(*) FROM centre_rooms r WHERE r.centre_id = c.id AND r.active)`

const centreFrom = ` FROM centres c JOIN territories t ON t.id = c.community_id`

func scanCentre(rs rowScanner) (*model.Centre, error) {
	var c model.Centre
	var hours string
	if err := rs.Scan(&c.ID, &c.CommunityID, &c.CommunityName, &c.Path, &c.Name, &c.Kind, &c.Address, &hours, &c.Active, &c.CreatedAt, &c.RoomCount); err != nil {
		return nil, err
	}
	w, err := model.ParseWeekHours(hours)
	if err != nil {
		return nil, fmt.Errorf("centre %d: %w", c.ID, err)
	}
	c.Hours, c.CreatedAt = w, c.CreatedAt.UTC()
	return &c, nil
}

const roomColumns = `id, centre_id, name, kind, capacity, slot_minutes, max_slots, active`

func scanRoom(rs rowScanner) (*model.CentreRoom, error) {
	var r model.CentreRoom
	err := rs.Scan(&r.ID, &r.CentreID, &r.Name, &r.Kind, &r.Capacity, &r.SlotMinutes, &r.MaxSlots, &r.Active)
	return &r, err
}

// readsCentre reports whether the caller reads centres of the community at path.
func (vr householder) readsCentre(path string) bool { return vr.reads(authz.CentreRead, path) }

// managesCentre reports whether the caller manages centres of the community at path: staff
// whose territory holds it.
func (vr householder) managesCentre(path string) bool { return vr.manages(authz.CentreWrite, path) }

// booksAt reports whether the caller may book rooms of a centre of the community at path: a
// household's account of the community, or staff who manage it.
func (vr householder) booksAt(path string) bool {
	return vr.actsFor(authz.CentreBook, authz.CentreWrite, path)
}

// centre reads centre id as the caller may see it (model.ErrNotFound otherwise), with its rooms
// (active ones; all of them for those who manage it), its closed days from today on and the
// caller's standing.
func (c conn) centre(ctx context.Context, sc authz.Scope, id int64, today time.Time) (*model.Centre, householder, error) {
	ce, err := queryOne(ctx, c, `SELECT `+centreColumns+centreFrom+` WHERE c.id = ?`, []any{id}, scanCentre)
	if err != nil {
		return nil, householder{}, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, vr, err
	}
	if !vr.readsCentre(ce.Path) {
		return nil, vr, model.ErrNotFound
	}
	ce.Caller.Manage = vr.managesCentre(ce.Path)
	ce.Caller.Book = ce.Active && vr.booksAt(ce.Path)
	rooms := `SELECT ` + roomColumns + ` FROM centre_rooms WHERE centre_id = ?`
	if !ce.Caller.Manage {
		rooms += ` AND active`
	}
	if ce.Rooms, err = queryAll(ctx, c, rooms+` ORDER BY kind, name, id`, []any{id}, scanRoom); err != nil {
		return nil, vr, err
	}
	ce.ClosedDays = []model.ClosedDay{}
	err = eachRow(ctx, c, `SELECT day, reason FROM centre_closed_days WHERE centre_id = ? AND day >= ? ORDER BY day LIMIT 100`,
		[]any{id, dateArg(today.Format(time.DateOnly))}, func(rs rowScanner) error {
			var d model.ClosedDay
			var day time.Time
			if err := rs.Scan(&day, &d.Reason); err != nil {
				return err
			}
			d.Day = day.Format(time.DateOnly)
			ce.ClosedDays = append(ce.ClosedDays, d)
			return nil
		})
	return ce, vr, err
}

// errNotCentreManager refuses a change to a caller who reads the centre but does not manage it.
var errNotCentreManager = &model.ForbiddenError{Message: "只有本社区（或上级）的工作人员可以管理服务中心"}

// managedCentre reads centre id for staff changing it: model.ErrNotFound when the caller may
// not see it, errNotCentreManager when it sees but does not manage it.
func (c conn) managedCentre(ctx context.Context, sc authz.Scope, id int64, today time.Time) (*model.Centre, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	ce, _, err := c.centre(ctx, sc, id, today)
	if err != nil {
		return nil, err
	}
	if !ce.Caller.Manage {
		return nil, errNotCentreManager
	}
	return ce, nil
}

// Centre returns centre id with its rooms and upcoming closed days as the caller may see it;
// model.ErrNotFound when it does not exist or the caller may not see it.
func (s *Store) Centre(ctx context.Context, sc authz.Scope, id int64) (*model.Centre, error) {
	ce, _, err := s.reader().centre(ctx, sc, id, model.DayOf(s.now()))
	return ce, err
}

// CentreFilter narrows the centres a caller lists.
type CentreFilter struct {
	Kind      model.CentreKind // "": all
	Territory int64            // centres of communities at that node or under it (0: all the caller reads)
	Limit     int
	Cursor    string
}

// Centres lists the centres the caller may see, by community and name: staff and grid leaders
// those of the communities in or above their territory, a household's account those of its
// community. An unknown kind is a *model.ValidationError.
func (s *Store) Centres(ctx context.Context, sc authz.Scope, f CentreFilter) (*Page[*model.Centre], error) {
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, fieldErr("kind", "类型应为 life、culture 或 other")
	}
	if !authz.Allowed(sc.Role, authz.CentreRead) {
		return &Page[*model.Centre]{}, nil
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	cond, args := vr.listWhere("c.path")
	if cond == "" {
		return &Page[*model.Centre]{}, nil
	}
	w := filter{where: []string{cond}, args: args}
	if err := c.underTerritory(ctx, vr, &w, "c.path", f.Territory); err != nil {
		return nil, err
	}
	if f.Kind != "" {
		w.add("c.kind = ?", string(f.Kind))
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("c.id > ?", cur.id)
	}
	limit := clampLimit(f.Limit)
	items, err := queryAll(ctx, c, `SELECT `+centreColumns+centreFrom+` WHERE `+w.sql()+` ORDER BY c.id LIMIT ?`, append(w.args, limit+1), scanCentre)
	if err != nil {
		return nil, err
	}
	p := &Page[*model.Centre]{}
	if len(items) > limit {
		items = items[:limit]
		p.Next = cursor{id: items[limit-1].ID}.encode()
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM centres c WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	for _, ce := range items {
		ce.Caller.Manage = vr.managesCentre(ce.Path)
		ce.Caller.Book = ce.Active && vr.booksAt(ce.Path)
	}
	p.Items = items
	return p, nil
}

// CentreCommunities lists the communities the caller may create a centre in: the communities
// in its territory, by path.
func (s *Store) CentreCommunities(ctx context.Context, sc authz.Scope) ([]*model.Territory, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, nil
	}
	w := filter{where: []string{"kind = 'community'", "archived_at IS NULL"}}
	if !sc.All {
		if sc.Path == "" {
			return nil, nil
		}
		lo, hi := authz.PathRange(sc.Path)
		w.add("path >= ? AND path < ?", lo, hi)
	}
	return queryAll(ctx, s.reader(), `SELECT `+territoryColumns+` FROM territories WHERE `+w.sql()+` ORDER BY path LIMIT 200`, w.args, scanTerritory)
}

// CreateCentre creates a centre in community in.CommunityID (staff, in their territory). A
// community out of the caller's territory, or a node that is no community, is a
// *model.ValidationError on community_id; a centre of that name in the community already is a
// *model.ConflictError (the unique index decides).
func (s *Store) CreateCentre(ctx context.Context, sc authz.Scope, in model.CentreInput) (*model.Centre, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, in.CommunityID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			return fieldErr("community_id", "社区不存在或不在您的管辖范围内")
		case err != nil:
			return err
		case t.Kind != model.KindCommunity:
			return fieldErr("community_id", "服务中心以社区为单位，请选择一个社区")
		}
		err = tx.queryRow(ctx, `INSERT INTO centres (community_id, path, name, kind, address, hours, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{t.ID, t.Path, in.Name, string(in.Kind), in.Address, in.Week.String(), nullID(sc.UserID), s.now()}, &id)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: fmt.Sprintf("%s已有名为“%s”的服务中心", t.Name, in.Name)}
		} else if err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "centre.create", "centre", []int64{id}, string(in.Kind)+", "+in.Week.String())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Centre(ctx, sc, id)
}

// AddCentreRoom adds a room or a service window to centre id (staff who manage it). A name the
// centre has already is a *model.ConflictError.
func (s *Store) AddCentreRoom(ctx context.Context, sc authz.Scope, id int64, in model.RoomInput) (*model.CentreRoom, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var room int64
	err := s.Tx(ctx, func(tx *Tx) error {
		ce, err := tx.managedCentre(ctx, sc, id, model.DayOf(s.now()))
		if err != nil {
			return err
		}
		err = tx.queryRow(ctx, `INSERT INTO centre_rooms (centre_id, community_id, name, kind, capacity, slot_minutes, max_slots, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{ce.ID, ce.CommunityID, in.Name, string(in.Kind), in.Capacity, in.SlotMinutes, in.MaxSlots, s.now()}, &room)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: fmt.Sprintf("%s已有名为“%s”的活动室或窗口", ce.Name, in.Name)}
		} else if err != nil {
			return err
		}
		tx.auditAt(sc, ce.Path, "centre.room.add", "centre", []int64{ce.ID, room}, fmt.Sprintf("%s, %d people, %d min × %d", in.Kind, in.Capacity, in.SlotMinutes, in.MaxSlots))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queryOne(ctx, s.reader(), `SELECT `+roomColumns+` FROM centre_rooms WHERE id = ?`, []any{room}, scanRoom)
}

// AddClosedDay closes centre id on a day (staff who manage it). A day that still holds
// bookings is a *model.ConflictError naming how many: cancel them first, so no resident comes
// to a closed door. A day closed already is a *model.ConflictError.
func (s *Store) AddClosedDay(ctx context.Context, sc authz.Scope, id int64, in model.ClosedDayInput) (*model.Centre, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(s.now()); err != nil {
		return nil, err
	}
	day, _ := time.ParseInLocation(time.DateOnly, in.Day, model.Shanghai)
	err := s.Tx(ctx, func(tx *Tx) error {
		ce, err := tx.managedCentre(ctx, sc, id, model.DayOf(s.now()))
		if err != nil {
			return err
		}
		// The closed day is written first: a booking of that day checks the closed days in its
		// own transaction, so from here on none is added (SQLite: one writer; PostgreSQL: the
		// booking reads its centre's closed days after locking its centre row, as this does).
		if err := tx.lockCentre(ctx, ce.ID, true); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO centre_closed_days (centre_id, community_id, day, reason, created_at) VALUES (?, ?, ?, ?, ?)`,
			ce.ID, ce.CommunityID, dateArg(in.Day), in.Reason, s.now()); errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: in.Day + " 已经设为闭馆日"}
		} else if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM bookings WHERE centre_id = ? AND status = 'booked' AND starts_at >= ? AND starts_at < ?`,
			[]any{ce.ID, day.UTC(), day.AddDate(0, 0, 1).UTC()}, &n); err != nil {
			return err
		}
		if n > 0 {
			return &model.ConflictError{Message: fmt.Sprintf("%s 还有 %d 条预约，请先取消这些预约并通知预约人，再设为闭馆日", in.Day, n)}
		}
		tx.auditAt(sc, ce.Path, "centre.closed_day.add", "centre", []int64{ce.ID}, in.Day)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Centre(ctx, sc, id)
}

// SetCentreHours replaces the opening hours of centre id (staff who manage it), in turn with
// the bookings of the centre (lockCentre): bookings from then on are checked against the new
// hours; those already made stay, and the staff's day pages list them as before.
func (s *Store) SetCentreHours(ctx context.Context, sc authz.Scope, id int64, hours []string) (*model.Centre, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	week, err := model.ValidateWeek(hours)
	if err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		ce, err := tx.managedCentre(ctx, sc, id, model.DayOf(s.now()))
		if err != nil {
			return err
		}
		if err := tx.lockCentre(ctx, ce.ID, true); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE centres SET hours = ? WHERE id = ?`, week.String(), ce.ID); err != nil {
			return err
		}
		tx.auditAt(sc, ce.Path, "centre.hours", "centre", []int64{ce.ID}, week.String())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Centre(ctx, sc, id)
}

// UpdateCentre changes centre id's name, kind, address or state (staff who manage it; nil
// fields of p stay), in turn with the bookings of the centre (lockCentre). A name the community
// has already is a *model.ConflictError. Stopping a centre (active false) keeps its rooms, its
// closed days and every booking it holds for the record, and refuses new bookings from then on
// ("该中心已停用"); it is itself refused, a *model.ConflictError naming how many, while bookings
// from now on are still booked: staff cancel them first and tell the bookers, as for a closed
// day, so no resident comes to a closed door. A stopped centre starts again with active true.
func (s *Store) UpdateCentre(ctx context.Context, sc authz.Scope, id int64, p model.CentrePatch) (*model.Centre, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	now := s.now()
	err := s.Tx(ctx, func(tx *Tx) error {
		// Locked before it is read, so two changes take turns and neither is lost; a booking
		// checks the centre's state after locking its row (PostgreSQL) or behind the single
		// writer (SQLite), so none is added once it is stopped.
		if err := tx.lockCentre(ctx, id, true); err != nil {
			return err
		}
		ce, err := tx.managedCentre(ctx, sc, id, model.DayOf(now))
		if err != nil {
			return err
		}
		u, err := p.Apply(ce)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE centres SET name = ?, kind = ?, address = ?, active = ? WHERE id = ?`, u.Name, string(u.Kind), u.Address, u.Active, ce.ID)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: fmt.Sprintf("%s已有名为“%s”的服务中心", ce.CommunityName, u.Name)}
		} else if err != nil {
			return err
		}
		if ce.Active && !u.Active {
			if n, err := tx.upcomingBookings(ctx, now, `centre_id = ?`, ce.ID); err != nil {
				return err
			} else if n > 0 {
				return &model.ConflictError{Message: fmt.Sprintf("%s还有 %d 条尚未开始的预约，请先取消这些预约并通知预约人，再停用", ce.Name, n)}
			}
		}
		tx.auditAt(sc, ce.Path, "centre.update", "centre", []int64{ce.ID}, fmt.Sprintf("%s, %s, active %t", u.Name, u.Kind, u.Active))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Centre(ctx, sc, id)
}

// UpdateCentreRoom changes room of centre id: its name, capacity or state (staff who manage the
// centre; nil fields of p stay), in turn with the bookings of the centre (lockCentre).
// model.ErrNotFound when the centre has no such room; a name the centre has already is a
// *model.ConflictError. Stopping a room keeps its bookings for the record and refuses new ones;
// it is refused, a *model.ConflictError naming how many, while bookings of it from now on are
// still booked. A capacity below the people of such a booking is refused likewise (cancel or
// move those first).
func (s *Store) UpdateCentreRoom(ctx context.Context, sc authz.Scope, id, room int64, p model.RoomPatch) (*model.CentreRoom, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	now := s.now()
	err := s.Tx(ctx, func(tx *Tx) error {
		if err := tx.lockCentre(ctx, id, true); err != nil {
			return err
		}
		ce, err := tx.managedCentre(ctx, sc, id, model.DayOf(now))
		if err != nil {
			return err
		}
		r := ce.Room(room)
		if r == nil {
			return model.ErrNotFound
		}
		u, err := p.Apply(r)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE centre_rooms SET name = ?, capacity = ?, active = ? WHERE id = ?`, u.Name, u.Capacity, u.Active, r.ID)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: fmt.Sprintf("%s已有名为“%s”的活动室或窗口", ce.Name, u.Name)}
		} else if err != nil {
			return err
		}
		if r.Active && !u.Active {
			if n, err := tx.upcomingBookings(ctx, now, `room_id = ?`, r.ID); err != nil {
				return err
			} else if n > 0 {
				return &model.ConflictError{Message: fmt.Sprintf("%s还有 %d 条尚未开始的预约，请先取消这些预约并通知预约人，再停用", r.Name, n)}
			}
		}
		if u.Capacity < r.Capacity {
			if n, err := tx.upcomingBookings(ctx, now, `room_id = ? AND people > ?`, r.ID, u.Capacity); err != nil {
				return err
			} else if n > 0 {
				return &model.ConflictError{Message: fmt.Sprintf("%s有 %d 条尚未开始的预约超过 %d 人，请先与预约人商量取消或改约，再调低容纳人数", r.Name, n, u.Capacity)}
			}
		}
		tx.auditAt(sc, ce.Path, "centre.room.update", "centre", []int64{ce.ID, r.ID}, fmt.Sprintf("%s, %d people, active %t", u.Name, u.Capacity, u.Active))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queryOne(ctx, s.reader(), `SELECT `+roomColumns+` FROM centre_rooms WHERE id = ?`, []any{room}, scanRoom)
}

// upcomingBookings counts the bookings still booked that start after now and match cond (a
// condition on the bookings table with its arguments args).
func (tx *Tx) upcomingBookings(ctx context.Context, now time.Time, cond string, args ...any) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM bookings WHERE `+cond+` AND status = 'booked' AND starts_at > ?`, append(args, now), &n)
	return n, err
}

// RemoveClosedDay opens centre id again on day (YYYY-MM-DD; staff who manage it): bookings of
// that day are taken from then on. A day gone by or malformed is a *model.ValidationError;
// model.ErrNotFound when the day is not a closed day of the centre.
func (s *Store) RemoveClosedDay(ctx context.Context, sc authz.Scope, id int64, day string) (*model.Centre, error) {
	if !authz.Allowed(sc.Role, authz.CentreWrite) {
		return nil, model.ErrForbidden
	}
	now := s.now()
	day, err := model.ParseClosedDay(day, now)
	if err != nil {
		return nil, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		ce, err := tx.managedCentre(ctx, sc, id, model.DayOf(now))
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM centre_closed_days WHERE centre_id = ? AND day = ?`, ce.ID, dateArg(day))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return model.ErrNotFound
		}
		tx.auditAt(sc, ce.Path, "centre.closed_day.remove", "centre", []int64{ce.ID}, day)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Centre(ctx, sc, id)
}

// lockCentre locks the centre's row on PostgreSQL, exclusively for a closed day being added or
// the centre or a room being changed, shared for a booking (bookings of one centre still run
// side by side), so the two take turns; SQLite's single writer already serializes them.
func (tx *Tx) lockCentre(ctx context.Context, id int64, exclusive bool) error {
	if tx.d.name != "postgres" {
		return nil
	}
	mode := "SHARE"
	if exclusive {
		mode = "UPDATE"
	}
	_, err := tx.exec(ctx, `SELECT id FROM centres WHERE id = ? FOR `+mode, id)
	return err
}
