package web

import (
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Topics of compound affairs (小区议事, issue 11 item 1). A resident on a phone: the topics near
// it (over its stairwell, building, compound, grid, community and street), narrowed by level
// with one tap, or the ones it follows; raise a topic over one of those places; a topic's page
// with the discussion, a reply box, follow. Staff: the topics of their territory; hide a topic or
// a reply with a reason (readers see 此内容已被隐藏：reason, staff the text too), show it again,
// and turn a topic into a vote. Every text is rendered by html/template as text.

func topicURL(id int64) string { return "/topics/" + strconv.FormatInt(id, 10) }

// topicLevel is one tap of the "near me" filter: a territory above the caller's household.
type topicLevel struct {
	ID    int64
	Label string // its name: 1单元, 锦绣花园, 天宝社区
}

type topicsPage struct {
	Page
	Items     []*model.Topic
	Total     int64
	Next      string
	Levels    []topicLevel
	Territory int64
	Followed  bool
}

func (wb *Web) listTopics(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ctx, sc := r.Context(), scope(r)
	p := &topicsPage{Page: wb.base(r, wb.t("topics.title"), "topics"), Followed: q.Get("followed") != ""}
	p.Crumbs = []Crumb{{Name: p.Title}}
	if v := q.Get("territory"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return model.ErrNotFound
		}
		p.Territory = n
	}
	levels, err := wb.st.TopicTerritories(ctx, sc)
	if err != nil {
		return err
	}
	for _, t := range levels {
		p.Levels = append(p.Levels, topicLevel{ID: t.ID, Label: t.Name})
	}
	page, err := wb.st.Topics(ctx, sc, store.TopicFilter{Territory: p.Territory, Followed: p.Followed, Cursor: q.Get("cursor"), Limit: 30})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	return wb.render(w, r, http.StatusOK, "topics/list", p)
}

var topicFields = []string{"territory_id", "title", "body"}

type topicFormPage struct {
	Page
	Form  *Form
	Nodes []territoryOption
}

func (wb *Web) newTopic(w http.ResponseWriter, r *http.Request) error {
	f := newForm("topic", nil, topicFields...)
	if t := r.URL.Query().Get("territory"); t != "" {
		f.Values.Set("territory_id", t)
	}
	return wb.topicForm(w, r, http.StatusOK, f)
}

