package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"reflect"
	"strings"
	"text/template/parse"
)

// entryBlocks are the blocks the handlers execute (render, renderList, the job page's status
// fragment). parsePages escapes each once, before the pages serve, so that foldList can
// work on the escaped trees, and renderBlock executes no other block.
var entryBlocks = []string{"layout", "results", "status"}

// constFuncs are the template functions whose result depends on their arguments alone (the
// catalog and the icons are fixed once the pages are parsed): called with literal arguments
// only, {{t "nav.home"}}, {{icon "home"}} or {{label "flag" "hardship"}} always render the
// same text, so foldList renders them once.
var constFuncs = map[string]bool{"t": true, "label": true, "icon": true}

// The escapers html/template appends to an action's pipeline for the two contexts
// foldList folds: element text and a quoted attribute value. Any other context (URLs,
// scripts, styles, RCDATA) keeps its action.
const (
	escText = "_html_template_htmlescaper"
	escAttr = "_html_template_attrescaper"
)

// probes render a value exactly as html/template's escaper does in each context: the same
// escaper runs on the probe's {{.}}, and the text around it is cut off.
var probes = map[string]struct {
	t            *template.Template
	prefix, tail string
}{
	escText: {template.Must(template.New("text").Parse(`{{.}}`)), "", ""},
	escAttr: {template.Must(template.New("attr").Parse(`<p title="{{.}}">`)), `<p title="`, `">`},
}

// escapeAndFold escapes the entry blocks of page t and folds their constants. It fails on an
// escaping error (an action in an ambiguous context), which html/template would otherwise
// report at the first request. Folding changes no output: the test renders every page both
// ways.
func escapeAndFold(t *template.Template, funcs template.FuncMap) error {
	for _, b := range entryBlocks {
		if t.Lookup(b) == nil {
			continue
		}
		// html/template escapes a block, and every template it calls, at its first
		// execution; executing with no data escapes and then stops at the first field.
		var escErr *template.Error
		err := t.ExecuteTemplate(io.Discard, b, nil)
		switch {
		case !errors.As(err, &escErr):
		case b != "layout" && escErr.ErrorCode == template.ErrNoSuchTemplate:
			// A shared partial defines the block for the pages that fill in its parts
			// ("results" calls the list page's "table"); this page does not use it.
		default:
			return err
		}
	}
	for _, x := range t.Templates() {
		if x.Tree == nil || x.Tree.Root == nil {
			continue
		}
		if err := foldList(x.Tree.Root, funcs); err != nil {
			return fmt.Errorf("%s: %w", x.Name(), err)
		}
	}
	return nil
}

// foldList replaces, in list and the lists below it, every action that calls a constFunc with
// literal arguments, followed by one escaper of text or attribute context, with the text it
// renders; then it joins neighbouring texts. Actions of templates html/template has not
// escaped carry no escaper and stay as they are.
func foldList(list *parse.ListNode, funcs template.FuncMap) error {
	if list == nil {
		return nil
	}
	out := list.Nodes[:0]
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			text, ok, err := foldAction(n, funcs)
			if err != nil {
				return err
			}
			if ok {
				out = appendText(out, &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: text})
				continue
			}
		case *parse.TextNode:
			out = appendText(out, n)
			continue
		case *parse.IfNode:
			err := errors.Join(foldList(n.List, funcs), foldList(n.ElseList, funcs))
			if err != nil {
				return err
			}
		case *parse.RangeNode:
			err := errors.Join(foldList(n.List, funcs), foldList(n.ElseList, funcs))
			if err != nil {
				return err
			}
		case *parse.WithNode:
			err := errors.Join(foldList(n.List, funcs), foldList(n.ElseList, funcs))
			if err != nil {
				return err
			}
		}
		out = append(out, n)
	}
	clear(list.Nodes[len(out):])
	list.Nodes = out
	return nil
}

// appendText appends t to nodes, joined to the text before it if there is one.
func appendText(nodes []parse.Node, t *parse.TextNode) []parse.Node {
	if len(nodes) > 0 {
		if prev, ok := nodes[len(nodes)-1].(*parse.TextNode); ok {
			joined := &parse.TextNode{NodeType: parse.NodeText, Pos: prev.Pos, Text: append(bytes.Clone(prev.Text), t.Text...)}
			nodes[len(nodes)-1] = joined
			return nodes
		}
	}
	return append(nodes, t)
}

// foldAction renders action a once if it is {{f "lit"… | escaper}} with f a constFunc and the
// escaper one of the two probes know; ok is false for every other action.
func foldAction(a *parse.ActionNode, funcs template.FuncMap) (text []byte, ok bool, err error) {
	p := a.Pipe
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 2 {
		return nil, false, nil
	}
	call, esc := p.Cmds[0], p.Cmds[1]
	if len(esc.Args) != 1 || len(call.Args) < 2 {
		return nil, false, nil
	}
	escName, ok := esc.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil, false, nil
	}
	probe, ok := probes[escName.Ident]
	if !ok {
		return nil, false, nil
	}
	fn, ok := call.Args[0].(*parse.IdentifierNode)
	if !ok || !constFuncs[fn.Ident] || funcs[fn.Ident] == nil {
		return nil, false, nil
	}
	args := make([]reflect.Value, 0, len(call.Args)-1)
	for _, arg := range call.Args[1:] {
		s, ok := arg.(*parse.StringNode)
		if !ok {
			return nil, false, nil
		}
		args = append(args, reflect.ValueOf(s.Text))
	}
	res := reflect.ValueOf(funcs[fn.Ident]).Call(args)
	if len(res) != 1 {
		return nil, false, nil
	}
	var buf bytes.Buffer
	if err := probe.t.Execute(&buf, res[0].Interface()); err != nil {
		return nil, false, fmt.Errorf("fold %s: %w", a, err)
	}
	s, ok := strings.CutPrefix(buf.String(), probe.prefix)
	if !ok {
		return nil, false, fmt.Errorf("fold %s: probe rendered %q", a, buf.String())
	}
	if s, ok = strings.CutSuffix(s, probe.tail); !ok {
		return nil, false, fmt.Errorf("fold %s: probe rendered %q", a, buf.String())
	}
	return []byte(s), true, nil
}
