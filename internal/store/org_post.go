package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Posts on committees and branches, and the terms of office (届) with their re-elections (换届).

const postColumns = `id, org_id, post, member_id, holder_name, organization_id, user_id, starts_on, ends_on, ended_at, created_at`

func scanPost(r rowScanner) (*model.Post, error) {
	var p model.Post
	var member, organization, user sql.NullInt64
	var endsOn, endedAt sql.NullTime
	if err := r.Scan(&p.ID, &p.OrgID, &p.Post, &member, &p.HolderName, &organization, &user, &p.StartsOn, &endsOn, &endedAt, &p.CreatedAt); err != nil {
		return nil, err
	}
	p.MemberID, p.OrganizationID, p.UserID = member.Int64, organization.Int64, user.Int64
	if endsOn.Valid {
		p.EndsOn = &endsOn.Time
	}
	if endedAt.Valid {
		p.EndedAt = &endedAt.Time
	}
	return &p, nil
}

// OrgPosts returns the posts of org id (current ones only unless ended), in the order of
// model.PostKinds, then by start.
func (s *Store) OrgPosts(ctx context.Context, sc authz.Scope, id int64, ended bool) ([]*model.Post, error) {
	c := s.reader()
	if _, err := c.org(ctx, sc, id); err != nil {
		return nil, err
	}
	q := `SELECT ` + postColumns + ` FROM party_posts WHERE org_id = ?`
	if !ended {
		q += ` AND ended_at IS NULL`
	}
	q += ` ORDER BY CASE post WHEN 'secretary' THEN 0 WHEN 'deputy_secretary' THEN 1 WHEN 'organizer' THEN 2 WHEN 'propaganda' THEN 3 WHEN 'discipline' THEN 4 ELSE 5 END, starts_on, id`
	return queryAll(ctx, c, q, []any{id}, scanPost)
}

// AddPost puts someone on a post of org id. A second current secretary is a validation error
// (the unique index party_posts_secretary decides).
func (s *Store) AddPost(ctx context.Context, sc authz.Scope, orgID int64, in model.PostInput) (*model.Post, error) {
	var p *model.Post
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		p, err = tx.AddPost(ctx, sc, orgID, in)
		return err
	})
	return p, err
}

