package api

import (
	"net/http"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Notices (公告, issue 11 item 4) at /api/v1/notices: the feed (pinned first), publish (staff),
// read one, mark it read for one's household (its read receipt), pin, withdraw with a reason,
// and the households that have not read it (staff and grid leaders).

type noticeJSON struct {
	ID             ID     `json:"id"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	TerritoryID    ID     `json:"territory_id"`
	TerritoryName  string `json:"territory_name"`
	Pinned         bool   `json:"pinned"`
	Public         bool   `json:"public"`
	Status         string `json:"status"`
	Audience       int    `json:"audience"`
	Reads          int    `json:"reads"`
	Read           bool   `json:"read"`
	PublishedAt    string `json:"published_at"`
	PublishedBy    string `json:"published_by"`
	WithdrawnAt    string `json:"withdrawn_at,omitempty"`
	WithdrawReason string `json:"withdraw_reason,omitempty"`
}

func toNoticeJSON(n *model.Notice) noticeJSON {
	out := noticeJSON{ID: ID(n.ID), Title: n.Title, Body: n.Body, TerritoryID: ID(n.TerritoryID), TerritoryName: n.TerritoryName, Pinned: n.Pinned,
		Public: n.Public, Status: string(n.Status), Audience: n.Audience, Reads: n.Reads, Read: n.Read, PublishedAt: rfc3339(n.PublishedAt),
		PublishedBy: n.PublishedByName, WithdrawReason: n.WithdrawReason}
	if n.WithdrawnAt != nil {
		out.WithdrawnAt = rfc3339(*n.WithdrawnAt)
	}
	return out
}

func (a *API) listNotices(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status")
	if err != nil {
		return err
	}
	p, err := a.st.Notices(r.Context(), authz.ScopeFrom(r.Context()), store.NoticeFilter{Status: model.NoticeStatus(r.URL.Query().Get("status")),
		Territory: lq.Territory, Limit: lq.Limit, Cursor: lq.Cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toNoticeJSON))
}

type noticeCreate struct {
	Title       string `json:"title"`
	Body        string `json:"body"`
	TerritoryID ID     `json:"territory_id"`
	Pinned      bool   `json:"pinned"`
	Public      bool   `json:"public"`
}

func (a *API) publishNotice(w http.ResponseWriter, r *http.Request) error {
	var req noticeCreate
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	n, err := a.st.PublishNotice(r.Context(), authz.ScopeFrom(r.Context()), model.NoticeInput{Title: req.Title, Body: req.Body,
		TerritoryID: int64(req.TerritoryID), Pinned: req.Pinned, Public: req.Public})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toNoticeJSON(n))
}

func (a *API) getNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := a.st.Notice(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toNoticeJSON(n))
}

// readNotice records the caller's household's reading (its first only); the answer is the
// notice as the caller now sees it.
func (a *API) readNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := a.st.MarkNoticeRead(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toNoticeJSON(n))
}

type noticePin struct {
	Pinned bool `json:"pinned"`
}

func (a *API) pinNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req noticePin
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	n, err := a.st.PinNotice(r.Context(), authz.ScopeFrom(r.Context()), id, req.Pinned)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toNoticeJSON(n))
}

type noticeWithdraw struct {
	Reason string `json:"reason"`
}

func (a *API) withdrawNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req noticeWithdraw
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	n, err := a.st.WithdrawNotice(r.Context(), authz.ScopeFrom(r.Context()), id, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toNoticeJSON(n))
}

type noticeUnreadJSON struct {
	HouseholdID ID     `json:"household_id"`
	Address     string `json:"address"`
	HeadName    string `json:"head_name"`
}

func (a *API) noticeUnread(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	limit := 0
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit <= 0 {
			return &model.ValidationError{Fields: []model.FieldError{{Field: "limit", Message: "limit 应为正整数"}}}
		}
	}
	us, err := a.st.NoticeUnreadHouseholds(r.Context(), authz.ScopeFrom(r.Context()), id, limit)
	if err != nil {
		return err
	}
	out := list[noticeUnreadJSON]{Items: make([]noticeUnreadJSON, 0, len(us))}
	for _, u := range us {
		out.Items = append(out.Items, noticeUnreadJSON{HouseholdID: ID(u.HouseholdID), Address: u.Address, HeadName: u.HeadName})
	}
	return writeJSON(w, http.StatusOK, out)
}