// topicForm renders the form; the places to choose are those above the caller's household,
// nearest first, and for staff and grid leaders the streets, communities, grids and compounds of
// their territory.
func (wb *Web) topicForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &topicFormPage{Page: wb.base(r, wb.t("topics.new.title"), "topics"), Form: f}
	p.Crumbs = []Crumb{{Name: wb.t("topics.title"), URL: "/topics"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	levels, err := wb.st.TopicTerritories(r.Context(), scope(r))
	if err != nil {
		return err
	}
	for _, t := range levels {
		p.Nodes = append(p.Nodes, territoryOption{ID: t.ID, Label: t.Kind.Label() + " · " + t.Name})
	}
	if p.Can(authz.HouseholdWrite) {
		nodes, err := wb.listNodes(r, model.KindStreet, model.KindCommunity, model.KindResidentGroup, model.KindGrid, model.KindCompound)
		if err != nil {
			return err
		}
		p.Nodes = append(p.Nodes, nodes...)
	}
	return wb.render(w, r, status, "topics/new", p)
}

func (wb *Web) raiseTopic(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("topic", r.PostForm, topicFields...)
	in := model.TopicInput{Title: f.Values.Get("title"), Body: f.Values.Get("body")}
	in.TerritoryID, _ = strconv.ParseInt(f.Values.Get("territory_id"), 10, 64)
	t, err := wb.st.RaiseTopic(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.topicForm(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, topicURL(t.ID), "topic_raised")
	return nil
}

// topicPage is one topic with its discussion.
type topicPage struct {
	Page
	Topic   *model.Topic
	Replies []*model.TopicReply
	Reply   *Form
	Hide    *Form // the hide form that failed (its "post" names the post: t<id> or r<id>)
}

// topicHideForm is the hide form of one post: where it goes and its input.
type topicHideForm struct {
	Action string
	Form   *Form
}

// HideFor is the hide form of the topic (kind "t") or reply (kind "r") id: the one that failed,
// or a fresh one.
func (p *topicPage) HideFor(kind string, id int64) topicHideForm {
	key := kind + strconv.FormatInt(id, 10)
	action := "/topics/" + strconv.FormatInt(id, 10) + "/hide"
	if kind == "r" {
		action = "/topic-replies/" + strconv.FormatInt(id, 10) + "/hide"
	}
	if p.Hide != nil && p.Hide.Values.Get("post") == key {
		return topicHideForm{Action: action, Form: p.Hide}
	}
	return topicHideForm{Action: action, Form: newForm("hide-"+key, nil, "reason")}
}

func (wb *Web) topicPageFor(w http.ResponseWriter, r *http.Request, id int64, status int, fill func(p *topicPage)) error {
	t, replies, err := wb.st.Topic(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	title := t.Title
	if t.Withheld {
		title = wb.t("topics.hidden.title")
	}
	p := &topicPage{Page: wb.base(r, title, "topics"), Topic: t, Replies: replies, Reply: newForm("reply", nil, "body")}
	p.Crumbs = []Crumb{{Name: wb.t("topics.title"), URL: "/topics"}, {Name: wb.t("topics.crumb")}}
	if fill != nil {
		fill(p)
	}
	for _, f := range []*Form{p.Reply, p.Hide} {
		if f.Invalid() {
			p.Failed = f
		}
	}
	return wb.render(w, r, status, "topics/show", p)
}

func (wb *Web) showTopic(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return wb.topicPageFor(w, r, id, http.StatusOK, nil)
}

func (wb *Web) replyTopic(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("reply", r.PostForm, "body")
	rp, err := wb.st.ReplyTopic(r.Context(), scope(r), id, f.Values.Get("body"))
	if err != nil {
		if f.fail(err) {
			return wb.topicPageFor(w, r, id, formStatus(err), func(p *topicPage) { p.Reply = f })
		}
		return err
	}
	redirect(w, r, topicURL(id)+"?done=topic_replied#reply-"+strconv.FormatInt(rp.ID, 10), "")
	return nil
}

// followTopic follows (on) or stops following the topic and shows it again.
func (wb *Web) followTopic(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		done := "topic_followed"
		if on {
			_, err = wb.st.FollowTopic(r.Context(), scope(r), id)
		} else {
			done = "topic_unfollowed"
			_, err = wb.st.UnfollowTopic(r.Context(), scope(r), id)
		}
		if err != nil {
			return err
		}
		redirect(w, r, topicURL(id), done)
		return nil
	}
}

// moderateTopic hides (hide) or shows again the topic {id} (reply false) or the reply {id}
// (reply true), then shows the topic; a hide without a reason shows the page again with the
// error under that post's form.
func (wb *Web) moderateTopic(reply, hide bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		key := "t" + strconv.FormatInt(id, 10)
		if reply {
			key = "r" + strconv.FormatInt(id, 10)
		}
		f := newForm("hide-"+key, r.PostForm, "reason")
		f.Values.Set("post", key)
		ctx, sc, reason := r.Context(), scope(r), f.Values.Get("reason")
		var t *model.Topic
		switch {
		case reply && hide:
			t, err = wb.st.HideTopicReply(ctx, sc, id, reason)
		case reply:
			t, err = wb.st.UnhideTopicReply(ctx, sc, id, reason)
		case hide:
			t, err = wb.st.HideTopic(ctx, sc, id, reason)
		default:
			t, err = wb.st.UnhideTopic(ctx, sc, id, reason)
		}
		if err != nil {
			if !f.fail(err) {
				return err
			}
			topic := id
			if reply {
				// The reply's topic, to show the form again on its page.
				if topic, err = wb.st.TopicOfReply(ctx, sc, id); err != nil {
					return err
				}
			}
			return wb.topicPageFor(w, r, topic, formStatus(err), func(p *topicPage) { p.Hide = f })
		}
		done := map[bool]string{true: "topic_hidden", false: "topic_shown"}[hide]
		to := topicURL(t.ID)
		if reply {
			to += "?done=" + done + "#reply-" + strconv.FormatInt(id, 10)
			done = ""
		}
		redirect(w, r, to, done)
		return nil
	}
}

var proposeFields = []string{"title", "rule", "kind", "options", "max_choices", "quorum", "threshold", "closes_at", "description"}

type proposePage struct {
	Page
	voteRuleChoices
	Topic *model.Topic
	Form  *Form
}

func (wb *Web) proposeForm(w http.ResponseWriter, r *http.Request, status int, id int64, f *Form) error {
	t, _, err := wb.st.Topic(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	if !t.Caller.Moderate {
		return model.ErrForbidden
	}
	if f == nil {
		f = newForm("vote", wb.voteRuleDefaults(), proposeFields...)
		f.Values.Set("title", t.Title)
		f.Values.Set("description", t.Body)
	}
	p := &proposePage{Page: wb.base(r, wb.t("topics.propose.title"), "topics"), voteRuleChoices: newVoteRuleChoices(), Topic: t, Form: f}
	p.Crumbs = []Crumb{{Name: wb.t("topics.title"), URL: "/topics"}, {Name: wb.t("topics.crumb"), URL: topicURL(t.ID)}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "topics/propose", p)
}

func (wb *Web) newProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return wb.proposeForm(w, r, http.StatusOK, id, nil)
}

func (wb *Web) proposeTopic(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("vote", r.PostForm, proposeFields...)
	in := wb.readVoteRules(f)
	if f.Invalid() {
		return wb.proposeForm(w, r, http.StatusUnprocessableEntity, id, f)
	}
	v, err := wb.st.ProposeTopic(r.Context(), scope(r), id, in)
	if err != nil {
		if f.fail(err) {
			return wb.proposeForm(w, r, formStatus(err), id, f)
		}
		return err
	}
	redirect(w, r, voteURL(v.ID), "topic_proposed")
	return nil
}
