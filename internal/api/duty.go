package api

import (
	"net/http"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The duty rotation of a unit (issue 9 items 3 and 4): /api/v1/units/{id}/duty and its
// exemptions, swaps, checklist, calendar feed and private feed links; /api/v1/duty/... for one
// exemption, swap or link; /feeds/duty/{token}.ics for a calendar app without a login. The
// store decides who reaches a unit: staff by territory, the unit's leader, its own households.

type dutyMonthJSON struct {
	Month       string    `json:"month"`
	HouseholdID ID        `json:"household_id"`
	Address     string    `json:"address"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type exemptionJSON struct {
	ID          ID        `json:"id"`
	HouseholdID ID        `json:"household_id"`
	Reason      string    `json:"reason,omitempty"` // withheld from neighbours
	Note        string    `json:"note,omitempty"`
	From        string    `json:"from"`
	Until       string    `json:"until,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

func toExemptionJSON(e model.DutyExemption) exemptionJSON {
	out := exemptionJSON{ID: ID(e.ID), HouseholdID: ID(e.HouseholdID), Reason: string(e.Reason), Note: e.Note, From: e.From.String(), CreatedAt: e.CreatedAt.In(model.Shanghai)}
	if e.Until != 0 {
		out.Until = e.Until.String()
	}
	return out
}

type unitDutyJSON struct {
	UnitID         ID              `json:"unit_id"`
	CurrentMonth   string          `json:"current_month"`
	RotationUntil  string          `json:"rotation_until"`
	OwnHouseholdID *ID             `json:"own_household_id,omitempty"`
	Items          []dutyMonthJSON `json:"items"`
	Exemptions     []exemptionJSON `json:"exemptions"`
	Checklist      []string        `json:"checklist"`
}

func toUnitDutyJSON(d *store.UnitDuty) unitDutyJSON {
	out := unitDutyJSON{UnitID: ID(d.Unit.ID), CurrentMonth: d.Current, RotationUntil: d.Unit.RotationUntil, OwnHouseholdID: optID(d.Own),
		Items: make([]dutyMonthJSON, len(d.Months)), Exemptions: make([]exemptionJSON, len(d.Exemptions)), Checklist: d.Checklist}
	if n := len(d.Months); n > 0 && d.Months[n-1].Month > out.RotationUntil {
		out.RotationUntil = d.Months[n-1].Month
	}
	for i, m := range d.Months {
		out.Items[i] = dutyMonthJSON{Month: m.Month, HouseholdID: ID(m.HouseholdID), Address: m.Address, Version: m.Version, UpdatedAt: m.UpdatedAt.In(model.Shanghai)}
	}
	for i, e := range d.Exemptions {
		out.Exemptions[i] = toExemptionJSON(e)
	}
	return out
}

func (a *API) getUnitDuty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := a.st.UnitDuty(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUnitDutyJSON(d))
}

func (a *API) generateUnitDuty(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := a.st.GenerateRotation(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUnitDutyJSON(d))
}

type exemptionRequest struct {
	HouseholdID ID     `json:"household_id"`
	Reason      string `json:"reason"`
	Note        string `json:"note"`
	Until       string `json:"until"`
}

func (a *API) addExemption(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req exemptionRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	e, err := a.st.AddExemption(r.Context(), authz.ScopeFrom(r.Context()), id, model.DutyExemptionInput{HouseholdID: int64(req.HouseholdID),
		Reason: model.DutyReason(req.Reason), Note: req.Note, Until: req.Until})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toExemptionJSON(*e))
}

