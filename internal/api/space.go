package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The online space (网缘) of a Party org: /api/v1/party/orgs/{id}/notices, /threads and /files
// (the lists and the creates), and /api/v1/party/space/... for one notice, thread, post or
// file. The store decides who reaches a space; authors are shown by name only.

type orgNoticeJSON struct {
	ID         ID        `json:"id"`
	OrgID      ID        `json:"org_id"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	AuthorName string    `json:"author_name"`
	CreatedAt  time.Time `json:"created_at"`
}

func toOrgNoticeJSON(n *model.OrgNotice) orgNoticeJSON {
	return orgNoticeJSON{ID: ID(n.ID), OrgID: ID(n.OrgID), Title: n.Title, Body: n.Body, AuthorName: n.AuthorName, CreatedAt: n.CreatedAt.In(model.Shanghai)}
}

type spacePostJSON struct {
	ID           ID         `json:"id"`
	OrgID        ID         `json:"org_id"`
	ThreadID     *ID        `json:"thread_id"` // null for a thread, the thread for a reply
	Title        string     `json:"title,omitempty"`
	Body         string     `json:"body"` // empty when hidden
	AuthorName   string     `json:"author_name"`
	Replies      int        `json:"replies"`
	CreatedAt    time.Time  `json:"created_at"`
	Hidden       bool       `json:"hidden"`
	HiddenAt     *time.Time `json:"hidden_at,omitempty"`
	HiddenReason string     `json:"hidden_reason,omitempty"`
}

func toSpacePostJSON(p *model.OrgPost) spacePostJSON {
	out := spacePostJSON{ID: ID(p.ID), OrgID: ID(p.OrgID), ThreadID: optID(p.ParentID), Title: p.Title, Body: p.Body, AuthorName: p.AuthorName,
		Replies: p.Replies, CreatedAt: p.CreatedAt.In(model.Shanghai), Hidden: p.Hidden(), HiddenReason: p.HiddenReason}
	if p.HiddenAt != nil {
		t := p.HiddenAt.In(model.Shanghai)
		out.HiddenAt = &t
	}
	return out
}

type spaceFileJSON struct {
	ID          ID        `json:"id"`
	OrgID       ID        `json:"org_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	AuthorName  string    `json:"author_name"`
	CreatedAt   time.Time `json:"created_at"`
	Withdrawn   bool      `json:"withdrawn"`
	URL         string    `json:"url"`
}

func toSpaceFileJSON(f *model.OrgFile) spaceFileJSON {
	return spaceFileJSON{ID: ID(f.ID), OrgID: ID(f.OrgID), Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256,
		AuthorName: f.AuthorName, CreatedAt: f.CreatedAt.In(model.Shanghai), Withdrawn: f.Withdrawn, URL: fmt.Sprintf("/api/v1/party/space/files/%d", f.ID)}
}

// spaceList parses a space list's query (limit and cursor only) and the org of the path.
func spaceList(r *http.Request) (int64, listQuery, error) {
	org, err := pathID(r)
	if err != nil {
		return 0, listQuery{}, err
	}
	lq, err := parseList(r)
	if err != nil {
		return 0, lq, err
	}
	if lq.Territory != 0 {
		return 0, lq, malformed("查询参数有误", model.FieldError{Field: "territory", Message: "空间列表不按节点筛选"})
	}
	return org, lq, nil
}

func mapList[T, J any](p *store.Page[T], to func(T) J) list[J] {
	out := list[J]{Items: make([]J, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, v := range p.Items {
		out.Items[i] = to(v)
	}
	return out
}

func (a *API) listOrgNotices(w http.ResponseWriter, r *http.Request) error {
	org, lq, err := spaceList(r)
	if err != nil {
		return err
	}
	p, err := a.st.OrgNotices(r.Context(), authz.ScopeFrom(r.Context()), org, lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toOrgNoticeJSON))
}

type orgNoticeRequest struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

func (a *API) publishOrgNotice(w http.ResponseWriter, r *http.Request) error {
	org, err := pathID(r)
	if err != nil {
		return err
	}
	var req orgNoticeRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	n, err := a.st.PublishOrgNotice(r.Context(), authz.ScopeFrom(r.Context()), org, model.OrgNoticeInput{Title: req.Title, Body: req.Body})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toOrgNoticeJSON(n))
}

