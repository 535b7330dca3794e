package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The templates, one folder per area: templates/layout.html and every file of
// templates/partials/ are shared; every other file is one page, named by its path without
// the extension ("households/list" is templates/households/list.html). Each page is parsed
// into a template set of its own together with the shared files, so pages can define the
// same block names ("content", "table") without colliding.
//
//go:embed templates
var templateFS embed.FS

// pageTemplate is one page's template set.
type pageTemplate struct {
	*template.Template
}

// msgKeyRE finds the literal message keys in templates, for the start-up check: those of
// {{t "key" …}}, the label of {{input .Form "name" "key" …}} and its "hint=key" option.
var msgKeyRE = regexp.MustCompile(`\bt\s+"([^"]+)"|\binput\s+\S+\s+"[^"]+"\s+"([^"]+)"|"hint=([^"]+)"`)

// parsePages parses every page once and checks that every literal message key exists. With
// fold, it escapes each page's entry blocks and renders its constant actions once
// (escapeAndFold): most of a page's catalog texts and icons, which otherwise cost a reflected
// function call and an escaper call each per request.
func parsePages(msg catalog, fold bool) (map[string]*pageTemplate, error) {
	if err := checkKeys(msg); err != nil {
		return nil, err
	}
	shared := []string{"templates/layout.html"}
	partials, err := fs.Glob(templateFS, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	shared = append(shared, partials...)
	var names []string
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p == "templates/partials":
			return fs.SkipDir
		case d.IsDir() || path.Ext(p) != ".html" || p == "templates/layout.html":
			return nil
		}
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html"))
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := templateFuncs(msg)
	// The shared files are parsed once; each page's set gets a copy of only the shared
	// templates it can execute (addShared).
	common, err := template.New("shared").Funcs(funcs).ParseFS(templateFS, shared...)
	if err != nil {
		return nil, fmt.Errorf("shared templates: %w", err)
	}
	pages := make(map[string]*pageTemplate, len(names))
	for _, name := range names {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if err := addShared(t, common); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("template %s: no content block", name)
		}
		if fold {
			if err := escapeAndFold(t, funcs); err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
		}
		pages[name] = &pageTemplate{t}
	}
	return pages, nil
}

// addShared adds to a page's set t a copy of each shared template (layout.html, the partials)
// that an entry block or a template of the page calls, and of those they call, unless the
// page defines one of that name itself. A set holds nothing it cannot execute: with every
// shared file in every page's set (the navigation's templates, which navCache renders on its
// own, and all the partials), the parsed pages were most of a server's live heap, and the
// garbage collector marks all of it at every cycle.
func addShared(t *template.Template, common *template.Template) error {
	var queue []string
	for _, x := range t.Templates() {
		if x.Tree != nil {
			queue = calledTemplates(queue, x.Tree.Root)
		}
	}
	queue = append(queue, entryBlocks...)
	for len(queue) > 0 {
		name := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if t.Lookup(name) != nil {
			continue
		}
		src := common.Lookup(name)
		if src == nil || src.Tree == nil {
			continue // escaping reports a call of a template nobody defines
		}
		if _, err := t.AddParseTree(name, src.Tree.Copy()); err != nil {
			return err
		}
		queue = calledTemplates(queue, src.Tree.Root)
	}
	return nil
}

// calledTemplates appends to names the templates that {{template}} actions in n, and in the
// lists below it, call.
func calledTemplates(names []string, n parse.Node) []string {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				names = calledTemplates(names, c)
			}
		}
	case *parse.TemplateNode:
		names = append(names, n.Name)
	case *parse.IfNode:
		names = calledTemplates(calledTemplates(names, n.List), n.ElseList)
	case *parse.RangeNode:
		names = calledTemplates(calledTemplates(names, n.List), n.ElseList)
	case *parse.WithNode:
		names = calledTemplates(calledTemplates(names, n.List), n.ElseList)
	}
	return names
}

// checkKeys fails when a template names a message key the catalog does not have.
func checkKeys(msg catalog) error {
	var missing []string
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range msgKeyRE.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2] + m[3]
			if !msg.has(key) {
				missing = append(missing, p+": "+key)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("message keys missing from the catalog: %s", strings.Join(missing, ", "))
	}
	return nil
}

