package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Party organizations (issue 8, items 1 and 11): the org chart of the caller's scope, an org's
// page with its posts, term, functional orgs and history and the forms that change it, and the
// two generators with preview, confirm and undo.

func orgURL(id int64) string { return "/party/orgs/" + strconv.FormatInt(id, 10) }

// orgNode is one org of the chart with its children.
type orgNode struct {
	Org      *model.Org
	Term     *model.Term
	Warning  string // "due", "overdue" or ""
	Children []*orgNode
}

// orgChartData is /party/orgs.
type orgChartData struct {
	Page
	Roots       []*orgNode
	Count       int
	Truncated   bool
	Functional  []*model.Org
	Due         []termRow
	Communities []*model.Org // community committees the caller may run the generators on
}

type termRow struct {
	Term    *model.Term
	Org     *model.Org
	Warning string
}

func today() time.Time {
	y, m, d := time.Now().In(model.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// orgChart shows the caller's orgs as a collapsible tree (details/summary, no script).
func (wb *Web) orgChart(w http.ResponseWriter, r *http.Request) error {
	ctx, sc := r.Context(), scope(r)
	orgs, truncated, err := wb.st.OrgTree(ctx, sc, 0)
	if err != nil {
		return err
	}
	d := &orgChartData{Page: wb.base(r, wb.t("porg.chart.title"), "party-orgs"), Count: len(orgs), Truncated: truncated}
	d.Crumbs = []Crumb{{Name: wb.t("porg.chart.title")}}
	ids := make([]int64, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	terms, err := wb.st.CurrentTerms(ctx, sc, ids)
	if err != nil {
		return err
	}
	now := today()
	nodes := make(map[int64]*orgNode, len(orgs))
	for _, o := range orgs {
		n := &orgNode{Org: o, Term: terms[o.ID]}
		if n.Term != nil {
			n.Warning = n.Term.Warning(now)
			if n.Warning != "" {
				d.Due = append(d.Due, termRow{Term: n.Term, Org: o, Warning: n.Warning})
			}
		}
		nodes[o.ID] = n
		if o.Kind == model.OrgFunctional {
			d.Functional = append(d.Functional, o)
		}
		if o.Kind == model.OrgCommunityCommittee && d.Can(authz.PartyOrgWrite) {
			d.Communities = append(d.Communities, o)
		}
	}
	for _, o := range orgs {
		if p, ok := nodes[o.ParentID]; ok && o.ParentID != 0 {
			p.Children = append(p.Children, nodes[o.ID])
		} else {
			d.Roots = append(d.Roots, nodes[o.ID])
		}
	}
	return wb.render(w, r, http.StatusOK, "party/org_chart", d)
}

// orgData is /party/orgs/{id}.
type orgData struct {
	Page
	Org        *model.Org
	Parent     *model.Org
	Territory  *model.Territory
	Children   []*model.Org
	Functional []*model.Org
	Posts      []*model.Post
	Terms      []*model.Term
	Term       *model.Term
	Warning    string
	DaysLeft   int
	Events     []model.OrgEvent
	MergeInto  []*model.Org
	CanWrite   bool
	HasTerms   bool
	Forms      map[string]*Form
	PostKinds  []model.PostKind
	// The post form's holder picker: the roster matches of HolderQ, and the co-building units
	// of the register an outside holder may come from.
	Holders  []*model.Member
	HolderQ  string
	Partners []*model.Organization
}

// OpenForm names the form to show expanded: the one that failed.
func (d *orgData) OpenForm() string {
	if d.Failed != nil {
		return d.Failed.Name
	}
	return ""
}

func (wb *Web) orgPage(r *http.Request, id int64, failed *Form) (*orgData, error) {
	ctx, sc := r.Context(), scope(r)
	o, err := wb.st.Org(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	d := &orgData{Page: wb.base(r, o.Name, "party-orgs"), Org: o, PostKinds: model.PostKinds}
	anc, err := wb.st.OrgAncestors(ctx, sc, o)
	if err != nil {
		return nil, err
	}
	d.Crumbs = []Crumb{{Name: wb.t("porg.chart.title"), URL: "/party/orgs"}}
	for _, a := range anc {
		d.Crumbs = append(d.Crumbs, Crumb{Name: a.Name, URL: orgURL(a.ID)})
	}
	d.Crumbs = append(d.Crumbs, Crumb{Name: o.Name})
	if len(anc) > 0 {
		d.Parent = anc[len(anc)-1]
	}
	if o.TerritoryID != 0 {
		if d.Territory, err = wb.st.Territory(ctx, sc, o.TerritoryID); err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
	}
	if o.Active() {
		if d.Children, err = wb.st.OrgChildren(ctx, sc, id); err != nil {
			return nil, err
		}
	}
	// Functional orgs gather members across the tree: every one in this org's subtree.
	if o.Kind != model.OrgFunctional {
		sub, _, err := wb.st.OrgTree(ctx, authz.Scope{UserID: sc.UserID, Role: sc.Role, Path: o.Path}, 0)
		if err != nil {
			return nil, err
		}
		for _, f := range sub {
			if f.Kind == model.OrgFunctional && sc.Contains(f.Path) {
				d.Functional = append(d.Functional, f)
			}
		}
	}
	if d.Posts, err = wb.st.OrgPosts(ctx, sc, id, false); err != nil {
		return nil, err
	}
	if d.Terms, err = wb.st.OrgTerms(ctx, sc, id); err != nil {
		return nil, err
	}
	if len(d.Terms) > 0 {
		d.Term = d.Terms[0]
		d.Warning = d.Term.Warning(today())
		d.DaysLeft = d.Term.DaysLeft(today())
	}
	if d.Events, err = wb.st.OrgEvents(ctx, sc, id); err != nil {
		return nil, err
	}
	d.HasTerms = o.Kind.Committee() || o.Kind == model.OrgGridBranch || (o.Kind == model.OrgFunctional && o.Level == model.LevelBranch)
	d.CanWrite = d.Can(authz.PartyOrgWrite) && o.Active()
	if d.CanWrite && !o.Kind.Committee() {
		same, err := wb.st.Orgs(ctx, sc, store.OrgFilter{Kind: o.Kind, CommunityID: o.CommunityID, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, c := range same.Items {
			if c.ID != o.ID {
				d.MergeInto = append(d.MergeInto, c)
			}
		}
	}
	d.Forms = map[string]*Form{
		"rename":   newForm("rename", nil, "name"),
		"merge":    newForm("merge", nil, "into_id"),
		"dissolve": newForm("dissolve", nil, "reason"),
		"term":     newForm("term", nil, "starts_on", "ends_on", "elected_on", "note"),
		"post":     newForm("post", nil, postFields...),
	}
	d.Forms["rename"].Values.Set("name", o.Name)
	if failed != nil {
		d.Forms[failed.Name] = failed
		d.Failed = failed
	}
	if d.CanWrite {
		f := organizationsForPosts(o)
		partners, err := wb.st.Organizations(ctx, sc, f)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		} else if err == nil {
			d.Partners = partners.Items
		}
		if err := wb.holders(r, d, d.Forms["post"]); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// postFields are the post form's fields.
var postFields = []string{"post", "holder", "q", "member_id", "holder_name", "organization_id", "starts_on"}

// organizationsForPosts selects the co-building units an outside holder of a post of o
// may come from: those of o's community (of the whole scope for a street committee).
func organizationsForPosts(o *model.Org) store.OrganizationFilter {
	return store.OrganizationFilter{Under: o.CommunityID, Type: model.OrgCoBuilding, Limit: 200}
}

// holders fills the picker's roster matches of the form's q: members of d.Org and the orgs below
// it that the caller may read, by name, at most 10; the picked member stays listed.
func (wb *Web) holders(r *http.Request, d *orgData, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	d.HolderQ = strings.TrimSpace(f.Values.Get("q"))
	p, err := wb.st.Members(ctx, sc, store.MemberFilter{OrgID: d.Org.ID, Q: d.HolderQ, Limit: 10})
	if err != nil {
		return err
	}
	d.Holders = p.Items
	if picked, err := strconv.ParseInt(f.Values.Get("member_id"), 10, 64); err == nil && picked > 0 {
		for _, m := range d.Holders {
			if m.ID == picked {
				return nil
			}
		}
		if m, err := wb.st.Member(ctx, sc, picked); err == nil && m.OrgID != 0 {
			d.Holders = append([]*model.Member{m}, d.Holders...)
		}
	}
	return nil
}

// postHolders answers the picker's search: with htmx only the matches, without script the post
// form on a page of its own with the matches and whatever was typed kept.
func (wb *Web) postHolders(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := newForm("post", r.URL.Query(), postFields...)
	varyHTMX(w)
	if htmxTarget(r) == "holder-results" {
		o, err := wb.st.Org(r.Context(), scope(r), id)
		if err != nil {
			return err
		}
		d := &orgData{Org: o, Forms: map[string]*Form{"post": f}}
		if err := wb.holders(r, d, f); err != nil {
			return err
		}
		return wb.renderBlock(w, http.StatusOK, "party/org_holders", "results", d)
	}
	d, err := wb.orgPage(r, id, nil)
	if err != nil {
		return err
	}
	if !d.CanWrite {
		return model.ErrNotFound
	}
	d.Forms["post"] = f
	if err := wb.holders(r, d, f); err != nil {
		return err
	}
	d.Title = wb.t("porg.post.holders.title")
	return wb.render(w, r, http.StatusOK, "party/org_holders", d)
}

// org shows one org.
func (wb *Web) org(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := wb.orgPage(r, id, nil)
	if err != nil {
		return err
	}
	return wb.render(w, r, http.StatusOK, "party/org_show", d)
}

// orgForm handles one of the org page's forms: it parses the body, runs act and redirects with
// done, or shows the page again with the form's errors.
func (wb *Web) orgForm(name, done string, fields []string, act func(r *http.Request, id int64, f *Form) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if err := parseForm(w, r); err != nil {
			return err
		}
		f := newForm(name, r.PostForm, fields...)
		if err := act(r, id, f); err != nil {
			if !f.fail(err) {
				return err
			}
		}
		if f.Invalid() {
			d, err := wb.orgPage(r, id, f)
			if err != nil {
				return err
			}
			return wb.render(w, r, http.StatusUnprocessableEntity, "party/org_show", d)
		}
		redirect(w, r, orgURL(id), done)
		return nil
	}
}

func formDate(f *Form, field string) *time.Time {
	s := strings.TrimSpace(f.Values.Get(field))
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		f.add(field, "日期格式应为 2026-03-01")
		return nil
	}
	return &d
}

func (wb *Web) renameOrg(r *http.Request, id int64, f *Form) error {
	_, err := wb.st.RenameOrg(r.Context(), scope(r), id, f.Values.Get("name"))
	return err
}

func (wb *Web) mergeOrg(r *http.Request, id int64, f *Form) error {
	into, err := strconv.ParseInt(f.Values.Get("into_id"), 10, 64)
	if err != nil || into <= 0 {
		f.add("into_id", wb.t("porg.merge.missing"))
		return nil
	}
	_, err = wb.st.MergeOrg(r.Context(), scope(r), id, into)
	return err
}

func (wb *Web) dissolveOrg(r *http.Request, id int64, f *Form) error {
	_, err := wb.st.DissolveOrg(r.Context(), scope(r), id, f.Values.Get("reason"))
	return err
}

func (wb *Web) recordTerm(r *http.Request, id int64, f *Form) error {
	in := model.TermInput{Note: f.Values.Get("note"), ElectedOn: formDate(f, "elected_on")}
	if d := formDate(f, "starts_on"); d != nil {
		in.StartsOn = *d
	}
	if d := formDate(f, "ends_on"); d != nil {
		in.EndsOn = *d
	}
	if f.Invalid() {
		return nil
	}
	_, err := wb.st.RecordTerm(r.Context(), scope(r), id, in)
	return err
}

func (wb *Web) addPost(r *http.Request, id int64, f *Form) error {
	in := model.PostInput{Post: model.PostKind(f.Values.Get("post"))}
	if f.Values.Get("holder") == "outside" {
		in.HolderName = f.Values.Get("holder_name")
		if v := f.Values.Get("organization_id"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				f.add("organization_id", wb.t("porg.post.holder.missing"))
			}
			in.OrganizationID = n
		}
		if strings.TrimSpace(in.HolderName) == "" {
			f.add("holder_name", wb.t("porg.post.holder.missing"))
		}
	} else if n, err := strconv.ParseInt(f.Values.Get("member_id"), 10, 64); err == nil && n > 0 {
		in.MemberID = n
	} else {
		f.add("member_id", wb.t("porg.post.holder.missing"))
	}
	if d := formDate(f, "starts_on"); d != nil {
		in.StartsOn = *d
	}
	if f.Invalid() {
		return nil
	}
	_, err := wb.st.AddPost(r.Context(), scope(r), id, in)
	return err
}

// generatorData is the generators' page: pick a community and a generator, preview, confirm,
// and the runs so far with their undo.
type generatorData struct {
	Page
	Communities []*model.Org
	Community   *model.Territory
	Generator   model.GeneratorKind
	Generators  []model.GeneratorKind
	Plan        []model.PlannedOrg
	Previewed   bool
	Batches     []*model.OrgBatch
	Form        *Form
}

func communityParam(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func (wb *Web) generatorPage(r *http.Request, community int64, gen model.GeneratorKind, f *Form) (*generatorData, error) {
	ctx, sc := r.Context(), scope(r)
	d := &generatorData{Page: wb.base(r, wb.t("porg.gen.title"), "party-orgs"), Generator: gen,
		Generators: []model.GeneratorKind{model.GenBranches, model.GenGroupsBuilding, model.GenGroupsCompound}, Form: f}
	d.Crumbs = []Crumb{{Name: wb.t("porg.chart.title"), URL: "/party/orgs"}, {Name: wb.t("porg.gen.title")}}
	committees, err := wb.st.Orgs(ctx, sc, store.OrgFilter{Kind: model.OrgCommunityCommittee, Limit: 500})
	if err != nil {
		return nil, err
	}
	d.Communities = committees.Items
	if community == 0 {
		return d, nil
	}
	if d.Community, err = wb.st.Territory(ctx, sc, community); err != nil {
		return nil, err
	}
	if d.Batches, err = wb.st.OrgBatches(ctx, sc, community); err != nil {
		return nil, err
	}
	if gen.Valid() && (f == nil || !f.Invalid()) {
		d.Plan, err = wb.st.PlanOrgs(ctx, sc, community, gen)
		if err != nil {
			if d.Form == nil {
				d.Form = newForm("generate", nil)
			}
			if !d.Form.fail(err) {
				return nil, err
			}
		} else {
			d.Previewed = true
		}
	}
	if d.Form != nil && d.Form.Invalid() {
		d.Failed = d.Form
	}
	return d, nil
}

// generatorForm previews a generator: it lists what would be created and writes nothing.
func (wb *Web) generatorForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d, err := wb.generatorPage(r, communityParam(q.Get("community")), model.GeneratorKind(q.Get("generator")), nil)
	if err != nil {
		return err
	}
	return wb.render(w, r, http.StatusOK, "party/org_generate", d)
}

// runGenerator confirms a generator: the orgs are written in one transaction under a batch.
func (wb *Web) runGenerator(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	community := communityParam(r.PostForm.Get("community"))
	gen := model.GeneratorKind(r.PostForm.Get("generator"))
	f := newForm("generate", r.PostForm, "community", "generator")
	if community == 0 {
		f.add("community", wb.t("porg.gen.community.missing"))
	} else if _, err := wb.st.RunGenerator(r.Context(), scope(r), community, gen); err != nil {
		if !f.fail(err) {
			return err
		}
	} else {
		redirect(w, r, "/party/generate?community="+strconv.FormatInt(community, 10), "generated")
		return nil
	}
	d, err := wb.generatorPage(r, community, "", f)
	if err != nil {
		return err
	}
	status := http.StatusUnprocessableEntity
	if f.Message != "" {
		status = http.StatusConflict
	}
	return wb.render(w, r, status, "party/org_generate", d)
}

// undoGenerator undoes one run on the community as one step.
func (wb *Web) undoGenerator(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx, sc := r.Context(), scope(r)
	community := communityParam(r.PostForm.Get("community"))
	if _, err := wb.st.Territory(ctx, sc, community); err != nil {
		return err
	}
	f := newForm("undo", r.PostForm, "batch")
	batch := communityParam(r.PostForm.Get("batch"))
	b, err := wb.st.OrgBatch(ctx, sc, batch)
	switch {
	case batch == 0, errors.Is(err, model.ErrNotFound), err == nil && b.CommunityID != community:
		f.add("batch", wb.t("porg.gen.batch.missing"))
	case err != nil:
		return err
	default:
		if _, err := wb.st.UndoOrgBatch(ctx, sc, batch); err == nil {
			redirect(w, r, "/party/generate?community="+strconv.FormatInt(community, 10), "generator_undone")
			return nil
		} else if !f.fail(err) {
			return err
		}
	}
	d, err := wb.generatorPage(r, community, "", f)
	if err != nil {
		return err
	}
	return wb.render(w, r, http.StatusConflict, "party/org_generate", d)
}
