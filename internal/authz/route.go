package authz

import (
	"context"
	"net/http"

	"gongzhi/internal/model"
)

type userKey struct{}

// WithUser returns ctx carrying the logged-in account (set by the session middleware).
func WithUser(ctx context.Context, u *model.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the logged-in account, or nil.
func UserFrom(ctx context.Context) *model.User {
	u, _ := ctx.Value(userKey{}).(*model.User)
	return u
}

// ScopeFrom returns the caller's scope; the zero Scope (sees nothing) when not logged in.
func ScopeFrom(ctx context.Context) Scope {
	if u := UserFrom(ctx); u != nil {
		return ForUser(u)
	}
	return Scope{}
}

// Route is one entry of a surface's route table: a ServeMux pattern, the action it takes, and
// the handler. A route cannot be registered without an action.
type Route struct {
	Pattern string
	Action  Action
	Handler http.Handler
	// SessionOnly: only a login session may take the route, never an API token (see
	// SessionRoute).
	SessionOnly bool
}

// Deny answers a request the policy refused: err is model.ErrUnauthenticated (not logged in)
// or model.ErrForbidden (logged in, role not allowed). Each surface supplies its own.
type Deny func(w http.ResponseWriter, r *http.Request, err error)

// Guard wraps the route's handler so that it runs only for callers whose role is allowed the
// route's action and, on a session-only route, who came with a login session: an API token
// there is refused with model.ErrForbidden.
func Guard(rt Route, deny Deny) http.Handler {
	a, h := rt.Action, rt.Handler
	if !Known(a) || a == Public && rt.SessionOnly {
		// A route naming an action missing from the policy table is denied to everyone, and so is
		// a public route that asks for a session (a contradiction).
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { deny(w, r, model.ErrForbidden) })
	}
	if a == Public {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := UserFrom(r.Context())
		switch {
		case u == nil:
			deny(w, r, model.ErrUnauthenticated)
		case !Allowed(u.Role, a):
			deny(w, r, model.ErrForbidden)
		case rt.SessionOnly && u.TokenID != 0:
			deny(w, r, model.ErrForbidden)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// Mount registers every route of table on mux behind Guard.
func Mount(mux *http.ServeMux, table []Route, deny Deny) {
	for _, rt := range table {
		mux.Handle(rt.Pattern, Guard(rt, deny))
	}
}

// NewRoute is a route table entry.
func NewRoute(pattern string, a Action, h http.Handler) Route {
	return Route{Pattern: pattern, Action: a, Handler: h}
}

// SessionRoute is a route table entry that only a login session may take, never an API token:
// managing tokens and changing the password. A leaked token then cannot mint tokens that outlive
// its revocation, nor lock the owner out by changing the password.
func SessionRoute(pattern string, a Action, h http.Handler) Route {
	return Route{Pattern: pattern, Action: a, Handler: h, SessionOnly: true}
}
