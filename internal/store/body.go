package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Community bodies (issue 12 item 4; model/body.go): the residents' (or villagers') committee
// of a community by term, its members and posts, and the meetings, decisions and tasks it owns.
// Staff of the community or above enter them (body.write); staff and grid leaders in or above
// the community read them (body.read). A member's cross appointment is read, each time, from
// the current posts of the community's Party committee held by the same person (the Party
// member the body member names, or a Party member linked to the same resident).

// readsBody reports whether sc reads the bodies of the community at path: its territory holds
// the community or lies in it.
func readsBody(sc authz.Scope, path string) bool {
	if !sc.All && !authz.Allowed(sc.Role, authz.BodyRead) {
		return false
	}
	return sc.Contains(path) || sc.Path != "" && strings.HasPrefix(sc.Path, path)
}

const bodyTermColumns = `b.id, b.community_id, t.name, b.path, b.kind, b.starts_on, b.ends_on, b.elected_on, b.election_result, b.created_at`

func scanBodyTerm(rs rowScanner) (*model.BodyTerm, error) {
	var b model.BodyTerm
	var start, end, elected time.Time
	if err := rs.Scan(&b.ID, &b.CommunityID, &b.CommunityName, &b.Path, &b.Kind, &start, &end, &elected, &b.ElectionResult, &b.CreatedAt); err != nil {
		return nil, err
	}
	b.StartsOn, b.EndsOn, b.ElectedOn, b.CreatedAt = dateString(start), dateString(end), dateString(elected), b.CreatedAt.UTC()
	return &b, nil
}

// bodyMembers fills the members of terms, with each one's current Party committee post.
func (c conn) bodyMembers(ctx context.Context, terms ...*model.BodyTerm) error {
	today := now().In(model.Shanghai).Format(time.DateOnly)
	for _, b := range terms {
		ms, err := queryAll(ctx, c, `SELECT m.id, m.term_id, m.post, m.name, COALESCE(m.resident_id, 0), COALESCE(m.party_member_id, 0),
			COALESCE((SELECT MIN(pp.post) FROM party_posts pp JOIN party_orgs o ON o.id = pp.org_id LEFT JOIN party_members pm ON pm.id = pp.member_id
				WHERE o.kind = 'community_committee' AND o.territory_id = ? AND o.status = 'active' AND pp.ended_at IS NULL
				AND (pp.ends_on IS NULL OR pp.ends_on >= ?)
				AND (pp.member_id = m.party_member_id OR (m.resident_id IS NOT NULL AND pm.resident_id = m.resident_id))), '')
			FROM body_members m WHERE m.term_id = ? ORDER BY CASE m.post WHEN 'director' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, m.id`,
			[]any{b.CommunityID, dayArg(today), b.ID}, func(rs rowScanner) (*model.BodyMember, error) {
				var m model.BodyMember
				return &m, rs.Scan(&m.ID, &m.TermID, &m.Post, &m.Name, &m.ResidentID, &m.PartyMemberID, &m.PartyPost)
			})
		if err != nil {
			return err
		}
		b.Members = ms
	}
	return nil
}

// BodyTerm returns term id with its members; model.ErrNotFound when it does not exist or the
// caller does not read its community's bodies.
func (s *Store) BodyTerm(ctx context.Context, sc authz.Scope, id int64) (*model.BodyTerm, error) {
	c := s.reader()
	b, err := queryOne(ctx, c, `SELECT `+bodyTermColumns+` FROM body_terms b JOIN territories t ON t.id = b.community_id WHERE b.id = ?`, []any{id}, scanBodyTerm)
	if err != nil {
		return nil, err
	}
	if !readsBody(sc, b.Path) {
		return nil, model.ErrNotFound
	}
	return b, c.bodyMembers(ctx, b)
}

// BodyTerms returns the terms of community id's body, the newest first, with their members;
// model.ErrNotFound when the caller does not read it (or the node is not a community).
func (s *Store) BodyTerms(ctx context.Context, sc authz.Scope, community int64) ([]*model.BodyTerm, error) {
	c := s.reader()
	t, err := c.territory(ctx, authz.System(), community)
	if err != nil {
		return nil, err
	}
	if t.Kind != model.KindCommunity || !readsBody(sc, t.Path) {
		return nil, model.ErrNotFound
	}
	terms, err := queryAll(ctx, c, `SELECT `+bodyTermColumns+` FROM body_terms b JOIN territories t ON t.id = b.community_id
		WHERE b.community_id = ? ORDER BY b.starts_on DESC`, []any{community}, scanBodyTerm)
	if err != nil {
		return nil, err
	}
	return terms, c.bodyMembers(ctx, terms...)
}

