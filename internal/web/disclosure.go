package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The public disclosure page of a community (党务公开、居务公开, issue 11 item 6) at
// /p/{community_code}: no login, phone-first, the same for everyone, so shared caches may keep
// it for a few minutes (renderPublic); an Atom feed of its notices and vote results at
// /p/{code}/feed.atom, and the photos of the winners of its small-project rounds at
// /p/{code}/projects/{id}/photos/{n}. The page is rendered without the session: whoever is logged in sees what
// an anonymous visitor sees, and no personal data beyond a name with its post.

type disclosurePage struct {
	Page
	D   *store.Disclosure
	Now time.Time
}

// publicPage is the layout's part of a page that is the same for everyone: no user, no menus.
func (wb *Web) publicPage(r *http.Request, title string) Page {
	p := wb.base(r, title, "")
	p.User, p.Menus, p.Notice = nil, menus{}, ""
	return p
}

func (wb *Web) disclosure(w http.ResponseWriter, r *http.Request) error {
	d, err := wb.st.Disclosure(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	p := &disclosurePage{Page: wb.publicPage(r, wb.t("disclosure.title", d.CommunityName)), D: d, Now: wb.st.Now()}
	return wb.renderPublic(w, r, "public/disclosure", p, d.Updated)
}

// renderPublic writes a page that is the same for everyone: cacheable by shared caches for five
// minutes, with an ETag of its bytes (a request that has them gets 304) and Last-Modified.
func (wb *Web) renderPublic(w http.ResponseWriter, r *http.Request, name string, data any, modified time.Time) error {
	t, ok := wb.pages[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	return writePublic(w, r, "text/html; charset=utf-8", buf.Bytes(), modified)
}

// writePublic answers body as a public, cacheable representation (see renderPublic).
func writePublic(w http.ResponseWriter, r *http.Request, contentType string, body []byte, modified time.Time) error {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", etag)
	h.Set("Vary", "Accept-Encoding")
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	// #nosec G705 -- a page the templates escaped, a feed the XML encoder wrote, or a JPEG the
	// server encoded itself (model.CheckPhoto) under nosniff and a sandboxing CSP
	_, err := w.Write(body)
	return err
}

// disclosurePhoto serves a photo of a winning small project of the community (民生微实事) to
// anyone, cacheable as the page is: only photos of winners of its decided rounds, as the
// stored JPEG, shown as a picture and never as a page.
func (wb *Web) disclosurePhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return model.ErrNotFound
	}
	ph, b, err := wb.st.PublicSmallProjectPhoto(r.Context(), r.PathValue("code"), id, n)
	if err != nil {
		return err
	}
	if ph.ContentType != model.PhotoType {
		return model.ErrNotFound // CheckPhoto stores nothing else; never serve what is not a photo
	}
	h := w.Header()
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="project-%d-%d.jpg"`, id, n))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox")
	return writePublic(w, r, ph.ContentType, b.Data, time.Time{})
}

// The Atom feed (RFC 4287) of the disclosure: public notices and vote results.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Link    []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	Title   string   `xml:"title"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Content atomText `xml:"content"`
}

func (wb *Web) disclosureFeed(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	d, err := wb.st.Disclosure(r.Context(), code)
	if err != nil {
		return err
	}
	page := "/p/" + code
	id := "tag:gongzhi," + d.Updated.In(model.Shanghai).Format("2006") + ":disclosure/" + code
	updated := d.Updated
	if updated.IsZero() {
		updated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	f := atomFeed{Title: wb.t("disclosure.title", d.CommunityName), ID: id, Updated: updated.UTC().Format(time.RFC3339),
		Link:   []atomLink{{Href: page, Rel: "alternate", Type: "text/html"}, {Href: page + "/feed.atom", Rel: "self", Type: "application/atom+xml"}},
		Author: atomAuthor{Name: d.CommunityName}}
	for _, n := range d.Notices {
		f.Entries = append(f.Entries, atomEntry{Title: n.Title, ID: id + "/notice/" + strconv.FormatInt(n.ID, 10), Updated: n.PublishedAt.UTC().Format(time.RFC3339),
			Link: atomLink{Href: page + "#notice-" + strconv.FormatInt(n.ID, 10)}, Content: atomText{Type: "text", Body: n.Body}})
	}
	for _, v := range d.Votes {
		f.Entries = append(f.Entries, atomEntry{Title: wb.t("disclosure.vote.entry", v.Title), ID: id + "/vote/" + strconv.FormatInt(v.ID, 10),
			Updated: v.ClosedAt.UTC().Format(time.RFC3339), Link: atomLink{Href: page + "#vote-" + strconv.FormatInt(v.ID, 10)},
			Content: atomText{Type: "text", Body: wb.t("disclosure.vote.summary", v.TerritoryName, v.Outcome, v.Ballots, v.Eligible)}})
	}
	for _, rd := range d.Rounds {
		var names []string
		for _, x := range rd.Winners {
			names = append(names, x.Title)
		}
		f.Entries = append(f.Entries, atomEntry{Title: wb.t("disclosure.budget.entry", rd.Title), ID: id + "/budget/" + strconv.FormatInt(rd.ID, 10),
			Updated: rd.DecidedAt.UTC().Format(time.RFC3339), Link: atomLink{Href: page + "#budget-" + strconv.FormatInt(rd.ID, 10)},
			Content: atomText{Type: "text", Body: wb.t("disclosure.budget.summary", rd.Budget(), rd.Used(), strings.Join(names, "、"))}})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	return writePublic(w, r, "application/atom+xml; charset=utf-8", buf.Bytes(), d.Updated)
}
