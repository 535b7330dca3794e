package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The online space (网缘) of a Party org: one page with three tabs (公告 / 讨论 / 文件), a
// thread's page with its replies, and the forms that publish, post, hide, share and withdraw.
// The store decides who reaches a space (its members, post holders, managers); a space that is
// not the caller's is 404, like a missing one.

// spaceTabs are the tabs of a space's page, in order.
var spaceTabs = []string{"notices", "threads", "files"}

type spacePage struct {
	Page
	Org     *store.SpaceOrg
	Tab     string
	Tabs    []string
	Notices *store.Page[*model.OrgNotice]
	Threads *store.Page[*model.OrgPost]
	Files   *store.Page[*model.OrgFile]
	Form    *Form // the tab's form: a notice, a thread or a file
	Cursor  string
}

func spaceURL(org int64, tab string) string {
	return "/party/orgs/" + strconv.FormatInt(org, 10) + "/space?tab=" + tab
}

// spaceNav is the navigation item a space's pages light: a member's "my branch", else the org
// chart.
func (wb *Web) spaceNav(r *http.Request) string {
	if u := authz.UserFrom(r.Context()); u != nil && u.Role == model.RoleMember {
		return "party-me"
	}
	return "party-orgs"
}

// spacePageFor renders org's space on tab with form f (nil: an empty one) and status.
func (wb *Web) spacePageFor(w http.ResponseWriter, r *http.Request, status int, org int64, tab string, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	sp, err := wb.st.Space(ctx, sc, org)
	if err != nil {
		return err
	}
	cur := r.URL.Query().Get("cursor")
	if status != http.StatusOK {
		cur = ""
	}
	p := &spacePage{Page: wb.base(r, wb.t("space.title", sp.Name), wb.spaceNav(r)), Org: sp, Tab: tab, Tabs: spaceTabs}
	switch tab {
	case "threads":
		p.Threads, err = wb.st.Threads(ctx, sc, org, 0, cur)
		if f == nil {
			f = newForm("thread", nil, "title", "body")
		}
	case "files":
		p.Files, err = wb.st.Files(ctx, sc, org, 0, cur)
		if f == nil {
			f = newForm("file", nil, "file")
		}
	default:
		p.Tab = "notices"
		p.Notices, err = wb.st.OrgNotices(ctx, sc, org, 0, cur)
		if f == nil {
			f = newForm("notice", nil, "title", "body")
		}
	}
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, spaceURL(org, p.Tab), "")
		return nil
	}
	if err != nil {
		return err
	}
	p.Form = f
	if f.Invalid() {
		p.Failed = f
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	if p.Can("party.org.read") {
		p.Crumbs = []Crumb{{Name: sp.Name, URL: "/party/orgs/" + strconv.FormatInt(org, 10)}, {Name: wb.t("space.name")}}
	} else if p.Can("party.self") {
		p.Crumbs = []Crumb{{Name: wb.t("me.branch.title"), URL: "/party/me"}, {Name: p.Title}}
	}
	return wb.render(w, r, status, "party/space", p)
}

func (wb *Web) space(w http.ResponseWriter, r *http.Request) error {
	org, err := pathID(r)
	if err != nil {
		return err
	}
	return wb.spacePageFor(w, r, http.StatusOK, org, r.URL.Query().Get("tab"), nil)
}

// spaceForm handles a posted form of a space's tab: the field values go to save; an error the
// user can fix renders the tab again with the input kept (422); success goes back to the tab.
func (wb *Web) spaceForm(tab, name, done string, fields []string, save func(r *http.Request, org int64) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		org, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		f := newForm(name, r.PostForm, fields...)
		if err := save(r, org); err != nil {
			if f.fail(err) {
				return wb.spacePageFor(w, r, http.StatusUnprocessableEntity, org, tab, f)
			}
			return err
		}
		redirect(w, r, spaceURL(org, tab), done)
		return nil
	}
}

func (wb *Web) publishOrgNotice(r *http.Request, org int64) error {
	_, err := wb.st.PublishOrgNotice(r.Context(), scope(r), org, model.OrgNoticeInput{Title: r.PostForm.Get("title"), Body: r.PostForm.Get("body")})
	return err
}

func (wb *Web) openThread(r *http.Request, org int64) error {
	_, err := wb.st.OpenThread(r.Context(), scope(r), org, model.MessageInput{Title: r.PostForm.Get("title"), Body: r.PostForm.Get("body")})
	return err
}

// spaceUploadLimit is the body a file upload may send: the file's limit and room for the form.
const spaceUploadLimit = model.SpaceFileMax + 64<<10

