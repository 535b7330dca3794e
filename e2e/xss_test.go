package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// xssPayloads is the corpus: each tries to become markup, an attribute or script, and each
// carries the marker __x inside the markup it would create (an attribute of its outer tag or
// its script text), so the DOM check below finds it if it does; scripts set window.__x.
var xssPayloads = []string{
	`<script>__x=1</script>`,
	`<ScRiPt>__x=1</sCrIpT>`,
	`<script src=data:,__x=1></script>`,
	`<scr<script>ipt>__x=1</script>`,
	`</title><script>__x=1</script>`,
	`</textarea><script>__x=1</script>`,
	`</script><script>__x=1</script>`,
	`<img src=x onerror=__x=1>`,
	`<img src=x:x onerror=__x=1//`,
	"<img src=`x` onerror=__x=1>",
	`<img srcset=",,x" onerror=__x=1>`,
	`"><img src=x onerror=__x=1>`,
	`'><img src=x onerror=__x=1>`,
	`" onmouseover="__x=1" x="`,
	`' onfocus='__x=1' autofocus='`,
	`"onfocus="__x=1"autofocus="`,
	`<svg onload=__x=1>`,
	`<svg><script>__x=1</script></svg>`,
	`<svg><animate onbegin=__x=1 attributeName=x dur=1s>`,
	`<svg><a xlink:href="javascript:__x=1"><text>x</text></a>`,
	`<math><mtext><img src=x onerror=__x=1>`,
	`<body onload=__x=1>`,
	`<input autofocus onfocus=__x=1>`,
	`<details open ontoggle=__x=1>`,
	`<marquee onstart=__x=1>`,
	`<video><source onerror=__x=1>`,
	`<audio src=x onerror=__x=1>`,
	`<iframe srcdoc="<script>parent.__x=1</script>">`,
	`<iframe src="javascript:parent.__x=1">`,
	`<object data="javascript:__x=1">`,
	`<embed src="javascript:__x=1">`,
	`<a href="javascript:__x=1">点我</a>`,
	`<a href=" javascript:__x=1">点我</a>`,
	`<a href="jav&#x09;ascript:__x=1">点我</a>`,
	`javascript:__x=1`,
	`<form action="javascript:__x=1"><button>提交</button></form>`,
	`<base href="//evil.example/__x/">`,
	`<meta http-equiv="refresh" content="0;url=javascript:__x=1">`,
	`<link rel=stylesheet href="javascript:__x=1">`,
	`<style>*{background:url("javascript:__x=1")}</style>`,
	`<div style="width:expression(__x=1)">`,
	`<div style="background:url('javascript:__x=1')">`,
	`<x onclick=__x=1>点</x>`,
	`<div hx-get="/logout?__x" hx-trigger="load">`,
	`<div hx-post="/logout?__x" hx-trigger="load" hx-swap="outerHTML">`,
	`<div hx-on:htmx:load="__x=1">`,
	`<div hx-on::load="__x=1">`,
	`<div data-hx-on--load="__x=1" data-hx-get="/?__x" data-hx-trigger="load">`,
	`<button hx-delete="/api/v1/residents/1?__x" hx-trigger="load">`,
	`<template id="__x"><img src=x onerror=__x=1></template>`,
	`<noscript><p title="</noscript><img src=x onerror=__x=1>">`,
	`<!--<img src=x onerror=__x=1>-->`,
	`<![CDATA[<script>__x=1</script>]]>`,
	"\u202e<script>__x=1</script>",
	`＜script＞__x=1＜/script＞`,
	`\u003cscript\u003e__x=1\u003c/script\u003e`,
	`%3Cscript%3E__x=1%3C/script%3E`,
	`&lt;script&gt;__x=1&lt;/script&gt;`,
	"${__x=1}",
	"`;__x=1;`",
	`{{constructor.constructor('__x=1')()}}`,
	`';__x=1;//`,
	`";__x=1;//`,
	`<isindex action="javascript:__x=1" type=image>`,
	`<table background="javascript:__x=1">`,
}

func runesAtMost(n int) func(string) bool {
	return func(v string) bool { return utf8.RuneCountInString(v) <= n && !strings.ContainsAny(v, "\x00\r\n\t") }
}

