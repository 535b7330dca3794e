package api

import (
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Party organizations (issue 8, item 1): /api/v1/party/orgs.

type orgJSON struct {
	ID            ID              `json:"id"`
	ParentID      *ID             `json:"parent_id"`
	Kind          model.OrgKind   `json:"kind"`
	KindLabel     string          `json:"kind_label"`
	Level         model.OrgLevel  `json:"level,omitempty"`
	LevelLabel    string          `json:"level_label,omitempty"`
	Affinity      model.Affinity  `json:"affinity,omitempty"`
	AffinityLabel string          `json:"affinity_label,omitempty"`
	Name          string          `json:"name"`
	TerritoryID   *ID             `json:"territory_id,omitempty"`
	CommunityID   *ID             `json:"community_id,omitempty"`
	Status        model.OrgStatus `json:"status"`
	StatusLabel   string          `json:"status_label"`
	MergedIntoID  *ID             `json:"merged_into_id,omitempty"`
	BatchID       *ID             `json:"batch_id,omitempty"`
	Members       int64           `json:"members"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	EndedAt       *time.Time      `json:"ended_at,omitempty"`
}

func toOrgJSON(o *model.Org) orgJSON {
	j := orgJSON{ID: ID(o.ID), ParentID: optID(o.ParentID), Kind: o.Kind, KindLabel: o.Kind.Label(), Level: o.Level, LevelLabel: o.Level.Label(),
		Affinity: o.Affinity, AffinityLabel: o.Affinity.Label(), Name: o.Name, TerritoryID: optID(o.TerritoryID), CommunityID: optID(o.CommunityID),
		Status: o.Status, StatusLabel: o.Status.Label(), MergedIntoID: optID(o.MergedIntoID), BatchID: optID(o.BatchID), Members: o.Members,
		CreatedAt: o.CreatedAt.In(model.Shanghai), UpdatedAt: o.UpdatedAt.In(model.Shanghai)}
	if o.EndedAt != nil {
		at := o.EndedAt.In(model.Shanghai)
		j.EndedAt = &at
	}
	return j
}

func queryID(q string, field string, fields *[]model.FieldError) int64 {
	if q == "" {
		return 0
	}
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil || n <= 0 {
		*fields = append(*fields, model.FieldError{Field: field, Message: field + " 应为对象 ID"})
		return 0
	}
	return n
}

func (a *API) listOrgs(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "under", "parent", "kind", "community", "ended")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	f := store.OrgFilter{Under: lq.Territory, Kind: model.OrgKind(q.Get("kind")), Ended: q.Get("ended") == "true", Limit: lq.Limit, Cursor: lq.Cursor}
	if u := queryID(q.Get("under"), "under", &fields); u != 0 {
		f.Under = u
	}
	f.ParentID = queryID(q.Get("parent"), "parent", &fields)
	f.CommunityID = queryID(q.Get("community"), "community", &fields)
	if f.Kind != "" && !f.Kind.Valid() {
		fields = append(fields, model.FieldError{Field: "kind", Message: "kind 应为 street_committee、community_committee、grid_branch、building_group 或 functional_group"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	sc := authz.ScopeFrom(r.Context())
	if f.ParentID != 0 {
		if _, err := a.st.Org(r.Context(), sc, f.ParentID); err != nil {
			return err
		}
	}
	p, err := a.st.Orgs(r.Context(), sc, f)
	if err != nil {
		return err
	}
	out := list[orgJSON]{Items: make([]orgJSON, len(p.Items)), NextCursor: p.Next, Total: &p.Total}
	for i, o := range p.Items {
		out.Items[i] = toOrgJSON(o)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getOrg(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := a.st.Org(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrgJSON(o))
}

type orgCreate struct {
	ParentID    ID             `json:"parent_id"`
	Kind        model.OrgKind  `json:"kind"`
	Level       model.OrgLevel `json:"level"`
	Affinity    model.Affinity `json:"affinity"`
	Name        string         `json:"name"`
	TerritoryID ID             `json:"territory_id"`
}

func (a *API) createOrg(w http.ResponseWriter, r *http.Request) error {
	var req orgCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	o, err := a.st.CreateOrg(r.Context(), authz.ScopeFrom(r.Context()), model.OrgInput{ParentID: int64(req.ParentID), Kind: req.Kind,
		Level: req.Level, Affinity: req.Affinity, Name: req.Name, TerritoryID: int64(req.TerritoryID)})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/party/orgs/"+itoa(o.ID))
	return writeJSON(w, http.StatusCreated, toOrgJSON(o))
}

type orgPatch struct {
	Name *string `json:"name"`
}

func (a *API) updateOrg(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req orgPatch
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	if req.Name == nil {
		o, err := a.st.Org(ctx, sc, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toOrgJSON(o))
	}
	o, err := a.st.RenameOrg(ctx, sc, id, *req.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrgJSON(o))
}

type orgMerge struct {
	IntoID ID `json:"into_id"`
}

func (a *API) mergeOrg(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req orgMerge
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.IntoID == 0 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "into_id", Message: "请选择合并到哪个组织"}}}
	}
	o, err := a.st.MergeOrg(r.Context(), authz.ScopeFrom(r.Context()), id, int64(req.IntoID))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrgJSON(o))
}

type orgDissolve struct {
	Reason string `json:"reason"`
}

func (a *API) dissolveOrg(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req orgDissolve
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	o, err := a.st.DissolveOrg(r.Context(), authz.ScopeFrom(r.Context()), id, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrgJSON(o))
}

type orgEventJSON struct {
	Action      string    `json:"action"`
	ActionLabel string    `json:"action_label"`
	Detail      string    `json:"detail"`
	ActorID     *ID       `json:"actor_id,omitempty"`
	At          time.Time `json:"at"`
}

func (a *API) orgHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	events, err := a.st.OrgEvents(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[orgEventJSON]{Items: make([]orgEventJSON, len(events))}
	for i, e := range events {
		out.Items[i] = orgEventJSON{Action: e.Action, ActionLabel: e.ActionLabel(), Detail: e.Detail, ActorID: optID(e.ActorID), At: e.At.In(model.Shanghai)}
	}
	return writeJSON(w, http.StatusOK, out)
}

type postJSON struct {
	ID             ID             `json:"id"`
	OrgID          ID             `json:"org_id"`
	Post           model.PostKind `json:"post"`
	PostLabel      string         `json:"post_label"`
	MemberID       *ID            `json:"member_id,omitempty"`
	HolderName     string         `json:"holder_name"`
	OrganizationID *ID            `json:"organization_id,omitempty"`
	StartsOn       string         `json:"starts_on"`
	EndsOn         string         `json:"ends_on,omitempty"`
	EndedAt        *time.Time     `json:"ended_at,omitempty"`
}

func toPostJSON(p *model.Post) postJSON {
	j := postJSON{ID: ID(p.ID), OrgID: ID(p.OrgID), Post: p.Post, PostLabel: p.Post.Label(), MemberID: optID(p.MemberID), HolderName: p.HolderName,
		OrganizationID: optID(p.OrganizationID), StartsOn: p.StartsOn.Format(time.DateOnly)}
	if p.EndsOn != nil {
		j.EndsOn = p.EndsOn.Format(time.DateOnly)
	}
	if p.EndedAt != nil {
		at := p.EndedAt.In(model.Shanghai)
		j.EndedAt = &at
	}
	return j
}

func (a *API) orgPosts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := parseList(r, "ended"); err != nil {
		return err
	}
	posts, err := a.st.OrgPosts(r.Context(), authz.ScopeFrom(r.Context()), id, r.URL.Query().Get("ended") == "true")
	if err != nil {
		return err
	}
	out := list[postJSON]{Items: make([]postJSON, len(posts))}
	for i, p := range posts {
		out.Items[i] = toPostJSON(p)
	}
	return writeJSON(w, http.StatusOK, out)
}

type postCreate struct {
	Post           model.PostKind `json:"post"`
	MemberID       ID             `json:"member_id"`
	HolderName     string         `json:"holder_name"`
	OrganizationID ID             `json:"organization_id"`
	StartsOn       string         `json:"starts_on"`
	EndsOn         string         `json:"ends_on"`
}

// parseDate parses an optional "2006-01-02" field, adding a field error when it does not parse.
func parseDate(s, field string, v *model.ValidationError) *time.Time {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.Add(field, "日期格式应为 2006-01-02")
		return nil
	}
	return &d
}

func (a *API) createPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req postCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var v model.ValidationError
	in := model.PostInput{Post: req.Post, MemberID: int64(req.MemberID), HolderName: req.HolderName, OrganizationID: int64(req.OrganizationID)}
	if d := parseDate(req.StartsOn, "starts_on", &v); d != nil {
		in.StartsOn = *d
	}
	in.EndsOn = parseDate(req.EndsOn, "ends_on", &v)
	if err := v.Err(); err != nil {
		return err
	}
	p, err := a.st.AddPost(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toPostJSON(p))
}

type termJSON struct {
	ID        ID     `json:"id"`
	OrgID     ID     `json:"org_id"`
	StartsOn  string `json:"starts_on"`
	EndsOn    string `json:"ends_on"`
	ElectedOn string `json:"elected_on,omitempty"`
	Note      string `json:"note"`
	// DaysLeft and Warning are reckoned from today in Asia/Shanghai: warning is "due" within
	// 90 days of the end, "overdue" after it, "" otherwise.
	DaysLeft     int    `json:"days_left"`
	Warning      string `json:"warning"`
	WarningLabel string `json:"warning_label,omitempty"`
}

// WarningLabel names a term warning in Chinese.
func warningLabel(w string) string {
	switch w {
	case "due":
		return "90天内到期，请准备换届"
	case "overdue":
		return "任期已满，应换届"
	}
	return ""
}

func toTermJSON(t *model.Term, today time.Time) termJSON {
	j := termJSON{ID: ID(t.ID), OrgID: ID(t.OrgID), StartsOn: t.StartsOn.Format(time.DateOnly), EndsOn: t.EndsOn.Format(time.DateOnly),
		Note: t.Note, DaysLeft: t.DaysLeft(today), Warning: t.Warning(today)}
	j.WarningLabel = warningLabel(j.Warning)
	if t.ElectedOn != nil {
		j.ElectedOn = t.ElectedOn.Format(time.DateOnly)
	}
	return j
}

func shanghaiToday() time.Time {
	y, m, d := time.Now().In(model.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (a *API) orgTerms(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	terms, err := a.st.OrgTerms(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	today := shanghaiToday()
	out := list[termJSON]{Items: make([]termJSON, len(terms))}
	for i, t := range terms {
		out.Items[i] = toTermJSON(t, today)
	}
	return writeJSON(w, http.StatusOK, out)
}

type termCreate struct {
	StartsOn  string `json:"starts_on"`
	EndsOn    string `json:"ends_on"`
	ElectedOn string `json:"elected_on"`
	Note      string `json:"note"`
}

func (a *API) createTerm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req termCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var v model.ValidationError
	in := model.TermInput{Note: req.Note, ElectedOn: parseDate(req.ElectedOn, "elected_on", &v)}
	if d := parseDate(req.StartsOn, "starts_on", &v); d != nil {
		in.StartsOn = *d
	}
	if d := parseDate(req.EndsOn, "ends_on", &v); d != nil {
		in.EndsOn = *d
	}
	if err := v.Err(); err != nil {
		return err
	}
	t, err := a.st.RecordTerm(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toTermJSON(t, shanghaiToday()))
}