// shareFile takes a file for the space's files tab; too large, missing or of a kind the space
// does not share renders the tab again with the reason (422).
func (wb *Web) shareFile(w http.ResponseWriter, r *http.Request) error {
	org, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm("file", url.Values{}, "file")
	fail := func(msg string) error {
		f.add("file", msg)
		return wb.spacePageFor(w, r, http.StatusUnprocessableEntity, org, "files", f)
	}
	r.Body = http.MaxBytesReader(w, r.Body, spaceUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(spaceUploadLimit); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return fail(wb.t("space.file.too_large"))
		case errors.Is(err, http.ErrNotMultipart), errors.Is(err, http.ErrMissingBoundary):
			return fail(wb.t("space.file.missing"))
		}
		return err
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		return fail(wb.t("space.file.missing"))
	}
	defer file.Close()
	content, err := io.ReadAll(io.LimitReader(file, model.SpaceFileMax+1))
	if err != nil {
		return err
	}
	if _, err := wb.st.ShareFile(r.Context(), scope(r), org, header.Filename, content); err != nil {
		if f.fail(err) {
			return wb.spacePageFor(w, r, http.StatusUnprocessableEntity, org, "files", f)
		}
		return err
	}
	redirect(w, r, spaceURL(org, "files"), "space_file")
	return nil
}

// downloadSpaceFile answers a shared file as an attachment (never inline: a file must not run
// in the site's origin); a withdrawn one is the error page's 409.
func (wb *Web) downloadSpaceFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, content, err := wb.st.FileContent(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	attachment(w, f.ContentType, f.Name, fmt.Sprintf("file-%d%s", f.ID, path.Ext(f.Name)))
	// #nosec G705 -- an attachment (Content-Disposition) under nosniff: the browser saves it and never renders it in the site's origin
	_, err = w.Write(content)
	return err
}

func (wb *Web) withdrawSpaceFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f, err := wb.st.WithdrawFile(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	redirect(w, r, spaceURL(f.OrgID, "files"), "space_withdrawn")
	return nil
}

type threadPage struct {
	Page
	Org     *store.SpaceOrg
	Thread  *model.OrgPost
	Replies []*model.OrgPost
	Reply   *Form
	Hide    *Form
	HideID  int64 // the post whose hide form failed
}

func threadURL(id int64) string { return "/party/space/threads/" + strconv.FormatInt(id, 10) }

func (wb *Web) threadPageFor(w http.ResponseWriter, r *http.Request, status int, id int64, reply, hide *Form, hideID int64) error {
	th, replies, sp, err := wb.st.Thread(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	if reply == nil {
		reply = newForm("reply", nil, "body")
	}
	if hide == nil {
		hide = newForm("hide", nil, "reason")
	}
	p := &threadPage{Page: wb.base(r, th.Title, wb.spaceNav(r)), Org: sp, Thread: th, Replies: replies, Reply: reply, Hide: hide, HideID: hideID}
	if th.Hidden() {
		p.Title = wb.t("space.thread.hidden_title")
	}
	switch {
	case reply.Invalid():
		p.Failed = reply
	case hide.Invalid():
		p.Failed = hide
	}
	p.Crumbs = []Crumb{{Name: wb.t("space.title", sp.Name), URL: spaceURL(sp.ID, "threads")}, {Name: p.Title}}
	return wb.render(w, r, status, "party/space_thread", p)
}

func (wb *Web) thread(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return wb.threadPageFor(w, r, http.StatusOK, id, nil, nil, 0)
}

func (wb *Web) replyThread(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("reply", r.PostForm, "body")
	p, err := wb.st.Reply(r.Context(), scope(r), id, model.MessageInput{Body: r.PostForm.Get("body")})
	if err != nil {
		if f.fail(err) {
			return wb.threadPageFor(w, r, http.StatusUnprocessableEntity, id, f, nil, 0)
		}
		return err
	}
	redirect(w, r, threadURL(id)+"?done=space_replied#post-"+strconv.FormatInt(p.ID, 10), "")
	return nil
}

// hidePost hides a thread or a reply with the reason posted and goes back to the thread.
func (wb *Web) hidePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	thread, err := strconv.ParseInt(r.PostForm.Get("thread"), 10, 64)
	if err != nil || thread <= 0 {
		thread = id
	}
	f := newForm("hide", r.PostForm, "reason")
	p, err := wb.st.HidePost(r.Context(), scope(r), id, r.PostForm.Get("reason"))
	if err != nil {
		if f.fail(err) {
			return wb.threadPageFor(w, r, http.StatusUnprocessableEntity, thread, nil, f, id)
		}
		return err
	}
	if p.ParentID != 0 {
		thread = p.ParentID
	} else {
		thread = p.ID
	}
	redirect(w, r, threadURL(thread), "space_hidden")
	return nil
}

// hideForm is the hide form of one post on a thread's page.
type hideForm struct {
	PostID, ThreadID int64
	Field            Field
}

// HideFor is post id's hide form: the failed one keeps its reason and error (and the id the
// error summary links to), the others are empty with ids of their own.
func (p *threadPage) HideFor(id int64) hideForm {
	h := hideForm{PostID: id, ThreadID: p.Thread.ID}
	if id == p.HideID {
		h.Field = p.Hide.Field("reason")
		return h
	}
	h.Field = Field{ID: "hide-" + strconv.FormatInt(id, 10) + "-reason", Name: "reason"}
	return h
}
