package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Points (积分): the leaderboards of the caller's area, and "my branch" (我的支部), the member's
// phone page: my meetings, my points, check-in; courses and dues join it from their parts.

type pointsPage struct {
	Page
	Rows        []model.PointsStanding
	Heading     string
	Communities []*model.Territory
	Branches    []*model.Org
	Community   int64
	OrgID       int64
}

// pointsCommunities are the community nodes in sc, for the filters and the rules page.
func (wb *Web) pointsCommunities(r *http.Request) ([]*model.Territory, error) {
	pg, err := wb.st.Territories(r.Context(), scope(r), store.TerritoryFilter{Kind: model.KindCommunity, Limit: 500})
	if err != nil {
		return nil, err
	}
	return pg.Items, nil
}

func (wb *Web) points(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	if u := authz.UserFrom(r.Context()); u == nil || !authz.Allowed(u.Role, authz.PartyMeetingRead) {
		// A member sees the boards of their own branch and community on "my branch".
		http.Redirect(w, r, "/party/me#points", http.StatusSeeOther)
		return nil
	}
	q := r.URL.Query()
	p := &pointsPage{Page: wb.base(r, wb.t("points.title"), "party-points")}
	p.Community, _ = strconv.ParseInt(q.Get("territory"), 10, 64)
	p.OrgID, _ = strconv.ParseInt(q.Get("org"), 10, 64)
	var err error
	if p.Communities, err = wb.pointsCommunities(r); err != nil {
		return err
	}
	orgs, _, err := wb.st.OrgTree(r.Context(), sc, 0)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if o.Kind == model.OrgGridBranch || o.Kind == model.OrgFunctional && o.Level == model.LevelBranch {
			p.Branches = append(p.Branches, o)
		}
	}
	p.Heading = wb.t("points.board.scope")
	f := store.LeaderboardFilter{Limit: 100}
	switch {
	case p.OrgID != 0:
		f.OrgID = p.OrgID
		for _, o := range p.Branches {
			if o.ID == p.OrgID {
				p.Heading = wb.t("points.board.of", o.Name)
			}
		}
	case p.Community != 0:
		f.Under = p.Community
		for _, c := range p.Communities {
			if c.ID == p.Community {
				p.Heading = wb.t("points.board.of", c.Name)
			}
		}
	}
	if p.Rows, err = wb.st.Leaderboard(r.Context(), sc, f); err != nil {
		return err
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/points_board", p)
}

type pointsRulesPage struct {
	Page
	Communities   []*model.Territory
	Community     int64
	CommunityName string
	Rules         []model.PointsRule
	Form          *Form
}

func pointsRulesForm() *Form {
	fields := []string{"community_id"}
	for _, src := range model.PointsRuleSources {
		fields = append(fields, "points_"+string(src))
	}
	return newForm("rules", nil, fields...)
}

func (wb *Web) pointsRulesPage(w http.ResponseWriter, r *http.Request, status int, community int64, f *Form) error {
	p := &pointsRulesPage{Page: wb.base(r, wb.t("points.rules.title"), "party-points"), Form: f}
	var err error
	if p.Communities, err = wb.pointsCommunities(r); err != nil {
		return err
	}
	if community == 0 && len(p.Communities) > 0 {
		community = p.Communities[0].ID
	}
	if community != 0 {
		if p.Rules, err = wb.st.PointsRules(r.Context(), scope(r), community); err != nil {
			return err
		}
		p.Community = community
		for _, c := range p.Communities {
			if c.ID == community {
				p.CommunityName = c.Name
			}
		}
		for _, rule := range p.Rules {
			if k := "points_" + string(rule.Source); f.Values.Get(k) == "" {
				f.Values.Set(k, strconv.Itoa(rule.Points))
			}
		}
	}
	p.Crumbs = []Crumb{{Name: wb.t("points.title"), URL: "/party/points"}, {Name: p.Title}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/points_rules", p)
}

func (wb *Web) pointsRules(w http.ResponseWriter, r *http.Request) error {
	community, _ := strconv.ParseInt(r.URL.Query().Get("community"), 10, 64)
	return wb.pointsRulesPage(w, r, http.StatusOK, community, pointsRulesForm())
}

func (wb *Web) savePointsRules(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := pointsRulesForm()
	f.Values = r.PostForm
	community, err := strconv.ParseInt(r.PostForm.Get("community_id"), 10, 64)
	if err != nil || community <= 0 {
		return model.ErrNotFound
	}
	rules := map[model.PointsSource]int{}
	for _, src := range model.PointsRuleSources {
		k := "points_" + string(src)
		n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(k)))
		if err != nil {
			f.add(k, src.Label()+"的分值应为 0 到 1000 之间的整数")
			continue
		}
		rules[src] = n
	}
	if !f.Invalid() {
		err = wb.st.SetPointsRules(r.Context(), scope(r), community, rules)
		if err == nil {
			redirect(w, r, "/party/points/rules?community="+strconv.FormatInt(community, 10), "points_rules_saved")
			return nil
		}
		if !f.fail(err) {
			return err
		}
	}
	return wb.pointsRulesPage(w, r, http.StatusUnprocessableEntity, community, f)
}