// AddPost is Store.AddPost inside tx.
func (tx *Tx) AddPost(ctx context.Context, sc authz.Scope, orgID int64, in model.PostInput) (*model.Post, error) {
	o, err := tx.activeOrg(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	v := validation(in.Validate())
	if o.Kind == model.OrgBuildingGroup && in.Post.Valid() && in.Post != model.PostSecretary && in.Post != model.PostDeputy {
		v.Add("post", "党小组只设组长（书记）和副组长")
	}
	if in.MemberID != 0 {
		// A member holder is on the roster of the org or an org below it; the post records the
		// member's own name. Any other member, in the scope or not, reads as not there.
		lo, hi := authz.PathRange(o.Path)
		var name string
		err := tx.queryRow(ctx, `SELECT m.name FROM party_members m JOIN party_orgs g ON g.id = m.org_id
			WHERE m.id = ? AND m.left_on IS NULL AND m.list = 'registered' AND g.path >= ? AND g.path < ?`, []any{in.MemberID, lo, hi}, &name)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("member_id", "所选党员不在"+o.Name+"的党员名册上，请从名册中选择，或按外部人员填写")
		case err != nil:
			return nil, err
		default:
			in.HolderName = name
		}
	}
	if in.OrganizationID != 0 {
		if _, err := tx.organization(ctx, sc, in.OrganizationID); errors.Is(err, model.ErrNotFound) {
			v.Add("organization_id", "所选单位不存在，请从辖区单位名录中选择")
		} else if err != nil {
			return nil, err
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var member, organization, user, endsOn any
	if in.MemberID != 0 {
		member = in.MemberID
	}
	if in.OrganizationID != 0 {
		organization = in.OrganizationID
	}
	if in.UserID != 0 {
		user = in.UserID
	}
	if in.EndsOn != nil {
		endsOn = dateOnly(*in.EndsOn)
	}
	var id int64
	err = tx.queryRow(ctx, `INSERT INTO party_posts (org_id, post, member_id, holder_name, organization_id, user_id, starts_on, ends_on, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{orgID, string(in.Post), member, in.HolderName, organization, user, dateOnly(in.StartsOn), endsOn, now()}, &id)
	if isConflict(err) {
		return nil, fieldErr("post", o.Name+"已有现任书记，请先办理卸任")
	} else if err != nil {
		return nil, err
	}
	detail := in.Post.Label() + " " + in.HolderName
	if err := tx.orgEvent(ctx, sc, orgID, "post", "任命 "+detail); err != nil {
		return nil, err
	}
	tx.auditAt(sc, o.Path, "party_org.post", "party_org", []int64{orgID, id}, detail)
	return queryOne(ctx, tx.conn, `SELECT `+postColumns+` FROM party_posts WHERE id = ?`, []any{id}, scanPost)
}

// EndPost ends a current post (卸任); ending it twice is a ConflictError.
func (s *Store) EndPost(ctx context.Context, sc authz.Scope, postID int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		p, err := queryOne(ctx, tx.conn, `SELECT `+postColumns+` FROM party_posts WHERE id = ?`, []any{postID}, scanPost)
		if err != nil {
			return err
		}
		o, err := tx.org(ctx, sc, p.OrgID)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE party_posts SET ended_at = ? WHERE id = ? AND ended_at IS NULL`, now(), postID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该职务已卸任"}
		}
		detail := p.Post.Label() + " " + p.HolderName
		if err := tx.orgEvent(ctx, sc, o.ID, "post", "卸任 "+detail); err != nil {
			return err
		}
		tx.auditAt(sc, o.Path, "party_org.post_end", "party_org", []int64{o.ID, postID}, detail)
		return nil
	})
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

const termColumns = `id, org_id, starts_on, ends_on, elected_on, note, created_at`

func scanTerm(r rowScanner) (*model.Term, error) {
	var t model.Term
	var elected sql.NullTime
	if err := r.Scan(&t.ID, &t.OrgID, &t.StartsOn, &t.EndsOn, &elected, &t.Note, &t.CreatedAt); err != nil {
		return nil, err
	}
	if elected.Valid {
		t.ElectedOn = &elected.Time
	}
	return &t, nil
}

// OrgTerms returns org id's terms, the current (latest) first.
func (s *Store) OrgTerms(ctx context.Context, sc authz.Scope, id int64) ([]*model.Term, error) {
	c := s.reader()
	if _, err := c.org(ctx, sc, id); err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT `+termColumns+` FROM party_org_terms WHERE org_id = ? ORDER BY starts_on DESC, id DESC`, []any{id}, scanTerm)
}

// CurrentTerms returns the latest term of each of the given orgs that has one, keyed by org.
func (s *Store) CurrentTerms(ctx context.Context, sc authz.Scope, ids []int64) (map[int64]*model.Term, error) {
	out := map[int64]*model.Term{}
	c := s.reader()
	for len(ids) > 0 {
		n := min(len(ids), MaxLimit)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		terms, err := queryAll(ctx, c, `SELECT `+termColumns+` FROM party_org_terms WHERE org_id IN (`+inList(n)+`) ORDER BY starts_on, id`, args, scanTerm)
		if err != nil {
			return nil, err
		}
		for _, t := range terms {
			out[t.OrgID] = t // later terms overwrite earlier ones
		}
	}
	return out, nil
}

// TermsEndingBefore lists the current terms in the scope ending before the day (for the 90-day
// warning across a subtree), soonest first, with their orgs.
func (s *Store) TermsEndingBefore(ctx context.Context, sc authz.Scope, day time.Time, limit int) ([]*model.Term, error) {
	prefix, ok := sc.Narrow("")
	if !ok {
		return nil, nil
	}
	w := underPath(prefix)
	w.where[0], w.where[1] = "o.path >= ?", "o.path < ?"
	w.add("o.status = 'active'")
	w.add("t.ends_on < ?", dateOnly(day))
	w.add("NOT EXISTS (SELECT 1 FROM party_org_terms l WHERE l.org_id = t.org_id AND l.starts_on > t.starts_on)")
	return queryAll(ctx, s.reader(), `SELECT t.id, t.org_id, t.starts_on, t.ends_on, t.elected_on, t.note, t.created_at
		FROM party_org_terms t JOIN party_orgs o ON o.id = t.org_id WHERE `+w.sql()+` ORDER BY t.ends_on, t.id LIMIT `+strconv.Itoa(clampLimit(limit)), w.args, scanTerm)
}

// RecordTerm records a term of office of a committee or branch; when the org already has one,
// this is a re-election (换届) and the new term must start after the current one did.
func (s *Store) RecordTerm(ctx context.Context, sc authz.Scope, orgID int64, in model.TermInput) (*model.Term, error) {
	var t *model.Term
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		t, err = tx.RecordTerm(ctx, sc, orgID, in)
		return err
	})
	return t, err
}

// RecordTerm is Store.RecordTerm inside tx.
func (tx *Tx) RecordTerm(ctx context.Context, sc authz.Scope, orgID int64, in model.TermInput) (*model.Term, error) {
	o, err := tx.activeOrg(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	if !o.Kind.Committee() && o.Kind != model.OrgGridBranch && !(o.Kind == model.OrgFunctional && o.Level == model.LevelBranch) {
		return nil, &model.ConflictError{Message: "只有党委和支部实行任期制，" + o.KindLabel() + "不记录换届"}
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var last time.Time
	err = tx.queryRow(ctx, `SELECT starts_on FROM party_org_terms WHERE org_id = ? ORDER BY starts_on DESC LIMIT 1`, []any{orgID}, &last)
	first := errors.Is(err, model.ErrNotFound)
	if err != nil && !first {
		return nil, err
	}
	if !first && !dateOnly(in.StartsOn).After(last) {
		return nil, fieldErr("starts_on", "新一届任期应在上一届（"+last.Format(time.DateOnly)+"开始）之后开始")
	}
	var elected any
	if in.ElectedOn != nil {
		elected = dateOnly(*in.ElectedOn)
	}
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO party_org_terms (org_id, starts_on, ends_on, elected_on, note, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{orgID, dateOnly(in.StartsOn), dateOnly(in.EndsOn), elected, in.Note, now()}, &id); err != nil {
		return nil, err
	}
	action, detail := "re_elected", "换届：新一届 "+in.StartsOn.Format(time.DateOnly)+" 至 "+in.EndsOn.Format(time.DateOnly)
	if first {
		action, detail = "term", "任期 "+in.StartsOn.Format(time.DateOnly)+" 至 "+in.EndsOn.Format(time.DateOnly)
	}
	if err := tx.orgEvent(ctx, sc, orgID, action, detail); err != nil {
		return nil, err
	}
	tx.auditAt(sc, o.Path, "party_org.term", "party_org", []int64{orgID, id}, detail)
	return queryOne(ctx, tx.conn, `SELECT `+termColumns+` FROM party_org_terms WHERE id = ?`, []any{id}, scanTerm)
}

// FillBranchPosts gives every current post of an active grid branch that names neither a member
// nor an account one of the branch's full registered members (of the branch or of a group right
// under it), picked by a hash of the post and the member, and the post takes the member's name.
// The demo draws its posts as names before it registers members; this makes the branches'
// committees members, as they are, so that their committee meetings have a roster. Only the
// system scope; it returns how many posts it filled.
func (tx *Tx) FillBranchPosts(ctx context.Context, sc authz.Scope) (int64, error) {
	if !sc.All {
		return 0, &model.ForbiddenError{Message: "只有系统可以批量指定任职党员"}
	}
	// The pick is made here rather than by one UPDATE with a correlated subquery: PostgreSQL ran
	// that subquery as a scan of the whole roster per post (more than 22 minutes at 1M households).
	type slot struct{ id, org int64 }
	posts, err := queryAll(ctx, tx.conn, `SELECT id, org_id FROM party_posts
		WHERE ended_at IS NULL AND member_id IS NULL AND user_id IS NULL
			AND org_id IN (SELECT id FROM party_orgs WHERE kind = 'grid_branch' AND status = 'active') ORDER BY id`, nil,
		func(r rowScanner) (slot, error) {
			var p slot
			return p, r.Scan(&p.id, &p.org)
		})
	if err != nil || len(posts) == 0 {
		return 0, err
	}
	// The full registered members by the org they count for: their own org and its parent.
	byOrg := map[int64][]int64{}
	type cand struct{ id, org, parent int64 }
	cands, err := queryAll(ctx, tx.conn, `SELECT pm.id, pm.org_id, COALESCE(o.parent_id, 0) FROM party_members pm JOIN party_orgs o ON o.id = pm.org_id
		WHERE pm.list = 'registered' AND pm.left_on IS NULL AND pm.status = 'full'`, nil,
		func(r rowScanner) (cand, error) {
			var c cand
			return c, r.Scan(&c.id, &c.org, &c.parent)
		})
	if err != nil {
		return 0, err
	}
	for _, c := range cands {
		byOrg[c.org] = append(byOrg[c.org], c.id)
		if c.parent != 0 {
			byOrg[c.parent] = append(byOrg[c.parent], c.id)
		}
	}
	var n int64
	for _, p := range posts {
		best, bestKey := int64(0), int64(-1)
		for _, m := range byOrg[p.org] {
			key := (m*7919 + p.id*104729) % 9973
			if bestKey < 0 || key < bestKey || key == bestKey && m < best {
				best, bestKey = m, key
			}
		}
		if bestKey < 0 {
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE party_posts SET member_id = ? WHERE id = ?`, best, p.id); err != nil {
			return 0, err
		}
		n++
	}
	if _, err := tx.exec(ctx, `UPDATE party_posts SET holder_name = (SELECT name FROM party_members WHERE id = party_posts.member_id)
		WHERE ended_at IS NULL AND member_id IS NOT NULL AND org_id IN (SELECT id FROM party_orgs WHERE kind = 'grid_branch' AND status = 'active')`); err != nil {
		return 0, err
	}
	return n, nil
}
