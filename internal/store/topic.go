package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Topics of compound affairs (issue 11 item 1; model/topic.go says what a topic is).
//
// Who reads a topic, as votes (vote.go, householder): staff and grid leaders whose territory
// holds the topic's; the accounts (residents, members, unit leaders) linked to a resident whose
// household lies under the topic's territory — the topics "near me". Who raises one: the same
// callers, over a territory they read (a household's account over the territories above its
// household). Who replies and follows: whoever reads the topic and may write topics. Who
// moderates (hides and unhides with a reason, turns a topic into a vote): staff whose territory
// holds the topic. A hidden post keeps its row and its text; every reader but the moderators
// gets the reason instead of the text (Withheld). Nothing is ever deleted.

const topicColumns = `p.id, p.title, p.body, p.author_name, p.author_role, COALESCE(p.author_id, 0), p.created_at, p.hidden_at, p.hidden_reason,
	p.territory_id, t.name, t.kind, p.path, COALESCE(p.community_id, 0), p.replies, p.followers, p.last_reply_at,
	COALESCE(p.vote_id, 0), COALESCE(v.title, ''), COALESCE(v.status, ''), p.proposed_at`

const topicFrom = ` FROM topics p JOIN territories t ON t.id = p.territory_id LEFT JOIN votes v ON v.id = p.vote_id`