// TestXSSPayloadsStayText stores every payload in every user-writable field that accepts it
// (territory names, household addresses, resident names and occupations, account display names,
// correction requests), opens every page that shows them in headless Chromium, and checks after
// load that no payload became an element, an attribute or a script: window.__x stays undefined
// and no element carries the marker outside a value that is the payload itself (an input's
// value, a title holding the text).
func TestXSSPayloadsStayText(t *testing.T) {
	t.Parallel()
	if len(xssPayloads) < 50 {
		t.Fatalf("corpus has %d payloads, want at least 50", len(xssPayloads))
	}
	a := mustApp(t)
	ctx := context.Background()
	sys := authz.System()
	mk := func(parent int64, kind model.TerritoryKind, name string) *model.Territory {
		t.Helper()
		n, err := a.st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent, Kind: kind, Name: name})
		if err != nil {
			t.Fatalf("create %s %q: %v", kind, name, err)
		}
		return n
	}
	district := mk(0, model.KindDistrict, "江油市")
	street := mk(district.ID, model.KindStreet, "中坝街道")
	community := mk(street.ID, model.KindCommunity, "天宝社区")
	grid := mk(community.ID, model.KindGrid, "第一网格")
	const password = "xss proof passphrase 2026"
	secret := authz.NewTOTPSecret()
	admin, err := a.st.CreateUser(ctx, sys, store.UserInput{Username: "xss_admin", DisplayName: "李书记", Password: password,
		Role: model.RoleCommunityAdmin, ScopeID: community.ID, TOTPSecret: secret})
	if err != nil {
		t.Fatal(err)
	}

	fields := map[string]int{} // field → payloads stored in it
	type stored struct {
		payload         string
		node, household int64
		resident        int64
	}
	var rows []stored
	for i, p := range xssPayloads {
		v := strings.TrimSpace(p)
		s := stored{payload: v}
		name := fmt.Sprintf("楼%d", i)
		if runesAtMost(64)(v) {
			name = v
			fields["territory.name"]++
		}
		b := mk(grid.ID, model.KindBuilding, name)
		s.node = b.ID
		addr := fmt.Sprintf("%d室", i)
		if runesAtMost(128)(v) {
			addr = v
			fields["household.address"]++
		}
		h, err := a.st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: b.ID, Address: addr})
		if err != nil {
			t.Fatalf("household %q: %v", addr, err)
		}
		s.household = h.ID
		in := model.ResidentInput{HouseholdID: h.ID, Name: fmt.Sprintf("居民%d", i), Relation: model.RelationHead,
			IDNumber: xssID(i), Occupation: ""}
		if in2 := (model.ResidentInput{Name: v, IDNumber: in.IDNumber, Relation: in.Relation}); in2.Validate(time.Now()) == nil {
			in.Name = v
			fields["resident.name"]++
		}
		if runesAtMost(64)(v) {
			in.Occupation = v
			fields["resident.occupation"]++
		}
		r, err := a.st.CreateResident(ctx, sys, in)
		if err != nil {
			t.Fatalf("resident %q: %v", v, err)
		}
		s.resident = r.ID
		if len(v) <= 128 && !strings.ContainsAny(v, "\x00\r\n") {
			if _, err := a.st.CreateUser(ctx, sys, store.UserInput{Username: fmt.Sprintf("xss%d", i), DisplayName: v,
				Password: password, Role: model.RoleGridLeader, ScopeID: grid.ID, TOTPSecret: authz.NewTOTPSecret()}); err == nil {
				fields["user.display_name"]++
			}
		}
		rows = append(rows, s)
	}

	// Correction requests: one resident account linked to the first resident files a request per
	// payload (the reason) and staff reject each (the note), so the field is free for the next.
	subject, err := a.st.CreateUser(ctx, sys, store.UserInput{Username: "xss_subject", DisplayName: "居民", Password: password,
		Role: model.RoleResident, ScopeID: grid.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.LinkResident(ctx, sys, subject.ID, rows[0].resident); err != nil {
		t.Fatal(err)
	}
	var corrections []int64
	for i, s := range rows {
		in := model.CorrectionInput{Field: model.CorrectOccupation, Value: fmt.Sprintf("职业%d", i), Reason: s.payload}
		if in.Validate() != nil {
			in.Reason = fmt.Sprintf("理由%d", i)
		} else {
			fields["correction.reason"]++
		}
		c, err := a.st.CreateCorrection(ctx, subject.ID, in)
		if err != nil {
			t.Fatalf("correction %d: %v", i, err)
		}
		note := s.payload
		if model.CheckCorrectionNote(note, true) != nil {
			note = fmt.Sprintf("说明%d", i)
		} else {
			fields["correction.note"]++
		}
		if _, err := a.st.RejectCorrection(ctx, sys, c.ID, note); err != nil {
			t.Fatalf("reject correction %d: %v", i, err)
		}
		corrections = append(corrections, c.ID)
	}

	// Log in as the community admin through the real login (password, then the code).
	token := apiLogin(t, a, admin.Username, password, secret)
	u, _ := url.Parse(a.url)
	// browser starts a tab logged in as the admin; a tab lives 45 s, so pages go in batches.
	browser := func() context.Context {
		bctx := mustBrowser(t, Desktop)
		if err := chromedp.Do(bctx, chromedp.Navigate(a.url+"/login")); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(bctx, network.SetCookie, network.SetCookieParams{Name: api.SessionCookie, Value: token,
			Domain: u.Hostname(), Path: "/"}); err != nil {
			t.Fatal(err)
		}
		return bctx
	}

	pages := []string{"/", "/territories", fmt.Sprintf("/territories/%d", grid.ID),
		fmt.Sprintf("/households?territory=%d", grid.ID), fmt.Sprintf("/households?territory=%d&cursor=", grid.ID),
		fmt.Sprintf("/residents?territory=%d", grid.ID), "/users", "/corrections", "/corrections?status=rejected", "/audit"}
	for i, id := range corrections {
		if i%3 == 0 {
			pages = append(pages, fmt.Sprintf("/corrections/%d", id))
		}
	}
	for i, s := range rows {
		// Every payload on its household and node pages; the forms, the revealed page and the
		// search results (which echo the payload into the filter box) for every fifth.
		pages = append(pages, fmt.Sprintf("/territories/%d", s.node), fmt.Sprintf("/households/%d", s.household))
		if i%5 == 0 {
			pages = append(pages, fmt.Sprintf("/households/%d?reveal=1", s.household), fmt.Sprintf("/households/%d/move-out", s.household),
				fmt.Sprintf("/households/%d/residents/new", s.household), fmt.Sprintf("/territories/%d/archive", s.node),
				fmt.Sprintf("/households?q=%s", url.QueryEscape(s.payload)), fmt.Sprintf("/residents?q=%s", url.QueryEscape(s.payload)))
		}
	}
	payloadsJSON, _ := json.Marshal(func() []string {
		out := make([]string, len(rows))
		for i, s := range rows {
			out[i] = s.payload
		}
		return out
	}())
	check := fmt.Sprintf(xssDetector, payloadsJSON)
	// The detector must see an injection when there is one: plant each kind as it would land
	// if a template failed to escape it, and check that the detector names it; then plant the
	// two legitimate echoes of a payload (a search box's value, a pager link carrying the
	// search) and check that it stays quiet.
	{
		bctx := browser()
		if err := chromedp.Do(bctx, chromedp.Navigate(a.url+"/")); err != nil {
			t.Fatal(err)
		}
		plant := func(html string) (string, error) {
			js := fmt.Sprintf(`(() => { const d = document.createElement('div'); d.id = 'plant'; d.innerHTML = %s; document.body.appendChild(d);
  const out = %s; d.remove(); delete window.__x; return out; })()`, jsString(html), check)
			return chromedp.Run(bctx, chromedp.Evaluate[string](js))
		}
		for _, k := range xssKinds {
			out, err := plant(k.html)
			if err != nil {
				t.Fatalf("plant %s: %v", k.name, err)
			}
			var res struct {
				Bad  []string `json:"bad"`
				Flag bool     `json:"flag"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("plant %s: %v (%s)", k.name, err, out)
			}
			if len(res.Bad) == 0 && !res.Flag {
				t.Errorf("the detector missed a planted %s: %s", k.name, k.html)
			}
		}
		for _, echo := range []string{
			fmt.Sprintf(`<input type="search" name="q" value="%s">`, html.EscapeString(rows[len(rows)/2].payload)),
			fmt.Sprintf(`<a href="/households?q=%s&amp;cursor=x">下一页</a>`, url.QueryEscape(rows[len(rows)/2].payload)),
		} {
			out, err := plant(echo)
			if err != nil {
				t.Fatalf("plant echo: %v", err)
			}
			if !strings.Contains(out, `"bad":[]`) || strings.Contains(out, `"flag":true`) {
				t.Errorf("the detector fires on a legitimate echo %s: %s", echo, out)
			}
		}
	}
	var loads, renderings, injected int
	var bctx context.Context
	for i, p := range pages {
		if i%40 == 0 {
			bctx = browser()
		}
		if err := chromedp.Do(bctx, chromedp.Navigate(a.url+p)); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		out, err := chromedp.Run(bctx, chromedp.Evaluate[string](check))
		if err != nil {
			t.Fatalf("check %s: %v", p, err)
		}
		var res struct {
			Bad   []string `json:"bad"`
			Flag  bool     `json:"flag"`
			Shown int      `json:"shown"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("check %s: %v (%s)", p, err, out)
		}
		loads++
		renderings += res.Shown
		if res.Flag || len(res.Bad) > 0 {
			injected++
			t.Errorf("%s: injected: window.__x set=%v, elements/attributes %v", p, res.Flag, res.Bad)
		}
	}
	var stores int
	for _, n := range fields {
		stores += n
	}
	msg := fmt.Sprintf("XSS: detector self-check: %d kinds of injection planted, each caught, 2 legitimate echoes passed; %d payloads; %d stored across %d fields %v; %d page loads showing %d payload renderings as text; %d injected",
		len(xssKinds), len(xssPayloads), stores, len(fields), fields, loads, renderings, injected)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
	if renderings < len(rows) {
		t.Errorf("only %d payload renderings seen: the pages did not show what was stored", renderings)
	}
}

// apiLogin logs in through POST /api/v1/auth/login with the current code of secret and returns
// the session token (the same the pages' cookie holds).
func apiLogin(t *testing.T, a *app, username, password, secret string) string {
	t.Helper()
	code, err := authz.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password, "otp": code})
	resp, err := http.Post(a.url+"/api/v1/auth/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: HTTP %d %v", username, resp.StatusCode, err)
	}
	return out.Token
}

