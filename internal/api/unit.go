package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Joint-building units (联建单元, issue 9): /api/v1/units, their proposals
// (/api/v1/units/proposals to make one, /api/v1/unit-proposals/{id} to adjust and confirm it:
// a path of its own, so that it never competes with /api/v1/units/{id}/… routes) and the
// changes of formed units.

type unitJSON struct {
	ID             ID                `json:"id"`
	Name           string            `json:"name"`
	Basis          model.UnitBasis   `json:"basis"`
	BasisLabel     string            `json:"basis_label"`
	OverrideReason string            `json:"override_reason,omitempty"`
	Status         model.UnitStatus  `json:"status"`
	StatusLabel    string            `json:"status_label"`
	HouseholdCount int               `json:"household_count"`
	Leader         *model.UnitLeader `json:"leader"`
	TerritoryID    ID                `json:"territory_id"`
	CommunityID    ID                `json:"community_id"`
	SuccessorID    *ID               `json:"successor_id,omitempty"`
	FormedAt       time.Time         `json:"formed_at"`
	EndedAt        *time.Time        `json:"ended_at,omitempty"`
}

func toUnitJSON(u *model.Unit) unitJSON {
	j := unitJSON{ID: ID(u.ID), Name: u.Name, Basis: u.Basis, BasisLabel: u.Basis.Label(), OverrideReason: u.OverrideReason,
		Status: u.Status, StatusLabel: u.Status.Label(), HouseholdCount: u.Households, Leader: u.Leader,
		TerritoryID: ID(u.TerritoryID), CommunityID: ID(u.CommunityID), SuccessorID: optID(u.SuccessorID), FormedAt: u.FormedAt.In(model.Shanghai)}
	if u.EndedAt != nil {
		at := u.EndedAt.In(model.Shanghai)
		j.EndedAt = &at
	}
	return j
}

type unitHouseholdJSON struct {
	ID          ID     `json:"id"`
	Address     string `json:"address"`
	TerritoryID ID     `json:"territory_id"`
}

type unitEventJSON struct {
	Action        string    `json:"action"`
	Detail        string    `json:"detail"`
	RelatedUnitID ID        `json:"related_unit_id,omitzero"`
	At            time.Time `json:"at"`
}

type unitDetailJSON struct {
	unitJSON
	Households []unitHouseholdJSON `json:"households"`
	Events     []unitEventJSON     `json:"events"`
}

