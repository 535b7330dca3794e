package web

import (
	"net/http"
	"net/url"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Notices (公告, issue 11 item 4). A resident's feed on the phone: the notices over its
// household, pinned first, unread ones marked; opening one is its household's read receipt.
// Staff: publish a notice to a territory (pinned, public on the community's disclosure page),
// see how many of the households it went to have read it and which have not (to tell them in
// person), pin or unpin it, withdraw it with a reason.

func noticeURL(id int64) string { return "/notices/" + strconv.FormatInt(id, 10) }

type noticesPage struct {
	Page
	Items  []*model.Notice
	Total  int64
	Next   string
	Status string
}

func (wb *Web) listNotices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &noticesPage{Page: wb.base(r, wb.t("notices.title"), "notices"), Status: q.Get("status")}
	p.Crumbs = []Crumb{{Name: p.Title}}
	page, err := wb.st.Notices(r.Context(), scope(r), store.NoticeFilter{Status: model.NoticeStatus(p.Status), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p.Items, p.Total, p.Next = page.Items, page.Total, page.Next
	return wb.render(w, r, http.StatusOK, "notices/list", p)
}

var noticeFields = []string{"title", "territory_id", "body", "pinned", "public"}

type noticeFormPage struct {
	Page
	Form  *Form
	Nodes []territoryOption
}

func (wb *Web) newNotice(w http.ResponseWriter, r *http.Request) error {
	v := url.Values{}
	if t := r.URL.Query().Get("territory"); t != "" {
		v.Set("territory_id", t)
	}
	return wb.noticeForm(w, r, http.StatusOK, newForm("notice", v, noticeFields...))
}

func (wb *Web) noticeForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	p := &noticeFormPage{Page: wb.base(r, wb.t("notices.new.title"), "notices"), Form: f}
	p.Crumbs = []Crumb{{Name: wb.t("notices.title"), URL: "/notices"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	var err error
	if p.Nodes, err = wb.listNodes(r, model.KindStreet, model.KindCommunity, model.KindResidentGroup, model.KindGrid, model.KindCompound, model.KindBuilding, model.KindStairwell); err != nil {
		return err
	}
	return wb.render(w, r, status, "notices/new", p)
}

func (wb *Web) publishNotice(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("notice", r.PostForm, noticeFields...)
	in := model.NoticeInput{Title: f.Values.Get("title"), Body: f.Values.Get("body"), Pinned: f.Checked("pinned"), Public: f.Checked("public")}
	in.TerritoryID, _ = strconv.ParseInt(f.Values.Get("territory_id"), 10, 64)
	n, err := wb.st.PublishNotice(r.Context(), scope(r), in)
	if err != nil {
		if f.fail(err) {
			return wb.noticeForm(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, noticeURL(n.ID), "notice_published")
	return nil
}

// unreadShown is how many households not reached a notice's page lists.
const unreadShown = 100

type noticePage struct {
	Page
	Notice     *model.Notice
	Unread     []store.NoticeUnread // staff and grid leaders: households not reached yet, the first unreadShown
	UnreadMore int                  // households not reached beyond those listed
	Withdraw   *Form
	// CanAcknowledge: the caller's household is under the notice and has not read it.
	CanAcknowledge bool
}

// showNotice shows a notice; a household under it that has not read it gets the 知道了 button
// (readNotice), its read receipt. Showing changes nothing: a GET is safe.
func (wb *Web) showNotice(w http.ResponseWriter, r *http.Request) error {
	return wb.noticePageFor(w, r, http.StatusOK, nil)
}

func (wb *Web) noticePageFor(w http.ResponseWriter, r *http.Request, status int, withdraw *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	n, err := wb.st.Notice(ctx, sc, id)
	if err != nil {
		return err
	}
	if withdraw == nil {
		withdraw = newForm("withdraw", nil, "reason")
	}
	p := &noticePage{Page: wb.base(r, n.Title, "notices"), Notice: n, Withdraw: withdraw,
		CanAcknowledge: !n.Read && n.Status == model.NoticePublished && wb.st.NoticeReachesHousehold(ctx, sc, n)}
	p.Crumbs = []Crumb{{Name: wb.t("notices.title"), URL: "/notices"}, {Name: wb.t("notices.crumb")}}
	if withdraw.Invalid() {
		p.Failed = withdraw
	}
	if p.Can(authz.NoticeReceipts) && n.Status == model.NoticePublished {
		if p.Unread, err = wb.st.NoticeUnreadHouseholds(ctx, sc, id, unreadShown); err != nil {
			return err
		}
		p.UnreadMore = max(0, n.Audience-n.Reads-len(p.Unread))
	}
	return wb.render(w, r, status, "notices/show", p)
}

// readNotice records the caller's household's reading (its read receipt) and shows the notice.
func (wb *Web) readNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := wb.st.MarkNoticeRead(r.Context(), scope(r), id); err != nil {
		return err
	}
	redirect(w, r, noticeURL(id), "notice_read")
	return nil
}

func (wb *Web) pinNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	pinned := r.PostForm.Get("pinned") == "1"
	if _, err := wb.st.PinNotice(r.Context(), scope(r), id, pinned); err != nil {
		f := newForm("pin", r.PostForm)
		if f.fail(err) {
			return wb.noticePageFor(w, r, formStatus(err), f)
		}
		return err
	}
	done := "notice_unpinned"
	if pinned {
		done = "notice_pinned"
	}
	redirect(w, r, noticeURL(id), done)
	return nil
}

func (wb *Web) withdrawNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("withdraw", r.PostForm, "reason")
	if _, err := wb.st.WithdrawNotice(r.Context(), scope(r), id, f.Values.Get("reason")); err != nil {
		if f.fail(err) {
			return wb.noticePageFor(w, r, formStatus(err), f)
		}
		return err
	}
	redirect(w, r, noticeURL(id), "notice_withdrawn")
	return nil
}