// xssDetector is the script that looks for an injection after a page has loaded; %s is the JSON
// array of stored payloads. It has no exemption a payload can use:
//   - window.__x set (a script ran);
//   - any attribute whose name carries the marker;
//   - a script-bearing attribute (on*, srcdoc, style, htmx's hx-* and data-hx-*, formaction,
//     http-equiv) whose value carries the marker, whatever else it holds;
//   - a URL attribute (href, src, action, xlink:href, data, background, poster, srcset, ...)
//     whose value, with the whitespace and control characters a browser ignores removed, has a
//     scheme other than http(s), mailto or tel, marker or not; or that carries the marker and is
//     not a link to this site whose query, decoded, holds a whole payload (a pager link that
//     carries the search);
//   - any other attribute carrying the marker, unless it is one that shows text (value, title,
//     placeholder, aria-label, alt) and holds a whole payload (the search box's value);
//   - an element that runs or loads things (script, style, iframe, frame, object, embed, base,
//     meta, link, template, noscript) whose markup carries the marker.
//
// The self-check in TestXSSPayloadsStayText plants one of each kind first.
const xssDetector = `(() => {
  const payloads = %s;
  const holdsPayload = v => payloads.some(p => v.includes(p));
  const decoded = v => { try { return decodeURIComponent(v.replace(/\+/g, ' ')); } catch (e) { return ''; } };
  const scriptAttr = n => n.startsWith('on') || n === 'srcdoc' || n === 'style' || n.startsWith('hx-') || n.startsWith('data-hx-') || n === 'formaction' || n === 'http-equiv';
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'background', 'poster', 'srcset', 'ping', 'cite', 'longdesc', 'codebase', 'manifest', 'icon', 'lowsrc', 'dynsrc', 'content'];
  const textAttrs = ['value', 'title', 'placeholder', 'aria-label', 'alt'];
  const runners = ['SCRIPT', 'STYLE', 'IFRAME', 'FRAME', 'OBJECT', 'EMBED', 'BASE', 'META', 'LINK', 'TEMPLATE', 'NOSCRIPT'];
  const safeScheme = v => {
    const s = v.replace(/[\u0000-\u0020\u007f-\u00a0]/g, '').toLowerCase();
    const m = s.match(/^([a-z][a-z0-9+.-]*):/);
    return !m || ['http', 'https', 'mailto', 'tel'].includes(m[1]);
  };
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const n = a.name.toLowerCase(), v = a.value, marked = v.includes('__x');
      const what = el.tagName + '[' + a.name + '=' + v + ']';
      if (n.includes('__x')) { bad.push(what); continue; }
      if (scriptAttr(n)) { if (marked) bad.push(what); continue; }
      if (urlAttrs.includes(n) && !(el.tagName === 'META' && n === 'content' && el.getAttribute('http-equiv') === null)) {
        const target = n === 'content' ? v.replace(/^[^;]*;\s*url\s*=\s*['"]?/i, '') : v; // a refresh's target
        if (!safeScheme(target)) { bad.push(what); continue; }
        if (marked) {
          let u = null;
          try { u = new URL(v, document.baseURI); } catch (e) {}
          const echo = u && u.origin === location.origin && !u.pathname.includes('__x') && holdsPayload(decoded(u.search));
          if (!echo) bad.push(what);
        }
        continue;
      }
      if (marked && !(textAttrs.includes(n) && holdsPayload(v))) bad.push(what);
    }
    if (runners.includes(el.tagName) && el.outerHTML.includes('__x')) bad.push(el.tagName);
  }
  const text = document.body ? document.body.innerText : '';
  const shown = payloads.filter(p => text.includes(p.replace(/\s+/g, ' '))).length;
  return JSON.stringify({bad: bad, flag: typeof window.__x !== 'undefined', shown: shown});
})()`

