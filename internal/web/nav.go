package web

import (
	"bytes"
	"fmt"
	"html/template"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The navigation, the side navigation at a desk and the tab bar on a phone, is the largest part
// of the layout and depends on nothing but the user's role and the page's navigation item: a
// permission check and a comparison per entry. navCache renders it once per role and item and
// every page of that pair reuses the text.

// navKey is what the navigation depends on, and all its templates see.
type navKey struct {
	Role model.Role
	Nav  string // the page's navigation item
}

// Can reports whether the role may take action a: {{if .Can "household.write"}}.
func (k navKey) Can(a authz.Action) bool { return authz.Allowed(k.Role, a) }

// Tab is the phone tab bar's active tab for the page's navigation item: the working pages
// all live under 办事, one's own background jobs under 我的.
func (k navKey) Tab() string {
	switch k.Nav {
	case "home", "messages", "me":
		return k.Nav
	case "jobs": // one's own background jobs live under 我的
		return "me"
	case "":
		return ""
	}
	return "services"
}

// menus is the rendered navigation the layout places: {{.Menus.Side}}, {{.Menus.Tabs}}.
type menus struct {
	Side, Tabs template.HTML
}

// navCache renders the "sidenav" and "tabbar" templates of layout.html once per navKey. The
// keys are bounded: the roles times the navigation items the handlers name.
type navCache struct {
	t    *template.Template
	keep bool     // false: render per request (the test that compares against the cache)
	m    sync.Map // navKey → menus
}

// newNavCache parses the navigation templates and renders them for every role, so that a
// template error stops the start instead of a page.
func newNavCache(funcs template.FuncMap, keep bool) (*navCache, error) {
	t, err := template.New("nav").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	c := &navCache{t: t, keep: keep}
	for _, r := range model.Roles {
		if _, err := c.render(navKey{Role: r}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// get returns the navigation for role on a page of item nav. It panics if it cannot render,
// which newNavCache has ruled out for every role (the item only selects the current entry).
func (c *navCache) get(role model.Role, nav string) menus {
	k := navKey{Role: role, Nav: nav}
	if m, ok := c.m.Load(k); ok {
		return m.(menus)
	}
	m, err := c.render(k)
	if err != nil {
		panic(err)
	}
	if c.keep {
		c.m.Store(k, m)
	}
	return m
}

func (c *navCache) render(k navKey) (menus, error) {
	var side, tabs bytes.Buffer
	if err := c.t.ExecuteTemplate(&side, "sidenav", k); err != nil {
		return menus{}, fmt.Errorf("navigation for %s: %w", k.Role, err)
	}
	if err := c.t.ExecuteTemplate(&tabs, "tabbar", k); err != nil {
		return menus{}, fmt.Errorf("navigation for %s: %w", k.Role, err)
	}
	// #nosec G203 -- the output of html/template, escaped as it rendered
	return menus{Side: template.HTML(side.String()), Tabs: template.HTML(tabs.String())}, nil
}

// Chrome is what the layout takes from the build and the role rather than from the request:
// the hashed static URLs and the rendered navigation. The benchmark's bare household page
// (internal/bench) prints it, so that its page stays the full stack's byte for byte when the
// stylesheet or the navigation changes, without a catalog or a permission check per request.
type Chrome struct {
	CSS, JS, HTMX, Icon, Manifest, TouchIcon string
	Side, Tabs                               template.HTML
}

// Chrome returns the layout's static part for a user of role on a page of navigation item nav.
func (wb *Web) Chrome(role model.Role, nav string) Chrome {
	m := wb.nav.get(role, nav)
	return Chrome{CSS: wb.assets.URL("app.css"), JS: wb.assets.URL("app.js"), HTMX: wb.assets.URL(htmxFile), Icon: wb.assets.URL("icon.svg"),
		Manifest: wb.assets.URL("manifest.webmanifest"), TouchIcon: wb.assets.URL("icon-maskable-512.png"), Side: m.Side, Tabs: m.Tabs}
}
