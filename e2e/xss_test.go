package e2e

import (
	"context"
	"encoding/json"
	"fmt"
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
	check := fmt.Sprintf(`(() => {
  const payloads = %s;
  const holdsPayload = v => payloads.some(p => v.includes(p)) || (() => { try { const d = decodeURIComponent(v.replace(/\+/g, ' ')); return payloads.some(p => d.includes(p)); } catch (e) { return false; } })();
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.includes('__x') || (a.value.includes('__x') && !holdsPayload(a.value))) bad.push(el.tagName + '[' + a.name + '=' + a.value + ']');
    }
    if (['SCRIPT', 'STYLE', 'IFRAME', 'OBJECT', 'EMBED', 'BASE', 'META', 'TEMPLATE'].includes(el.tagName) && (el.textContent.includes('__x') || el.outerHTML.includes('__x'))) bad.push(el.tagName);
  }
  const text = document.body ? document.body.innerText : '';
  const shown = payloads.filter(p => text.includes(p.replace(/\s+/g, ' '))).length;
  return JSON.stringify({bad: bad, flag: typeof window.__x !== 'undefined', shown: shown});
})()`, payloadsJSON)
	// The detector must see an injection when there is one: plant one by script and check.
	{
		bctx := browser()
		out, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=__x=1>'); 'ok'`))
		if err != nil || out != "ok" {
			t.Fatalf("plant: %v", err)
		}
		out, err = chromedp.Run(bctx, chromedp.Evaluate[string](check))
		if err != nil || !strings.Contains(out, "IMG[onerror") {
			t.Fatalf("the detector missed a planted <img onerror>: %s %v", out, err)
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
	msg := fmt.Sprintf("XSS: %d payloads; %d stored across %d fields %v; %d page loads showing %d payload renderings as text; %d injected",
		len(xssPayloads), stores, len(fields), fields, loads, renderings, injected)
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

// xssID is a valid ID number for the i-th resident of the XSS test.
func xssID(i int) string {
	s := fmt.Sprintf("510781%04d0101%03d", 1950+i, i)
	return s + string(model.IDCheckDigit(s))
}