// CreateBodyTerm records a term of the body of a community in sc (staff), with its elected
// members; the body is a villagers' committee when the community's code is a village's. A
// community outside sc is a field error on community_id; a member's resident or Party member
// outside the community a field error on members; a second term starting on the same day a
// *model.ConflictError.
func (s *Store) CreateBodyTerm(ctx context.Context, sc authz.Scope, in model.BodyTermInput) (*model.BodyTerm, error) {
	if !sc.All && !authz.Allowed(sc.Role, authz.BodyWrite) {
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
			return fieldErr("community_id", "居（村）民委员会属于一个社区或村，请选择社区")
		}
		lo, hi := authz.PathRange(t.Path)
		for _, m := range in.Members {
			for _, link := range []struct {
				id    int64
				query string
			}{{m.ResidentID, `SELECT COUNT(*) FROM residents WHERE id = ? AND path >= ? AND path < ?`},
				{m.PartyMemberID, `SELECT COUNT(*) FROM party_members WHERE id = ? AND path >= ? AND path < ?`}} {
				if link.id == 0 {
					continue
				}
				var n int
				if err := tx.queryRow(ctx, link.query, []any{link.id, lo, hi}, &n); err != nil {
					return err
				}
				if n == 0 {
					return fieldErr("members", fmt.Sprintf("%s 关联的居民或党员不在本社区", m.Name))
				}
			}
		}
		kind := model.BodyKindOf(t.Code)
		err = tx.queryRow(ctx, `INSERT INTO body_terms (community_id, path, kind, starts_on, ends_on, elected_on, election_result, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{t.ID, t.Path, string(kind), dayArg(in.StartsOn), dayArg(in.EndsOn), dayArg(in.ElectedOn),
			in.ElectionResult, nullID(sc.UserID), s.now()}, &id)
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: "该社区已有一届从 " + in.StartsOn + " 开始"}
		} else if err != nil {
			return err
		}
		for _, m := range in.Members {
			if _, err := tx.exec(ctx, `INSERT INTO body_members (term_id, community_id, post, name, resident_id, party_member_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, t.ID, string(m.Post), m.Name, nullID(m.ResidentID), nullID(m.PartyMemberID), s.now()); err != nil {
				return err
			}
		}
		tx.auditAt(sc, t.Path, "body.term.create", "body_term", []int64{id}, fmt.Sprintf("%s %s–%s members=%d", kind, in.StartsOn, in.EndsOn, len(in.Members)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.BodyTerm(ctx, sc, id)
}

// AddBodyDecision records a meeting, decision or task that term id's body owns (staff of its
// community or above).
func (s *Store) AddBodyDecision(ctx context.Context, sc authz.Scope, termID int64, in model.BodyDecisionInput) (*model.BodyDecision, error) {
	if !sc.All && !authz.Allowed(sc.Role, authz.BodyWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		var community int64
		var path string
		if err := tx.queryRow(ctx, `SELECT community_id, path FROM body_terms WHERE id = ?`, []any{termID}, &community, &path); err != nil {
			return err
		}
		if !sc.Contains(path) {
			return model.ErrNotFound
		}
		if err := tx.queryRow(ctx, `INSERT INTO body_decisions (term_id, community_id, kind, held_on, title, content, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{termID, community, string(in.Kind), dayArg(in.On), in.Title, in.Content, nullID(sc.UserID), s.now()}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, path, "body.decision.create", "body_term", []int64{termID}, string(in.Kind)+" "+in.On)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &model.BodyDecision{ID: id, TermID: termID, Kind: in.Kind, On: in.On, Title: in.Title, Content: in.Content}, nil
}

// BodyDecisions lists the meetings, decisions and tasks of term id's body, the newest first;
// model.ErrNotFound when the caller does not read the term.
func (s *Store) BodyDecisions(ctx context.Context, sc authz.Scope, termID int64, limit int) ([]*model.BodyDecision, error) {
	if _, err := s.BodyTerm(ctx, sc, termID); err != nil {
		return nil, err
	}
	return queryAll(ctx, s.reader(), `SELECT id, term_id, community_id, kind, held_on, title, content, created_at FROM body_decisions
		WHERE term_id = ? ORDER BY held_on DESC, id DESC LIMIT ?`, []any{termID, clampLimit(limit)}, func(rs rowScanner) (*model.BodyDecision, error) {
		var d model.BodyDecision
		var on time.Time
		err := rs.Scan(&d.ID, &d.TermID, &d.CommunityID, &d.Kind, &on, &d.Title, &d.Content, &d.CreatedAt)
		d.On = dateString(on)
		return &d, err
	})
}

// BodyOwned counts what community id's residents' (villagers') committee owns: the burden
// register's tasks and the meetings recorded as the committee's, and its terms' decisions.
// model.ErrNotFound when the caller does not read the community's bodies.
func (s *Store) BodyOwned(ctx context.Context, sc authz.Scope, community int64) (model.BodyOwned, error) {
	var o model.BodyOwned
	c := s.reader()
	t, err := c.territory(ctx, authz.System(), community)
	if err != nil {
		return o, err
	}
	if t.Kind != model.KindCommunity || !readsBody(sc, t.Path) {
		return o, model.ErrNotFound
	}
	err = c.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM burden_tasks WHERE community_id = ? AND body = 'committee'),
		(SELECT COUNT(*) FROM party_meetings WHERE community_id = ? AND body = 'committee' AND status <> 'cancelled'),
		(SELECT COUNT(*) FROM body_decisions WHERE community_id = ?)`, []any{community, community, community}, &o.Tasks, &o.Meetings, &o.Decisions)
	return o, err
}
