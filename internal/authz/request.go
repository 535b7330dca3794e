package authz

import "context"

// Request is what the audit log records about the HTTP request an action came from. The server
// middleware puts it in the context; commands run by the operator have none.
type Request struct {
	ID     string // the X-Request-Id of the response
	Source string // the client address: the peer, or X-Forwarded-For behind a trusted proxy
}

type requestKey struct{}

// WithRequest returns ctx carrying the request's audit metadata.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request metadata of ctx; the zero Request outside HTTP requests.
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}
