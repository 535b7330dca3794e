// Package web serves gongzhi's pages: server-rendered HTML in Chinese, working without
// JavaScript, one layout for staff at a desk and for people on a phone.
package web

import (
	"log/slog"
	"net/http"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// Options configures the pages.
type Options struct {
	SiteName       string
	MaxUploadBytes int64
	Secure         bool // cookies get the Secure attribute (served over TLS)
}

// Web is the page surface.
type Web struct {
	st   *store.Store
	log  *slog.Logger
	opts Options
}

// New parses the templates once and returns the pages.
func New(st *store.Store, log *slog.Logger, opts Options) (*Web, error) {
	return &Web{st: st, log: log, opts: opts}, nil
}

// Routes is the pages' route table.
func (wb *Web) Routes() []authz.Route { return nil }

// Deny answers a refused page request: to the login page when not logged in, else a 403 page.
func (wb *Web) Deny(w http.ResponseWriter, r *http.Request, err error) {
	http.Error(w, "无权访问", http.StatusForbidden)
}