func (a *API) liftExemption(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.st.LiftExemption(r.Context(), authz.ScopeFrom(r.Context()), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type swapJSON struct {
	ID              ID         `json:"id"`
	UnitID          ID         `json:"unit_id"`
	FromHouseholdID ID         `json:"from_household_id"`
	FromMonth       string     `json:"from_month"`
	ToHouseholdID   ID         `json:"to_household_id"`
	ToMonth         string     `json:"to_month"`
	Status          string     `json:"status"`
	Note            string     `json:"note,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	DecidedAt       *time.Time `json:"decided_at,omitempty"`
}

func toSwapJSON(s *model.DutySwap) swapJSON {
	out := swapJSON{ID: ID(s.ID), UnitID: ID(s.UnitID), FromHouseholdID: ID(s.FromHousehold), FromMonth: s.FromMonth, ToHouseholdID: ID(s.ToHousehold),
		ToMonth: s.ToMonth, Status: string(s.Status), Note: s.Note, CreatedAt: s.CreatedAt.In(model.Shanghai)}
	if s.DecidedAt != nil {
		t := s.DecidedAt.In(model.Shanghai)
		out.DecidedAt = &t
	}
	return out
}

func (a *API) listSwaps(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l, err := a.st.DutySwaps(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := list[swapJSON]{Items: make([]swapJSON, len(l))}
	for i, s := range l {
		out.Items[i] = toSwapJSON(s)
	}
	return writeJSON(w, http.StatusOK, out)
}

type swapRequest struct {
	FromMonth string `json:"from_month"`
	ToMonth   string `json:"to_month"`
	Note      string `json:"note"`
}

func (a *API) requestSwap(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req swapRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	s, err := a.st.RequestSwap(r.Context(), authz.ScopeFrom(r.Context()), id, model.DutySwapInput{FromMonth: req.FromMonth, ToMonth: req.ToMonth, Note: req.Note})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toSwapJSON(s))
}

func (a *API) decideSwap(accept bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		s, err := a.st.DecideSwap(r.Context(), authz.ScopeFrom(r.Context()), id, accept)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toSwapJSON(s))
	}
}

type checklistEntryJSON struct {
	Item            string     `json:"item"`
	Done            bool       `json:"done"`
	TickedBy        string     `json:"ticked_by,omitempty"`
	TickedAt        *time.Time `json:"ticked_at,omitempty"`
	ByDutyHousehold bool       `json:"by_duty_household,omitempty"`
}

type monthChecklistJSON struct {
	UnitID      ID                   `json:"unit_id"`
	Month       string               `json:"month"`
	HouseholdID *ID                  `json:"household_id"`
	Address     string               `json:"address,omitempty"`
	CanTick     bool                 `json:"can_tick"`
	Items       []checklistEntryJSON `json:"items"`
}

func toMonthChecklistJSON(mc *store.MonthChecklist) monthChecklistJSON {
	out := monthChecklistJSON{UnitID: ID(mc.UnitID), Month: mc.Month, HouseholdID: optID(mc.HouseholdID), Address: mc.Address, CanTick: mc.CanTick,
		Items: make([]checklistEntryJSON, len(mc.Entries))}
	for i, e := range mc.Entries {
		out.Items[i] = checklistEntryJSON{Item: e.Item}
		if e.Tick != nil {
			t := e.Tick.TickedAt.In(model.Shanghai)
			out.Items[i] = checklistEntryJSON{Item: e.Item, Done: true, TickedBy: e.Tick.TickedBy, TickedAt: &t, ByDutyHousehold: e.Tick.ByDutyHome}
		}
	}
	return out
}

func (a *API) getMonthChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for k := range q {
		if k != "month" {
			return malformed("查询参数有误", model.FieldError{Field: k, Message: "未知的查询参数"})
		}
	}
	month := q.Get("month")
	if month == "" {
		month = model.ThisMonth(a.st.Now()).String()
	}
	mc, err := a.st.DutyMonthChecklist(r.Context(), authz.ScopeFrom(r.Context()), id, month)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMonthChecklistJSON(mc))
}

type tickRequest struct {
	Month string `json:"month"`
	Item  string `json:"item"`
	Done  *bool  `json:"done"`
}

func (a *API) tickChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req tickRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	done := req.Done == nil || *req.Done
	mc, err := a.st.TickDuty(r.Context(), authz.ScopeFrom(r.Context()), id, req.Month, strings.TrimSpace(req.Item), done)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toMonthChecklistJSON(mc))
}

type checklistJSON struct {
	CommunityID ID       `json:"community_id"`
	Items       []string `json:"items"`
	Custom      bool     `json:"custom"`
}

func (a *API) getChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	items, custom, err := a.st.DutyChecklist(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, checklistJSON{CommunityID: ID(id), Items: items, Custom: custom})
}

type checklistRequest struct {
	Items []string `json:"items"`
}

func (a *API) putChecklist(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req checklistRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	items, err := a.st.SetDutyChecklist(r.Context(), authz.ScopeFrom(r.Context()), id, req.Items)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, checklistJSON{CommunityID: ID(id), Items: items, Custom: len(req.Items) > 0})
}

// writeICS answers a calendar; private: it may name the caller's household.
func writeICS(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="duty.ics"`)
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, err := w.Write(body)
	return err
}

func (a *API) unitDutyICS(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := a.st.UnitDuty(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeICS(w, dutyICS(d, 0, d.Checklist))
}

func (a *API) householdDutyICS(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := a.st.HouseholdDuty(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeICS(w, dutyICS(d, id, d.Checklist))
}

// feedByToken serves GET /feeds/duty/{file}, file being TOKEN.ics: the one feed the private
// link was made for, or 404 (unknown, revoked, or no longer readable by its account).
func (a *API) feedByToken(w http.ResponseWriter, r *http.Request) error {
	tok, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok || tok == "" {
		return model.ErrNotFound
	}
	d, err := a.st.DutyFeedByToken(r.Context(), tok)
	if err != nil {
		return err
	}
	return writeICS(w, dutyICS(d, d.Own, d.Checklist))
}

type feedTokenRequest struct {
	HouseholdID ID `json:"household_id"`
}

type feedTokenJSON struct {
	ID          ID        `json:"id"`
	UnitID      ID        `json:"unit_id"`
	HouseholdID *ID       `json:"household_id,omitempty"`
	URL         string    `json:"url"` // the private link, shown once
	CreatedAt   time.Time `json:"created_at"`
}

// FeedPath is the path of the private link of token.
func FeedPath(token string) string { return "/feeds/duty/" + token + ".ics" }

func (a *API) createFeedToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req feedTokenRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
	}
	sc := authz.ScopeFrom(r.Context())
	if req.HouseholdID != 0 {
		// The household must be of this unit.
		d, err := a.st.HouseholdDuty(r.Context(), sc, int64(req.HouseholdID))
		if err != nil || d.Unit.ID != id {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "household_id", Message: "该住户不在这个联建单元中或不在您的管辖范围内"}}}
		}
	}
	tok, t, err := a.st.CreateDutyFeedToken(r.Context(), sc, id, int64(req.HouseholdID))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, feedTokenJSON{ID: ID(t.ID), UnitID: ID(t.UnitID), HouseholdID: optID(t.HouseholdID), URL: FeedPath(tok), CreatedAt: t.CreatedAt.In(model.Shanghai)})
}

func (a *API) revokeFeedToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.st.RevokeDutyFeedToken(r.Context(), authz.ScopeFrom(r.Context()), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listNotifications(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	if lq.Territory != 0 {
		return malformed("查询参数有误", model.FieldError{Field: "territory", Message: "消息不按节点筛选"})
	}
	p, err := a.st.Notifications(r.Context(), authz.ScopeFrom(r.Context()), lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, func(n *model.Notification) *model.Notification {
		c := *n
		c.CreatedAt = c.CreatedAt.In(model.Shanghai)
		return &c
	}))
}

func (a *API) readNotification(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.st.MarkNotificationRead(r.Context(), authz.ScopeFrom(r.Context()), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