// templateFuncs are the functions every template may call.
func templateFuncs(msg catalog) template.FuncMap {
	return template.FuncMap{
		// t is the message catalog: {{t "households.total" .Total}}.
		"t": msg.text,
		// label is an enum's name from the catalog: {{label "kind" .Kind}} → "社区/村".
		"label": func(group string, v any) string { return msg.text(group + "." + fmt.Sprint(v)) },
		// relation is a relation's Chinese word, given its id (or, from an old record, the word).
		"relation": func(s string) string {
			if l := model.Relation(s).Normalized().Label(); l != "" {
				return l
			}
			return s
		},
		"num": formatNum,
		"date": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				if !t.IsZero() {
					return t.In(model.Shanghai).Format(time.DateOnly)
				}
			case *time.Time:
				if t != nil {
					return t.In(model.Shanghai).Format(time.DateOnly)
				}
			}
			return ""
		},
		"datetime": func(t time.Time) string { return t.In(model.Shanghai).Format("2006-01-02 15:04") },
		// birthDate is a calendar date stored as midnight UTC: no zone conversion.
		"birthDate": func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"age":       func(r *model.Resident) int { return r.Age(time.Now().In(model.Shanghai)) },
		"icon":      icon,
		"input":     inputFunc(msg),
		"link":      link,
		"id":        func(id int64) string { return strconv.FormatInt(id, 10) },
		// yuan shows an amount of fen as yuan with two decimals (money is integer fen).
		"yuan": model.FormatYuan,
		// percent shows a share (0–1) as a percentage with one decimal.
		"percent": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
		// emptyState is a fixed empty state: {{template "empty" (emptyState "map" (t "x.empty")
		// (t "x.empty.next") (t "x.action") "/x")}}; the strings after the title are the text,
		// then the label and URL of each action.
		"emptyState": emptyState,
	}
}

// formatNum writes an integer with thousands separators: 12,345.
// FormatNum writes n with thousands separators, as the pages' num does (the benchmark's bare
// pages use it).
func FormatNum(n int64) string { return formatNum(n) }

func formatNum(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// link builds a local URL from a path and name/value pairs, leaving out empty values and
// zero ids: {{link "/households" "territory" .ID "q" .Q}}.
func link(p string, kv ...any) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		var v string
		switch x := kv[i+1].(type) {
		case int64:
			if x != 0 {
				v = strconv.FormatInt(x, 10)
			}
		case int:
			if x != 0 {
				v = strconv.Itoa(x)
			}
		case bool:
			if x {
				v = "1"
			}
		default:
			v = fmt.Sprint(x)
		}
		if v != "" {
			q.Set(fmt.Sprint(kv[i]), v)
		}
	}
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// Crumb is one step of the territory breadcrumb.
type Crumb struct {
	Name string
	URL  string
}

// Page is what the layout needs; every page's data embeds it.
type Page struct {
	Title  string // the page's own title, already translated
	Site   string
	User   *model.User
	CSS    string // hashed static URLs
	JS     string
	HTMX   string // "" when the build did not include htmx
	Icon   string
	Nav    string // active navigation item
	Menus  menus  // the navigation for the user's role and Nav (navCache)
	Crumbs []Crumb
	Notice string // confirmation after a redirect (?done=…)
	Failed *Form  // the form whose errors the summary at the top lists
	Bare   bool   // the page places notice and error summary itself (login)
	// Live: the page follows the user's live updates (GET /api/v1/events, app.js): the 消息
	// badge counts notifications as they arrive, and elements that name a subject
	// (data-live-subject) or a kind (data-live-kind) refresh themselves. Only pages that
	// show something that changes under the user's eyes set it: each open one holds a
	// connection.
	Live bool

	// Manifest and TouchIcon make the site installable on a phone's home screen.
	Manifest, TouchIcon string
}

// Can reports whether the user's role may take action a: {{if .Can "household.write"}}.
func (p Page) Can(a authz.Action) bool { return p.User != nil && authz.Allowed(p.User.Role, a) }

// HeadTitle is the document title; it starts with 错误 when a form failed, so screen reader
// users hear it first.
func (p Page) HeadTitle() string {
	t := p.Site
	if p.Title != "" {
		t = p.Title + " - " + p.Site
	}
	if p.Failed != nil && p.Failed.Invalid() {
		t = "错误：" + t
	}
	return t
}

