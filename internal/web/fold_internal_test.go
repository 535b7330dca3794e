package web

import (
	"strings"
	"testing"
	"text/template/parse"
)

// TestFoldLeavesNoConstants: after parsing, no page's escaped templates call t, label or icon
// with literal arguments any more, and the constant texts are in place (if html/template
// changed how it marks escaped actions, folding would silently stop; this test notices).
func TestFoldLeavesNoConstants(t *testing.T) {
	t.Parallel()
	msg, err := loadCatalog(messageFS, "zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := parsePages(msg, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"households/show", "households/list", "home/home", "accounts/login"} {
		var left []string
		for _, x := range pages[name].Templates() {
			if x.Tree == nil || (x.Name() != "layout" && x.Name() != "content") {
				continue
			}
			walkActions(x.Tree.Root, func(a *parse.ActionNode) {
				call := a.Pipe.Cmds[0]
				if fn, ok := call.Args[0].(*parse.IdentifierNode); ok && constFuncs[fn.Ident] && len(call.Args) > 1 {
					for _, arg := range call.Args[1:] {
						if _, lit := arg.(*parse.StringNode); !lit {
							return
						}
					}
					left = append(left, a.String())
				}
			})
		}
		if len(left) > 0 {
			t.Errorf("%s: constant actions left unfolded: %s", name, strings.Join(left, " "))
		}
		layout := pages[name].Lookup("layout").Tree.Root.String()
		if want := msg.text("layout.skip"); !strings.Contains(layout, want) {
			t.Errorf("%s: the layout does not hold the folded text %q", name, want)
		}
	}
}

func walkActions(n parse.Node, f func(*parse.ActionNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walkActions(c, f)
			}
		}
	case *parse.ActionNode:
		f(n)
	case *parse.IfNode:
		walkActions(n.List, f)
		walkActions(n.ElseList, f)
	case *parse.RangeNode:
		walkActions(n.List, f)
		walkActions(n.ElseList, f)
	case *parse.WithNode:
		walkActions(n.List, f)
		walkActions(n.ElseList, f)
	}
}