func (a *API) getOrgNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, _, err := a.st.OrgNotice(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrgNoticeJSON(n))
}

func (a *API) listThreads(w http.ResponseWriter, r *http.Request) error {
	org, lq, err := spaceList(r)
	if err != nil {
		return err
	}
	p, err := a.st.Threads(r.Context(), authz.ScopeFrom(r.Context()), org, lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toSpacePostJSON))
}

type spacePostRequest struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

func (a *API) openThread(w http.ResponseWriter, r *http.Request) error {
	org, err := pathID(r)
	if err != nil {
		return err
	}
	var req spacePostRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p, err := a.st.OpenThread(r.Context(), authz.ScopeFrom(r.Context()), org, model.MessageInput{Title: req.Title, Body: req.Body})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toSpacePostJSON(p))
}

type threadJSON struct {
	spacePostJSON
	ReplyList []spacePostJSON `json:"reply_list"`
}

func (a *API) getThread(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	th, rs, _, err := a.st.Thread(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	out := threadJSON{spacePostJSON: toSpacePostJSON(th), ReplyList: make([]spacePostJSON, len(rs))}
	for i, p := range rs {
		out.ReplyList[i] = toSpacePostJSON(p)
	}
	return writeJSON(w, http.StatusOK, out)
}

type replyRequest struct {
	Body string `json:"body"`
}

func (a *API) replyThread(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req replyRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p, err := a.st.Reply(r.Context(), authz.ScopeFrom(r.Context()), id, model.MessageInput{Body: req.Body})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toSpacePostJSON(p))
}

type hideRequest struct {
	Reason string `json:"reason"`
}

func (a *API) hidePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req hideRequest
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	p, err := a.st.HidePost(r.Context(), authz.ScopeFrom(r.Context()), id, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSpacePostJSON(p))
}

func (a *API) listSpaceFiles(w http.ResponseWriter, r *http.Request) error {
	org, lq, err := spaceList(r)
	if err != nil {
		return err
	}
	p, err := a.st.Files(r.Context(), authz.ScopeFrom(r.Context()), org, lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toSpaceFileJSON))
}

// spaceUploadLimit is the body a file upload may send: the file's limit and room for the
// multipart framing. A larger body is 413; a file between the two is 422 naming "file".
const spaceUploadLimit = model.SpaceFileMax + 64<<10

// shareFile takes a multipart upload (field file) into the org's space: 201 with the file.
func (a *API) shareFile(w http.ResponseWriter, r *http.Request) error {
	org, err := pathID(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, spaceUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(spaceUploadLimit); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return malformed("请求应为 multipart/form-data，文件放在字段 file 中", model.FieldError{Field: "file", Message: "请上传一个文件"})
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "file", Message: "请选择要上传的文件"}}}
	}
	defer file.Close()
	content, err := io.ReadAll(io.LimitReader(file, model.SpaceFileMax+1))
	if err != nil {
		return err
	}
	f, err := a.st.ShareFile(r.Context(), authz.ScopeFrom(r.Context()), org, header.Filename, content)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/party/space/files/%d", f.ID))
	return writeJSON(w, http.StatusCreated, toSpaceFileJSON(f))
}

// downloadFile answers a shared file's content as an attachment (never shown inline, so a file
// cannot run in the site's origin); a withdrawn file is 409.
func (a *API) downloadFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, content, err := a.st.FileContent(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="file-%d%s"; filename*=UTF-8''%s`, f.ID, path.Ext(f.Name), url.PathEscape(f.Name)))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	// #nosec G705 -- an attachment (Content-Disposition) under nosniff: the browser saves it and never renders it in the site's origin
	_, err = w.Write(content)
	return err
}

func (a *API) withdrawFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := a.st.WithdrawFile(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toSpaceFileJSON(f))
}
