package model

import (
	"encoding/json"
	"time"
)

// Event is a live update for one account (issue 10): something the account is part of
// changed. Open pages receive it through GET /api/v1/events (Server-Sent Events) and refresh
// what shows its subject; it carries no more than a hint (kind, subject, a small JSON object),
// never personal data, since the page fetches what it shows through the usual checked routes.
type Event struct {
	ID        int64           `json:"-"`       // the stream's event id (the SSE id: field)
	UserID    int64           `json:"-"`       // the account it was written for; 0 for a path's event (EventInput.Path)
	Kind      string          `json:"kind"`    // "notification", "order.changed", …
	Subject   string          `json:"subject"` // what changed, e.g. "order:123"; "" for none
	Data      json.RawMessage `json:"data"`    // a small JSON object ({} for none)
	CreatedAt time.Time       `json:"created_at"`
}

// EventInput is an event to publish to every account in UserIDs (duplicates are sent once)
// and, when Path is set, to whoever follows a subtree holding that territory path (the
// dispatchers of the orders there: their follower reads it, nothing is written for each).
// Data is marshalled to JSON (nil: {}); keep it small and free of personal data.
type EventInput struct {
	UserIDs []int64
	Path    string
	Kind    string
	Subject string
	Data    any
}

// Event kinds the platform publishes itself; features add their own ("order.changed").
const (
	// EventNotification: an in-app notification (消息) arrived; Data {"id", "kind", "title", "link"}.
	EventNotification = "notification"
)
