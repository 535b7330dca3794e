package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// territoryData is the territory browser: one node, its children, its history, and the forms
// that change it.
type territoryData struct {
	Page
	Node          *model.Territory
	Parent        *model.Territory // nil for a root or a parent outside the scope
	Children      []*model.Territory
	More          bool
	ChildrenEmpty Empty
	ShowArchived  bool
	Events        []model.TerritoryEvent
	ChildKinds    []model.TerritoryKind
	Candidates    []*model.Territory // possible new parents for the move form
	CanWrite      bool               // the role may change nodes and this one is not archived
	CanMove       bool               // the node is not a root nor the caller's scope root
	ChildForm     *Form
	RenameForm    *Form
	MoveForm      *Form
}

// OpenForm names the form to show expanded: the one that failed.
func (d *territoryData) OpenForm() string {
	if d.Failed != nil {
		return d.Failed.Name
	}
	return ""
}

const territoryChildren = 500

// parseForm reads a urlencoded form body of at most maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	return r.ParseForm()
}

// territoryCrumbs is the breadcrumb from the top of the caller's scope down to t, each step
// linked by url (t itself is not linked).
func (wb *Web) territoryCrumbs(ctx context.Context, sc authz.Scope, t *model.Territory, url func(id int64) string) ([]Crumb, error) {
	anc, err := wb.st.Ancestors(ctx, sc, t)
	if err != nil {
		return nil, err
	}
	crumbs := make([]Crumb, 0, len(anc)+1)
	for _, a := range anc {
		crumbs = append(crumbs, Crumb{Name: a.Name, URL: url(a.ID)})
	}
	return append(crumbs, Crumb{Name: t.Name}), nil
}

// scopeCrumbs is the breadcrumb of a page without a node of its own: the scope root.
func (wb *Web) scopeCrumbs(r *http.Request, url func(id int64) string) []Crumb {
	u := authz.UserFrom(r.Context())
	if u == nil || u.ScopeID == 0 {
		return []Crumb{{Name: wb.t("scope.all")}}
	}
	return []Crumb{{Name: u.ScopeName, URL: url(u.ScopeID)}}
}

func territoryURL(id int64) string { return "/territories/" + strconv.FormatInt(id, 10) }

