package model

import "time"

// Notification is an in-app message to one account (消息): the seam through which features
// tell people what concerns them (duty reminders now; other channels later reuse it).
type Notification struct {
	ID        int64      `json:"id,string"`
	Kind      string     `json:"kind"` // "duty.reminder", "duty.swap", …
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link,omitempty"` // a page path of this site
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// NotificationInput is a notification to send. Key, when set, makes it idempotent: a second
// notification with the same key to the same account is not sent.
type NotificationInput struct {
	UserID int64
	Kind   string
	Title  string
	Body   string
	Link   string
	Key    string
}

// OutboundMessage is a notification on its way out of the app (SMS, a WeChat template
// message): what an outbound channel receives. It names the recipient's account, never a
// phone number or ID number; a channel that needs the phone reads it through the store's
// one audited call (see docs/notifications.md).
type OutboundMessage struct {
	NotificationID int64
	UserID         int64 // the recipient's account
	Kind           string
	Title          string
	Body           string
	Link           string // a page path of this site
	CreatedAt      time.Time
}
