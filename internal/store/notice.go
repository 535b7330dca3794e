package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Notices (公告, issue 11 item 4; model/notice.go). Who sees a notice: staff and grid leaders
// whose territory holds the notice's, and anyone whose own household lies under its territory
// (householder, scope.go) — a withdrawn notice only staff. A household's first reading is its
// read receipt: a row of notice_reads (its primary key makes a second nothing) and one more on
// the notice's count, in one transaction.

const noticeColumns = `n.id, n.title, n.body, n.territory_id, t.name, n.path, COALESCE(n.community_id, 0), n.pinned, n.public, n.status,
	n.audience, n.reads, n.published_at, COALESCE(u.display_name, ''), n.withdrawn_at, n.withdraw_reason`

const noticeFrom = ` FROM notices n JOIN territories t ON t.id = n.territory_id LEFT JOIN users u ON u.id = n.published_by`

func scanNotice(r rowScanner) (*model.Notice, error) {
	var n model.Notice
	var withdrawn sql.NullTime
	if err := r.Scan(&n.ID, &n.Title, &n.Body, &n.TerritoryID, &n.TerritoryName, &n.Path, &n.CommunityID, &n.Pinned, &n.Public, &n.Status,
		&n.Audience, &n.Reads, &n.PublishedAt, &n.PublishedByName, &withdrawn, &n.WithdrawReason); err != nil {
		return nil, err
	}
	if withdrawn.Valid {
		n.WithdrawnAt = &withdrawn.Time
	}
	return &n, nil
}

// staffReads reports whether the caller reads notices as staff: by territory, withdrawn ones too.
func (vr householder) staffReads(path string) bool {
	return !householdRole(vr.sc.Role) && !vr.sc.UnitBound() && vr.sc.Contains(path)
}