// xssKinds are the injections the detector's self-check plants, one of each kind.
var xssKinds = []struct{ name, html string }{
	{"<script>", `<script>__x=1</script>`},
	{"<script src>", `<script src=data:,__x=1></script>`},
	{"event handler", `<img src=x onerror=__x=1>`},
	{"event handler on an unknown element", `<x onclick=__x=1>点</x>`},
	{"svg onload", `<svg onload=__x=1>`},
	{"<a href=javascript:>", `<a href="javascript:__x=1">点我</a>`},
	{"<a href=javascript:> without the marker", `<a href="javascript:alert(1)">点我</a>`},
	{"<a href= javascript:> (leading space)", `<a href=" javascript:__x=1">点我</a>`},
	{"<a href=jav&#x09;ascript:> (tab)", `<a href="jav&#x09;ascript:__x=1">点我</a>`},
	{"svg xlink:href", `<svg><a xlink:href="javascript:__x=1"><text>x</text></a></svg>`},
	{"<form action=javascript:>", `<form action="javascript:__x=1"><button>提交</button></form>`},
	{"<button formaction>", `<form><button formaction="javascript:__x=1">提交</button></form>`},
	{"style=url()", `<div style="background:url('javascript:__x=1')">x</div>`},
	{"style=expression()", `<div style="width:expression(__x=1)">x</div>`},
	{"<style>", `<style>*{background:url("javascript:__x=1")}</style>`},
	{"<iframe srcdoc>", `<iframe srcdoc="<script>parent.__x=1</script>"></iframe>`},
	{"<iframe src=javascript:>", `<iframe src="javascript:parent.__x=1"></iframe>`},
	{"<object data>", `<object data="javascript:__x=1"></object>`},
	{"<embed src>", `<embed src="javascript:__x=1">`},
	{"<base href>", `<base href="//evil.example/__x/">`},
	{"<meta refresh>", `<meta http-equiv="refresh" content="0;url=javascript:__x=1">`},
	{"<meta refresh> without the marker", `<meta http-equiv="refresh" content="0; URL='javascript:alert(1)'">`},
	{"<link href>", `<link rel=stylesheet href="javascript:__x=1">`},
	{"<table background>", `<table background="javascript:__x=1"><tr><td>x</td></tr></table>`},
	{"htmx hx-get", `<div hx-get="/logout?__x" hx-trigger="load">x</div>`},
	{"htmx hx-on", `<div hx-on:htmx:load="__x=1">x</div>`},
	{"htmx data-hx-on", `<div data-hx-on--load="__x=1" data-hx-get="/?__x" data-hx-trigger="load">x</div>`},
	{"<template>", `<template id="__x"><img src=x onerror=__x=1></template>`},
	{"attribute break-out", `<input value="" onfocus="__x=1" autofocus="">`},
	{"a payload as a link's whole href", `<a href="/logout?__x">点我</a>`},
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// xssID is a valid ID number for the i-th resident of the XSS test.
func xssID(i int) string {
	s := fmt.Sprintf("510781%04d0101%03d", 1950+i, i)
	return s + string(model.IDCheckDigit(s))
}
