package api

import (
	"net/http"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// orderStats answers GET /api/v1/orders/stats: the maintained statistics of the orders of a
// subtree (territory, default the caller's scope) placed in months from–to (YYYY-MM, default
// the twelve months up to this one), of one category by name or all: in total, by month and by
// category (store.OrderStats; staff and grid leaders).
func (a *API) orderStats(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "from", "to", "category")
	if err != nil {
		return err
	}
	if lq.Limit != 0 || lq.Cursor != "" {
		return malformed("查询参数有误", model.FieldError{Field: "limit", Message: "统计不分页"})
	}
	q := r.URL.Query()
	s, err := a.st.OrderStats(r.Context(), authz.ScopeFrom(r.Context()), store.OrderStatsFilter{Under: lq.Territory, From: q.Get("from"), To: q.Get("to"), Category: q.Get("category")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}
