package web

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
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
	Owned       model.BodyOwned // what the committee owns in its own right
	Form        *Form
	Kinds       []model.BodyDecisionKind
	// The staff's form to record a term: its body kind follows the community; each member row
	// picks a person by name from People, the community's Party members and residents matching
	// what was typed (searched on the server as one types: searchBodyPeople).
	TermForm *Form
	BodyKind model.BodyKind
	Posts    []model.BodyPost
	Rows     []bodyRow
	People   []bodyPerson
}

// bodyRow is one member row of the term form: its key in the field names, its number shown.
type bodyRow struct {
	Key string
	No  int
}

// bodyTermRows is how many member rows the term form offers (blank rows are skipped).
const bodyTermRows = 9

// bodyPerson is one choice of the member picker: the datalist's value names the person and,
// after "#", the record (P for a Party member, R for a resident) the member links to.
type bodyPerson struct {
	Value string
}

// bodyPersonRef reads a picker value: the name before " · ", the linked resident or Party
// member after "#"; ok is false when there is text but no valid "#P…" or "#R…".
func bodyPersonRef(v string) (name string, resident, member int64, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", 0, 0, true
	}
	i := strings.LastIndex(v, "#")
	if i < 0 || i+2 > len(v) {
		return "", 0, 0, false
	}
	id, err := strconv.ParseInt(v[i+2:], 10, 64)
	if err != nil || id <= 0 {
		return "", 0, 0, false
	}
	name, _, _ = strings.Cut(v[:i], " · ")
	name = strings.TrimSpace(name)
	switch v[i+1] {
	case 'P':
		return name, 0, id, true
	case 'R':
		return name, id, 0, true
	}
	return "", 0, 0, false
}

// bodyPeopleLimit bounds the matches of each kind (Party members, residents) the member
// picker offers for what was typed.
const bodyPeopleLimit = 10

// bodyPeople lists, for the member picker, the community's Party members and residents whose
// name contains q (the name part of a picked value), within the caller's scope, at most
// bodyPeopleLimit of each; none for an empty q: the picker searches as one types. Only names
// are offered, never an ID number or a phone.
func (wb *Web) bodyPeople(r *http.Request, community int64, q string) ([]bodyPerson, error) {
	q, _, _ = strings.Cut(q, " · ")
	if q = strings.TrimSpace(q); q == "" {
		return nil, nil
	}
	var out []bodyPerson
	ms, err := wb.st.Members(r.Context(), scope(r), store.MemberFilter{Under: community, Q: q, Limit: bodyPeopleLimit})
	if err != nil {
		return nil, err
	}
	for _, m := range ms.Items {
		out = append(out, bodyPerson{Value: fmt.Sprintf("%s · %s #P%d", m.Name, wb.t("bodies.person.member"), m.ID)})
	}
	rs, err := wb.st.Residents(r.Context(), scope(r), store.ResidentFilter{Under: community, Q: q, Limit: bodyPeopleLimit})
	if err != nil {
		return nil, err
	}
	for _, x := range rs.Items {
		out = append(out, bodyPerson{Value: fmt.Sprintf("%s · %s #R%d", x.Name, wb.t("bodies.person.resident"), x.ID)})
	}
	return out, nil
}

// bodyPeopleQuery is what the picker searches for: ?q=, else the first member row's person
// field that says something (htmx sends the row's own field).
func bodyPeopleQuery(v url.Values) string {
	if q := strings.TrimSpace(v.Get("q")); q != "" {
		return q
	}
	for i := range bodyTermRows {
		if q := strings.TrimSpace(v.Get("person_" + strconv.Itoa(i))); q != "" {
			return q
		}
	}
	return ""
}

