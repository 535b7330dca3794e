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
}

// Deny answers a request the policy refused: err is model.ErrUnauthenticated (not logged in)
// or model.ErrForbidden (logged in, role not allowed). Each surface supplies its own.
type Deny func(w http.ResponseWriter, r *http.Request, err error)

// Guard wraps h so that it runs only for callers whose role is allowed action.
func Guard(a Action, h http.Handler, deny Deny) http.Handler {
	if !Known(a) {
		// A route naming an action missing from the policy table is denied to everyone.
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
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// Mount registers every route of table on mux behind Guard.
func Mount(mux *http.ServeMux, table []Route, deny Deny) {
	for _, rt := range table {
		mux.Handle(rt.Pattern, Guard(rt.Action, rt.Handler, deny))
	}
}

// NewRoute is a route table entry.
func NewRoute(pattern string, a Action, h http.Handler) Route {
	return Route{Pattern: pattern, Action: a, Handler: h}
}
