package web

import (
	"net/url"
	"slices"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The shared pieces of list pages, rendered by templates/partials/list.html. A list page's
// data embeds Page and List and has a field Rows (the slice its table shows). Its template is
//
//	{{define "content"}}{{template "listPage" .}}{{end}}
//	{{define "table"}} <thead>…</thead><tbody>{{range .Rows}}…{{end}}</tbody> {{end}}
//
// listPage draws the head, the filter bar and "results": the total with the note or the export
// button, the table with its pager, or the empty state when Rows is empty. When a filter
// changes, htmx asks for "results" alone (renderList). The pieces also serve other pages:
// {{template "pageHead" …}}, {{template "empty" …}}, {{template "history" .Events}}.

// List is the shared part of a list page's data.
type List struct {
	Head    Head
	Filters FilterBar          // none when Filters.Action is ""
	Errors  []model.FieldError // filters the store refused, listed above the table
	Pager   Pager
	Note    string      // beside the total, after a lock: how personal data is shown ("" none)
	Export  *ExportForm // the export of the filtered list (nil: the role may not export)
	Empty   Empty       // what the list says when it has no rows
}

// ExportForm starts the export of a list as a background job: a POST of the list's filters to
// Action, answered by the job's page with its progress and, at the end, the file.
type ExportForm struct {
	Action string
	Fields []Filter // the list's filters, as hidden inputs
}

// Head is the head of a page: its title, a lead under it, and the actions on the right.
type Head struct {
	Title   string
	Lead    string
	Actions []Link
}

// Link is a button to another page: an action in a page head or an empty state.
type Link struct {
	Label   string
	URL     string
	Icon    string // icon name; only page-head actions show it
	Primary bool   // the page's main action, in Party red
}

// Empty is what a list says when it has no rows: what is missing and what to do next (UI.md).
// One action is a button; several stand in a row.
type Empty struct {
	Icon    string
	Title   string
	Text    string
	Actions []Link
}

// FilterBar is the form above a list's table. Without JavaScript it is a GET form; with htmx
// it replaces the results as the user chooses (and, when Live, as they type).
type FilterBar struct {
	Action   string   // the list's path
	Live     bool     // search fields filter while typing, not only on change and submit
	Hidden   []Filter // filters kept but not shown (the territory the list is under)
	Fields   []Filter
	ClearURL string // the list without filters; "" when nothing is filtered
}

// Filter is one field of a filter bar: a select when it has Options, else an input of Type.
type Filter struct {
	Name        string
	Label       string
	Value       string
	Type        string // "search" or "date" for inputs
	Placeholder string
	MaxLength   int
	Grow        bool // takes the free width of the bar (the main search field)
	Options     []Option
}

// Option is one choice of a select filter.
type Option struct {
	Value string
	Label string
}

// searchFilter is a text field that filters as the user types.
func searchFilter(name, label, value, placeholder string) Filter {
	return Filter{Name: name, Label: label, Value: value, Type: "search", Placeholder: placeholder}
}

// selectFilter is a select of opts.
func selectFilter(name, label, value string, opts ...Option) Filter {
	return Filter{Name: name, Label: label, Value: value, Options: opts}
}

// emptyState is the template func that builds a fixed Empty: icon, title, then the text,
// then a label and a URL for each action.
func emptyState(icon, title string, more ...string) Empty {
	e := Empty{Icon: icon, Title: title}
	if len(more) > 0 {
		e.Text = more[0]
	}
	for i := 1; i+1 < len(more); i += 2 {
		e.Actions = append(e.Actions, Link{Label: more[i], URL: more[i+1]})
	}
	return e
}

// emptyFiltered is the empty state of a filtered list: nothing matches, clear the filters.
func (wb *Web) emptyFiltered(icon, title, clearURL string) Empty {
	return Empty{Icon: icon, Title: title, Text: wb.t("list.empty.filtered.next"),
		Actions: []Link{{Label: wb.t("list.clear"), URL: clearURL}}}
}

// Pager is the foot of a list: "共 N 户", and the first and next pages by cursor.
type Pager struct {
	Summary  string
	FirstURL string // "" on the first page
	NextURL  string // "" on the last page
}

// newPager builds the pager of a list at base (its filter query kept) for a page that started
// at cursor and continues at next.
func newPager(summary, base string, q url.Values, cursor, next string) Pager {
	p := Pager{Summary: summary}
	q = cloneValues(q)
	q.Del("done")
	if cursor != "" {
		q.Del("cursor")
		p.FirstURL = withQuery(base, q)
	}
	if next != "" {
		q.Set("cursor", next)
		p.NextURL = withQuery(base, q)
	}
	return p
}

// cloneValues copies q without its empty parameters.
func cloneValues(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		if len(v) > 0 && v[0] != "" {
			c[k] = slices.Clone(v)
		}
	}
	return c
}

// withQuery is base with the query q, if any.
func withQuery(base string, q url.Values) string {
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// listLead is the lead of a list under a node: its scope in words.
func (wb *Web) listLead(under *model.Territory) string {
	if under != nil {
		return wb.t("list.under", under.Name)
	}
	return wb.t("list.scope")
}

// underURL is the list or form at p for the node under (nil: the caller's whole scope).
func underURL(p string, under *model.Territory) string {
	if under == nil {
		return p
	}
	return link(p, "territory", under.ID)
}

// underHidden keeps the node a list is under in its filter bar.
func underHidden(under *model.Territory) []Filter {
	if under == nil {
		return nil
	}
	return []Filter{{Name: "territory", Value: strconv.FormatInt(under.ID, 10)}}
}

// emptyRegister is the empty state of a list of households or residents nobody has
// registered yet: registering (and importing) for roles that may, asking staff for the others.
func (wb *Web) emptyRegister(p Page, icon, title, next, newURL string) Empty {
	e := Empty{Icon: icon, Title: title, Text: wb.t("households.empty.ask")}
	if p.Can(authz.HouseholdWrite) {
		e.Text = next
		e.Actions = []Link{{Label: wb.t("nav.household.new"), URL: newURL, Primary: true}}
		if p.Can(authz.HouseholdImport) {
			e.Actions = append(e.Actions, Link{Label: wb.t("nav.import"), URL: "/import"})
		}
	}
	return e
}