func (a *API) listUnits(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "community", "no_leader", "ended")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	f := store.UnitFilter{Under: lq.Territory, NoLeader: q.Get("no_leader") == "true", Ended: q.Get("ended") == "true", Limit: lq.Limit, Cursor: lq.Cursor}
	f.CommunityID = queryID(q.Get("community"), "community", &fields)
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Units(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := list[unitJSON]{Items: make([]unitJSON, len(p.Items)), NextCursor: p.Next, Total: &p.Total}
	for i, u := range p.Items {
		out.Items[i] = toUnitJSON(u)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getUnit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	u, err := a.st.Unit(r.Context(), sc, id)
	if err != nil {
		return err
	}
	hs, err := a.st.UnitHouseholds(r.Context(), sc, id)
	if err != nil {
		return err
	}
	ev, err := a.st.UnitEvents(r.Context(), sc, id)
	if err != nil {
		return err
	}
	out := unitDetailJSON{unitJSON: toUnitJSON(u), Households: make([]unitHouseholdJSON, len(hs)), Events: make([]unitEventJSON, len(ev))}
	for i, h := range hs {
		out.Households[i] = unitHouseholdJSON{ID: ID(h.ID), Address: h.Address, TerritoryID: ID(h.TerritoryID)}
	}
	for i, e := range ev {
		out.Events[i] = unitEventJSON{Action: e.Action, Detail: e.Detail, RelatedUnitID: ID(e.RelatedUnitID), At: e.At.In(model.Shanghai)}
	}
	return writeJSON(w, http.StatusOK, out)
}

type proposalUnitJSON struct {
	Index       int                 `json:"index"`
	Name        string              `json:"name"`
	Basis       model.UnitBasis     `json:"basis"`
	BasisLabel  string              `json:"basis_label"`
	AnchorID    ID                  `json:"anchor_id"`
	OutOfBounds bool                `json:"out_of_bounds"`
	Households  []unitHouseholdJSON `json:"households"`
}

type proposalJSON struct {
	ID            ID                     `json:"id"`
	CommunityID   ID                     `json:"community_id"`
	TerritoryID   ID                     `json:"territory_id"`
	TerritoryName string                 `json:"territory_name"`
	Status        model.ProposalStatus   `json:"status"`
	Version       int                    `json:"version"`
	Options       model.PartitionOptions `json:"options"`
	Bounds        model.UnitBounds       `json:"bounds"`
	Quality       model.PartitionQuality `json:"quality"`
	Units         []proposalUnitJSON     `json:"units"`
	CreatedAt     time.Time              `json:"created_at"`
	UpdatedAt     time.Time              `json:"updated_at"`
}

func (a *API) writeProposal(w http.ResponseWriter, r *http.Request, status int, p *model.UnitProposal) error {
	hs, err := a.st.ProposalHouseholds(r.Context(), authz.ScopeFrom(r.Context()), p, nil)
	if err != nil {
		return err
	}
	out := proposalJSON{ID: ID(p.ID), CommunityID: ID(p.CommunityID), TerritoryID: ID(p.TerritoryID), TerritoryName: p.TerritoryName,
		Status: p.Status, Version: p.Version, Options: p.Options, Bounds: p.Bounds, Quality: p.Quality, Units: make([]proposalUnitJSON, len(p.Units)),
		CreatedAt: p.CreatedAt.In(model.Shanghai), UpdatedAt: p.UpdatedAt.In(model.Shanghai)}
	for i, u := range p.Units {
		j := proposalUnitJSON{Index: i, Name: u.Name, Basis: u.Basis, BasisLabel: u.Basis.Label(), AnchorID: ID(u.AnchorID), OutOfBounds: u.OutOfBounds,
			Households: make([]unitHouseholdJSON, len(u.Households))}
		for k, id := range u.Households {
			j.Households[k] = unitHouseholdJSON{ID: ID(id)}
			if h := hs[id]; h != nil {
				j.Households[k].Address, j.Households[k].TerritoryID = h.Address, ID(h.TerritoryID)
			}
		}
		out.Units[i] = j
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/unit-proposals/"+itoa(p.ID))
	}
	return writeJSON(w, status, out)
}

// createProposal proposes units for a community or a node below it (201 with the proposal),
// or queues a formation job for a street or a district (202 with the job; its result links
// one proposal per community).
func (a *API) createProposal(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		NodeID     ID   `json:"node_id"`
		SplitLarge bool `json:"split_large"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	if in.NodeID <= 0 {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "node_id", Message: "请选择要组建联建单元的社区、网格或小区"}}}
	}
	sc := authz.ScopeFrom(r.Context())
	t, err := a.st.Territory(r.Context(), sc, int64(in.NodeID))
	if err != nil {
		return err
	}
	if t.Kind == model.KindStreet || t.Kind == model.KindDistrict {
		q, err := a.queue()
		if err != nil {
			return err
		}
		j, err := q.SubmitUnitFormation(r.Context(), sc, jobs.UnitFormationParams{NodeID: t.ID, SplitLarge: in.SplitLarge})
		if err != nil {
			return err
		}
		return accepted(w, j)
	}
	p, err := a.st.ProposeUnits(r.Context(), sc, t.ID, model.PartitionOptions{SplitLarge: in.SplitLarge})
	if err != nil {
		return err
	}
	return a.writeProposal(w, r, http.StatusCreated, p)
}

func (a *API) listProposals(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	ps, err := a.st.UnitProposals(r.Context(), sc, lq.Territory)
	if err != nil {
		return err
	}
	type item struct {
		ID            ID                     `json:"id"`
		TerritoryID   ID                     `json:"territory_id"`
		TerritoryName string                 `json:"territory_name"`
		Version       int                    `json:"version"`
		Quality       model.PartitionQuality `json:"quality"`
		CreatedAt     time.Time              `json:"created_at"`
	}
	out := list[item]{Items: make([]item, len(ps))}
	for i, p := range ps {
		out.Items[i] = item{ID: ID(p.ID), TerritoryID: ID(p.TerritoryID), TerritoryName: p.TerritoryName, Version: p.Version, Quality: p.Quality,
			CreatedAt: p.CreatedAt.In(model.Shanghai)}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := a.st.UnitProposal(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return a.writeProposal(w, r, http.StatusOK, p)
}

// adjustProposal handles the adjustments: kind is move, merge, split or rename, the body names
// the version it was made on (a stale one is 409).
func (a *API) adjustProposal(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var in struct {
			Version     int    `json:"version"`
			HouseholdID ID     `json:"household_id"`
			To          int    `json:"to"`
			A           int    `json:"a"`
			B           int    `json:"b"`
			Unit        int    `json:"unit"`
			Households  []ID   `json:"households"`
			Name        string `json:"name"`
		}
		if err := decode(w, r, a.maxBody, &in); err != nil {
			return err
		}
		if in.Version <= 0 {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "version", Message: "请给出方案的版本号（version）"}}}
		}
		adj := store.ProposalAdjustment{Version: in.Version, Kind: kind, Household: int64(in.HouseholdID), To: in.To, A: in.A, B: in.B,
			Unit: in.Unit, Name: in.Name}
		for _, h := range in.Households {
			adj.Households = append(adj.Households, int64(h))
		}
		p, err := a.st.AdjustProposal(r.Context(), authz.ScopeFrom(r.Context()), id, adj)
		if err != nil {
			return err
		}
		return a.writeProposal(w, r, http.StatusOK, p)
	}
}

// confirmProposal forms the proposal's units: 201 with them. override_reasons gives, by the
// unit's index, the reason for each unit outside the rules.
func (a *API) confirmProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Version         int               `json:"version"`
		OverrideReasons map[string]string `json:"override_reasons"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	reasons := map[int]string{}
	for k, v := range in.OverrideReasons {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "override_reasons", Message: "override_reasons 的键应为联建单元的序号（从 0 起）"}}}
		}
		reasons[i] = v
	}
	us, err := a.st.ConfirmProposal(r.Context(), authz.ScopeFrom(r.Context()), id, in.Version, reasons)
	if err != nil {
		return err
	}
	out := struct {
		Units []unitJSON `json:"units"`
	}{Units: make([]unitJSON, len(us))}
	for i, u := range us {
		out.Units[i] = toUnitJSON(u)
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (a *API) discardProposal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Version int `json:"version"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	if err := a.st.DiscardProposal(r.Context(), sc, id, in.Version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) mergeUnit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		IntoID ID `json:"into_id"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	u, err := a.st.MergeUnits(r.Context(), authz.ScopeFrom(r.Context()), id, int64(in.IntoID))
	if err != nil {
		return renameField(err, "b_id", "into_id")
	}
	return writeJSON(w, http.StatusOK, toUnitJSON(u))
}