// base fills the layout's part of a page for r.
func (wb *Web) base(r *http.Request, title, nav string) Page {
	p := Page{
		Title: title,
		Site:  wb.opts.SiteName,
		User:  authz.UserFrom(r.Context()),
		CSS:   wb.assets.URL("app.css"),
		JS:    wb.assets.URL("app.js"),
		HTMX:  wb.assets.URL(htmxFile),
		Icon:  wb.assets.URL("icon.svg"),
		Nav:   nav,
	}
	if p.User != nil {
		p.Menus = wb.nav.get(p.User.Role, nav)
	}
	p.Manifest = wb.assets.URL("manifest.webmanifest")
	// iOS puts its own rounded mask on a home-screen icon, so it gets the full-bleed one.
	p.TouchIcon = wb.assets.URL("icon-maskable-512.png")
	if done := r.URL.Query().Get("done"); done != "" && wb.msg.has("done."+done) {
		p.Notice = wb.msg.text("done." + done)
	}
	return p
}

// t is the catalog text for Go code that builds page data.
func (wb *Web) t(key string, args ...any) string { return wb.msg.text(key, args...) }

// render writes the whole page name with status.
func (wb *Web) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	return wb.renderBlock(w, status, name, "layout", data)
}

// renderBlock executes block of page name into a buffer first, so a template error becomes
// a 500 page instead of half a page. Pages are personal: nobody may cache them.
func (wb *Web) renderBlock(w http.ResponseWriter, status int, name, block string, data any) error {
	t, ok := wb.pages[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	if !slices.Contains(entryBlocks, block) {
		return fmt.Errorf("render %s/%s: not an entry block (entryBlocks)", name, block)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", name, block, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// renderList writes a list page, or only its "results" block when htmx asks for it.
func (wb *Web) renderList(w http.ResponseWriter, r *http.Request, name string, data any) error {
	varyHTMX(w)
	if htmxTarget(r) == "results" {
		return wb.renderBlock(w, http.StatusOK, name, "results", data)
	}
	return wb.render(w, r, http.StatusOK, name, data)
}

// redirect answers a successful POST: see the result with GET (303), with a confirmation.
func redirect(w http.ResponseWriter, r *http.Request, to, done string) {
	to = withDone(to, done)
	http.Redirect(w, r, to, http.StatusSeeOther) // #nosec G710 -- to is a local path built by the handlers, never from the request
}

// withDone adds done to the query of the local URL to, before its fragment: a query after the
// '#' would be part of the fragment, and the page would show no notice.
func withDone(to, done string) string {
	if done == "" {
		return to
	}
	path, frag, hasFrag := strings.Cut(to, "#")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	path += sep + "done=" + url.QueryEscape(done)
	if hasFrag {
		path += "#" + frag
	}
	return path
}

// errorData is the error page.
type errorData struct {
	Page
	Code   int
	Detail string
}

// errorPage renders the Chinese error page for status in the layout; detail is client-safe.
func (wb *Web) errorPage(w http.ResponseWriter, r *http.Request, status int, detail string) {
	d := &errorData{Page: wb.base(r, wb.t(fmt.Sprintf("error.%d.title", status)), ""), Code: status, Detail: detail}
	if !wb.msg.has(fmt.Sprintf("error.%d.title", status)) {
		d.Title = http.StatusText(status)
	}
	if isHTMX(r) {
		hxWholeMain(w)
	}
	if err := wb.render(w, r, status, "errors/error", d); err != nil {
		wb.log.ErrorContext(r.Context(), "render error page", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// pathID reads the {id} of the route; a malformed id is a page that does not exist.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, model.ErrNotFound
	}
	return id, nil
}

// entryForm reads the posted form of a catalogue entry's route that both creates (no {id}: id
// 0, the form named create) and changes (…/{id}: the form named prefix and the id), with fields.
func entryForm(w http.ResponseWriter, r *http.Request, create, prefix string, fields ...string) (int64, *Form, error) {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r); err != nil {
			return 0, nil, err
		}
	}
	if err := parseForm(w, r); err != nil {
		return 0, nil, err
	}
	name := create
	if id != 0 {
		name = prefix + strconv.FormatInt(id, 10)
	}
	return id, newForm(name, r.PostForm, fields...), nil
}

// queryID reads an optional id query parameter; absent is 0, malformed is not found.
func queryID(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, model.ErrNotFound
	}
	return id, nil
}
