package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// listLimit is the number of rows on one page of a list.
const listLimit = 50

// flagNames are the household flags in display order; their labels are catalog keys flag.*.
var flagNames = []string{"elderly_alone", "hardship", "disability", "mobile"}

// visibleFlags are the flags the scope may filter by: hardship only for roles that see it.
func visibleFlags(sc authz.Scope) []string {
	if sc.CanSee(authz.FieldHardship) {
		return flagNames
	}
	return []string{"elderly_alone", "disability", "mobile"}
}

func householdsURL(id int64) string { return link("/households", "territory", id) }

func householdURL(id int64) string { return "/households/" + strconv.FormatInt(id, 10) }

// locator labels rows by where they are: the names on a node's path below the node the list is
// scoped to ("1栋 › 2单元"), read with one query for the whole page.
type locator struct {
	depth int // ids on the context path, which the labels leave out
	names map[int64]string
}

// newLocator reads the names of every node on paths below the context path ctxPath ("" for
// every root).
func (wb *Web) newLocator(ctx context.Context, sc authz.Scope, ctxPath string, paths []string) (*locator, error) {
	l := &locator{depth: len(model.PathIDs(ctxPath)), names: map[int64]string{}}
	seen := map[int64]bool{}
	var ids []int64
	for _, p := range paths {
		for _, id := range model.PathIDs(p) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	nodes, err := wb.st.TerritoriesByID(ctx, sc, ids)
	if err != nil {
		return nil, err
	}
	for id, n := range nodes {
		l.names[id] = n.Name
	}
	return l, nil
}

// label is the location of the node at path; a node that is the context itself gets its name.
func (l *locator) label(path string) string {
	ids := model.PathIDs(path)
	var parts []string
	for _, id := range ids[min(l.depth, len(ids)):] {
		if n, ok := l.names[id]; ok {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 && len(ids) > 0 {
		return l.names[ids[len(ids)-1]]
	}
	return strings.Join(parts, " › ")
}

// contextPath is the path lists are labelled relative to: the filter node, else the scope.
func contextPath(r *http.Request, under *model.Territory) string {
	if under != nil {
		return under.Path
	}
	return scope(r).Path
}

// listFilter reads the node filter ?territory=ID of a list, the node (nil without one) and the
// breadcrumb linking each step to the same list there.
func (wb *Web) listFilter(r *http.Request, url func(int64) string) (*model.Territory, []Crumb, error) {
	id, err := queryID(r, "territory")
	if err != nil {
		return nil, nil, err
	}
	if id == 0 {
		return nil, wb.scopeCrumbs(r, url), nil
	}
	ctx, sc := r.Context(), scope(r)
	t, err := wb.st.Territory(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	crumbs, err := wb.territoryCrumbs(ctx, sc, t, url)
	return t, crumbs, err
}

// householdsData is the household list.
type householdsData struct {
	Page
	List
	MovedOut bool
	Rows     []householdRow
}

type householdRow struct {
	*model.Household
	Location string
}

// households lists the households of a subtree, filtered by flag and text.
func (wb *Web) households(w http.ResponseWriter, r *http.Request) error {
	ctx, sc := r.Context(), scope(r)
	under, crumbs, err := wb.listFilter(r, householdsURL)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &householdsData{Page: wb.base(r, wb.t("households.title"), "households"), MovedOut: q.Get("moved_out") == "1"}
	d.Crumbs = crumbs
	f := store.HouseholdFilter{Q: strings.TrimSpace(q.Get("q")), MovedOut: d.MovedOut, Limit: listLimit, Cursor: q.Get("cursor")}
	if fl := q.Get("flag"); store.ValidHouseholdFlag(fl) {
		f.Flag = fl
	}
	if under != nil {
		f.Under = under.ID
	}
	filtered := f.Flag != "" || f.Q != "" || f.MovedOut
	d.Head = Head{Title: d.Title, Lead: wb.listLead(under)}
	newURL := underURL("/households/new", under)
	if d.Can(authz.HouseholdImport) {
		d.Head.Actions = append(d.Head.Actions, Link{Label: wb.t("nav.import"), URL: "/import", Icon: "upload"})
	}
	if d.Can(authz.HouseholdWrite) {
		d.Head.Actions = append(d.Head.Actions, Link{Label: wb.t("nav.household.new"), URL: newURL, Icon: "plus", Primary: true})
	}
	flags := []Option{{Label: wb.t("list.all")}}
	for _, fl := range visibleFlags(sc) {
		flags = append(flags, Option{Value: fl, Label: wb.t("flag." + fl)})
	}
	status := ""
	if f.MovedOut {
		status = "1"
	}
	search := searchFilter("q", wb.t("households.filter.q"), f.Q, wb.t("households.filter.q.placeholder"))
	search.Grow = true
	d.Filters = FilterBar{Action: "/households", Live: true, Hidden: underHidden(under), Fields: []Filter{
		search,
		selectFilter("flag", wb.t("households.filter.flag"), f.Flag, flags...),
		selectFilter("moved_out", wb.t("households.filter.status"), status,
			Option{Label: wb.t("households.status.current")}, Option{Value: "1", Label: wb.t("households.status.moved_out")}),
	}}
	if filtered {
		d.Filters.ClearURL = underURL("/households", under)
		d.Empty = wb.emptyFiltered("house", wb.t("households.empty.filtered"), d.Filters.ClearURL)
	} else {
		d.Empty = wb.emptyRegister(d.Page, "house", wb.t("households.empty"), wb.t("households.empty.next"), newURL)
	}
	page, err := wb.st.Households(ctx, sc, f)
	if err != nil {
		return err
	}
	paths := make([]string, len(page.Items))
	for i, h := range page.Items {
		paths[i] = h.Path
	}
	loc, err := wb.newLocator(ctx, sc, contextPath(r, under), paths)
	if err != nil {
		return err
	}
	for _, h := range page.Items {
		d.Rows = append(d.Rows, householdRow{Household: h, Location: loc.label(h.Path)})
	}
	d.Pager = newPager(wb.t("households.total", formatNum(page.Total)), "/households", q, f.Cursor, page.Next)
	if d.Can(authz.HouseholdImport) {
		d.Export = &ExportForm{Action: "/households/export"}
		for _, name := range []string{"territory", "q", "flag", "moved_out"} {
			if v := q.Get(name); v != "" {
				d.Export.Fields = append(d.Export.Fields, Filter{Name: name, Value: v})
			}
		}
	}
	return wb.renderList(w, r, "households/list", d)
}

// householdData is one household with its members.
type householdData struct {
	Page
	Household    *model.Household
	Node         model.TerritoryRef
	Location     string // "1栋 › 2单元"
	Members      []householdMember
	HeadID       int64 // the head among Members, 0 when none
	MembersEmpty Empty
	Events       []model.HouseholdEvent
	Reveal       bool // full ID numbers and phones are shown (and the view was recorded)
	CanReveal    bool
	CanWrite     bool // household.write: the page's edit, move-out and add-member actions
}

// householdMember is one row of the household page's members table, formatted once in Go: the
// labels, the birth date with the age, the masked or revealed ID number and phone. The template
// prints fields instead of calling a dozen functions per member (issue 7's page benchmark).
type householdMember struct {
	ID                              int64
	Name, Relation, Gender, Birth   string
	IDNumber, Phone, Political, Job string
	Head                            bool
	EditLabel                       string // the edit button's accessible name
}

// householdMembers formats members for the page; revealed holds the full values the store
// handed out (nil: masked).
func (wb *Web) householdMembers(members []*model.Resident, revealed map[int64]store.Revealed) []householdMember {
	now := time.Now().In(model.Shanghai)
	rows := make([]householdMember, len(members))
	for i, m := range members {
		row := householdMember{ID: m.ID, Name: m.Name, Relation: m.Relation.Label(), Head: m.Relation == model.RelationHead,
			Gender: wb.t("gender." + string(m.Gender)), IDNumber: m.IDNumber.String(), Phone: m.Phone.String(),
			Political: wb.t("political." + string(m.PoliticalStatus)), Job: m.Occupation, EditLabel: wb.t("resident.edit.label", m.Name)}
		if m.Withheld.BirthDate {
			row.Birth = wb.t("household.birth_year", m.BirthDate.Year())
		} else {
			row.Birth = m.BirthDate.UTC().Format(time.DateOnly) + "（" + wb.t("household.age", m.Age(now)) + "）"
		}
		if full, ok := revealed[m.ID]; ok {
			row.IDNumber, row.Phone = full.IDNumber, full.Phone
		}
		if m.Phone.IsZero() {
			row.Phone = "—"
		}
		if row.Job == "" {
			row.Job = "—"
		}
		rows[i] = row
	}
	return rows
}

// household shows one household. ?reveal=1 shows full ID numbers and phones to roles allowed
// personal.reveal, and records that they looked; others see the masked page.
func (wb *Web) household(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	h, err := wb.st.Household(ctx, sc, id)
	if err != nil {
		return err
	}
	d := &householdData{Page: wb.base(r, h.Address, "households"), Household: h}
	d.CanReveal, d.CanWrite = d.Can(authz.PersonalReveal), d.Can(authz.HouseholdWrite)
	d.Reveal = d.CanReveal && r.URL.Query().Get("reveal") == "1"
	var crumbs []Crumb
	if d.Node, crumbs, err = wb.householdLineage(ctx, sc, h); err != nil {
		return err
	}
	d.Crumbs = append(crumbs, Crumb{Name: h.Address})
	// Where it is, as people say it: the building and the stairwell, not the whole tree.
	for _, c := range crumbs[max(0, len(crumbs)-2):] {
		if d.Location != "" {
			d.Location += " › "
		}
		d.Location += c.Name
	}
	// The members without a page total: one query (ResidentFilter would count them too).
	members, err := wb.st.ResidentsOfHouseholds(ctx, sc, []int64{id})
	if err != nil {
		return err
	}
	for _, m := range members[id] {
		if m.Relation == model.RelationHead {
			d.HeadID = m.ID
		}
	}
	d.MembersEmpty = Empty{Icon: "people", Title: wb.t("household.members.empty")}
	if d.CanWrite && h.MovedOutAt == nil {
		d.MembersEmpty.Text = wb.t("household.members.empty.next")
		d.MembersEmpty.Actions = []Link{{Label: wb.t("household.member.add"), URL: householdURL(h.ID) + "/residents/new", Primary: true}}
	}
	if d.Events, err = wb.st.HouseholdEvents(ctx, sc, id); err != nil {
		return err
	}
	var revealed map[int64]store.Revealed
	if d.Reveal {
		// The store records one access for the page, naming every resident shown in full,
		// before it hands out the values; if it cannot, the page is an error, not the data.
		ids := make([]int64, 0, len(members[id]))
		for _, m := range members[id] {
			ids = append(ids, m.ID)
		}
		if revealed, err = wb.st.RevealResidents(ctx, sc, ids, fmt.Sprintf("household=%d residents=%d", id, len(ids))); err != nil {
			return err
		}
	}
	d.Members = wb.householdMembers(members[id], revealed)
	return wb.render(w, r, http.StatusOK, "households/show", d)
}

// householdFormData is the form that registers a household with its head.
type householdFormData struct {
	Page
	Form      *Form
	Options   []territoryOption
	Truncated bool
	Relations []model.Relation // none: the new household's first person is its head
	Statuses  []model.PoliticalStatus
	Flags     []string
	Action    string
}

// territoryOption is one node a household may be registered at.
type territoryOption struct {
	ID    int64
	Label string
}

// householdNodes lists the nodes under ctx (or the scope) a household may be registered at,
// labelled by their path below ctx, for the form's select.
func (wb *Web) householdNodes(r *http.Request, under *model.Territory) ([]territoryOption, bool, error) {
	f := store.TerritoryFilter{Limit: store.MaxLimit}
	if under != nil {
		f.Under = under.ID
	}
	page, err := wb.st.Territories(r.Context(), scope(r), f)
	if err != nil {
		return nil, false, err
	}
	names := map[int64]string{}
	for _, t := range page.Items {
		names[t.ID] = t.Name
	}
	// Labels start below the top of the list (the filter node or the scope root, which sorts
	// first): a street admin sees "天宝社区 › 1栋 › 2单元".
	depth := 0
	if len(page.Items) > 0 {
		depth = len(model.PathIDs(page.Items[0].Path))
	}
	var opts []territoryOption
	for _, t := range page.Items {
		if t.Kind.Rank() <= model.KindStreet.Rank() {
			continue
		}
		var parts []string
		ids := model.PathIDs(t.Path)
		for _, id := range ids[min(depth, len(ids)):] {
			if n, ok := names[id]; ok {
				parts = append(parts, n)
			}
		}
		label := strings.Join(parts, " › ")
		if label == "" {
			label = t.Name
		}
		opts = append(opts, territoryOption{ID: t.ID, Label: label})
	}
	return opts, page.Next != "", nil
}

// householdForm renders the add-household form with status.
func (wb *Web) householdForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	under, crumbs, err := wb.listFilter(r, householdsURL)
	if err != nil {
		return err
	}
	d := &householdFormData{Page: wb.base(r, wb.t("household.new.title"), "household-new"), Form: f,
		Statuses: model.PoliticalStatuses, Flags: visibleFlags(scope(r))}
	d.Crumbs = crumbs
	if d.Options, d.Truncated, err = wb.householdNodes(r, under); err != nil {
		return err
	}
	if f.Values.Get("territory_id") == "" && under != nil {
		f.Values.Set("territory_id", strconv.FormatInt(under.ID, 10))
	}
	d.Action = "/households/new"
	if under != nil {
		d.Action = link("/households/new", "territory", under.ID)
	}
	if f.Invalid() {
		d.Failed = f
	}
	return wb.render(w, r, status, "households/new", d)
}

var householdFields = []string{"territory_id", "address", "moved_in_at", "name", "id_number", "phone",
	"political_status", "gender", "birth_date", "occupation"}

func (wb *Web) newHouseholdForm(w http.ResponseWriter, r *http.Request) error {
	f := newForm("household", nil, householdFields...)
	f.Values.Set("political_status", string(model.StatusMasses))
	return wb.householdForm(w, r, http.StatusOK, f)
}

// createHousehold registers a household and its head in one transaction, so a bad ID number
// leaves no household without members behind.
func (wb *Web) createHousehold(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	v := r.PostForm
	f := newForm("household", v, householdFields...)
	tid, _ := strconv.ParseInt(v.Get("territory_id"), 10, 64)
	hin := model.HouseholdInput{TerritoryID: tid, Address: v.Get("address"), MovedInAt: strings.TrimSpace(v.Get("moved_in_at"))}
	flagsPatch(sc, v).Apply(&hin)
	rin := residentInput(v)
	rin.Relation = model.RelationHead
	// Both inputs are checked before anything is written, so every mistake shows at once.
	if err := hin.Validate(); err != nil {
		f.fail(err)
	}
	if err := rin.Validate(time.Now()); err != nil {
		f.fail(err)
	}
	if f.Invalid() {
		return wb.householdForm(w, r, http.StatusUnprocessableEntity, f)
	}
	var h *model.Household
	err := wb.st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if h, err = tx.CreateHousehold(ctx, sc, hin); err != nil {
			return err
		}
		rin.HouseholdID = h.ID
		_, err = tx.CreateResident(ctx, sc, rin)
		return err
	})
	if err != nil {
		if f.fail(err) {
			return wb.householdForm(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, householdURL(h.ID), "household_created")
	return nil
}

// flagsPatch reads the care flags of a form, each as ticked or not; only the flags the scope
// may see are read, so a hidden flag posted anyway changes nothing.
func flagsPatch(sc authz.Scope, v url.Values) model.HouseholdPatch {
	var p model.HouseholdPatch
	for _, fl := range visibleFlags(sc) {
		on := v.Get(fl) != ""
		switch fl {
		case "elderly_alone":
			p.Flags.ElderlyAlone = &on
		case "hardship":
			p.Flags.Hardship = &on
		case "disability":
			p.Flags.Disability = &on
		case "mobile":
			p.Flags.Mobile = &on
		}
	}
	return p
}

// householdEditData is the form that changes a household's own fields.
type householdEditData struct {
	Page
	Household *model.Household
	Location  string
	Form      *Form
	Flags     []string
}

var householdEditFields = []string{"address", "moved_in_at"}

// householdEditPage renders the edit form of household {id} with f.
func (wb *Web) householdEditPage(w http.ResponseWriter, r *http.Request, status int, h *model.Household, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	d := &householdEditData{Page: wb.base(r, wb.t("household.edit.title"), "households"), Household: h, Form: f, Flags: visibleFlags(sc)}
	crumbs, err := wb.householdCrumbs(ctx, sc, h, d.Title)
	if err != nil {
		return err
	}
	d.Crumbs = crumbs
	// The node's last two levels (building › stairwell), before the household and the title.
	for _, c := range crumbs[max(0, len(crumbs)-4) : len(crumbs)-2] {
		if d.Location != "" {
			d.Location += " › "
		}
		d.Location += c.Name
	}
	if f.Invalid() {
		d.Failed = f
	}
	return wb.render(w, r, status, "households/edit", d)
}

// editHouseholdForm shows household {id}'s fields to change.
func (wb *Web) editHouseholdForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	h, err := wb.st.Household(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	f := newForm("household", nil, householdEditFields...)
	f.Values.Set("address", h.Address)
	if h.MovedInAt != nil {
		f.Values.Set("moved_in_at", h.MovedInAt.Format(time.DateOnly))
	}
	for _, fl := range visibleFlags(scope(r)) {
		if householdFlag(h.Flags, fl) {
			f.Values.Set(fl, "1")
		}
	}
	return wb.householdEditPage(w, r, http.StatusOK, h, f)
}

func householdFlag(f model.HouseholdFlags, name string) bool {
	switch name {
	case "elderly_alone":
		return f.ElderlyAlone
	case "hardship":
		return f.Hardship
	case "disability":
		return f.Disability
	case "mobile":
		return f.Mobile
	}
	return false
}

// editHousehold changes household {id} through the same store call as the API's PATCH
// (store.PatchHousehold: one transaction, the model's validators, history and audit).
func (wb *Web) editHousehold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	v := r.PostForm
	p := flagsPatch(sc, v)
	address, movedIn := v.Get("address"), strings.TrimSpace(v.Get("moved_in_at"))
	p.Address, p.MovedInAt = &address, &movedIn
	if _, err := wb.st.PatchHousehold(ctx, sc, id, p); err != nil {
		f := newForm("household", v, householdEditFields...)
		if !f.fail(err) {
			return err
		}
		h, herr := wb.st.Household(ctx, sc, id)
		if herr != nil {
			return herr
		}
		return wb.householdEditPage(w, r, http.StatusUnprocessableEntity, h, f)
	}
	redirect(w, r, householdURL(id), "household_updated")
	return nil
}

// residentInput reads the resident fields of a form.
func residentInput(v url.Values) model.ResidentInput {
	return model.ResidentInput{
		Name:            v.Get("name"),
		IDNumber:        v.Get("id_number"),
		Phone:           v.Get("phone"),
		Gender:          model.Gender(v.Get("gender")),
		BirthDate:       strings.TrimSpace(v.Get("birth_date")),
		Relation:        model.Relation(v.Get("relation")),
		PoliticalStatus: model.PoliticalStatus(v.Get("political_status")),
		Occupation:      v.Get("occupation"),
	}
}

// residentFormData is the form that adds a member to a household.
type residentFormData struct {
	Page
	Household *model.Household
	Form      *Form
	Relations []model.Relation
	Statuses  []model.PoliticalStatus
}

var residentFields = []string{"name", "id_number", "relation", "phone", "political_status", "gender", "birth_date", "occupation"}

func (wb *Web) residentForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	h, err := wb.st.Household(ctx, sc, id)
	if err != nil {
		return err
	}
	d := &residentFormData{Page: wb.base(r, wb.t("resident.new.title"), "households"), Household: h, Form: f,
		Statuses: model.PoliticalStatuses}
	for _, rel := range model.Relations {
		if rel != model.RelationHead || h.HeadName == "" {
			d.Relations = append(d.Relations, rel)
		}
	}
	crumbs, err := wb.householdCrumbs(ctx, sc, h, d.Title)
	if err != nil {
		return err
	}
	d.Crumbs = crumbs
	if f.Invalid() {
		d.Failed = f
	}
	return wb.render(w, r, status, "residents/new", d)
}

func (wb *Web) newResidentForm(w http.ResponseWriter, r *http.Request) error {
	f := newForm("resident", nil, residentFields...)
	f.Values.Set("political_status", string(model.StatusMasses))
	return wb.residentForm(w, r, http.StatusOK, f)
}

// createResident adds a member to household {id}.
func (wb *Web) createResident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := newForm("resident", r.PostForm, residentFields...)
	in := residentInput(r.PostForm)
	in.HouseholdID = id
	if _, err := wb.st.CreateResident(r.Context(), scope(r), in); err != nil {
		if f.fail(err) {
			return wb.residentForm(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	redirect(w, r, householdURL(id), "member_added")
	return nil
}

// moveOutData is the move-out form and its check page.
type moveOutData struct {
	Page
	Household *model.Household
	Form      *Form
	Confirm   bool // show the answers to check instead of the form
}

func (wb *Web) moveOutPage(w http.ResponseWriter, r *http.Request, status int, f *Form, confirm bool) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	h, err := wb.st.Household(ctx, sc, id)
	if err != nil {
		return err
	}
	title := wb.t("household.moveout.title")
	if confirm {
		title = wb.t("household.moveout.check")
	}
	d := &moveOutData{Page: wb.base(r, title, "households"), Household: h, Form: f, Confirm: confirm}
	crumbs, err := wb.householdCrumbs(ctx, sc, h, title)
	if err != nil {
		return err
	}
	d.Crumbs = crumbs
	if f.Invalid() {
		d.Failed = f
	}
	return wb.render(w, r, status, "households/move_out", d)
}

func (wb *Web) moveOutForm(w http.ResponseWriter, r *http.Request) error {
	// The check page's 更改 links come back here with the answers to change.
	q := r.URL.Query()
	f := newForm("moveout", nil, moveOutFields...)
	f.Values.Set("date", q.Get("date"))
	f.Values.Set("note", q.Get("note"))
	if f.Values.Get("date") == "" {
		f.Values.Set("date", time.Now().In(model.Shanghai).Format(time.DateOnly))
	}
	return wb.moveOutPage(w, r, http.StatusOK, f, false)
}

var moveOutFields = []string{"date", "note"}

// moveOut is two steps: the form posts here without confirm and gets the answers to check;
// the check page posts them back with confirm=1 and the household moves out. Both steps check
// the answers with the API's rules (model.MoveOut), the first against the stored move-in date.
func (wb *Web) moveOut(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	f := newForm("moveout", r.PostForm, moveOutFields...)
	m := model.MoveOut{Date: r.PostForm.Get("date"), Note: r.PostForm.Get("note")}
	if r.PostForm.Get("confirm") != "1" {
		h, err := wb.st.Household(ctx, sc, id)
		if err != nil {
			return err
		}
		if f.fail(m.Validate(h.MovedInAt)) {
			return wb.moveOutPage(w, r, http.StatusUnprocessableEntity, f, false)
		}
		f.Values.Set("date", m.Date)
		f.Values.Set("note", m.Note)
		return wb.moveOutPage(w, r, http.StatusOK, f, true)
	}
	if _, err := wb.st.MoveOutHousehold(ctx, sc, id, m); err != nil {
		if f.fail(err) {
			return wb.moveOutPage(w, r, http.StatusUnprocessableEntity, f, false)
		}
		return err
	}
	redirect(w, r, householdURL(id), "moved_out")
	return nil
}

// householdCrumbs is the breadcrumb of a page under household h: the territory path down to h's
// node (the node linked to its household list), the household, then title.
func (wb *Web) householdCrumbs(ctx context.Context, sc authz.Scope, h *model.Household, title string) ([]Crumb, error) {
	_, crumbs, err := wb.householdLineage(ctx, sc, h)
	if err != nil {
		return nil, err
	}
	return append(crumbs, Crumb{Name: h.Address, URL: householdURL(h.ID)}, Crumb{Name: title}), nil
}

// householdLineage is household h's node and the breadcrumb from the top of the scope down to
// it, each step linked to its household list: one query (Store.Lineage of h's path, which is
// its node's).
func (wb *Web) householdLineage(ctx context.Context, sc authz.Scope, h *model.Household) (model.TerritoryRef, []Crumb, error) {
	line, err := wb.st.Lineage(ctx, sc, h.Path)
	if err != nil {
		return model.TerritoryRef{}, nil, err
	}
	node := line[len(line)-1]
	if node.ID != h.TerritoryID {
		return model.TerritoryRef{}, nil, fmt.Errorf("household %d: its path %s does not end at its node %d", h.ID, h.Path, h.TerritoryID)
	}
	crumbs := make([]Crumb, 0, len(line)+2)
	for _, n := range line {
		crumbs = append(crumbs, Crumb{Name: n.Name, URL: householdsURL(n.ID)})
	}
	return node, crumbs, nil
}