type pointsMemberPage struct {
	Page
	Profile *model.PointsStanding
	Manage  bool
	Entries []model.PointsEntry
	Form    *Form
}

func (wb *Web) pointsMemberPage(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	prof, err := wb.st.MemberProfile(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	p := &pointsMemberPage{Page: wb.base(r, prof.Name, "party-points"), Profile: prof, Form: f}
	if p.Manage = p.Can("party.points.write"); p.Manage {
		if p.Entries, _, err = wb.st.MemberLedger(r.Context(), scope(r), id, 50); err != nil {
			return err
		}
	}
	p.Crumbs = []Crumb{{Name: wb.t("points.title"), URL: "/party/points"}, {Name: prof.Name}}
	if f.Invalid() {
		p.Failed = f
	}
	return wb.render(w, r, status, "party/points_member", p)
}

func pointsCorrectForm() *Form { return newForm("correct", nil, "entry_id", "points", "reason") }

func (wb *Web) pointsMember(w http.ResponseWriter, r *http.Request) error {
	return wb.pointsMemberPage(w, r, http.StatusOK, pointsCorrectForm())
}

func (wb *Web) correctMemberPoints(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := pointsCorrectForm()
	f.Values = r.PostForm
	entry, err := strconv.ParseInt(r.PostForm.Get("entry_id"), 10, 64)
	if err != nil || entry <= 0 {
		f.add("entry_id", "请选择要更正的积分记录")
	}
	points, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("points")))
	if err != nil {
		f.add("points", "更正分值应为 -1000 到 1000 之间的非零整数")
	}
	if !f.Invalid() {
		_, err = wb.st.CorrectPoints(r.Context(), scope(r), id, entry, points, r.PostForm.Get("reason"))
		if err == nil {
			redirect(w, r, "/party/points/members/"+strconv.FormatInt(id, 10), "points_corrected")
			return nil
		}
		if !f.fail(err) {
			return err
		}
	}
	return wb.pointsMemberPage(w, r, http.StatusUnprocessableEntity, f)
}

type myBranchPage struct {
	Page
	Meetings []*model.Meeting
	Points   *store.MyParty
	Dues     *store.DuesAccount // this year's; nil when it cannot be read
	Spaces   []*store.SpaceOrg  // the online spaces of the member's orgs, nearest first
	Now      time.Time
	// Transfers are the member's own (in and out); Pending the requested ones of the orgs the
	// account manages by its post (secretary, deputy), empty for a member without one.
	Transfers []*model.Transfer
	Pending   []*model.Transfer
}

func (wb *Web) myBranch(w http.ResponseWriter, r *http.Request) error {
	sc := scope(r)
	ms, err := wb.st.MemberMeetings(r.Context(), sc.UserID, time.Now().AddDate(0, -3, 0), 20)
	if err != nil {
		return err
	}
	pts, err := wb.st.MyPoints(r.Context(), sc)
	if err != nil {
		return err
	}
	p := &myBranchPage{Page: wb.base(r, wb.t("me.branch.title"), "party-me"), Meetings: ms, Points: pts, Now: time.Now()}
	if p.Dues, err = wb.st.MyDues(r.Context(), sc, time.Now().In(model.Shanghai).Year()); err != nil {
		return err
	}
	if p.Transfers, err = wb.st.MyTransfers(r.Context(), sc); err != nil {
		return err
	}
	pending, err := wb.st.Transfers(r.Context(), sc, store.TransferFilter{Status: model.TransferRequested, Limit: 20})
	if err != nil {
		return err
	}
	p.Pending = pending.Items
	if p.Spaces, err = wb.st.MySpaces(r.Context(), sc); err != nil {
		return err
	}
	p.Crumbs = []Crumb{{Name: p.Title}}
	return wb.render(w, r, http.StatusOK, "party/me", p)
}
