package api

import (
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The resources list of the three lists (三张清单): /api/v1/lists/resources. What co-building
// units and party members offer; money in fen (amount_fen, an integer); the offerer's phone
// always masked (contact_phone), whoever asks.

type resourceJSON struct {
	ID             ID              `json:"id"`
	Kind           string          `json:"kind"`
	KindLabel      string          `json:"kind_label"`
	Title          string          `json:"title"`
	Description    string          `json:"description"`
	Tags           []string        `json:"tags"`
	Capacity       int             `json:"capacity"`
	AmountFen      int64           `json:"amount_fen"`
	Availability   string          `json:"availability"`
	CommunityID    ID              `json:"community_id"`
	TerritoryID    ID              `json:"territory_id"`
	Territory      string          `json:"territory"`
	OrganizationID *ID             `json:"organization_id"`
	MemberID       *ID             `json:"member_id"`
	OfferedBy      string          `json:"offered_by"`
	ContactPhone   model.Sensitive `json:"contact_phone"`
	Status         string          `json:"status"`
	StatusLabel    string          `json:"status_label"`
	ActiveProjects int             `json:"active_projects"`
	RecordedBy     string          `json:"recorded_by"`
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
}

func toResourceJSON(x *model.Resource) resourceJSON {
	tags := x.TagList()
	if tags == nil {
		tags = []string{}
	}
	return resourceJSON{ID: ID(x.ID), Kind: string(x.Kind), KindLabel: x.Kind.Label(), Title: x.Title, Description: x.Description, Tags: tags,
		Capacity: x.Capacity, AmountFen: x.AmountFen, Availability: x.Availability, CommunityID: ID(x.CommunityID), TerritoryID: ID(x.TerritoryID),
		Territory: x.TerritoryName, OrganizationID: optID(x.OrganizationID), MemberID: optID(x.MemberID), OfferedBy: x.OfferedBy, ContactPhone: x.ContactPhone,
		Status: string(x.Status), StatusLabel: x.Status.Label(), ActiveProjects: x.ActiveProjects, RecordedBy: x.RecordedBy,
		CreatedAt: rfc3339(x.CreatedAt), UpdatedAt: rfc3339(x.UpdatedAt)}
}

func (a *API) listResources(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "kind", "status", "organization_id", "q")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ResourceFilter{Under: lq.Territory, Kind: model.ResourceKind(q.Get("kind")), Status: model.ResourceStatus(q.Get("status")), Q: q.Get("q"),
		Limit: lq.Limit, Cursor: lq.Cursor}
	if s := q.Get("organization_id"); s != "" {
		if f.Organization, err = strconv.ParseInt(s, 10, 64); err != nil || f.Organization <= 0 {
			return malformed("查询参数有误", model.FieldError{Field: "organization_id", Message: "应为共建单位的 ID"})
		}
	}
	p, err := a.st.Resources(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toResourceJSON))
}

func (a *API) createResource(w http.ResponseWriter, r *http.Request) error {
	var in model.ResourceInput
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	x, err := a.st.CreateResource(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toResourceJSON(x))
}

func (a *API) getResource(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	x, err := a.st.Resource(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toResourceJSON(x))
}

func (a *API) setResourceStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Status model.ResourceStatus `json:"status"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	x, err := a.st.SetResourceStatus(r.Context(), authz.ScopeFrom(r.Context()), id, in.Status)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toResourceJSON(x))
}
