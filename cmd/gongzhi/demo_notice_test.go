package main

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
	"gongzhi/internal/store"
)

// TestDemoNotices: after `gongzhi demo` (twice), the demo community has its notices once, one
// pinned, public ones on its disclosure page, read by part of their audience, and the resident
// account finds unread ones in its feed.
func TestDemoNotices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := mustDemoStore(t) // the demo run twice
	p, err := st.Notices(ctx, authz.System(), store.NoticeFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	pinned, public, read := 0, 0, 0
	for _, n := range p.Items {
		if n.Pinned {
			pinned++
		}
		if n.Public {
			public++
		}
		if n.Reads > 0 && n.Reads < n.Audience {
			read++
		}
	}
	if len(p.Items) != demo.NoticeCount() || pinned != 1 || public != 2 || read == 0 {
		t.Errorf("%d notices (%d pinned, %d public, %d read in part)", len(p.Items), pinned, public, read)
	}
	acc, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := st.Notices(ctx, authz.ForUser(acc), store.NoticeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	unread := 0
	for _, n := range mine.Items {
		if !n.Read {
			unread++
		}
	}
	if unread == 0 {
		t.Errorf("the resident's feed %d notices, none unread", len(mine.Items))
	}
	path := demoPublicPath(ctx, st)
	if path == "" {
		t.Fatal("no disclosure page for the demo community")
	}
	d, err := st.Disclosure(ctx, path[len("/p/"):])
	if err != nil || len(d.Notices) != 2 || len(d.Votes) == 0 {
		t.Errorf("the disclosure page: %d notices, %d votes, %v", len(d.Notices), len(d.Votes), err)
	}
}
