package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The online space (网缘) of a Party organization: notices, a discussion (threads with one
// level of replies, hidden with a reason, never deleted) and shared files (withdrawn, never
// deleted). Who reaches a space:
//   - staff whose territory scope holds the org read, post and moderate (ManagesOrg);
//   - the secretary or deputy of the org or of an org above it, by post, likewise;
//   - a member of the org (its roster row names the org or an org under it, or it belongs to
//     the org as a functional one) and any current post holder of the org read and post;
//   - nobody else: the org does not exist for them (model.ErrNotFound).
// Notices, hiding and withdrawing are for those who manage the org.

// SpaceOrg is an org's space as a caller reaches it.
type SpaceOrg struct {
	ID       int64
	Name     string
	Kind     string
	Path     string
	Active   bool
	Moderate bool // the caller manages the org: notices, hiding, withdrawing
}

// errNotModerator refuses a notice, a hiding or a withdrawal to a member who reads the space.
var errNotModerator = &model.ForbiddenError{Message: "只有本组织书记、副书记或辖区管理人员可以发布公告、隐藏帖子或撤回文件"}

// spaceMemberCTE is "mine(id)": the orgs the account ? belongs to by a current roster row (its
// org), as a member of a functional org, and the orgs above them. It takes the user id twice.
const spaceMemberCTE = `WITH RECURSIVE mine(id) AS (
	SELECT org_id FROM party_members WHERE user_id = ? AND left_on IS NULL
	UNION SELECT om.org_id FROM party_org_members om JOIN party_members m ON m.id = om.member_id WHERE m.user_id = ? AND m.left_on IS NULL
	UNION SELECT o.parent_id FROM party_orgs o JOIN mine ON o.id = mine.id WHERE o.parent_id IS NOT NULL) `

// space returns org id's space as sc reaches it; model.ErrNotFound when it is missing or sc
// does not reach it.
func (c conn) space(ctx context.Context, sc authz.Scope, id int64) (*SpaceOrg, error) {
	o, err := c.lifeOrg(ctx, authz.System(), id)
	if err != nil {
		return nil, err
	}
	sp := &SpaceOrg{ID: o.ID, Name: o.Name, Kind: o.Kind, Path: o.Path, Active: o.Status == "active"}
	if staffManager(sc) {
		if !sc.Contains(o.Path) {
			return nil, model.ErrNotFound
		}
		sp.Moderate = true
		return sp, nil
	}
	if sc.UserID == 0 || sc.Role != model.RoleMember {
		return nil, model.ErrNotFound
	}
	if sp.Moderate, err = c.managesOrg(ctx, sc, id); err != nil || sp.Moderate {
		return sp, err
	}
	var n int
	err = c.queryRow(ctx, spaceMemberCTE+`SELECT CASE WHEN EXISTS (SELECT 1 FROM mine WHERE id = ?)
		OR EXISTS (SELECT 1 FROM party_posts p LEFT JOIN party_members pm ON pm.id = p.member_id
			WHERE p.org_id = ? AND p.ended_at IS NULL AND (p.user_id = ? OR pm.user_id = ?)) THEN 1 ELSE 0 END`,
		[]any{sc.UserID, sc.UserID, id, id, sc.UserID, sc.UserID}, &n)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, model.ErrNotFound
	}
	return sp, nil
}

// Space returns org id's space as sc reaches it: model.ErrNotFound when the org is missing or
// its space is not sc's.
func (s *Store) Space(ctx context.Context, sc authz.Scope, id int64) (*SpaceOrg, error) {
	return s.reader().space(ctx, sc, id)
}

// MySpaces lists the active orgs whose space sc's member account reads as a member (its org,
// the orgs above it, its functional orgs), nearest first (longest path).
func (s *Store) MySpaces(ctx context.Context, sc authz.Scope) ([]*SpaceOrg, error) {
	if sc.UserID == 0 {
		return nil, nil
	}
	return queryAll(ctx, s.reader(), spaceMemberCTE+`SELECT o.id, o.name, o.kind, o.path FROM party_orgs o WHERE o.id IN (SELECT id FROM mine) AND o.status = 'active'
		ORDER BY LENGTH(o.path) DESC, o.id LIMIT 20`, []any{sc.UserID, sc.UserID}, func(r rowScanner) (*SpaceOrg, error) {
		o := &SpaceOrg{Active: true}
		return o, r.Scan(&o.ID, &o.Name, &o.Kind, &o.Path)
	})
}

