package api

import (
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Topics of compound affairs (issue 11 item 1) at /api/v1/topics: list (the topics near the
// caller's household, or of a staff's territory; ?territory= for a subtree, ?followed=true),
// raise, read with replies, reply, follow and unfollow, hide and unhide a topic or a reply with a
// reason (staff), and propose a topic to a vote (staff). A hidden post carries hidden: true and
// its reason; its text only for the topic's moderators.

type topicPostJSON struct {
	ID           ID     `json:"id"`
	Body         string `json:"body"`
	Author       string `json:"author"`
	AuthorRole   string `json:"author_role"`
	CreatedAt    string `json:"created_at"`
	Hidden       bool   `json:"hidden"`
	HiddenReason string `json:"hidden_reason,omitempty"`
	HiddenAt     string `json:"hidden_at,omitempty"`
	Withheld     bool   `json:"withheld,omitempty"`
	Mine         bool   `json:"mine"`
}

func toTopicPost(p *model.TopicPost) topicPostJSON {
	out := topicPostJSON{ID: ID(p.ID), Body: p.Body, Author: p.AuthorName, AuthorRole: string(p.AuthorRole), CreatedAt: rfc3339(p.CreatedAt),
		Hidden: p.Hidden(), HiddenReason: p.HiddenReason, Withheld: p.Withheld, Mine: p.Mine}
	if p.HiddenAt != nil {
		out.HiddenAt = rfc3339(*p.HiddenAt)
	}
	return out
}

type topicJSON struct {
	topicPostJSON
	Title         string          `json:"title"`
	TerritoryID   ID              `json:"territory_id"`
	TerritoryName string          `json:"territory_name"`
	TerritoryKind string          `json:"territory_kind"`
	Status        string          `json:"status"`
	Replies       int             `json:"replies"`
	Followers     int             `json:"followers"`
	LastReplyAt   string          `json:"last_reply_at,omitempty"`
	VoteID        *ID             `json:"vote_id,omitempty"`
	Following     bool            `json:"following"`
	CanModerate   bool            `json:"can_moderate"`
	CanReply      bool            `json:"can_reply"`
	ReplyList     []topicPostJSON `json:"reply_list,omitempty"`
}

func toTopicJSON(t *model.Topic) topicJSON {
	out := topicJSON{topicPostJSON: toTopicPost(&t.TopicPost), Title: t.Title, TerritoryID: ID(t.TerritoryID), TerritoryName: t.TerritoryName,
		TerritoryKind: string(t.TerritoryKind), Status: t.Status(), Replies: t.Replies, Followers: t.Followers, Following: t.Caller.Following,
		CanModerate: t.Caller.Moderate, CanReply: t.Caller.Reply}
	if t.LastReplyAt != nil {
		out.LastReplyAt = rfc3339(*t.LastReplyAt)
	}
	if t.VoteID != 0 {
		id := ID(t.VoteID)
		out.VoteID = &id
	}
	return out
}

func (a *API) listTopics(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "followed")
	if err != nil {
		return err
	}
	f := store.TopicFilter{Territory: lq.Territory, Limit: lq.Limit, Cursor: lq.Cursor}
	switch r.URL.Query().Get("followed") {
	case "", "false":
	case "true":
		f.Followed = true
	default:
		return &model.ValidationError{Fields: []model.FieldError{{Field: "followed", Message: "followed 应为 true 或 false"}}}
	}
	p, err := a.st.Topics(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toTopicJSON))
}

type topicCreate struct {
	TerritoryID ID     `json:"territory_id"`
	Title       string `json:"title"`
	Body        string `json:"body"`
}

func (a *API) raiseTopic(w http.ResponseWriter, r *http.Request) error {
	var req topicCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.st.RaiseTopic(r.Context(), authz.ScopeFrom(r.Context()), model.TopicInput{TerritoryID: int64(req.TerritoryID), Title: req.Title, Body: req.Body})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toTopicJSON(t))
}

func (a *API) getTopic(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, rs, err := a.st.Topic(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := toTopicJSON(t)
	out.ReplyList = make([]topicPostJSON, 0, len(rs))
	for _, rp := range rs {
		out.ReplyList = append(out.ReplyList, toTopicPost(&rp.TopicPost))
	}
	return writeJSON(w, http.StatusOK, out)
}

type topicReplyCreate struct {
	Body string `json:"body"`
}

func (a *API) replyTopic(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req topicReplyCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	rp, err := a.st.ReplyTopic(r.Context(), authz.ScopeFrom(r.Context()), id, req.Body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toTopicPost(&rp.TopicPost))
}

// followTopic follows (on) or stops following topic {id}; either is idempotent.
func (a *API) followTopic(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		sc := authz.ScopeFrom(r.Context())
		var t *model.Topic
		if on {
			t, err = a.st.FollowTopic(r.Context(), sc, id)
		} else {
			t, err = a.st.UnfollowTopic(r.Context(), sc, id)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toTopicJSON(t))
	}
}

type topicModeration struct {
	Reason string `json:"reason"`
}

// moderateTopic hides (hide) or shows again a topic (reply false) or a reply (reply true);
// the answer is the topic as the moderator sees it.
func (a *API) moderateTopic(reply, hide bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req topicModeration
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
		ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
		var t *model.Topic
		switch {
		case reply && hide:
			t, err = a.st.HideTopicReply(ctx, sc, id, req.Reason)
		case reply:
			t, err = a.st.UnhideTopicReply(ctx, sc, id, req.Reason)
		case hide:
			t, err = a.st.HideTopic(ctx, sc, id, req.Reason)
		default:
			t, err = a.st.UnhideTopic(ctx, sc, id, req.Reason)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toTopicJSON(t))
	}
}

type topicPropose struct {
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Rule        string     `json:"rule"`
	Kind        string     `json:"kind"`
	Options     []string   `json:"options"`
	MaxChoices  int        `json:"max_choices"`
	Quorum      string     `json:"quorum"`
	Threshold   string     `json:"threshold"`
	OpensAt     *time.Time `json:"opens_at"`
	ClosesAt    *time.Time `json:"closes_at"`
}

// proposeTopic turns topic {id} into a vote over its territory; the answer is the vote.
func (a *API) proposeTopic(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req topicPropose
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	q, err := model.ParseQuorum(req.Quorum)
	if err != nil {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "quorum", Message: "参与率应写成分数，例如 2/3 或 1/2；不设要求写 0"}}}
	}
	in := model.VoteInput{Title: req.Title, Description: req.Description, Rule: model.VoteRule(req.Rule), Kind: model.VoteKind(req.Kind),
		Options: req.Options, MaxChoices: req.MaxChoices, Quorum: q, Threshold: model.Threshold(req.Threshold)}
	if req.OpensAt != nil {
		in.OpensAt = *req.OpensAt
	}
	if req.ClosesAt != nil {
		in.ClosesAt = *req.ClosesAt
	}
	v, err := a.st.ProposeTopic(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toVoteJSON(v))
}
