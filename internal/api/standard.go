package api

import (
	"context"
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Basic public service standards (基本公共服务达标, issue 12 item 5) at /api/v1/standards: the
// catalogue (read by staff, kept by street and district administrators), the values of manual
// items staff enter with evidence, and the communities' compliance. Thresholds and values travel
// as decimal strings ("80", "42.5").

type standardItemJSON struct {
	ID        ID     `json:"id"`
	OwnerID   *ID    `json:"owner_id,omitempty"`
	OwnerName string `json:"owner_name"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Method    string `json:"method"`
	Metric    string `json:"metric,omitempty"`
	Op        string `json:"op"`
	Threshold string `json:"threshold"`
	Unit      string `json:"unit"`
	Target    string `json:"target"`
	Active    bool   `json:"active"`
}

func toStandardItemJSON(i *model.StandardItem) standardItemJSON {
	return standardItemJSON{ID: ID(i.ID), OwnerID: optID(i.OwnerID), OwnerName: i.OwnerName, Code: i.Code, Name: i.Name, Method: string(i.Method), Metric: string(i.Metric),
		Op: i.Op, Threshold: model.FormatHundredths(i.Threshold), Unit: i.Unit, Target: i.Target(), Active: i.Active}
}

func (a *API) listStandardItems(w http.ResponseWriter, r *http.Request) error {
	f, err := burdenCatalogFilter(r)
	if err != nil {
		return err
	}
	items, err := a.st.StandardItems(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := make([]standardItemJSON, len(items))
	for i, it := range items {
		out[i] = toStandardItemJSON(it)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type standardItemSave struct {
	OwnerID   ID     `json:"owner_id"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Method    string `json:"method"`
	Metric    string `json:"metric"`
	Op        string `json:"op"`
	Threshold string `json:"threshold"`
	Unit      string `json:"unit"`
	Active    *bool  `json:"active"`
}

func (a *API) saveStandardItem(create bool) handlerFunc {
	return saveEntry(a, create, func(ctx context.Context, sc authz.Scope, id int64, req standardItemSave) (any, error) {
		it, err := a.st.SaveStandardItem(ctx, sc, id, model.StandardItemInput{OwnerID: int64(req.OwnerID), Code: req.Code, Name: req.Name,
			Method: model.StandardMethod(req.Method), Metric: model.StandardMetric(req.Metric), Op: req.Op, Threshold: req.Threshold, Unit: req.Unit, Active: req.Active == nil || *req.Active})
		if err != nil {
			return nil, err
		}
		return toStandardItemJSON(it), nil
	})
}

type standardValue struct {
	ItemID      ID     `json:"item_id"`
	CommunityID ID     `json:"community_id"`
	Value       string `json:"value"`
	Evidence    string `json:"evidence"`
}

func (a *API) recordStandardValue(w http.ResponseWriter, r *http.Request) error {
	var req standardValue
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if err := a.st.RecordStandardValue(r.Context(), authz.ScopeFrom(r.Context()), model.StandardEntryInput{ItemID: int64(req.ItemID), CommunityID: int64(req.CommunityID),
		Value: req.Value, Evidence: req.Evidence}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type standardResultJSON struct {
	ItemID     ID     `json:"item_id"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	Target     string `json:"target"`
	Method     string `json:"method"`
	Status     string `json:"status"`
	Value      string `json:"value,omitempty"`
	Evidence   string `json:"evidence,omitempty"`
	RecordedBy string `json:"recorded_by,omitempty"`
	RecordedAt string `json:"recorded_at,omitempty"`
}

type standardRowJSON struct {
	CommunityID   ID                   `json:"community_id"`
	CommunityName string               `json:"community_name"`
	Met           int                  `json:"met"`
	Unmet         int                  `json:"unmet"`
	NoData        int                  `json:"no_data"`
	Results       []standardResultJSON `json:"results"`
}

func (a *API) standardCompliance(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "year")
	fields := queryFields(err)
	year := a.st.Now().In(model.Shanghai).Year()
	if y := r.URL.Query().Get("year"); y != "" {
		if year, err = strconv.Atoi(y); err != nil || year < 2000 || year > 2200 {
			fields = append(fields, model.FieldError{Field: "year", Message: "year 应为 2000–2200 的年份"})
		}
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	rows, err := a.st.StandardCompliance(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory, year)
	if err != nil {
		return err
	}
	out := []standardRowJSON{}
	for _, row := range rows {
		j := standardRowJSON{CommunityID: ID(row.CommunityID), CommunityName: row.CommunityName, Met: row.Met, Unmet: row.Unmet, NoData: row.NoData, Results: []standardResultJSON{}}
		for _, x := range row.Results {
			rj := standardResultJSON{ItemID: ID(x.Item.ID), Code: x.Item.Code, Name: x.Item.Name, Target: x.Item.Target(), Method: string(x.Item.Method), Status: string(x.Status),
				Evidence: x.Evidence, RecordedBy: x.RecordedBy}
			if x.Status != model.StandardNoData {
				rj.Value = model.FormatHundredths(x.Value)
			}
			if x.RecordedAt != nil {
				rj.RecordedAt = rfc3339(*x.RecordedAt)
			}
			j.Results = append(j.Results, rj)
		}
		out = append(out, j)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"year": year, "items": out})
}
