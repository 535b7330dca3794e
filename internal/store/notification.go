package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// In-app notifications (消息): written inside the transaction of whatever they report, read by
// their account only. A notification with a key is sent at most once per account and key (a
// unique index decides, so two instances or a rerun never notify twice).

// Notify sends n inside tx; it reports whether it was sent (false: one with its key was sent
// to that account before). A notification sent also publishes a "notification" event to its
// account (event.go), so its open pages update their unread count.
func (tx *Tx) Notify(ctx context.Context, n model.NotificationInput) (bool, error) {
	key := dedupKey(n)
	k, err := tx.insertNotifications(ctx, `INSERT INTO notifications (user_id, kind, title, body, link, dedup_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`, n.UserID, n.Kind, n.Title, n.Body, n.Link, key, now())
	return k == 1, err
}

// notifyHousehold sends n to every account linked to a resident of household h.
func (tx *Tx) notifyHousehold(ctx context.Context, h int64, n model.NotificationInput) error {
	key := dedupKey(n)
	_, err := tx.insertNotifications(ctx, `INSERT INTO notifications (user_id, kind, title, body, link, dedup_key, created_at)
		SELECT u.id, ?, ?, ?, ?, ?, ? FROM users u JOIN residents r ON r.id = u.resident_id WHERE r.household_id = ? AND u.disabled = ?
		ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`, n.Kind, n.Title, n.Body, n.Link, key, now(), h, false)
	return err
}

// notifyUsers sends n to each of users (none: nothing is sent), as one statement.
func (tx *Tx) notifyUsers(ctx context.Context, users []int64, n model.NotificationInput) error {
	if len(users) == 0 {
		return nil
	}
	key := dedupKey(n)
	var q strings.Builder
	q.WriteString(`INSERT INTO notifications (user_id, kind, title, body, link, dedup_key, created_at) VALUES `)
	args := make([]any, 0, 7*len(users))
	at := now()
	for i, u := range users {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, u, n.Kind, n.Title, n.Body, n.Link, key, at)
	}
	if key == nil && tx.d.name != "postgres" {
		// Without a key nothing conflicts (the unique index holds only keyed rows): on SQLite
		// the ids come from the statement's result (inserted) instead of RETURNING rows.
		r, err := tx.exec(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		last, k, err := inserted(r)
		if err != nil {
			return err
		}
		if k != int64(len(users)) {
			return fmt.Errorf("notifications: %d of %d inserted", k, len(users))
		}
		sent := make([]sentNotification, len(users))
		for i, u := range users {
			sent[i] = sentNotification{id: last - int64(len(users)-1-i), user: u, kind: n.Kind, link: n.Link}
		}
		return tx.notifiedOf(sent)
	}
	q.WriteString(` ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`)
	_, err := tx.insertNotifications(ctx, q.String(), args...)
	return err
}

// dedupKey is n's key as the notifications' dedup_key holds it: NULL when it has none (the
// unique index holds only keyed rows).
func dedupKey(n model.NotificationInput) any {
	if n.Key == "" {
		return nil
	}
	return n.Key
}

// insertNotifications runs insert, an INSERT of notifications, and publishes a "notification"
// event (model.EventNotification) to the account of each row it inserted; it returns how many
// it inserted. Every write of notifications goes through it or notifiedOf.
func (tx *Tx) insertNotifications(ctx context.Context, insert string, args ...any) (int64, error) {
	sent, err := queryAll(ctx, tx.conn, insert+` RETURNING id, user_id, kind, link`, args, func(r rowScanner) (sentNotification, error) {
		var n sentNotification
		return n, r.Scan(&n.id, &n.user, &n.kind, &n.link)
	})
	if err != nil {
		return 0, err
	}
	return int64(len(sent)), tx.notifiedOf(sent)
}

// sentNotification is a notification inserted.
type sentNotification struct {
	id, user   int64
	kind, link string
}

// notifiedOf publishes a "notification" event to the account of each of sent, and keeps their
// ids for the outbox (SetOutbox).
func (tx *Tx) notifiedOf(sent []sentNotification) error {
	evs := make([]eventRow, 0, len(sent))
	for _, n := range sent {
		// Kind and link only: the page needs to know that one arrived, and where it points;
		// it reads the notification itself through the usual route.
		data, err := json.Marshal(struct {
			ID   int64  `json:"id,string"`
			Kind string `json:"kind"`
			Link string `json:"link,omitempty"`
		}{n.id, n.kind, n.link})
		if err != nil {
			return err
		}
		tx.notified = append(tx.notified, n.id)
		evs = append(evs, eventRow{user: n.user, kind: model.EventNotification, subject: "notification:" + strconv.FormatInt(n.id, 10), data: string(data)})
	}
	tx.publishRows(evs)
	return nil
}

// SetOutbox makes every transaction that sends notifications call f with their ids, inside
// the transaction, before it commits: the job queue enqueues their delivery through an
// outbound channel there (internal/jobs/outbound.go), so a delivery is queued if and only if
// its notification is committed. An error from f rolls the transaction back. Set it before
// the store is used; nil: no outbound delivery.
func (s *Store) SetOutbox(f func(ctx context.Context, tx *sql.Tx, notifications []int64) error) {
	s.outbox = f
}

