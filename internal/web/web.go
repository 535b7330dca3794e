// Package web serves gongzhi's pages: server-rendered HTML in Chinese, working without
// JavaScript, one layout for staff at a desk and for people on a phone (CSS decides which).
//
// Every handler takes the caller's scope from the request context and hands it to the store,
// returns its error, and leaves the mapping of errors to pages to one function (fail). Text
// comes from the message catalog through the template func t; templates are parsed once, one
// set per page, and rendered to a buffer before anything is written.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/jobs"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Options configures the pages.
type Options struct {
	SiteName       string
	MaxUploadBytes int64
	Secure         bool // cookies get the Secure attribute (served over TLS)
	// Jobs is the queue this instance runs; nil: an unstarted queue of the pages' own (another
	// instance runs the jobs).
	Jobs *jobs.Queue
}

// maxFormBytes bounds the body of every form that is not a file upload.
const maxFormBytes = 1 << 20

// Web is the page surface.
type Web struct {
	st     *store.Store
	log    *slog.Logger
	opts   Options
	msg    catalog
	assets *assets
	pages  map[string]*pageTemplate
	nav    *navCache
	jobs   webJobs
}

// New returns the pages. The templates and the message catalog are parsed once per process (see
// shared); New fails when a template does not parse or uses a message key the catalog lacks.
func New(st *store.Store, log *slog.Logger, opts Options) (*Web, error) {
	return newWeb(st, log, opts, true)
}

// newWeb is New; fold false renders every action of the templates per request, the
// navigation included (the test that folding changes no page compares against it).
func newWeb(st *store.Store, log *slog.Logger, opts Options, fold bool) (*Web, error) {
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = 64 << 20
	}
	sh, err := sharedParts[fold]()
	if err != nil {
		return nil, err
	}
	if opts.SiteName == "" {
		opts.SiteName = sh.msg.text("site.name")
	}
	wb := &Web{st: st, log: log, opts: opts, msg: sh.msg, assets: sh.assets, pages: sh.pages, nav: sh.nav}
	return wb, nil
}

// shared is what every Web of the process has in common, made from the embedded files alone:
// the catalog, the parsed (and, with fold, escaped and folded) pages, the navigation and the
// hashed static files. None of it changes after it is made, so the Webs of one process (the
// instances of a test binary, each with a store of its own) share one copy: the parsed pages
// keep some 15 MB of the heap (addShared), and parsing them takes a fifth of a second.
type shared struct {
	msg    catalog
	pages  map[string]*pageTemplate
	nav    *navCache
	assets *assets
}

// sharedParts makes shared once per fold setting (index: fold).
var sharedParts = map[bool]func() (*shared, error){
	false: sync.OnceValues(func() (*shared, error) { return parseShared(false) }),
	true:  sync.OnceValues(func() (*shared, error) { return parseShared(true) }),
}

func parseShared(fold bool) (*shared, error) {
	msg, err := loadCatalog(messageFS, "zh-Hans")
	if err != nil {
		return nil, err
	}
	sh := &shared{msg: msg}
	if sh.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if sh.pages, err = parsePages(msg, fold); err != nil {
		return nil, err
	}
	if sh.nav, err = newNavCache(templateFuncs(msg), fold); err != nil {
		return nil, err
	}
	return sh, nil
}

// handlerFunc is a page handler that returns its error to the one place that maps errors.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// h adapts f to http.Handler, answering f's error with fail.
func (wb *Web) h(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			wb.fail(w, r, err)
		}
	})
}

// Deny answers a refused page request: to the login page when not logged in, else a 403 page.
func (wb *Web) Deny(w http.ResponseWriter, r *http.Request, err error) { wb.fail(w, r, err) }

// fail maps an error to a response: the login page for model.ErrUnauthenticated, a Chinese
// error page in the layout for the rest. Only unexpected errors are logged, once, here.
func (wb *Web) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		ve  *model.ValidationError
		ce  *model.ConflictError
		fe  *model.ForbiddenError
		mbe *http.MaxBytesError
		rl  *model.RateLimitError
	)
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())))
		wb.errorPage(w, r, http.StatusTooManyRequests, rl.Message)
	case errors.Is(err, model.ErrUnauthenticated):
		wb.toLogin(w, r)
	case errors.As(err, &fe):
		wb.errorPage(w, r, http.StatusForbidden, fe.Message)
	case errors.Is(err, model.ErrForbidden):
		wb.errorPage(w, r, http.StatusForbidden, "")
	case errors.Is(err, model.ErrCrossSite):
		wb.errorPage(w, r, http.StatusForbidden, wb.t("error.cross_site"))
	case errors.Is(err, model.ErrUnavailable):
		wb.errorPage(w, r, http.StatusServiceUnavailable, "")
	case errors.Is(err, model.ErrNotFound):
		wb.errorPage(w, r, http.StatusNotFound, "")
	case errors.As(err, &mbe):
		wb.errorPage(w, r, http.StatusRequestEntityTooLarge, "")
	case errors.As(err, &ve):
		msgs := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			msgs[i] = f.Message
		}
		wb.errorPage(w, r, http.StatusBadRequest, strings.Join(msgs, "；"))
	case errors.As(err, &ce):
		wb.errorPage(w, r, http.StatusConflict, ce.Message)
	case errors.Is(err, context.Canceled):
		// The client went away; nobody is left to answer.
	default:
		wb.log.ErrorContext(r.Context(), "page", "method", r.Method, "path", r.URL.Path, "err", err)
		wb.errorPage(w, r, http.StatusInternalServerError, "")
	}
}

// toLogin sends an anonymous caller to the login page, remembering where they were going when
// that was a page they can come back to with GET.
func (wb *Web) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	next := ""
	switch {
	case isHTMX(r):
		if u, err := url.Parse(r.Header.Get(hxCurrentURL)); err == nil {
			next = u.RequestURI()
		}
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		next = r.URL.RequestURI()
	}
	if next = safeNext(next); next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	if isHTMX(r) {
		// A redirect would be followed inside the XHR and swap the login page into a table.
		hxRedirect(w, target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a local path on this site, else "/". It refuses
// scheme-relative ("//evil") and backslash tricks browsers normalize into them.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// scope is the caller's scope, the only one a handler hands to the store.
func scope(r *http.Request) authz.Scope { return authz.ScopeFrom(r.Context()) }
