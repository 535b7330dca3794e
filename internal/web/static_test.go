package web_test

import (
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// installFields are the manifest's fields a phone's browser needs to install the site.
type installFields struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	ShortName       string `json:"short_name"`
	StartURL        string `json:"start_url"`
	Scope           string `json:"scope"`
	Display         string `json:"display"`
	ThemeColor      string `json:"theme_color"`
	BackgroundColor string `json:"background_color"`
	Lang            string `json:"lang"`
}

type manifest struct {
	installFields
	Icons []struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose"`
	} `json:"icons"`
}

// TestManifest fetches the manifest the layout links, checks what installing needs, and fetches
// and decodes every icon it names at the size it claims.
func TestManifest(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	c := f.anon(t)
	page := c.get("/login").want(t, http.StatusOK)
	u := attr(one(t, page.Doc, "link[rel=manifest]"), "href")
	if !regexp.MustCompile(`^/static/manifest\.[0-9a-f]{12}\.webmanifest$`).MatchString(u) {
		t.Fatalf("manifest URL %q is not a content-hashed static URL", u)
	}
	res := c.get(u).want(t, http.StatusOK)
	if got := res.Header.Get("Content-Type"); got != "application/manifest+json" {
		t.Errorf("manifest Content-Type = %q, want application/manifest+json", got)
	}
	var m manifest
	if err := json.Unmarshal([]byte(res.Body), &m); err != nil {
		t.Fatalf("manifest is not JSON: %v\n%s", err, res.Body)
	}
	want := installFields{ID: "/", Name: "共治", ShortName: "共治", StartURL: "/", Scope: "/", Display: "standalone",
		ThemeColor: "#c8161d", BackgroundColor: "#f4f5f7", Lang: "zh-Hans"}
	if m.installFields != want {
		t.Errorf("manifest = %+v, want %+v", m.installFields, want)
	}
	var sizes, maskable []string
	for _, ic := range m.Icons {
		if ic.Type != "image/png" {
			t.Errorf("icon %s: type %q, want image/png", ic.Src, ic.Type)
		}
		res := c.get(ic.Src).want(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "image/png" {
			t.Errorf("icon %s: Content-Type %q", ic.Src, ct)
		}
		img, err := png.Decode(strings.NewReader(res.Body))
		if err != nil {
			t.Errorf("icon %s: %v", ic.Src, err)
			continue
		}
		b := img.Bounds()
		if got := fmt.Sprintf("%dx%d", b.Dx(), b.Dy()); got != ic.Sizes {
			t.Errorf("icon %s is %s, manifest says %s", ic.Src, got, ic.Sizes)
		}
		switch ic.Purpose {
		case "any":
			sizes = append(sizes, ic.Sizes)
		case "maskable":
			maskable = append(maskable, ic.Sizes)
			// The platform cuts its own shape out of a maskable icon: no transparent corner.
			if _, _, _, a := img.At(0, 0).RGBA(); a != 0xffff {
				t.Errorf("maskable icon %s has a transparent corner", ic.Src)
			}
		default:
			t.Errorf("icon %s: purpose %q", ic.Src, ic.Purpose)
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []string{"192x192", "512x512"}) || len(maskable) == 0 {
		t.Errorf("icons: any %v, maskable %v; want 192x192 and 512x512, and a maskable one", sizes, maskable)
	}
	touch := attr(one(t, page.Doc, "link[rel=apple-touch-icon]"), "href")
	c.get(touch).want(t, http.StatusOK)
	var colors []string
	for _, n := range all(page.Doc, "meta[name=theme-color]") {
		colors = append(colors, attr(n, "content")+" "+attr(n, "media"))
	}
	if !slices.Contains(colors, "#c8161d (display-mode: standalone)") {
		t.Errorf("theme-color metas %q: the installed app should take the Party red", colors)
	}
}

// TestServiceWorker checks /sw.js: served from the root (so it controls every page), never
// cached stale, its shell fetchable, and the offline page it falls back to in Chinese and free
// of anything personal.
func TestServiceWorker(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	c := f.anon(t)
	res := c.get("/sw.js").want(t, http.StatusOK)
	if got := res.Header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache (a new version must reach phones)", got)
	}
	if !strings.HasPrefix(res.Body, "\"use strict\";\n") {
		t.Errorf("sw.js does not start strict:\n%s", excerpt(res.Body))
	}
	consts := regexp.MustCompile(`(?m)^const SHELL = (\[.*\]);\nconst OFFLINE = "(.*)";\nconst CACHE = "(gongzhi-[0-9a-f]{12})";$`).FindStringSubmatch(res.Body)
	if consts == nil {
		t.Fatalf("sw.js lacks its constants:\n%s", excerpt(res.Body))
	}
	var shell []string
	if err := json.Unmarshal([]byte(consts[1]), &shell); err != nil {
		t.Fatal(err)
	}
	page := c.get("/login").want(t, http.StatusOK)
	for _, sel := range []string{"link[rel=stylesheet]", "script[src^=/static/app.]", "link[rel=manifest]", "link[rel=icon]", "link[rel=apple-touch-icon]"} {
		n := one(t, page.Doc, sel)
		if u := attr(n, "href") + attr(n, "src"); !slices.Contains(shell, u) {
			t.Errorf("the shell lacks %s (%s)", u, sel)
		}
	}
	offline := consts[2]
	if !slices.Contains(shell, offline) {
		t.Errorf("the shell lacks the offline page %s", offline)
	}
	for _, u := range shell {
		if !strings.HasPrefix(u, "/static/") {
			t.Errorf("the shell holds %s: only static files may be cached", u)
		}
		c.get(u).want(t, http.StatusOK)
	}
	// The offline page: Chinese, styled by the cached stylesheet, a way to try again.
	op := c.get(offline).want(t, http.StatusOK)
	if got := op.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("offline page Content-Type = %q", got)
	}
	if h := text(one(t, op.Doc, "h1")); h != "网络已断开" {
		t.Errorf("offline page heading %q", h)
	}
	css := attr(one(t, op.Doc, "link[rel=stylesheet]"), "href")
	if !slices.Contains(shell, css) {
		t.Errorf("the offline page's stylesheet %s is not in the shell", css)
	}
	one(t, op.Doc, "a.btn-primary[href='']")
	// A browser that has this version gets 304.
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("sw.js has no ETag")
	}
	c.get("/sw.js", "If-None-Match", etag).want(t, http.StatusNotModified)
}

// TestServiceWorkerRegistered checks that app.js, the one script every page loads, registers
// the service worker at the root scope (pages carry no inline script).
func TestServiceWorkerRegistered(t *testing.T) {
	t.Parallel()
	f := mustFixture(t, storetest.Open(t, "sqlite"), web.Options{})
	c := f.anon(t)
	page := c.get("/login").want(t, http.StatusOK)
	js := c.get(attr(one(t, page.Doc, "script[src^=/static/app.]"), "src")).want(t, http.StatusOK)
	if !strings.Contains(js.Body, `navigator.serviceWorker.register("/sw.js", { scope: "/" })`) {
		t.Error("app.js does not register /sw.js at the root scope")
	}
}