// OutboundMessage reads notification id as an outbound channel receives it: for the delivery
// job, which runs as the system, not as a user. ErrNotFound when there is none.
func (s *Store) OutboundMessage(ctx context.Context, id int64) (*model.OutboundMessage, error) {
	var m model.OutboundMessage
	err := s.reader().queryRow(ctx, `SELECT id, user_id, kind, title, body, link, created_at FROM notifications WHERE id = ?`, []any{id},
		&m.NotificationID, &m.UserID, &m.Kind, &m.Title, &m.Body, &m.Link, &m.CreatedAt)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

const notificationColumns = `id, kind, title, body, link, created_at, read_at`

func scanNotification(r rowScanner) (*model.Notification, error) {
	var n model.Notification
	var read sql.NullTime
	if err := r.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Link, &n.CreatedAt, &read); err != nil {
		return nil, err
	}
	if read.Valid {
		n.ReadAt = &read.Time
	}
	return &n, nil
}

// Notifications lists the caller's own notifications, newest first, a page at a time, with the
// total.
func (s *Store) Notifications(ctx context.Context, sc authz.Scope, limit int, cur string) (*Page[*model.Notification], error) {
	c := s.reader()
	cu, err := decodeCursor(cur)
	if err != nil {
		return nil, err
	}
	w := filter{}
	w.add("user_id = ?", sc.UserID)
	count := w.clone()
	if cu.id != 0 {
		w.add("id < ?", cu.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+notificationColumns+` FROM notifications WHERE `+w.sql()+` ORDER BY id DESC`, w.args, clampLimit(limit),
		func(r rowScanner) (*model.Notification, cursor, error) {
			n, err := scanNotification(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return n, cursor{id: n.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	return page, c.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE `+count.sql(), count.args, &page.Total)
}

// UnreadNotifications counts the caller's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, sc authz.Scope) (int, error) {
	var n int
	err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, []any{sc.UserID}, &n)
	return n, err
}

// MarkNotificationRead marks the caller's notification id read (again: no change).
// ErrNotFound when it is not the caller's.
func (s *Store) MarkNotificationRead(ctx context.Context, sc authz.Scope, id int64) error {
	if sc.Role == model.RoleAuditor {
		// Separation of duties: an auditor changes nothing, its own read marks included.
		return &model.ForbiddenError{Message: "审计员账号只读，不能更改任何数据"}
	}
	return s.Tx(ctx, func(tx *Tx) error {
		var owner int64
		if err := tx.queryRow(ctx, `SELECT user_id FROM notifications WHERE id = ?`, []any{id}, &owner); err != nil {
			return err
		}
		if owner != sc.UserID || sc.UserID == 0 {
			return model.ErrNotFound
		}
		_, err := tx.exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL`, now(), id)
		return err
	})
}

// SendDutyReminders notifies, for month m, the accounts of every unit's duty household (those
// linked to its residents) and the unit's leader account, set-based: two INSERT … SELECT for
// all units. Each carries the key duty:UNIT:MONTH, so a rerun, or two instances running it
// at once, never notify an account twice. It returns how many notifications were sent.
func (s *Store) SendDutyReminders(ctx context.Context, m model.Month) (int64, error) {
	var sent int64
	err := s.Tx(ctx, func(tx *Tx) error {
		ts := now()
		key := `'duty:' || CAST(d.unit_id AS TEXT) || ':' || d.month`
		body := fmt.Sprintf("%s由您家担任联建轮值户，请按本月清单完成楼道卫生、安全巡查、走访困难户等事项，完成后在“我家轮值”中打勾。", m.Label())
		k, err := tx.insertNotifications(ctx, `INSERT INTO notifications (user_id, kind, title, body, link, dedup_key, created_at)
			SELECT us.id, 'duty.reminder', '本月轮到您家轮值：' || un.name, ?, '/units/duty/mine', `+key+`, ?
			FROM unit_duty d JOIN units un ON un.id = d.unit_id AND un.status = 'active'
			JOIN residents r ON r.household_id = d.household_id JOIN users us ON us.resident_id = r.id AND us.disabled = ?
			WHERE d.month = ?
			ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`, body, ts, false, m.String())
		if err != nil {
			return err
		}
		sent += k
		k, err = tx.insertNotifications(ctx, `INSERT INTO notifications (user_id, kind, title, body, link, dedup_key, created_at)
			SELECT us.id, 'duty.reminder', ? || '轮值户：' || h.address, '请提醒本月轮值户按清单完成各项事务。', '/units/' || CAST(d.unit_id AS TEXT) || '/duty', `+key+`, ?
			FROM unit_duty d JOIN units un ON un.id = d.unit_id AND un.status = 'active' JOIN households h ON h.id = d.household_id
			JOIN users us ON us.unit_id = d.unit_id AND us.role = 'unit_leader' AND us.disabled = ?
			WHERE d.month = ?
			ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`, m.Label(), ts, false, m.String())
		if err != nil {
			return err
		}
		sent += k
		if sent > 0 {
			tx.audit(authz.System(), "unit.duty.remind", "unit", nil, fmt.Sprintf("%s：%d 条提醒", m, sent))
		}
		return nil
	})
	return sent, err
}