// searchBodyPeople answers the member picker (GET /bodies/people?community=&q=): with htmx the
// datalist of matches alone; without script (the term form's search button sends the form,
// community_id and all) the committee's page with the form as typed and the matches offered.
// A community outside the caller's territory is not found.
func (wb *Web) searchBodyPeople(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	community, err := strconv.ParseInt(cmp.Or(q.Get("community"), q.Get("community_id")), 10, 64)
	if err != nil || community <= 0 {
		return model.ErrNotFound
	}
	t, err := wb.st.Territory(r.Context(), scope(r), community)
	if err != nil {
		return err
	}
	if t.Kind != model.KindCommunity {
		return model.ErrNotFound
	}
	varyHTMX(w)
	if htmxTarget(r) == "body-people" {
		people, err := wb.bodyPeople(r, community, bodyPeopleQuery(q))
		if err != nil {
			return err
		}
		return wb.renderBlock(w, http.StatusOK, "bodies/show", "results", &bodiesPage{People: people})
	}
	// The term form's search button (no script): the form comes back as typed.
	return wb.bodiesPage(w, r, http.StatusOK, community, nil, newForm("term", q, bodyTermFields...))
}

var bodyTermFields = []string{"starts_on", "ends_on", "elected_on", "election_result", "members"}

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
	return wb.bodiesPage(w, r, status, community, f, nil)
}

func (wb *Web) bodiesPage(w http.ResponseWriter, r *http.Request, status int, community int64, f, tf *Form) error {
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
		if p.Owned, err = wb.st.BodyOwned(r.Context(), scope(r), community); err != nil {
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
	if p.Community != nil && p.Can("body.write") {
		p.BodyKind, p.Posts, p.TermForm = model.BodyKindOf(p.Community.Code), model.BodyPosts, tf
		for i := range bodyTermRows {
			p.Rows = append(p.Rows, bodyRow{Key: strconv.Itoa(i), No: i + 1})
		}
		if p.TermForm == nil {
			v := url.Values{"post_0": {string(model.BodyDirector)}}
			for i := 1; i < bodyTermRows; i++ {
				v.Set("post_"+strconv.Itoa(i), string(model.BodyCommittee))
			}
			p.TermForm = newForm("term", v, bodyTermFields...)
		}
		if p.People, err = wb.bodyPeople(r, p.Community.ID, bodyPeopleQuery(r.URL.Query())); err != nil {
			return err
		}
	}
	if tf.Invalid() {
		p.Failed = tf
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

// createBodyTerm records a term of the community's body from the page (POST /bodies): the
// dates, the election result and the filled member rows, each a post, a name and optionally
// a person picked from the community's Party members or residents. Any error re-renders the
// page with the form kept and the errors inline; nothing is written then.
func (wb *Web) createBodyTerm(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("term", r.PostForm, bodyTermFields...)
	community, err := strconv.ParseInt(f.Values.Get("community_id"), 10, 64)
	if err != nil || community <= 0 {
		return model.ErrNotFound
	}
	in := model.BodyTermInput{CommunityID: community, StartsOn: f.Values.Get("starts_on"), EndsOn: f.Values.Get("ends_on"),
		ElectedOn: f.Values.Get("elected_on"), ElectionResult: f.Values.Get("election_result")}
	for i := range bodyTermRows {
		n := strconv.Itoa(i)
		name, person := strings.TrimSpace(f.Values.Get("name_"+n)), f.Values.Get("person_"+n)
		if name == "" && strings.TrimSpace(person) == "" {
			continue
		}
		picked, resident, member, ok := bodyPersonRef(person)
		if !ok {
			f.add("members", wb.t("bodies.person.unknown", i+1))
			continue
		}
		if name == "" {
			name = picked
		}
		in.Members = append(in.Members, model.BodyMemberInput{Post: model.BodyPost(f.Values.Get("post_" + n)), Name: name, ResidentID: resident, PartyMemberID: member})
	}
	if len(in.Members) == 0 {
		f.add("members", wb.t("bodies.members.none"))
	}
	if len(f.Errors) == 0 {
		var b *model.BodyTerm
		if b, err = wb.st.CreateBodyTerm(r.Context(), scope(r), in); err == nil {
			redirect(w, r, "/bodies?community="+strconv.FormatInt(b.CommunityID, 10), "body_term")
			return nil
		}
		if !f.fail(err) {
			return err
		}
	}
	status := http.StatusUnprocessableEntity
	if err != nil {
		status = formStatus(err)
	}
	if f.Err("community_id") != "" {
		community = 0 // not one the caller may enter: the page offers the choice again
	}
	return wb.bodiesPage(w, r, status, community, nil, f)
}
