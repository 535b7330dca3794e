package api

import (
	"net/http"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Composition analytics (issue 8 item 10): GET /api/v1/party/analytics?org_id=|territory_id=.

type analyticsBucketJSON struct {
	Value string  `json:"value"`
	Label string  `json:"label"`
	N     int64   `json:"n"`
	Share float64 `json:"share"`
}

type partyAnalyticsJSON struct {
	Name            string                `json:"name"`
	OrgID           *ID                   `json:"org_id,omitempty"`
	TerritoryID     *ID                   `json:"territory_id,omitempty"`
	Registered      int64                 `json:"registered"`
	Category        []analyticsBucketJSON `json:"category"`
	Mobility        []analyticsBucketJSON `json:"mobility"`
	Status          []analyticsBucketJSON `json:"status"`
	Gender          []analyticsBucketJSON `json:"gender"`
	Education       []analyticsBucketJSON `json:"education"`
	AgeBands        []analyticsBucketJSON `json:"age_bands"`
	YearsBands      []analyticsBucketJSON `json:"membership_years"`
	RetiredShare    float64               `json:"retired_share"`
	UnemployedShare float64               `json:"unemployed_share"`
	OutflowShare    float64               `json:"outflow_share"`
	Reported        int64                 `json:"reporting_reported"`
	NotReported     int64                 `json:"reporting_not_reported"`
	ReportingRate   float64               `json:"reporting_rate"`
	Life            lifeComplianceJSON    `json:"meeting_compliance"`
	Study           studyCompletionJSON   `json:"study"`
}

type lifeComplianceJSON struct {
	Orgs    int64          `json:"orgs"`
	OnTime  int64          `json:"on_time"`
	Overdue int64          `json:"overdue"`
	Rate    float64        `json:"rate"`
	ByType  []lifeTypeJSON `json:"by_type"`
}

type lifeTypeJSON struct {
	Type    string `json:"type"`
	Label   string `json:"label"`
	Orgs    int64  `json:"orgs"`
	Overdue int64  `json:"overdue"`
}

type studyCompletionJSON struct {
	Assigned  int64   `json:"assigned"`
	Completed int64   `json:"completed"`
	Rate      float64 `json:"rate"`
}

func analyticsBuckets(in []model.AnalyticsBucket) []analyticsBucketJSON {
	out := make([]analyticsBucketJSON, len(in))
	for i, b := range in {
		out[i] = analyticsBucketJSON{Value: b.Value, Label: b.Label, N: b.N, Share: b.Share}
	}
	return out
}

// PartyAnalyticsJSON is the API's form of the composition (the page's charts read it too).
func PartyAnalyticsJSON(a *model.PartyAnalytics, orgID, territoryID int64) any {
	j := partyAnalyticsJSON{Name: a.Name, Registered: a.Registered, Category: analyticsBuckets(a.Category), Mobility: analyticsBuckets(a.Mobility),
		Status: analyticsBuckets(a.Status), Gender: analyticsBuckets(a.Gender), Education: analyticsBuckets(a.Education),
		AgeBands: analyticsBuckets(a.AgeBands), YearsBands: analyticsBuckets(a.YearsBands), RetiredShare: a.RetiredShare,
		UnemployedShare: a.UnemployedShare, OutflowShare: a.OutflowShare, Reported: a.Reported, NotReported: a.NotReported, ReportingRate: a.ReportingRate,
		Life:  lifeComplianceJSON{Orgs: a.Life.Orgs, OnTime: a.Life.OnTime, Overdue: a.Life.Overdue, Rate: a.Life.Rate, ByType: []lifeTypeJSON{}},
		Study: studyCompletionJSON{Assigned: a.Study.Assigned, Completed: a.Study.Completed, Rate: a.Study.Rate}}
	for _, t := range a.Life.ByType {
		j.Life.ByType = append(j.Life.ByType, lifeTypeJSON{Type: string(t.Type), Label: t.Label, Orgs: t.Orgs, Overdue: t.Overdue})
	}
	if orgID != 0 {
		id := ID(orgID)
		j.OrgID = &id
	} else if territoryID != 0 {
		id := ID(territoryID)
		j.TerritoryID = &id
	}
	return j
}

func (a *API) partyAnalytics(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fields []model.FieldError
	org := queryID(q.Get("org_id"), "org_id", &fields)
	territory := queryID(q.Get("territory_id"), "territory_id", &fields)
	if org != 0 && territory != 0 {
		fields = append(fields, model.FieldError{Field: "territory_id", Message: "org_id 与 territory_id 只能给出一个"})
	}
	if len(fields) > 0 {
		return &model.ValidationError{Fields: fields}
	}
	res, err := a.st.MemberAnalytics(r.Context(), authz.ScopeFrom(r.Context()), org, territory)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, PartyAnalyticsJSON(res, org, territory))
}
