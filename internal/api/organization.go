package api

import (
	"net/http"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// organizationJSON is an organization of the register: type and subtype as ASCII ids with their
// Chinese labels beside them (API.md).
type organizationJSON struct {
	ID            ID           `json:"id"`
	Type          string       `json:"type"`
	TypeLabel     string       `json:"type_label"`
	Subtype       string       `json:"subtype,omitempty"`
	SubtypeLabel  string       `json:"subtype_label,omitempty"`
	Name          string       `json:"name"`
	TerritoryID   ID           `json:"territory_id"`
	TerritoryName string       `json:"territory_name"`
	ContactName   string       `json:"contact_name"`
	ContactPhone  string       `json:"contact_phone"`
	Address       string       `json:"address"`
	Offers        model.Offers `json:"offers"`
	Coverage      string       `json:"party_coverage"`
	CoverageLabel string       `json:"party_coverage_label"`
	PartyOrgID    *ID          `json:"party_org_id"`
	Joinable      bool         `json:"joinable"`
	ReportedOn    *string      `json:"reported_on"`
	Status        string       `json:"status"`
	Members       int          `json:"members"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

func toOrganizationJSON(o *model.Organization) organizationJSON {
	out := organizationJSON{ID: ID(o.ID), Type: string(o.Type), TypeLabel: o.Type.Label(), Subtype: string(o.Subtype), SubtypeLabel: o.Subtype.Label(),
		Name: o.Name, TerritoryID: ID(o.TerritoryID), TerritoryName: o.TerritoryName, ContactName: o.ContactName, ContactPhone: o.ContactPhone,
		Address: o.Address, Offers: o.Offers, Coverage: string(o.Coverage), CoverageLabel: o.Coverage.Label(), Joinable: o.Joinable,
		ReportedOn: dateJSON(o.ReportedOn), Status: "active", Members: o.Members,
		CreatedAt: o.CreatedAt.In(model.Shanghai), UpdatedAt: o.UpdatedAt.In(model.Shanghai)}
	if !o.Active {
		out.Status = "inactive"
	}
	if o.PartyOrgID != 0 {
		id := ID(o.PartyOrgID)
		out.PartyOrgID = &id
	}
	return out
}

func (a *API) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "type", "q", "reported", "status", "joinable")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	f := store.OrganizationFilter{Under: lq.Territory, Type: model.OrgType(q.Get("type")), Q: strings.TrimSpace(q.Get("q")),
		Reported: q.Get("reported"), Limit: lq.Limit, Cursor: lq.Cursor}
	if !model.ValidOrgTypeFilter(string(f.Type)) {
		fields = append(fields, model.FieldError{Field: "type", Message: "type 应为 " + strings.Join(model.OrgTypeIDs(), "、") + " 之一"})
	}
	switch f.Reported {
	case "", "yes", "no":
	default:
		fields = append(fields, model.FieldError{Field: "reported", Message: "reported 应为 yes 或 no"})
	}
	switch q.Get("status") {
	case "", "active":
	case "inactive":
		f.Inactive = true
	default:
		fields = append(fields, model.FieldError{Field: "status", Message: "status 应为 active 或 inactive"})
	}
	switch q.Get("joinable") {
	case "", "false":
	case "true":
		f.Joinable = true
	default:
		fields = append(fields, model.FieldError{Field: "joinable", Message: "joinable 应为 true 或 false"})
	}
	if msg := checkSearch(f.Q); msg != "" {
		fields = append(fields, model.FieldError{Field: "q", Message: msg})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Organizations(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := list[organizationJSON]{Items: make([]organizationJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, o := range p.Items {
		out.Items[i] = toOrganizationJSON(o)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getOrganization(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := a.st.Organization(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrganizationJSON(o))
}

// organizationBody is the body of POST /organizations and PATCH /organizations/{id}: on a
// PATCH the fields present change, the others stay.
type organizationBody struct {
	Type         *string       `json:"type"`
	Subtype      *string       `json:"subtype"`
	Name         *string       `json:"name"`
	TerritoryID  *ID           `json:"territory_id"`
	ContactName  *string       `json:"contact_name"`
	ContactPhone *string       `json:"contact_phone"`
	Address      *string       `json:"address"`
	Offers       *model.Offers `json:"offers"`
	Coverage     *string       `json:"party_coverage"`
	PartyOrgID   *ID           `json:"party_org_id"`
	Joinable     *bool         `json:"joinable"`
}

// apply sets the fields present on in.
func (b organizationBody) apply(in *model.OrganizationInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if b.Type != nil {
		in.Type = model.OrgType(*b.Type)
	}
	if b.Subtype != nil {
		in.Subtype = model.OrgSubtype(*b.Subtype)
	}
	set(&in.Name, b.Name)
	if b.TerritoryID != nil {
		in.TerritoryID = int64(*b.TerritoryID)
	}
	set(&in.ContactName, b.ContactName)
	set(&in.ContactPhone, b.ContactPhone)
	set(&in.Address, b.Address)
	if b.Offers != nil {
		in.Offers = *b.Offers
	}
	if b.Coverage != nil {
		in.Coverage = model.Coverage(*b.Coverage)
	}
	if b.PartyOrgID != nil {
		in.PartyOrgID = int64(*b.PartyOrgID)
	}
	if b.Joinable != nil {
		in.Joinable = *b.Joinable
	}
}

func (a *API) createOrganization(w http.ResponseWriter, r *http.Request) error {
	var req organizationBody
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	var in model.OrganizationInput
	req.apply(&in)
	o, err := a.st.CreateOrganization(r.Context(), authz.ScopeFrom(r.Context()), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/organizations/"+itoa(o.ID))
	return writeJSON(w, http.StatusCreated, toOrganizationJSON(o))
}

// OrganizationInputOf is what o holds as an input, to apply a change over.
func organizationInputOf(o *model.Organization) model.OrganizationInput {
	return model.OrganizationInput{Type: o.Type, Subtype: o.Subtype, Name: o.Name, TerritoryID: o.TerritoryID, ContactName: o.ContactName,
		ContactPhone: o.ContactPhone, Address: o.Address, Offers: o.Offers, Coverage: o.Coverage, PartyOrgID: o.PartyOrgID, Joinable: o.Joinable}
}

func (a *API) updateOrganization(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req organizationBody
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	old, err := a.st.Organization(ctx, sc, id)
	if err != nil {
		return err
	}
	in := organizationInputOf(old)
	req.apply(&in)
	o, err := a.st.UpdateOrganization(ctx, sc, id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrganizationJSON(o))
}

// organizationContact is the body of PATCH /organizations/{id}/contact (a partner's own).
type organizationContact struct {
	ContactName  *string       `json:"contact_name"`
	ContactPhone *string       `json:"contact_phone"`
	Address      *string       `json:"address"`
	Offers       *model.Offers `json:"offers"`
}

func (a *API) updateOrganizationContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req organizationContact
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	ctx, sc := r.Context(), authz.ScopeFrom(r.Context())
	old, err := a.st.Organization(ctx, sc, id)
	if err != nil {
		return err
	}
	c := model.OrganizationContact{ContactName: old.ContactName, ContactPhone: old.ContactPhone, Address: old.Address, Offers: old.Offers}
	if req.ContactName != nil {
		c.ContactName = *req.ContactName
	}
	if req.ContactPhone != nil {
		c.ContactPhone = *req.ContactPhone
	}
	if req.Address != nil {
		c.Address = *req.Address
	}
	if req.Offers != nil {
		c.Offers = *req.Offers
	}
	o, err := a.st.UpdateOrganizationContact(ctx, sc, id, c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrganizationJSON(o))
}

func (a *API) reportOrganization(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		ReportedOn string `json:"reported_on"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	o, err := a.st.ReportOrganization(r.Context(), authz.ScopeFrom(r.Context()), id, req.ReportedOn)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrganizationJSON(o))
}