// territoryPage gathers everything the territory page shows; forms that are nil get empty ones.
func (wb *Web) territoryPage(r *http.Request, id int64, failed *Form) (*territoryData, error) {
	ctx, sc := r.Context(), scope(r)
	node, err := wb.st.Territory(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	d := &territoryData{Page: wb.base(r, node.Name, "territories"), Node: node}
	d.ShowArchived = r.URL.Query().Get("archived") == "1"
	if d.Crumbs, err = wb.territoryCrumbs(ctx, sc, node, territoryURL); err != nil {
		return nil, err
	}
	children, err := wb.st.Territories(ctx, sc, store.TerritoryFilter{Under: id, ParentID: id, IncludeArchived: d.ShowArchived, Limit: territoryChildren})
	if err != nil {
		return nil, err
	}
	d.Children, d.More = children.Items, children.Next != ""
	if d.Events, err = wb.st.TerritoryEvents(ctx, sc, id); err != nil {
		return nil, err
	}
	for _, k := range model.Kinds {
		if node.Kind.CanContain(k) {
			d.ChildKinds = append(d.ChildKinds, k)
		}
	}
	d.CanWrite = d.Can(authz.TerritoryWrite) && node.ArchivedAt == nil
	d.ChildrenEmpty = Empty{Icon: "map", Title: wb.t("territory.children.empty")}
	switch {
	case d.CanWrite && len(d.ChildKinds) > 0:
		d.ChildrenEmpty.Text = wb.t("territory.children.empty.next")
		d.ChildrenEmpty.Actions = []Link{{Label: wb.t("territory.child.add"), URL: "#form-child"}}
	case node.Households > 0:
		d.ChildrenEmpty.Text = wb.t("territory.children.empty.households")
		d.ChildrenEmpty.Actions = []Link{{Label: wb.t("territory.households"), URL: householdsURL(node.ID)}}
	}
	if node.ParentID != 0 {
		d.Parent, err = wb.st.Territory(ctx, sc, node.ParentID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
	}
	// The caller's scope root cannot move: nothing it may put it under lies outside it.
	d.CanMove = d.CanWrite && d.Parent != nil
	if d.CanMove {
		if d.Candidates, err = wb.moveCandidates(ctx, sc, d.Parent); err != nil {
			return nil, err
		}
	}
	d.ChildForm = newForm("child", nil, "kind", "name", "code")
	// The likely kind of a new child is that of its siblings, else the next level down
	// (a community's children are usually grids, not resident groups).
	switch {
	case len(d.Children) > 0 && node.Kind.CanContain(d.Children[0].Kind):
		d.ChildForm.Values.Set("kind", string(d.Children[0].Kind))
	case node.Kind == model.KindCommunity:
		d.ChildForm.Values.Set("kind", string(model.KindGrid))
	case len(d.ChildKinds) > 0:
		d.ChildForm.Values.Set("kind", string(d.ChildKinds[0]))
	}
	d.RenameForm = newForm("rename", nil, "name", "code")
	d.RenameForm.Values.Set("name", node.Name)
	d.RenameForm.Values.Set("code", node.Code)
	d.MoveForm = newForm("move", nil, "parent_id", "parent_ref")
	switch {
	case failed == nil:
	case failed.Name == "child":
		d.ChildForm = failed
	case failed.Name == "rename":
		d.RenameForm = failed
	case failed.Name == "move":
		d.MoveForm = failed
	}
	if failed != nil {
		d.Failed = failed
	}
	return d, nil
}

// moveCandidates are the nodes of the parent's kind under the grandparent (or the whole scope):
// the usual places a node moves to, a stairwell to another building, a grid to another community.
func (wb *Web) moveCandidates(ctx context.Context, sc authz.Scope, parent *model.Territory) ([]*model.Territory, error) {
	f := store.TerritoryFilter{Kind: parent.Kind, Limit: 200}
	if parent.ParentID != 0 {
		if _, err := wb.st.Territory(ctx, sc, parent.ParentID); err == nil {
			f.Under = parent.ParentID
		}
	}
	page, err := wb.st.Territories(ctx, sc, f)
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}

// territory shows one node.
func (wb *Web) territory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := wb.territoryPage(r, id, nil)
	if err != nil {
		return err
	}
	return wb.render(w, r, http.StatusOK, "territories/show", d)
}

// rerenderTerritory shows the territory page again with the failed form's errors.
func (wb *Web) rerenderTerritory(w http.ResponseWriter, r *http.Request, id int64, f *Form) error {
	d, err := wb.territoryPage(r, id, f)
	if err != nil {
		return err
	}
	return wb.render(w, r, http.StatusUnprocessableEntity, "territories/show", d)
}

// addChild adds a node under {id}.
func (wb *Web) addChild(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("child", r.PostForm, "kind", "name", "code")
	in := model.TerritoryInput{ParentID: id, Kind: model.TerritoryKind(r.PostForm.Get("kind")),
		Name: r.PostForm.Get("name"), Code: r.PostForm.Get("code")}
	if _, err := wb.st.CreateTerritory(r.Context(), scope(r), in); err != nil {
		if f.fail(err) {
			return wb.rerenderTerritory(w, r, id, f)
		}
		return err
	}
	redirect(w, r, territoryURL(id), "child_added")
	return nil
}

// renameTerritory changes the name and code of {id}.
func (wb *Web) renameTerritory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("rename", r.PostForm, "name", "code")
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if _, err := wb.st.RenameTerritory(r.Context(), scope(r), id, r.PostForm.Get("name"), &code); err != nil {
		if f.fail(err) {
			return wb.rerenderTerritory(w, r, id, f)
		}
		return err
	}
	redirect(w, r, territoryURL(id), "renamed")
	return nil
}

// moveTerritory puts {id} under the parent chosen in the list or given by id or code.
func (wb *Web) moveTerritory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	f := newForm("move", r.PostForm, "parent_id", "parent_ref")
	field := "parent_id"
	var parent int64
	if ref := strings.TrimSpace(r.PostForm.Get("parent_ref")); ref != "" {
		field = "parent_ref"
		t, err := wb.resolveTerritory(ctx, sc, ref)
		switch {
		case errors.Is(err, model.ErrNotFound):
			f.add(field, wb.t("territory.move.ref.unknown"))
		case err != nil:
			return err
		default:
			parent = t.ID
		}
	} else if parent, err = strconv.ParseInt(r.PostForm.Get("parent_id"), 10, 64); err != nil || parent <= 0 {
		f.add(field, wb.t("territory.move.missing"))
	}
	if !f.Invalid() {
		_, err = wb.st.MoveTerritory(ctx, sc, id, parent)
		if err == nil {
			redirect(w, r, territoryURL(id), "moved")
			return nil
		}
		if !f.fail(err) {
			return err
		}
		for i := range f.Errors {
			if f.Errors[i].Field == "parent_id" {
				f.Errors[i].Field = field
			}
		}
	}
	return wb.rerenderTerritory(w, r, id, f)
}