// renameField renames a field of a validation error (the store's name → the API's).
func renameField(err error, from, to string) error {
	var v *model.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	for i := range v.Fields {
		if v.Fields[i].Field == from {
			v.Fields[i].Field = to
		}
	}
	return v
}

func (a *API) splitUnit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Name           string `json:"name"`
		Households     []ID   `json:"households"`
		OverrideReason string `json:"override_reason"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	si := store.UnitSplitInput{Name: in.Name, OverrideReason: in.OverrideReason}
	for _, h := range in.Households {
		si.Households = append(si.Households, int64(h))
	}
	u, err := a.st.SplitUnit(r.Context(), authz.ScopeFrom(r.Context()), id, si)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/units/"+itoa(u.ID))
	return writeJSON(w, http.StatusCreated, toUnitJSON(u))
}

func (a *API) dissolveUnit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	if err := a.st.DissolveUnit(r.Context(), sc, id, in.Reason); err != nil {
		return err
	}
	u, err := a.st.Unit(r.Context(), sc, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUnitJSON(u))
}

// addUnitHousehold puts a household into the unit: one in no unit joins it, one in another
// unit moves out of that one into it.
func (a *API) addUnitHousehold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		HouseholdID ID `json:"household_id"`
	}
	if err := decode(w, r, a.maxBody, &in); err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	cur, err := a.st.UnitOfHousehold(r.Context(), sc, int64(in.HouseholdID))
	if err != nil {
		return err
	}
	if cur == 0 {
		err = a.st.AddHouseholdToUnit(r.Context(), sc, int64(in.HouseholdID), id)
	} else {
		err = a.st.MoveHouseholdToUnit(r.Context(), sc, int64(in.HouseholdID), id)
	}
	if err != nil {
		return err
	}
	u, err := a.st.Unit(r.Context(), sc, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUnitJSON(u))
}

// unitSuggestions lists the units with room nearest to a household in no unit.
func (a *API) unitSuggestions(w http.ResponseWriter, r *http.Request) error {
	var fields []model.FieldError
	hid := queryID(r.URL.Query().Get("household_id"), "household_id", &fields)
	if hid == 0 && len(fields) == 0 {
		fields = append(fields, model.FieldError{Field: "household_id", Message: "请给出住户（household_id）"})
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	ss, err := a.st.UnitSuggestions(r.Context(), authz.ScopeFrom(r.Context()), hid)
	if err != nil {
		return err
	}
	type item struct {
		unitJSON
		Near string `json:"near"`
	}
	out := list[item]{Items: make([]item, len(ss))}
	for i, s := range ss {
		out.Items[i] = item{unitJSON: toUnitJSON(s.Unit), Near: s.Near}
	}
	return writeJSON(w, http.StatusOK, out)
}