func scanTopic(r rowScanner) (*model.Topic, error) {
	var t model.Topic
	var hidden, last, proposed sql.NullTime
	if err := r.Scan(&t.ID, &t.Title, &t.Body, &t.AuthorName, &t.AuthorRole, &t.AuthorID, &t.CreatedAt, &hidden, &t.HiddenReason,
		&t.TerritoryID, &t.TerritoryName, &t.TerritoryKind, &t.Path, &t.CommunityID, &t.Replies, &t.Followers, &last,
		&t.VoteID, &t.VoteTitle, &t.VoteStatus, &proposed); err != nil {
		return nil, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if hidden.Valid {
		h := hidden.Time.UTC()
		t.HiddenAt = &h
	}
	if last.Valid {
		l := last.Time.UTC()
		t.LastReplyAt = &l
	}
	if proposed.Valid {
		p := proposed.Time.UTC()
		t.ProposedAt = &p
	}
	return &t, nil
}

const topicReplyColumns = `id, topic_id, body, author_name, author_role, COALESCE(author_id, 0), created_at, hidden_at, hidden_reason`

func scanTopicReply(r rowScanner) (*model.TopicReply, error) {
	var p model.TopicReply
	var hidden sql.NullTime
	if err := r.Scan(&p.ID, &p.TopicID, &p.Body, &p.AuthorName, &p.AuthorRole, &p.AuthorID, &p.CreatedAt, &hidden, &p.HiddenReason); err != nil {
		return nil, err
	}
	p.CreatedAt = p.CreatedAt.UTC()
	if hidden.Valid {
		h := hidden.Time.UTC()
		p.HiddenAt = &h
	}
	return &p, nil
}

// moderates reports whether the caller moderates topics over the territory at path: staff
// whose territory holds it.
func (vr householder) moderates(path string) bool { return vr.manages(authz.TopicModerate, path) }

// readsTopics reports whether the caller may read topics over the territory at path.
func (vr householder) readsTopics(path string) bool { return vr.reads(authz.TopicRead, path) }

// present withholds what the caller may not see of a post and marks the caller's own.
func (vr householder) present(p *model.TopicPost, moderate bool) {
	p.Mine = vr.sc.UserID != 0 && p.AuthorID == vr.sc.UserID
	if p.Hidden() && !moderate {
		p.Body, p.Withheld = "", true
	}
}

// presentTopic withholds a hidden topic's title and body from a caller who does not moderate
// it and fills the caller's standing (following is read apart).
func (vr householder) presentTopic(t *model.Topic) {
	mod := vr.moderates(t.Path)
	vr.present(&t.TopicPost, mod)
	if t.Withheld {
		t.Title = ""
	}
	t.Caller.Moderate = mod
	t.Caller.Reply = !t.Hidden() && authz.Allowed(vr.sc.Role, authz.TopicWrite)
}

// topic reads topic id as the caller may see it (model.ErrNotFound otherwise), with the
// caller's standing.
func (c conn) topic(ctx context.Context, sc authz.Scope, id int64) (*model.Topic, householder, error) {
	t, vr, err := householderOne(ctx, c, sc, `SELECT `+topicColumns+topicFrom+` WHERE p.id = ?`, []any{id}, scanTopic,
		func(vr householder, t *model.Topic) bool { return vr.readsTopics(t.Path) })
	if err != nil {
		return nil, vr, err
	}
	vr.presentTopic(t)
	if sc.UserID != 0 {
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM topic_follows WHERE topic_id = ? AND user_id = ?`, []any{t.ID, sc.UserID}, &n); err != nil {
			return nil, vr, err
		}
		t.Caller.Following = n > 0
	}
	return t, vr, nil
}

// MaxTopicReplies bounds the replies one read of a topic returns (oldest first).
const MaxTopicReplies = 500

// Topic returns topic id as the caller may see it, with its replies (oldest first, at most
// MaxTopicReplies); model.ErrNotFound when it does not exist or the caller may not see it.
// Hidden posts come with their reason; their text only to the topic's moderators.
func (s *Store) Topic(ctx context.Context, sc authz.Scope, id int64) (*model.Topic, []*model.TopicReply, error) {
	c := s.reader()
	t, vr, err := c.topic(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	rs, err := queryAll(ctx, c, `SELECT `+topicReplyColumns+` FROM topic_replies WHERE topic_id = ? ORDER BY id LIMIT `+strconv.Itoa(MaxTopicReplies),
		[]any{t.ID}, scanTopicReply)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rs {
		vr.present(&r.TopicPost, t.Caller.Moderate)
	}
	return t, rs, nil
}

// TopicFilter narrows the topics a caller lists.
type TopicFilter struct {
	Territory int64 // that node and everything under it (0: all the caller reads)
	Followed  bool  // only the topics the caller follows
	Limit     int
	Cursor    string
}

// Topics lists the topics the caller may see, newest first: staff and grid leaders those in
// their territory, a household's account those over its household (its compound, grid,
// community and street: the topics near it). A territory filter the caller does not read is
// model.ErrNotFound.
func (s *Store) Topics(ctx context.Context, sc authz.Scope, f TopicFilter) (*Page[*model.Topic], error) {
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	if !authz.Allowed(sc.Role, authz.TopicRead) {
		return &Page[*model.Topic]{}, nil
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	cond, args := vr.listWhere("p.path")
	if cond == "" {
		return &Page[*model.Topic]{}, nil
	}
	w := filter{where: []string{cond}, args: args}
	if f.Territory != 0 {
		n, err := c.territory(ctx, authz.System(), f.Territory)
		if err != nil {
			return nil, err
		}
		// A node the caller reads: in its territory, or on its household's way up.
		if !vr.readsTopics(n.Path) {
			return nil, model.ErrNotFound
		}
		lo, hi := authz.PathRange(n.Path)
		w.add("p.path >= ? AND p.path < ?", lo, hi)
	}
	if f.Followed {
		w.add("p.id IN (SELECT topic_id FROM topic_follows WHERE user_id = ?)", sc.UserID)
	}
	p, err := newestPage(ctx, c, `SELECT `+topicColumns+topicFrom, `FROM topics p`, "p.id", w, cur, clampLimit(f.Limit), scanTopic, func(x *model.Topic) int64 { return x.ID })
	if err != nil {
		return nil, err
	}
	items := p.Items
	if len(items) > 0 && sc.UserID != 0 {
		ids := make([]any, 0, len(items)+1)
		ids = append(ids, sc.UserID)
		byID := map[int64]*model.Topic{}
		for _, t := range items {
			ids = append(ids, t.ID)
			byID[t.ID] = t
		}
		err := eachRow(ctx, c, `SELECT topic_id FROM topic_follows WHERE user_id = ? AND topic_id IN (`+inList(len(items))+`)`, ids, func(r rowScanner) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			byID[id].Caller.Following = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, t := range items {
		vr.presentTopic(t)
	}
	p.Items = items
	return p, nil
}

// TopicTerritories lists the territories the caller may raise a topic over, nearest first: for
// a household's account the ones above its household (not the district); for staff and grid
// leaders their own node (they choose others below it by id).
func (s *Store) TopicTerritories(ctx context.Context, sc authz.Scope) ([]*model.Territory, error) {
	c := s.reader()
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	var out []*model.Territory
	for _, id := range model.PathIDs(vr.householdPath) {
		t, err := c.territory(ctx, authz.System(), id)
		if err != nil {
			return nil, err
		}
		if t.Kind != model.KindDistrict {
			out = append([]*model.Territory{t}, out...)
		}
	}
	return out, nil
}

// RaiseTopic raises a topic over territory in.TerritoryID: a household's account over a
// territory above its household, staff and grid leaders in their territory. The author follows
// it. A territory the caller may not raise a topic over is a *model.ValidationError on
// territory_id, as one that does not exist.
func (s *Store) RaiseTopic(ctx context.Context, sc authz.Scope, in model.TopicInput) (*model.Topic, error) {
	if !authz.Allowed(sc.Role, authz.TopicWrite) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.Tx(ctx, func(tx *Tx) error {
		vr, err := tx.householderOf(ctx, sc)
		if err != nil {
			return err
		}
		t, err := tx.territory(ctx, authz.System(), in.TerritoryID)
		if errors.Is(err, model.ErrNotFound) || err == nil && !vr.readsTopics(t.Path) {
			return fieldErr("territory_id", "议题范围不存在，或不在您所住或管辖的范围内")
		} else if err != nil {
			return err
		}
		if t.Kind == model.KindDistrict {
			return fieldErr("territory_id", "议题范围应为街道、社区、网格、小区、楼栋或单元")
		}
		name, err := tx.authorName(ctx, sc.UserID)
		if err != nil {
			return err
		}
		ts := s.now()
		if err := tx.queryRow(ctx, `INSERT INTO topics (territory_id, community_id, path, title, body, author_id, author_name, author_role, followers, created_at)
			SELECT id, community_id, path, ?, ?, ?, ?, ?, ?, ? FROM territories WHERE id = ? RETURNING id`,
			[]any{in.Title, in.Body, nullID(sc.UserID), name, string(sc.Role), boolInt(sc.UserID != 0), ts, t.ID}, &id); err != nil {
			return err
		}
		if sc.UserID != 0 {
			if _, err := tx.exec(ctx, `INSERT INTO topic_follows (topic_id, user_id, created_at) VALUES (?, ?, ?)`, id, sc.UserID, ts); err != nil {
				return err
			}
		}
		tx.auditAt(sc, t.Path, "topic.raise", "topic", []int64{id}, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	t, _, err := s.reader().topic(ctx, sc, id)
	return t, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ErrTopicHidden refuses a reply to a hidden topic.
var ErrTopicHidden = &model.ConflictError{Message: "该议题已被隐藏，不能再回复"}

// ReplyTopic adds the caller's reply to topic id (a topic it reads, not hidden: ErrTopicHidden
// otherwise; the conditional UPDATE of the topic's counter decides against a hiding at the same
// moment) and notifies the topic's followers but the author of the reply.
func (s *Store) ReplyTopic(ctx context.Context, sc authz.Scope, id int64, body string) (*model.TopicReply, error) {
	if !authz.Allowed(sc.Role, authz.TopicWrite) {
		return nil, model.ErrForbidden
	}
	body, err := model.ValidateTopicReply(body)
	if err != nil {
		return nil, err
	}
	var rid int64
	err = s.Tx(ctx, func(tx *Tx) error {
		t, _, err := tx.topic(ctx, sc, id)
		if err != nil {
			return err
		}
		ts := s.now()
		res, err := tx.exec(ctx, `UPDATE topics SET replies = replies + 1, last_reply_at = ? WHERE id = ? AND hidden_at IS NULL`, ts, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrTopicHidden
		}
		name, err := tx.authorName(ctx, sc.UserID)
		if err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `INSERT INTO topic_replies (topic_id, community_id, body, author_id, author_name, author_role, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, []any{t.ID, nullID(t.CommunityID), body, nullID(sc.UserID), name, string(sc.Role), ts}, &rid); err != nil {
			return err
		}
		if err := tx.notifyFollowers(ctx, t.ID, sc.UserID, model.NotificationInput{Kind: "topic.reply", Title: "您关注的议题有新回复",
			Body: t.Title, Link: "/topics/" + strconv.FormatInt(t.ID, 10), Key: "topic.reply:" + strconv.FormatInt(rid, 10)}); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "topic.reply", "topic", []int64{t.ID}, "reply "+strconv.FormatInt(rid, 10))
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, err := queryOne(ctx, s.reader(), `SELECT `+topicReplyColumns+` FROM topic_replies WHERE id = ?`, []any{rid}, scanTopicReply)
	if err == nil {
		r.Mine = true
	}
	return r, err
}

// notifyFollowers sends n to every enabled account following topic but except.
func (tx *Tx) notifyFollowers(ctx context.Context, topic, except int64, n model.NotificationInput) error {
	_, err := tx.insertNotifications(ctx, `INSERT INTO notifications (user_id, kind, title, body, link, dedup_key, created_at)
		SELECT u.id, ?, ?, ?, ?, ?, ? FROM topic_follows f JOIN users u ON u.id = f.user_id WHERE f.topic_id = ? AND f.user_id <> ? AND u.disabled = ?
		ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`, n.Kind, n.Title, n.Body, n.Link, n.Key, now(), topic, except, false)
	return err
}

// FollowTopic makes the caller follow topic id (one it reads): it is notified of replies and
// of the topic's vote. Following twice is following once (the primary key decides); the
// followers counter moves only for a row inserted.
func (s *Store) FollowTopic(ctx context.Context, sc authz.Scope, id int64) (*model.Topic, error) {
	return s.setFollow(ctx, sc, id, true)
}

// UnfollowTopic ends the caller's following of topic id; not following is no error.
func (s *Store) UnfollowTopic(ctx context.Context, sc authz.Scope, id int64) (*model.Topic, error) {
	return s.setFollow(ctx, sc, id, false)
}

func (s *Store) setFollow(ctx context.Context, sc authz.Scope, id int64, follow bool) (*model.Topic, error) {
	if !authz.Allowed(sc.Role, authz.TopicWrite) || sc.UserID == 0 {
		return nil, model.ErrForbidden
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		t, _, err := tx.topic(ctx, sc, id)
		if err != nil {
			return err
		}
		var res sql.Result
		delta := 1
		if follow {
			res, err = tx.exec(ctx, `INSERT INTO topic_follows (topic_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (topic_id, user_id) DO NOTHING`,
				t.ID, sc.UserID, s.now())
		} else {
			delta = -1
			res, err = tx.exec(ctx, `DELETE FROM topic_follows WHERE topic_id = ? AND user_id = ?`, t.ID, sc.UserID)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			_, err = tx.exec(ctx, `UPDATE topics SET followers = followers + ? WHERE id = ?`, delta, t.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	t, _, err := s.reader().topic(ctx, sc, id)
	return t, err
}

// errNotTopicModerator refuses moderation to a caller who reads the topic but does not
// moderate it (a topic raised over a territory above the staff's own).
var errNotTopicModerator = &model.ForbiddenError{Message: "只有议题所在范围的工作人员可以隐藏、恢复议题或回复，或把议题转为表决"}

// moderatedTopic reads topic id for a moderator: model.ErrNotFound when the caller may not
// see it, errNotTopicModerator when it sees but does not moderate it.
func (c conn) moderatedTopic(ctx context.Context, sc authz.Scope, id int64) (*model.Topic, error) {
	if !authz.Allowed(sc.Role, authz.TopicModerate) {
		return nil, model.ErrForbidden
	}
	t, _, err := c.topic(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if !t.Caller.Moderate {
		return nil, errNotTopicModerator
	}
	return t, nil
}

// HideTopic hides topic id with a reason (required): staff whose territory holds it. A topic
// hidden already is a *model.ConflictError (the conditional UPDATE decides). Its row and text
// stay; readers see the reason instead, and nobody replies to it any more.
func (s *Store) HideTopic(ctx context.Context, sc authz.Scope, id int64, reason string) (*model.Topic, error) {
	return s.moderateTopic(ctx, sc, id, 0, reason, true)
}

// UnhideTopic shows hidden topic id again (staff whose territory holds it); note, optional,
// goes to the audit record. A topic not hidden is a *model.ConflictError.
func (s *Store) UnhideTopic(ctx context.Context, sc authz.Scope, id int64, note string) (*model.Topic, error) {
	return s.moderateTopic(ctx, sc, id, 0, note, false)
}

// HideTopicReply hides reply id with a reason, as HideTopic.
func (s *Store) HideTopicReply(ctx context.Context, sc authz.Scope, id int64, reason string) (*model.Topic, error) {
	return s.moderateTopic(ctx, sc, 0, id, reason, true)
}

// UnhideTopicReply shows hidden reply id again, as UnhideTopic.
func (s *Store) UnhideTopicReply(ctx context.Context, sc authz.Scope, id int64, note string) (*model.Topic, error) {
	return s.moderateTopic(ctx, sc, 0, id, note, false)
}

// moderateTopic hides (or shows again) topic id, or reply id of a topic, and returns the topic.
func (s *Store) moderateTopic(ctx context.Context, sc authz.Scope, topic, reply int64, reason string, hide bool) (*model.Topic, error) {
	if !authz.Allowed(sc.Role, authz.TopicModerate) {
		return nil, model.ErrForbidden
	}
	if hide {
		var err error
		if reason, err = model.ValidateTopicHideReason(reason); err != nil {
			return nil, err
		}
	} else if reason = strings.TrimSpace(reason); len([]rune(reason)) > model.TopicReasonMax {
		return nil, fieldErr("reason", "说明最多 200 字")
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		table, obj := "topics", topic
		if reply != 0 {
			table, obj = "topic_replies", reply
			if err := tx.queryRow(ctx, `SELECT topic_id FROM topic_replies WHERE id = ?`, []any{reply}, &topic); err != nil {
				return err
			}
		}
		t, err := tx.moderatedTopic(ctx, sc, topic)
		if err != nil {
			return err
		}
		what := map[string]string{"topics": "该议题", "topic_replies": "该回复"}[table]
		var res sql.Result
		action := "topic.hide"
		if hide {
			res, err = tx.exec(ctx, `UPDATE `+table+` SET hidden_at = ?, hidden_by = ?, hidden_reason = ? WHERE id = ? AND hidden_at IS NULL`,
				s.now(), nullID(sc.UserID), reason, obj)
		} else {
			action = "topic.unhide"
			res, err = tx.exec(ctx, `UPDATE `+table+` SET hidden_at = NULL, hidden_by = NULL, hidden_reason = '' WHERE id = ? AND hidden_at IS NOT NULL`, obj)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if hide {
				return &model.ConflictError{Message: what + "已被隐藏"}
			}
			return &model.ConflictError{Message: what + "没有被隐藏"}
		}
		detail := reason
		if reply != 0 {
			detail = "reply " + strconv.FormatInt(reply, 10) + ": " + reason
		}
		tx.auditAt(sc, t.Path, action, "topic", []int64{t.ID}, detail)
		return nil
	})
	if err != nil {
		return nil, err
	}
	t, _, err := s.reader().topic(ctx, sc, topic)
	return t, err
}

// ProposeTopic turns topic id into a proposal that goes to a vote (staff whose territory holds
// it): a vote over the topic's territory opened with in (its title and description default to
// the topic's), linked to the topic. A topic proposed already, or hidden, is a
// *model.ConflictError: the conditional UPDATE that claims the topic decides, so two staff
// proposing at once open one vote. The followers are notified.
func (s *Store) ProposeTopic(ctx context.Context, sc authz.Scope, id int64, in model.VoteInput) (*model.Vote, error) {
	if !authz.Allowed(sc.Role, authz.TopicModerate) || !authz.Allowed(sc.Role, authz.VoteWrite) {
		return nil, model.ErrForbidden
	}
	var vid int64
	err := s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.moderatedTopic(ctx, sc, id)
		if err != nil {
			return err
		}
		switch {
		case t.VoteID != 0:
			return &model.ConflictError{Message: "该议题已转为表决"}
		case t.Hidden():
			return &model.ConflictError{Message: "该议题已被隐藏，不能转为表决"}
		}
		in.TerritoryID = t.TerritoryID
		if strings.TrimSpace(in.Title) == "" {
			in.Title = t.Title
		}
		if strings.TrimSpace(in.Description) == "" {
			in.Description = t.Body
		}
		ts := s.now()
		if err := in.Validate(ts); err != nil {
			return err
		}
		if in.OpensAt.IsZero() {
			in.OpensAt = ts
		}
		res, err := tx.exec(ctx, `UPDATE topics SET proposed_at = ?, proposed_by = ? WHERE id = ? AND proposed_at IS NULL AND hidden_at IS NULL`, ts, nullID(sc.UserID), t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该议题已转为表决或已被隐藏"}
		}
		if vid, err = tx.openVote(ctx, sc, in); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE topics SET vote_id = ? WHERE id = ?`, vid, t.ID); err != nil {
			return err
		}
		if err := tx.notifyFollowers(ctx, t.ID, sc.UserID, model.NotificationInput{Kind: "topic.vote", Title: "您关注的议题已转为表决",
			Body: in.Title, Link: "/votes/" + strconv.FormatInt(vid, 10), Key: "topic.vote:" + strconv.FormatInt(t.ID, 10)}); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "topic.propose", "topic", []int64{t.ID}, "vote "+strconv.FormatInt(vid, 10))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Vote(ctx, sc, vid)
}

// TopicOfVote returns the topic vote id was proposed from, as the caller may see it;
// model.ErrNotFound when none or the caller may not see it.
func (s *Store) TopicOfVote(ctx context.Context, sc authz.Scope, vote int64) (*model.Topic, error) {
	c := s.reader()
	var id int64
	if err := c.queryRow(ctx, `SELECT id FROM topics WHERE vote_id = ?`, []any{vote}, &id); err != nil {
		return nil, err
	}
	t, _, err := c.topic(ctx, sc, id)
	return t, err
}

// TopicOfReply returns the id of reply id's topic when the caller may see it;
// model.ErrNotFound otherwise.
func (s *Store) TopicOfReply(ctx context.Context, sc authz.Scope, id int64) (int64, error) {
	c := s.reader()
	var topic int64
	if err := c.queryRow(ctx, `SELECT topic_id FROM topic_replies WHERE id = ?`, []any{id}, &topic); err != nil {
		return 0, err
	}
	if _, _, err := c.topic(ctx, sc, topic); err != nil {
		return 0, err
	}
	return topic, nil
}