// notice reads notice id as the caller may see it (model.ErrNotFound otherwise), with whether
// the caller's household has read it.
func (c conn) notice(ctx context.Context, sc authz.Scope, id int64) (*model.Notice, householder, error) {
	n, vr, err := householderOne(ctx, c, sc, `SELECT `+noticeColumns+noticeFrom+` WHERE n.id = ?`, []any{id}, scanNotice,
		func(vr householder, n *model.Notice) bool {
			return vr.readsAt(n.Path) && (n.Status != model.NoticeWithdrawn || vr.staffReads(n.Path))
		})
	if err != nil {
		return nil, vr, err
	}
	if vr.household != 0 && strings.HasPrefix(vr.householdPath, n.Path) {
		var k int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM notice_reads WHERE notice_id = ? AND household_id = ?`, []any{n.ID, vr.household}, &k); err != nil {
			return nil, vr, err
		}
		n.Read = k > 0
	}
	return n, vr, nil
}

// Notice returns notice id as the caller may see it; model.ErrNotFound when it does not exist
// or the caller may not see it.
func (s *Store) Notice(ctx context.Context, sc authz.Scope, id int64) (*model.Notice, error) {
	n, _, err := s.reader().notice(ctx, sc, id)
	return n, err
}

// NoticeReachesHousehold reports whether notice n (read by the caller) went to the caller's
// own household: whether its reading would be a read receipt.
func (s *Store) NoticeReachesHousehold(ctx context.Context, sc authz.Scope, n *model.Notice) bool {
	vr, err := s.reader().householderOf(ctx, sc)
	return err == nil && vr.household != 0 && strings.HasPrefix(vr.householdPath, n.Path)
}

// NoticeFilter narrows the notices a caller lists.
type NoticeFilter struct {
	Status    model.NoticeStatus // "": published ones (staff may ask for withdrawn)
	Territory int64              // held at that node or under it (0: all the caller reads)
	Limit     int
	Cursor    string
}

// Notices lists the published notices the caller may see, pinned first, then newest first (the
// cursor pages through the unpinned ones; every pinned one is on the first page): over its
// household, and for staff and grid leaders those of their territory (withdrawn ones too, when
// asked for).
func (s *Store) Notices(ctx context.Context, sc authz.Scope, f NoticeFilter) (*Page[*model.Notice], error) {
	if f.Status != "" && f.Status != model.NoticePublished && f.Status != model.NoticeWithdrawn {
		return nil, fieldErr("status", "状态应为 published 或 withdrawn")
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
	status := f.Status
	if status == "" || householdRole(sc.Role) || sc.UnitBound() {
		status = model.NoticePublished
	}
	if status == model.NoticeWithdrawn {
		// Withdrawn notices: staff and grid leaders, of their territory only.
		vr = householder{sc: sc}
	}
	cond, args := vr.listWhere("n.path")
	if cond == "" {
		return &Page[*model.Notice]{}, nil
	}
	w := filter{where: []string{cond, "n.status = ?"}, args: append(args, string(status))}
	if err := c.underTerritory(ctx, vr, &w, "n.path", f.Territory); err != nil {
		return nil, err
	}
	count := w.clone()
	limit := clampLimit(f.Limit)
	var items []*model.Notice
	if cur.id == 0 {
		pinned := w.clone()
		pinned.add("n.pinned")
		if items, err = queryAll(ctx, c, `SELECT `+noticeColumns+noticeFrom+` WHERE `+pinned.sql()+` ORDER BY n.id DESC LIMIT 50`, pinned.args, scanNotice); err != nil {
			return nil, err
		}
	}
	w.add("NOT n.pinned")
	if cur.id != 0 {
		w.add("n.id < ?", cur.id)
	}
	rest, err := queryAll(ctx, c, `SELECT `+noticeColumns+noticeFrom+` WHERE `+w.sql()+` ORDER BY n.id DESC LIMIT ?`, append(w.args, limit+1), scanNotice)
	if err != nil {
		return nil, err
	}
	p := &Page[*model.Notice]{}
	if len(rest) > limit {
		rest = rest[:limit]
		p.Next = cursor{id: rest[limit-1].ID}.encode()
	}
	items = append(items, rest...)
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM notices n WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	if vr.household != 0 && len(items) > 0 {
		ids := make([]any, 0, len(items))
		for _, n := range items {
			ids = append(ids, n.ID)
		}
		read := map[int64]bool{}
		if err := eachRow(ctx, c, `SELECT notice_id FROM notice_reads WHERE household_id = ? AND notice_id IN (`+inList(len(ids))+`)`,
			append([]any{vr.household}, ids...), func(r rowScanner) error {
				var id int64
				err := r.Scan(&id)
				read[id] = true
				return err
			}); err != nil {
			return nil, err
		}
		for _, n := range items {
			n.Read = read[n.ID]
		}
	}
	p.Items = items
	return p, nil
}

// PublishNotice publishes a notice to territory in.TerritoryID (staff, in their territory); its
// audience is the current households under it.
func (s *Store) PublishNotice(ctx context.Context, sc authz.Scope, in model.NoticeInput) (*model.Notice, error) {
	if !authz.Allowed(sc.Role, authz.NoticeWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, in.TerritoryID)
		if errors.Is(err, model.ErrNotFound) {
			return fieldErr("territory_id", "公告范围不存在或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		if t.Kind == model.KindDistrict {
			return fieldErr("territory_id", "公告范围应为街道、社区、网格、小区、楼栋或单元")
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
			return err
		}
		if in.Public && !community.Valid {
			return fieldErr("public", "只有社区及以下范围的公告可以在社区公开栏公开")
		}
		lo, hi := authz.PathRange(t.Path)
		var audience int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM households WHERE path >= ? AND path < ? AND moved_out_at IS NULL`, []any{lo, hi}, &audience); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `INSERT INTO notices (title, body, territory_id, community_id, path, pinned, public, status, audience, published_at, published_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'published', ?, ?, ?) RETURNING id`,
			[]any{in.Title, in.Body, t.ID, community, t.Path, in.Pinned, in.Public, audience, tx.s.now(), nullID(sc.UserID)}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "notice.publish", "notice", []int64{id}, in.Title)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Notice(ctx, sc, id)
}

