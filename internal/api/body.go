package api

import (
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Community bodies (issue 12 item 4) at /api/v1/bodies: the terms of a community's residents'
// (villagers') committee with their members and each member's cross appointment on the Party
// committee (read from the Party posts, not sent), and the meetings, decisions and tasks the
// body owns.

type bodyMemberJSON struct {
	ID             ID     `json:"id"`
	Post           string `json:"post"`
	PostLabel      string `json:"post_label"`
	Name           string `json:"name"`
	ResidentID     *ID    `json:"resident_id,omitempty"`
	PartyMemberID  *ID    `json:"party_member_id,omitempty"`
	PartyPost      string `json:"party_post,omitempty"`
	PartyPostLabel string `json:"party_post_label,omitempty"`
	CrossAppointed bool   `json:"cross_appointed"`
}

type bodyTermJSON struct {
	ID             ID               `json:"id"`
	CommunityID    ID               `json:"community_id"`
	CommunityName  string           `json:"community_name"`
	Kind           string           `json:"kind"`
	KindLabel      string           `json:"kind_label"`
	StartsOn       string           `json:"starts_on"`
	EndsOn         string           `json:"ends_on"`
	ElectedOn      string           `json:"elected_on"`
	ElectionResult string           `json:"election_result,omitempty"`
	CrossAppointed int              `json:"cross_appointed"`
	Members        []bodyMemberJSON `json:"members"`
}

func toBodyTermJSON(b *model.BodyTerm) bodyTermJSON {
	out := bodyTermJSON{ID: ID(b.ID), CommunityID: ID(b.CommunityID), CommunityName: b.CommunityName, Kind: string(b.Kind), KindLabel: b.Kind.Label(),
		StartsOn: b.StartsOn, EndsOn: b.EndsOn, ElectedOn: b.ElectedOn, ElectionResult: b.ElectionResult, CrossAppointed: b.CrossAppointed(), Members: []bodyMemberJSON{}}
	for _, m := range b.Members {
		out.Members = append(out.Members, bodyMemberJSON{ID: ID(m.ID), Post: string(m.Post), PostLabel: m.Post.Label(), Name: m.Name, ResidentID: optID(m.ResidentID),
			PartyMemberID: optID(m.PartyMemberID), PartyPost: string(m.PartyPost), PartyPostLabel: m.PartyPost.Label(), CrossAppointed: m.PartyPost != ""})
	}
	return out
}

func (a *API) listBodyTerms(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fields []model.FieldError
	for k := range q {
		if k != "community" {
			fields = append(fields, model.FieldError{Field: k, Message: "未知的查询参数"})
		}
	}
	community, err := strconv.ParseInt(q.Get("community"), 10, 64)
	if err != nil || community <= 0 {
		fields = append(fields, model.FieldError{Field: "community", Message: "community 应为社区的节点 ID"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	terms, err := a.st.BodyTerms(r.Context(), authz.ScopeFrom(r.Context()), community)
	if err != nil {
		return err
	}
	out := struct {
		Items []bodyTermJSON `json:"items"`
	}{Items: []bodyTermJSON{}}
	for _, b := range terms {
		out.Items = append(out.Items, toBodyTermJSON(b))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) createBodyTerm(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CommunityID    ID     `json:"community_id"`
		StartsOn       string `json:"starts_on"`
		EndsOn         string `json:"ends_on"`
		ElectedOn      string `json:"elected_on"`
		ElectionResult string `json:"election_result"`
		Members        []struct {
			Post          string `json:"post"`
			Name          string `json:"name"`
			ResidentID    ID     `json:"resident_id"`
			PartyMemberID ID     `json:"party_member_id"`
		} `json:"members"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	in := model.BodyTermInput{CommunityID: int64(req.CommunityID), StartsOn: req.StartsOn, EndsOn: req.EndsOn, ElectedOn: req.ElectedOn, ElectionResult: req.ElectionResult}
	for _, m := range req.Members {
		in.Members = append(in.Members, model.BodyMemberInput{Post: model.BodyPost(m.Post), Name: m.Name, ResidentID: int64(m.ResidentID), PartyMemberID: int64(m.PartyMemberID)})
	}
	b, err := a.st.CreateBodyTerm(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toBodyTermJSON(b))
}

func (a *API) getBodyTerm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	b, err := a.st.BodyTerm(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toBodyTermJSON(b))
}

type bodyDecisionJSON struct {
	ID        ID     `json:"id"`
	TermID    ID     `json:"term_id"`
	Kind      string `json:"kind"`
	KindLabel string `json:"kind_label"`
	Date      string `json:"date"`
	Title     string `json:"title"`
	Content   string `json:"content,omitempty"`
}

func toBodyDecisionJSON(d *model.BodyDecision) bodyDecisionJSON {
	return bodyDecisionJSON{ID: ID(d.ID), TermID: ID(d.TermID), Kind: string(d.Kind), KindLabel: d.Kind.Label(), Date: d.On, Title: d.Title, Content: d.Content}
}

func (a *API) listBodyDecisions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	ds, err := a.st.BodyDecisions(r.Context(), authz.ScopeFrom(r.Context()), id, lq.Limit)
	if err != nil {
		return err
	}
	out := struct {
		Items []bodyDecisionJSON `json:"items"`
	}{Items: []bodyDecisionJSON{}}
	for _, d := range ds {
		out.Items = append(out.Items, toBodyDecisionJSON(d))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) addBodyDecision(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Kind    string `json:"kind"`
		Date    string `json:"date"`
		Title   string `json:"title"`
		Content string `json:"content"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	d, err := a.st.AddBodyDecision(r.Context(), authz.ScopeFrom(r.Context()), id, model.BodyDecisionInput{Kind: model.BodyDecisionKind(req.Kind), On: req.Date,
		Title: req.Title, Content: req.Content})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toBodyDecisionJSON(d))
}