// resolveTerritory finds a node in scope by its 12-digit statistical code or its id.
func (wb *Web) resolveTerritory(ctx context.Context, sc authz.Scope, ref string) (*model.Territory, error) {
	if model.ValidDivisionCode(ref) {
		return wb.st.TerritoryByCode(ctx, sc, ref)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64)
	if err != nil || id <= 0 {
		return nil, model.ErrNotFound
	}
	return wb.st.Territory(ctx, sc, id)
}

// archiveData is the "check before you archive" page.
type archiveData struct {
	Page
	Node      *model.Territory
	Children  int
	Blocked   string // why the store will refuse, shown before the user tries
	Form      *Form
	ParentURL string
}

func (wb *Web) archivePage(r *http.Request, id int64) (*archiveData, error) {
	ctx, sc := r.Context(), scope(r)
	node, err := wb.st.Territory(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	d := &archiveData{Page: wb.base(r, wb.t("territory.archive.title", node.Name), "territories"), Node: node, Form: newForm("archive", nil)}
	if d.Crumbs, err = wb.territoryCrumbs(ctx, sc, node, territoryURL); err != nil {
		return nil, err
	}
	children, err := wb.st.Territories(ctx, sc, store.TerritoryFilter{Under: id, ParentID: id, Limit: territoryChildren})
	if err != nil {
		return nil, err
	}
	d.Children = len(children.Items)
	switch {
	case node.ArchivedAt != nil:
		d.Blocked = wb.t("territory.archive.already")
	case node.Households > 0:
		d.Blocked = wb.t("territory.archive.households", node.Households)
	case d.Children > 0:
		d.Blocked = wb.t("territory.archive.children", d.Children)
	}
	return d, nil
}

// archiveConfirm shows what archiving {id} means before it is done.
func (wb *Web) archiveConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := wb.archivePage(r, id)
	if err != nil {
		return err
	}
	return wb.render(w, r, http.StatusOK, "territories/archive", d)
}

// archiveTerritory archives {id} and goes back to its parent.
func (wb *Web) archiveTerritory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	node, err := wb.st.ArchiveTerritory(r.Context(), scope(r), id)
	if err != nil {
		f := newForm("archive", nil)
		if !f.fail(err) {
			return err
		}
		d, err := wb.archivePage(r, id)
		if err != nil {
			return err
		}
		d.Form, d.Failed = f, f
		return wb.render(w, r, http.StatusConflict, "territories/archive", d)
	}
	to := territoryURL(id)
	if node.ParentID != 0 {
		if _, err := wb.st.Territory(r.Context(), scope(r), node.ParentID); err == nil {
			to = territoryURL(node.ParentID)
		}
	}
	redirect(w, r, to, "archived")
	return nil
}

// rootsData lists the top-level districts for system_admin, with the form to add one.
type rootsData struct {
	Page
	Roots []*model.Territory
	Form  *Form
}

// territoryRoots opens the caller's scope root, or lists the roots for system_admin.
func (wb *Web) territoryRoots(w http.ResponseWriter, r *http.Request) error {
	if u := authz.UserFrom(r.Context()); u.ScopeID != 0 {
		http.Redirect(w, r, territoryURL(u.ScopeID), http.StatusSeeOther)
		return nil
	}
	return wb.renderRoots(w, r, http.StatusOK, nil)
}

func (wb *Web) renderRoots(w http.ResponseWriter, r *http.Request, status int, failed *Form) error {
	page, err := wb.st.Territories(r.Context(), scope(r), store.TerritoryFilter{Kind: model.KindDistrict, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	d := &rootsData{Page: wb.base(r, wb.t("territory.roots.title"), "territories"), Roots: page.Items, Form: newForm("root", nil, "name", "code")}
	d.Crumbs = []Crumb{{Name: wb.t("scope.all")}}
	if failed != nil {
		d.Form, d.Failed = failed, failed
	}
	return wb.render(w, r, status, "territories/roots", d)
}

// createRoot adds a top-level district (only an unscoped caller may).
func (wb *Web) createRoot(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("root", r.PostForm, "name", "code")
	t, err := wb.st.CreateTerritory(r.Context(), scope(r), model.TerritoryInput{Kind: model.KindDistrict,
		Name: r.PostForm.Get("name"), Code: r.PostForm.Get("code")})
	if err != nil {
		if f.fail(err) {
			return wb.renderRoots(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, territoryURL(t.ID), "created")
	return nil
}
