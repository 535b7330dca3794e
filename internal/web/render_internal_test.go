package web

import (
	"html/template"
	"runtime"
	"slices"
	"testing"
)

// TestPageSetsHoldWhatTheyCall: a page's template set holds its own templates and the shared
// ones its entry blocks and its templates call, nothing else — not the navigation, which
// navCache renders on its own, nor partials no template of the page calls (addShared; before
// it every set held every shared file, most of a server's heap).
func TestPageSetsHoldWhatTheyCall(t *testing.T) {
	t.Parallel()
	msg, err := loadCatalog(messageFS, "zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages(msg, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 100 {
		t.Fatalf("%d pages parsed", len(pages))
	}
	for name, p := range pages {
		reached := map[string]bool{}
		queue := slices.Clone(entryBlocks)
		// The page's own file, parsed alone: its top-level template and its defines.
		own, err := template.New(name).Funcs(templateFuncs(msg)).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range own.Templates() {
			queue = append(queue, x.Name())
		}
		for len(queue) > 0 {
			n := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			x := p.Lookup(n)
			if reached[n] || x == nil || x.Tree == nil {
				continue
			}
			reached[n] = true
			queue = calledTemplates(queue, x.Tree.Root)
		}
		for _, x := range p.Templates() {
			if x.Tree != nil && !reached[x.Name()] {
				t.Errorf("page %s holds %q, which nothing of it calls", name, x.Name())
			}
		}
		for _, nav := range []string{"sidenav", "tabbar"} {
			if p.Lookup(nav) != nil {
				t.Errorf("page %s holds the navigation's %q", name, nav)
			}
		}
		if !reached["layout"] || !reached["content"] {
			t.Errorf("page %s: layout %v, content %v", name, reached["layout"], reached["content"])
		}
	}
	if l := pages["households/list"]; l.Lookup("results") == nil || l.Lookup("pager") == nil {
		t.Error("households/list lacks the list's results or pager")
	}
}

// BenchmarkParsePages parses every page as a server does at start (folded) and reports the
// heap the pages keep.
func BenchmarkParsePages(b *testing.B) {
	msg, err := loadCatalog(messageFS, "zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	var kept uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		pages, err := parsePages(msg, true)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		kept = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(pages)
	}
	b.ReportMetric(float64(kept)/(1<<20), "MB-kept")
}
