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

// Surface is one set of routes (the API, the pages) with its way of answering errors.
type Surface interface {
	Routes() []authz.Route
	// Deny answers a request stopped before its handler: refused by the guard
	// (model.ErrUnauthenticated, model.ErrForbidden) or by a middleware (model.ErrCrossSite,
	// model.ErrUnavailable, *http.MaxBytesError, or an internal error such as a recovered panic,
	// which Deny logs).
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
	metricsH   http.Handler            // /metrics, served on its own listener (ServeMetrics), never on the main one
	actions    map[string]authz.Action // route pattern → its action, for the audit of denials
	catchAll   map[string]Surface      // "/api/" and "/" → the surface that answers errors there
	trusted    []netip.Prefix          // proxies whose X-Forwarded-For names the client
	maxBody    int64                   // the largest request body any route accepts
	drains     []func()                // the surfaces' Drain, called when shutdown begins
}

// Drainer is a Surface with requests that do not end by themselves (event streams): Drain,
// called when the server begins to shut down, makes them end, so they do not hold the
// shutdown up for its whole grace.
type Drainer interface{ Drain() }

// DefaultMaxBody is the largest request body a server accepts unless told otherwise
// (LimitBody): the default upload limit of the import.
const DefaultMaxBody = 64 << 20

// New builds the handler: surfaces' routes behind the guard, plus /healthz and /readyz. /metrics
// is not among them: it answers without a login, so it has a listener of its own (ServeMetrics),
// and on the main listener the path is as unknown as any other.
// token reads a request's session token (bearer header or cookie).
func New(st *store.Store, log *slog.Logger, token func(*http.Request) string, surfaces ...Surface) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{st: st, log: log, mux: http.NewServeMux(), metrics: newMetrics(reg), requestIDs: newRequestIDs(),
		catchAll: map[string]Surface{}, maxBody: DefaultMaxBody}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	metricsMux := http.NewServeMux()
	metricsMux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.metricsH = securityHeaders(metricsMux)
	s.actions = map[string]authz.Action{}
	for _, sf := range surfaces {
		for _, rt := range sf.Routes() {
			s.actions[rt.Pattern] = rt.Action
			if rt.Pattern == "/" || rt.Pattern == "/api/" {
				s.catchAll[rt.Pattern] = sf
			}
		}
		authz.Mount(s.mux, sf.Routes(), s.auditDeny(sf.Deny))
		if d, ok := sf.(Drainer); ok {
			s.drains = append(s.drains, d.Drain)
		}
		s.routes = append(s.routes, sf.Routes()...)
	}
	// Middleware, outermost first: metrics and log → security headers → recover → body limit →
	// cross-origin protection → session → mux (→ guard → handler). A panic is recovered inside
	// the log and the metrics, which count it as the 500 it is answered with.
	var h http.Handler = s.mux
	h = s.session(h, token)
	h = s.crossOrigin(h)
	h = s.limitBody(h)
	h = s.recoverPanics(h)
	h = securityHeaders(h)
	h = s.observe(h)
	s.handler = h
	return s
}

// LimitBody sets the largest request body the server accepts on any route (DefaultMaxBody
// unless set); a larger one is answered 413.
func (s *Server) LimitBody(n int64) { s.maxBody = n }

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

// MetricsHandler serves GET /metrics (Prometheus text format) and 404 for every other path.
func (s *Server) MetricsHandler() http.Handler { return s.metricsH }

// ServeMetrics serves MetricsHandler on ln until ctx is cancelled, like ListenAndServe. It is
// a listener of its own because /metrics answers without a login: operators bind it to loopback
// or a monitoring network (--metrics-addr), never to the address the public reaches.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener, grace time.Duration) error {
	return s.serveOn(ctx, ln, s.metricsH, grace, nil, nil)
}

// ListenAndServe serves on addr until ctx is cancelled, then shuts down gracefully, giving
// in-flight requests up to grace. ready, when not nil, receives the bound address.
func (s *Server) ListenAndServe(ctx context.Context, addr string, grace time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.serveOn(ctx, ln, s.handler, grace, ready, s.Drain)
}

// Drain tells the surfaces that the server is shutting down (Drainer); ListenAndServe calls
// it when its shutdown begins, tests that serve Handler themselves call it before closing.
func (s *Server) Drain() {
	for _, d := range s.drains {
		d()
	}
}

// serveOn serves h on ln until ctx is cancelled, then shuts down gracefully within grace;
// onShutdown, when not nil, is called as the shutdown begins.
func (s *Server) serveOn(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, ready func(net.Addr), onShutdown func()) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of large import files
		WriteTimeout:      5 * time.Minute, // exports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if onShutdown != nil {
		srv.RegisterOnShutdown(onShutdown)
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