// MarkNoticeRead records that the caller's household has read notice id (its first reading
// only: a second changes nothing). A caller without a household under the notice records
// nothing. model.ErrNotFound when the caller may not see the notice.
func (s *Store) MarkNoticeRead(ctx context.Context, sc authz.Scope, id int64) (*model.Notice, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		n, vr, err := tx.notice(ctx, sc, id)
		if err != nil || n.Read || vr.household == 0 || !strings.HasPrefix(vr.householdPath, n.Path) || n.Status != model.NoticePublished {
			return err
		}
		res, err := tx.exec(ctx, `INSERT INTO notice_reads (notice_id, household_id, read_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, n.ID, vr.household, tx.s.now())
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			_, err = tx.exec(ctx, `UPDATE notices SET reads = reads + 1 WHERE id = ?`, n.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Notice(ctx, sc, id)
}

// writableNotice reads notice id for staff changing it: in their territory.
func (c conn) writableNotice(ctx context.Context, sc authz.Scope, id int64) (*model.Notice, error) {
	if !authz.Allowed(sc.Role, authz.NoticeWrite) {
		return nil, model.ErrForbidden
	}
	n, vr, err := c.notice(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !vr.staffReads(n.Path) {
		return nil, model.ErrNotFound
	}
	return n, nil
}

// WithdrawNotice withdraws published notice id (staff in its territory) with a stated reason:
// it leaves the feeds and the disclosure page, and stays stored.
func (s *Store) WithdrawNotice(ctx context.Context, sc authz.Scope, id int64, reason string) (*model.Notice, error) {
	reason = strings.TrimSpace(reason)
	switch n := len([]rune(reason)); {
	case n == 0:
		return nil, fieldErr("reason", "请写明撤回公告的理由")
	case n > 200:
		return nil, fieldErr("reason", "理由不能超过 200 个字")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		n, err := tx.writableNotice(ctx, sc, id)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE notices SET status = 'withdrawn', withdrawn_at = ?, withdrawn_by = ?, withdraw_reason = ? WHERE id = ? AND status = 'published'`,
			tx.s.now(), nullID(sc.UserID), reason, n.ID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return &model.ConflictError{Message: "该公告已经撤回"}
		}
		tx.auditAt(sc, n.Path, "notice.withdraw", "notice", []int64{n.ID}, reason)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Notice(ctx, sc, id)
}

// PinNotice pins or unpins published notice id (staff in its territory).
func (s *Store) PinNotice(ctx context.Context, sc authz.Scope, id int64, pinned bool) (*model.Notice, error) {
	err := s.Tx(ctx, func(tx *Tx) error {
		n, err := tx.writableNotice(ctx, sc, id)
		if err != nil {
			return err
		}
		if n.Status != model.NoticePublished {
			return &model.ConflictError{Message: "已撤回的公告不能置顶"}
		}
		if _, err := tx.exec(ctx, `UPDATE notices SET pinned = ? WHERE id = ?`, pinned, n.ID); err != nil {
			return err
		}
		action := "notice.unpin"
		if pinned {
			action = "notice.pin"
		}
		tx.auditAt(sc, n.Path, action, "notice", []int64{n.ID}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Notice(ctx, sc, id)
}

// NoticeUnread is one household of a notice's audience that has not read it.
type NoticeUnread struct {
	HouseholdID int64
	Address     string
	HeadName    string
}

// NoticeUnreadHouseholds lists up to limit households under notice id, in the caller's
// territory, that have not read it (staff and grid leaders: whom to tell in person).
func (s *Store) NoticeUnreadHouseholds(ctx context.Context, sc authz.Scope, id int64, limit int) ([]NoticeUnread, error) {
	c := s.reader()
	n, vr, err := c.notice(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !authz.Allowed(sc.Role, authz.NoticeReceipts) {
		return nil, model.ErrForbidden
	}
	prefix, ok := sc.Narrow(n.Path)
	if !ok || !vr.readsAt(n.Path) {
		return nil, model.ErrNotFound
	}
	lo, hi := authz.PathRange(prefix)
	return queryAll(ctx, c, `SELECT h.id, h.address, h.head_name FROM households h
		WHERE h.path >= ? AND h.path < ? AND h.moved_out_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = ? AND r.household_id = h.id)
		ORDER BY h.path, h.id LIMIT ?`, []any{lo, hi, n.ID, clampLimit(limit)},
		func(r rowScanner) (NoticeUnread, error) {
			var u NoticeUnread
			err := r.Scan(&u.HouseholdID, &u.Address, &u.HeadName)
			return u, err
		})
}