// setOrganizationActive answers POST /organizations/{id}/deactivate (active false, a reason
// required) and /reactivate.
func (a *API) setOrganizationActive(active bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req struct {
			Reason string `json:"reason"`
		}
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
		o, err := a.st.SetOrganizationActive(r.Context(), authz.ScopeFrom(r.Context()), id, active, req.Reason)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toOrganizationJSON(o))
	}
}

type organizationEventJSON struct {
	ID          ID        `json:"id"`
	Action      string    `json:"action"`
	ActionLabel string    `json:"action_label"`
	Detail      string    `json:"detail"`
	At          time.Time `json:"at"`
}

func (a *API) organizationHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	events, err := a.st.OrganizationEvents(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[organizationEventJSON]{Items: make([]organizationEventJSON, len(events))}
	for i, e := range events {
		out.Items[i] = organizationEventJSON{ID: ID(e.ID), Action: e.Action, ActionLabel: e.Label(), Detail: e.Detail, At: e.At.In(model.Shanghai)}
	}
	return writeJSON(w, http.StatusOK, out)
}

// teamJSON is a volunteer team a resident may join, and whether the caller did.
type teamJSON struct {
	organizationJSON
	Joined bool `json:"joined"`
}

func (a *API) listMyTeams(w http.ResponseWriter, r *http.Request) error {
	teams, joined, err := a.st.JoinableTeams(r.Context(), authz.ScopeFrom(r.Context()))
	if err != nil {
		return err
	}
	out := list[teamJSON]{Items: make([]teamJSON, len(teams))}
	for i, o := range teams {
		out.Items[i] = teamJSON{organizationJSON: toOrganizationJSON(o), Joined: joined[o.ID]}
	}
	return writeJSON(w, http.StatusOK, out)
}

// joinTeam answers POST /me/teams/{id}/join (join true) and /leave.
func (a *API) joinTeam(join bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		sc := authz.ScopeFrom(r.Context())
		if join {
			err = a.st.JoinTeam(r.Context(), sc, id)
		} else {
			err = a.st.LeaveTeam(r.Context(), sc, id)
		}
		if err != nil {
			return err
		}
		o, err := a.st.Organization(r.Context(), sc, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, teamJSON{organizationJSON: toOrganizationJSON(o), Joined: join})
	}
}