// writableSpace is space for a write: an org merged or dissolved keeps its space to read only.
func (c conn) writableSpace(ctx context.Context, sc authz.Scope, id int64, moderate bool) (*SpaceOrg, error) {
	sp, err := c.space(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if moderate && !sp.Moderate {
		return nil, errNotModerator
	}
	if !sp.Active {
		return nil, &model.ConflictError{Message: "该党组织已撤销或合并，它的空间只能查看"}
	}
	return sp, nil
}

// authorName is the name shown for the account's posts: its display name (nothing else of it).
func (c conn) authorName(ctx context.Context, userID int64) (string, error) {
	if userID == 0 {
		return "系统", nil
	}
	var name, username string
	if err := c.queryRow(ctx, `SELECT display_name, username FROM users WHERE id = ?`, []any{userID}, &name, &username); err != nil {
		return "", err
	}
	if name == "" {
		name = username
	}
	return name, nil
}

// SpaceListLimit is the default page of a space's lists.
const SpaceListLimit = 20

func spaceLimit(n int) int {
	if n <= 0 {
		return SpaceListLimit
	}
	return clampLimit(n)
}

// ---- notices

const noticeCols = `id, org_id, path, title, body, author_name, created_at`

func scanOrgNotice(r rowScanner) (*model.OrgNotice, error) {
	n := &model.OrgNotice{}
	err := r.Scan(&n.ID, &n.OrgID, &n.Path, &n.Title, &n.Body, &n.AuthorName, &n.CreatedAt)
	n.CreatedAt = n.CreatedAt.UTC()
	return n, err
}

// PublishOrgNotice publishes a notice in org's space: for those who manage the org (errNotModerator
// otherwise), on an active org; a *model.ValidationError names bad fields.
func (s *Store) PublishOrgNotice(ctx context.Context, sc authz.Scope, org int64, in model.OrgNoticeInput) (*model.OrgNotice, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *model.OrgNotice
	err := s.Tx(ctx, func(tx *Tx) error {
		sp, err := tx.writableSpace(ctx, sc, org, true)
		if err != nil {
			return err
		}
		name, err := tx.authorName(ctx, sc.UserID)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO org_notices (org_id, path, community_id, title, body, author_id, author_name, created_at)
			SELECT id, path, community_id, ?, ?, ?, ?, ? FROM party_orgs WHERE id = ? RETURNING id`,
			[]any{in.Title, in.Body, nullID(sc.UserID), name, s.now(), sp.ID}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, sp.Path, "party.space.notice", "org_notice", []int64{id}, "")
		out, err = queryOne(ctx, tx.conn, `SELECT `+noticeCols+` FROM org_notices WHERE id = ?`, []any{id}, scanOrgNotice)
		return err
	})
	return out, err
}

// OrgNotices lists org's notices, newest first.
func (s *Store) OrgNotices(ctx context.Context, sc authz.Scope, org int64, limit int, cur string) (*Page[*model.OrgNotice], error) {
	c := s.reader()
	if _, err := c.space(ctx, sc, org); err != nil {
		return nil, err
	}
	return spacePage(ctx, c, `SELECT `+noticeCols+` FROM org_notices WHERE org_id = ?`, `SELECT COUNT(*) FROM org_notices WHERE org_id = ?`, org, limit, cur,
		scanOrgNotice, func(n *model.OrgNotice) int64 { return n.ID })
}

// OrgNotice returns one notice with its space; model.ErrNotFound when missing or not sc's.
func (s *Store) OrgNotice(ctx context.Context, sc authz.Scope, id int64) (*model.OrgNotice, *SpaceOrg, error) {
	c := s.reader()
	n, err := queryOne(ctx, c, `SELECT `+noticeCols+` FROM org_notices WHERE id = ?`, []any{id}, scanOrgNotice)
	if err != nil {
		return nil, nil, err
	}
	sp, err := c.space(ctx, sc, n.OrgID)
	if err != nil {
		return nil, nil, err
	}
	return n, sp, nil
}

// spacePage pages the rows of one org's list, newest (highest id) first.
func spacePage[T any](ctx context.Context, c conn, query, count string, org int64, limit int, cur string, scan func(rowScanner) (T, error), idOf func(T) int64) (*Page[T], error) {
	cu, err := decodeCursor(cur)
	if err != nil {
		return nil, err
	}
	args := []any{org}
	if cu.id != 0 {
		query += ` AND id < ?`
		args = append(args, cu.id)
	}
	p, err := fetchPage(ctx, c, query+` ORDER BY id DESC`, args, spaceLimit(limit), func(r rowScanner) (T, cursor, error) {
		v, err := scan(r)
		if err != nil {
			return v, cursor{}, err
		}
		return v, cursor{key: "id", id: idOf(v)}, nil
	})
	if err != nil {
		return nil, err
	}
	return p, c.queryRow(ctx, count, []any{org}, &p.Total)
}

// ---- discussion

const orgPostCols = `id, org_id, parent_id, path, title, body, author_name, replies, created_at, hidden_at, hidden_reason`

func scanOrgPost(r rowScanner) (*model.OrgPost, error) {
	p := &model.OrgPost{}
	var parent sql.NullInt64
	var hidden sql.NullTime
	err := r.Scan(&p.ID, &p.OrgID, &parent, &p.Path, &p.Title, &p.Body, &p.AuthorName, &p.Replies, &p.CreatedAt, &hidden, &p.HiddenReason)
	p.ParentID, p.CreatedAt = parent.Int64, p.CreatedAt.UTC()
	if hidden.Valid {
		t := hidden.Time.UTC()
		p.HiddenAt = &t
		p.Title, p.Body = "", "" // withheld (the offending words may be in either): the reason says why
	}
	return p, err
}

// OpenThread opens a thread in org's space (members, post holders and managers, on an active
// org).
func (s *Store) OpenThread(ctx context.Context, sc authz.Scope, org int64, in model.MessageInput) (*model.OrgPost, error) {
	if err := in.ValidateThread(); err != nil {
		return nil, err
	}
	var out *model.OrgPost
	err := s.Tx(ctx, func(tx *Tx) error {
		sp, err := tx.writableSpace(ctx, sc, org, false)
		if err != nil {
			return err
		}
		id, err := tx.insertPost(ctx, sc, sp, 0, in, s.now())
		if err != nil {
			return err
		}
		tx.auditAt(sc, sp.Path, "party.space.thread", "org_post", []int64{id}, "")
		out, err = tx.post(ctx, id)
		return err
	})
	return out, err
}

func (tx *Tx) insertPost(ctx context.Context, sc authz.Scope, sp *SpaceOrg, parent int64, in model.MessageInput, at time.Time) (int64, error) {
	name, err := tx.authorName(ctx, sc.UserID)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO org_posts (org_id, parent_id, path, community_id, title, body, author_id, author_name, created_at)
		SELECT id, ?, path, community_id, ?, ?, ?, ?, ? FROM party_orgs WHERE id = ? RETURNING id`,
		[]any{nullID(parent), in.Title, in.Body, nullID(sc.UserID), name, at, sp.ID}, &id)
	return id, err
}

func (c conn) post(ctx context.Context, id int64) (*model.OrgPost, error) {
	return queryOne(ctx, c, `SELECT `+orgPostCols+` FROM org_posts WHERE id = ?`, []any{id}, scanOrgPost)
}

// ErrThreadHidden refuses a reply to a hidden thread.
var ErrThreadHidden = &model.ConflictError{Message: "该话题已被隐藏，不能再回复"}

// Reply adds a reply to thread (a post that opens a thread, in a space sc reaches, not
// hidden: ErrThreadHidden otherwise; a reply is not a thread: model.ErrNotFound). The thread's
// replies counter moves in the same transaction, by a conditional UPDATE that also decides
// against a hiding at the same moment.
func (s *Store) Reply(ctx context.Context, sc authz.Scope, thread int64, in model.MessageInput) (*model.OrgPost, error) {
	if err := in.ValidateReply(); err != nil {
		return nil, err
	}
	var out *model.OrgPost
	err := s.Tx(ctx, func(tx *Tx) error {
		th, err := tx.post(ctx, thread)
		if err != nil {
			return err
		}
		if th.ParentID != 0 {
			return model.ErrNotFound
		}
		sp, err := tx.writableSpace(ctx, sc, th.OrgID, false)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE org_posts SET replies = replies + 1 WHERE id = ? AND parent_id IS NULL AND hidden_at IS NULL`, thread)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrThreadHidden
		}
		id, err := tx.insertPost(ctx, sc, sp, thread, in, s.now())
		if err != nil {
			return err
		}
		tx.auditAt(sc, sp.Path, "party.space.reply", "org_post", []int64{id}, "thread "+strconv.FormatInt(thread, 10))
		out, err = tx.post(ctx, id)
		return err
	})
	return out, err
}

// HidePost hides a thread or a reply with a reason (required): for those who manage the org.
// A post hidden already is a *model.ConflictError (the conditional UPDATE decides). The row and
// its body stay; readers see the reason instead.
func (s *Store) HidePost(ctx context.Context, sc authz.Scope, id int64, reason string) (*model.OrgPost, error) {
	reason, err := model.ValidateHideReason(reason)
	if err != nil {
		return nil, err
	}
	var out *model.OrgPost
	err = s.Tx(ctx, func(tx *Tx) error {
		p, err := tx.post(ctx, id)
		if err != nil {
			return err
		}
		sp, err := tx.space(ctx, sc, p.OrgID)
		if err != nil {
			return err
		}
		if !sp.Moderate {
			return errNotModerator
		}
		res, err := tx.exec(ctx, `UPDATE org_posts SET hidden_at = ?, hidden_by = ?, hidden_reason = ? WHERE id = ? AND hidden_at IS NULL`,
			s.now(), nullID(sc.UserID), reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该帖子已被隐藏"}
		}
		tx.auditAt(sc, sp.Path, "party.space.hide", "org_post", []int64{id}, "")
		out, err = tx.post(ctx, id)
		return err
	})
	return out, err
}

// Threads lists org's threads, newest first.
func (s *Store) Threads(ctx context.Context, sc authz.Scope, org int64, limit int, cur string) (*Page[*model.OrgPost], error) {
	c := s.reader()
	if _, err := c.space(ctx, sc, org); err != nil {
		return nil, err
	}
	return spacePage(ctx, c, `SELECT `+orgPostCols+` FROM org_posts WHERE parent_id IS NULL AND org_id = ?`,
		`SELECT COUNT(*) FROM org_posts WHERE parent_id IS NULL AND org_id = ?`, org, limit, cur,
		scanOrgPost, func(p *model.OrgPost) int64 { return p.ID })
}

// MaxThreadReplies bounds the replies one read of a thread returns (oldest first).
const MaxThreadReplies = 500

// Thread returns a thread with its replies (oldest first, at most MaxThreadReplies) and its
// space; model.ErrNotFound when missing, a reply, or not sc's.
func (s *Store) Thread(ctx context.Context, sc authz.Scope, id int64) (*model.OrgPost, []*model.OrgPost, *SpaceOrg, error) {
	c := s.reader()
	th, err := c.post(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	if th.ParentID != 0 {
		return nil, nil, nil, model.ErrNotFound
	}
	sp, err := c.space(ctx, sc, th.OrgID)
	if err != nil {
		return nil, nil, nil, err
	}
	rs, err := queryAll(ctx, c, `SELECT `+orgPostCols+` FROM org_posts WHERE parent_id = ? ORDER BY id LIMIT `+strconv.Itoa(MaxThreadReplies), []any{id}, scanOrgPost)
	return th, rs, sp, err
}

// ---- files

const fileCols = `id, org_id, path, name, content_type, size, sha256, author_name, created_at, removed_at IS NOT NULL`

func scanFile(r rowScanner) (*model.OrgFile, error) {
	f := &model.OrgFile{}
	err := r.Scan(&f.ID, &f.OrgID, &f.Path, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.AuthorName, &f.CreatedAt, &f.Withdrawn)
	f.CreatedAt = f.CreatedAt.UTC()
	return f, err
}

// ShareFile shares a file in org's space (members, post holders and managers, on an active
// org). model.CheckSpaceFile checks the name, the size and the content's kind first.
func (s *Store) ShareFile(ctx context.Context, sc authz.Scope, org int64, name string, content []byte) (*model.OrgFile, error) {
	name, ctype, err := model.CheckSpaceFile(name, content)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	var out *model.OrgFile
	err = s.Tx(ctx, func(tx *Tx) error {
		sp, err := tx.writableSpace(ctx, sc, org, false)
		if err != nil {
			return err
		}
		author, err := tx.authorName(ctx, sc.UserID)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO org_files (org_id, path, community_id, name, content_type, size, sha256, content, author_id, author_name, created_at)
			SELECT id, path, community_id, ?, ?, ?, ?, ?, ?, ?, ? FROM party_orgs WHERE id = ? RETURNING id`,
			[]any{name, ctype, int64(len(content)), hex.EncodeToString(sum[:]), content, nullID(sc.UserID), author, s.now(), sp.ID}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, sp.Path, "party.space.file", "org_file", []int64{id}, "")
		out, err = queryOne(ctx, tx.conn, `SELECT `+fileCols+` FROM org_files WHERE id = ?`, []any{id}, scanFile)
		return err
	})
	return out, err
}

// Files lists org's shared files, newest first; withdrawn ones only to those who manage it.
func (s *Store) Files(ctx context.Context, sc authz.Scope, org int64, limit int, cur string) (*Page[*model.OrgFile], error) {
	c := s.reader()
	sp, err := c.space(ctx, sc, org)
	if err != nil {
		return nil, err
	}
	cond := ` AND removed_at IS NULL`
	if sp.Moderate {
		cond = ""
	}
	return spacePage(ctx, c, `SELECT `+fileCols+` FROM org_files WHERE org_id = ?`+cond, `SELECT COUNT(*) FROM org_files WHERE org_id = ?`+cond, org, limit, cur,
		scanFile, func(f *model.OrgFile) int64 { return f.ID })
}

// ErrFileWithdrawn answers the download of a withdrawn file.
var ErrFileWithdrawn = &model.ConflictError{Message: "该文件已撤回，不能再下载"}

// FileContent returns a shared file and its content; model.ErrNotFound when missing or not
// sc's, ErrFileWithdrawn when withdrawn.
func (s *Store) FileContent(ctx context.Context, sc authz.Scope, id int64) (*model.OrgFile, []byte, error) {
	c := s.reader()
	var content []byte
	f, err := queryOne(ctx, c, `SELECT `+fileCols+`, content FROM org_files WHERE id = ?`, []any{id}, func(r rowScanner) (*model.OrgFile, error) {
		f := &model.OrgFile{}
		err := r.Scan(&f.ID, &f.OrgID, &f.Path, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.AuthorName, &f.CreatedAt, &f.Withdrawn, &content)
		return f, err
	})
	if err != nil {
		return nil, nil, err
	}
	if _, err := c.space(ctx, sc, f.OrgID); err != nil {
		return nil, nil, err
	}
	if f.Withdrawn {
		return f, nil, ErrFileWithdrawn
	}
	return f, content, nil
}

// WithdrawFile withdraws a shared file (kept, no longer listed nor downloadable): for those who
// manage the org; withdrawn already is a *model.ConflictError.
func (s *Store) WithdrawFile(ctx context.Context, sc authz.Scope, id int64) (*model.OrgFile, error) {
	var out *model.OrgFile
	err := s.Tx(ctx, func(tx *Tx) error {
		f, err := queryOne(ctx, tx.conn, `SELECT `+fileCols+` FROM org_files WHERE id = ?`, []any{id}, scanFile)
		if err != nil {
			return err
		}
		sp, err := tx.space(ctx, sc, f.OrgID)
		if err != nil {
			return err
		}
		if !sp.Moderate {
			return errNotModerator
		}
		res, err := tx.exec(ctx, `UPDATE org_files SET removed_at = ?, removed_by = ? WHERE id = ? AND removed_at IS NULL`, s.now(), nullID(sc.UserID), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该文件已撤回"}
		}
		tx.auditAt(sc, sp.Path, "party.space.withdraw", "org_file", []int64{id}, "")
		out, err = queryOne(ctx, tx.conn, `SELECT `+fileCols+` FROM org_files WHERE id = ?`, []any{id}, scanFile)
		return err
	})
	return out, err
}
