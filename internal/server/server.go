// Package server assembles the HTTP server: the route tables of the JSON API and the pages
// behind the policy guard, the session middleware, metrics, health checks and the hardening
// every response gets.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gongzhi/internal/authz"
	"gongzhi/internal/store"
)

// Surface is one set of routes (the API, the pages) with its way of answering a denial.
type Surface interface {
	Routes() []authz.Route
	Deny(w http.ResponseWriter, r *http.Request, err error)
}

// Server serves gongzhi over HTTP.
type Server struct {
	st         *store.Store
	log        *slog.Logger
	handler    http.Handler
	mux        *http.ServeMux
	routes     []authz.Route
	metrics    *metrics
	requestIDs *requestIDs
	actions    map[string]authz.Action // route pattern → its action, for the audit of denials
	trusted    []netip.Prefix          // proxies whose X-Forwarded-For names the client
}

// New builds the handler: surfaces' routes behind the guard, plus /healthz, /readyz, /metrics.
// token reads a request's session token (bearer header or cookie).
func New(st *store.Store, log *slog.Logger, token func(*http.Request) string, surfaces ...Surface) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{st: st, log: log, mux: http.NewServeMux(), metrics: newMetrics(reg), requestIDs: newRequestIDs()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.actions = map[string]authz.Action{}
	for _, sf := range surfaces {
		for _, rt := range sf.Routes() {
			s.actions[rt.Pattern] = rt.Action
		}
		authz.Mount(s.mux, sf.Routes(), s.auditDeny(sf.Deny))
		s.routes = append(s.routes, sf.Routes()...)
	}
	// Middleware, outermost first: recover → metrics and log → security headers →
	// cross-origin protection → session → mux (→ guard → handler).
	var h http.Handler = s.mux
	h = s.session(h, token)
	h = crossOrigin(h)
	h = securityHeaders(h)
	h = s.observe(h)
	h = s.recoverPanics(h)
	s.handler = h
	return s
}

// TrustProxies makes the audit log take the client address from X-Forwarded-For when the peer
// lies in one of prefixes (a reverse proxy); without it the peer's address is recorded.
func (s *Server) TrustProxies(prefixes []netip.Prefix) { s.trusted = prefixes }

// Handler returns the whole handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns every registered route table entry (for the policy test and docs).
func (s *Server) Routes() []authz.Route { return s.routes }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.st.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readyz: database unreachable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unreachable\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// ListenAndServe serves on addr until ctx is cancelled, then shuts down gracefully, giving
// in-flight requests up to grace. ready, when not nil, receives the bound address.
func (s *Server) ListenAndServe(ctx context.Context, addr string, grace time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of large import files
		WriteTimeout:      5 * time.Minute, // exports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
