package web

import (
	"net/http"
	"net/url"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The residents' committee's page (issue 12 item 4): a community's terms with their members,
// each member's cross appointment on the Party committee, and the meetings, decisions and tasks
// of the current term with the staff's form to record one.

type bodiesPage struct {
	Page
	Communities []territoryOption
	Community   *model.Territory
	Terms       []*model.BodyTerm
	Decisions   []*model.BodyDecision
	Form        *Form
	Kinds       []model.BodyDecisionKind
}

// bodyCommunity is the community the page shows: ?community=ID, else the community at or
// above the caller's territory (0 when there is none: a street's staff choose).
func (wb *Web) bodyCommunity(r *http.Request) int64 {
	if id, err := strconv.ParseInt(r.URL.Query().Get("community"), 10, 64); err == nil && id > 0 {
		return id
	}
	u := authz.UserFrom(r.Context())
	if u == nil {
		return 0
	}
	for _, id := range model.PathIDs(u.ScopePath) {
		if t, err := wb.st.Territory(r.Context(), authz.System(), id); err == nil && t.Kind == model.KindCommunity {
			return t.ID
		}
	}
	return 0
}

func (wb *Web) showBodies(w http.ResponseWriter, r *http.Request) error {
	return wb.bodiesPageFor(w, r, http.StatusOK, wb.bodyCommunity(r), nil)
}

func (wb *Web) bodiesPageFor(w http.ResponseWriter, r *http.Request, status int, community int64, f *Form) error {
	p := &bodiesPage{Page: wb.base(r, wb.t("bodies.title"), "bodies"), Form: f, Kinds: []model.BodyDecisionKind{model.DecisionMeeting, model.DecisionDecision, model.DecisionTask}}
	p.Crumbs = []Crumb{{Name: p.Title}}
	var err error
	if p.Communities, err = wb.listNodes(r, model.KindCommunity); err != nil {
		return err
	}
	if community != 0 {
		if p.Terms, err = wb.st.BodyTerms(r.Context(), scope(r), community); err != nil {
			return err
		}
		if p.Community, err = wb.st.Territory(r.Context(), authz.System(), community); err != nil {
			return err
		}
		if len(p.Terms) > 0 {
			if p.Decisions, err = wb.st.BodyDecisions(r.Context(), scope(r), p.Terms[0].ID, 50); err != nil {
				return err
			}
		}
	}
	if p.Form == nil {
		p.Form = newForm("decision", url.Values{"kind": {string(model.DecisionMeeting)}, "date": {wb.st.Now().In(model.Shanghai).Format("2006-01-02")}}, "kind", "date", "title", "content")
	}
	if p.Form.Invalid() {
		p.Failed = p.Form
	}
	return wb.render(w, r, status, "bodies/show", p)
}

func (wb *Web) addBodyDecision(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return model.ErrNotFound
	}
	f := newForm("decision", r.PostForm, "kind", "date", "title", "content")
	d, err := wb.st.AddBodyDecision(r.Context(), scope(r), id, model.BodyDecisionInput{Kind: model.BodyDecisionKind(f.Values.Get("kind")), On: f.Values.Get("date"),
		Title: f.Values.Get("title"), Content: f.Values.Get("content")})
	if err != nil {
		if f.fail(err) {
			t, terr := wb.st.BodyTerm(r.Context(), scope(r), id)
			if terr != nil {
				return terr
			}
			return wb.bodiesPageFor(w, r, formStatus(err), t.CommunityID, f)
		}
		return err
	}
	t, err := wb.st.BodyTerm(r.Context(), scope(r), d.TermID)
	if err != nil {
		return err
	}
	redirect(w, r, "/bodies?community="+strconv.FormatInt(t.CommunityID, 10), "body_decision")
	return nil
}
