package web_test

import (
	"net/http"
	"testing"

	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestLivePages: the home page and the 消息 page follow live updates (the body names the event
// stream, app.js opens it), the 消息 list reloads itself on a notification, both navigations
// carry the hidden unread badge; a page that does not ask opens no stream.
func TestLivePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		c := f.as(t, "comadmin")
		for _, p := range []string{"/", "/messages"} {
			doc := c.get(p).want(t, http.StatusOK).Doc
			one(t, doc, `body[data-live="/api/v1/events"]`)
			for _, sel := range []string{`.tabbar a[href="/messages"] [data-unread-badge]`, `.account-messages [data-unread-badge]`} {
				if b := one(t, doc, sel); !hasAttr(b, "hidden") {
					t.Errorf("%s: %s is shown before any notification arrived", p, sel)
				}
			}
		}
		doc := c.get("/messages").Doc
		one(t, doc, `#messages-live[data-live-kind="notification"][hx-get="/messages"][hx-trigger="live"][hx-select="#messages-live"]`)
		if n := all(c.get("/me").want(t, http.StatusOK).Doc, "body[data-live]"); len(n) != 0 {
			t.Error("/me follows live updates; it shows nothing that changes")
		}
	})
}
