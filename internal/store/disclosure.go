package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The public disclosure page of a community (党务公开、居务公开, issue 11 item 6): what anyone
// may read without logging in — public notices, the results of closed votes, the Party
// organization chart with post titles and names, the service statistics of orders and the time
// bank, the progress of the community's projects. Every query here selects public columns
// only: no household, address, phone, ID number or resident appears, and a person only as
// the holder of a post.

// Disclosure is a community's public disclosure.
type Disclosure struct {
	CommunityID   int64
	CommunityName string
	Code          string
	StreetName    string
	Notices       []*model.Notice
	Votes         []DisclosedVote
	Orgs          []DisclosedOrg
	Service       DisclosedService
	Projects      []DisclosedProject
	Rounds        []DisclosedRound
	// Funds is the community's special-funds spending of FundsYear per category (issue 12).
	Funds     []model.FundSpending
	FundsYear int
	// Updated is the latest change shown (the Atom feed's updated, the page's Last-Modified).
	Updated time.Time
}

// DisclosedVote is a closed vote's published result.
type DisclosedVote struct {
	ID            int64
	Title         string
	TerritoryName string
	ClosedAt      time.Time
	Ballots       int
	Eligible      int
	Outcome       string
}

// DisclosedOrg is a Party organization of the community with its current posts.
type DisclosedOrg struct {
	Name  string
	Kind  model.OrgKind
	Posts []DisclosedPost
}

// DisclosedPost is a post title with its holder's name.
type DisclosedPost struct {
	Title string
	Name  string
}

// DisclosedService is the community's volunteer service this year.
type DisclosedService struct {
	Year       int
	OrdersDone int64
	Hours      int64 // whole hours of service banked
}

// DisclosedProject is one of the community's projects (需求与资源对接) and its milestones.
type DisclosedProject struct {
	Title          string
	Status         model.ProjectStatus
	Milestones     int
	MilestonesDone int
	StartsOn       time.Time
	UpdatedAt      time.Time
}

// DisclosedRound is a decided budget round (民生微实事) with its winners: the budget, the rule
// and what the winners cost, never who proposed them.
type DisclosedRound struct {
	ID        int64
	Title     string
	Year      int
	BudgetFen int64
	UsedFen   int64
	Rule      model.VoteRule
	DecidedAt time.Time
	Ballots   int
	Eligible  int
	Winners   []DisclosedWinner
}

// Budget, Used and Left are the round's money in yuan.
func (r DisclosedRound) Budget() string { return model.FormatYuan(r.BudgetFen) }

// Used is what the winners cost, in yuan.
func (r DisclosedRound) Used() string { return model.FormatYuan(r.UsedFen) }

// Left is what they left of the budget, in yuan.
func (r DisclosedRound) Left() string { return model.FormatYuan(r.BudgetFen - r.UsedFen) }

// RuleText is how the winners were chosen.
func (r DisclosedRound) RuleText() string { return model.BudgetRuleText + model.BudgetZeroText }

// DisclosedWinner is a winning project and how far it got.
type DisclosedWinner struct {
	ID             int64
	Title          string
	TerritoryName  string
	CostFen        int64
	Approvals      int
	Status         model.SmallProjectStatus
	Milestones     int
	MilestonesDone int
	Photos         int
}

// Cost is the project's cost in yuan.
func (w DisclosedWinner) Cost() string { return model.FormatYuan(w.CostFen) }

// PhotoNumbers are the numbers of its photos, 1 … Photos.
func (w DisclosedWinner) PhotoNumbers() []int {
	out := make([]int, w.Photos)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// Disclosure reads the public disclosure of the community with statistical code code;
// model.ErrNotFound when there is none (or the node is not a community).
func (s *Store) Disclosure(ctx context.Context, code string) (*Disclosure, error) {
	c := s.reader()
	d := &Disclosure{Code: code}
	var path string
	var parent sql.NullInt64
	err := c.queryRow(ctx, `SELECT id, name, path, parent_id FROM territories WHERE code = ? AND kind = 'community' AND archived_at IS NULL`,
		[]any{code}, &d.CommunityID, &d.CommunityName, &path, &parent)
	if err != nil {
		return nil, err
	}
	if parent.Valid {
		if err := c.queryRow(ctx, `SELECT name FROM territories WHERE id = ?`, []any{parent.Int64}, &d.StreetName); err != nil {
			return nil, err
		}
	}
	touch := func(t time.Time) {
		if t.After(d.Updated) {
			d.Updated = t
		}
	}
	// Public notices of the community and below, pinned first.
	if d.Notices, err = queryAll(ctx, c, `SELECT `+noticeColumns+noticeFrom+` WHERE n.community_id = ? AND n.public AND n.status = 'published'
		ORDER BY n.pinned DESC, n.id DESC LIMIT 20`, []any{d.CommunityID}, scanNotice); err != nil {
		return nil, err
	}
	for _, n := range d.Notices {
		n.Audience, n.Reads, n.PublishedByName = 0, 0, "" // not part of the disclosure
		touch(n.PublishedAt)
	}
	// Closed votes: the result recorded at closing (a budget round's vote: its round below).
	votes, err := queryAll(ctx, c, `SELECT `+voteColumns+voteFrom+` WHERE v.community_id = ? AND v.status = 'closed' AND br.id IS NULL ORDER BY v.closed_at DESC, v.id DESC LIMIT 10`,
		[]any{d.CommunityID}, scanVote)
	if err != nil {
		return nil, err
	}
	if err := c.fillVoteOptions(ctx, votes); err != nil {
		return nil, err
	}
	for _, v := range votes {
		r := v.RecordedResult()
		dv := DisclosedVote{ID: v.ID, Title: v.Title, TerritoryName: v.TerritoryName, Ballots: r.Ballots, Eligible: v.Eligible, Outcome: r.Outcome(v)}
		if v.ClosedAt != nil {
			dv.ClosedAt = *v.ClosedAt
			touch(dv.ClosedAt)
		}
		d.Votes = append(d.Votes, dv)
	}
	// The Party organizations anchored in the community, with their current posts.
	type orgRow struct {
		id   int64
		name string
		kind model.OrgKind
	}
	lo, hi := authz.PathRange(path)
	orgs, err := queryAll(ctx, c, `SELECT id, name, kind FROM party_orgs WHERE path >= ? AND path < ? AND status = 'active'
		ORDER BY CASE kind WHEN 'community_committee' THEN 0 WHEN 'grid_branch' THEN 1 ELSE 2 END, path, id LIMIT 100`, []any{lo, hi},
		func(r rowScanner) (orgRow, error) {
			var o orgRow
			err := r.Scan(&o.id, &o.name, &o.kind)
			return o, err
		})
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		posts, err := queryAll(ctx, c, `SELECT post, holder_name FROM party_posts WHERE org_id = ? AND ended_at IS NULL AND holder_name <> ''
			ORDER BY CASE post WHEN 'secretary' THEN 0 WHEN 'deputy_secretary' THEN 1 ELSE 2 END, starts_on, id`, []any{o.id},
			func(r rowScanner) (DisclosedPost, error) {
				var kind model.PostKind
				var p DisclosedPost
				err := r.Scan(&kind, &p.Name)
				p.Title = kind.Label()
				return p, err
			})
		if err != nil {
			return nil, err
		}
		d.Orgs = append(d.Orgs, DisclosedOrg{Name: o.name, Kind: o.kind, Posts: posts})
	}
	// Service this year: orders done (the statistics) and hours banked from them.
	year := s.now().In(model.Shanghai).Year()
	d.Service.Year = year
	var months []string
	for m := 1; m <= 12; m++ {
		months = append(months, time.Date(year, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"))
	}
	if err := c.queryRow(ctx, `SELECT COALESCE(SUM(done), 0) FROM order_stats WHERE path = ? AND month >= ? AND month <= ?`,
		[]any{path, months[0], months[11]}, &d.Service.OrdersDone); err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, err
	}
	var minutes int64
	from := time.Date(year, 1, 1, 0, 0, 0, 0, model.Shanghai).UTC()
	if err := c.queryRow(ctx, `SELECT COALESCE(SUM(minutes), 0) FROM timebank_entries WHERE community_id = ? AND kind = 'earn' AND created_at >= ?`,
		[]any{d.CommunityID, from}, &minutes); err != nil {
		return nil, err
	}
	d.Service.Hours = minutes / 60
	// Projects approved and after.
	if d.Projects, err = queryAll(ctx, c, `SELECT p.title, p.status, p.starts_on, p.updated_at,
			(SELECT COUNT(*) FROM list_project_milestones m WHERE m.project_id = p.id),
			(SELECT COUNT(*) FROM list_project_milestones m WHERE m.project_id = p.id AND m.done_at IS NOT NULL)
		FROM list_projects p WHERE p.community_id = ? AND p.status IN ('approved', 'in_progress', 'done') ORDER BY p.updated_at DESC, p.id DESC LIMIT 20`,
		[]any{d.CommunityID}, func(r rowScanner) (DisclosedProject, error) {
			var p DisclosedProject
			err := r.Scan(&p.Title, &p.Status, &p.StartsOn, &p.UpdatedAt, &p.Milestones, &p.MilestonesDone)
			return p, err
		}); err != nil {
		return nil, err
	}
	for _, p := range d.Projects {
		touch(p.UpdatedAt)
	}
	if err := c.disclosedRounds(ctx, d, touch); err != nil {
		return nil, err
	}
	d.FundsYear = fundYear(s.now())
	if d.Funds, err = c.disclosedFunds(ctx, d.CommunityID, d.FundsYear); err != nil {
		return nil, err
	}
	return d, nil
}

// disclosedRounds reads the community's decided budget rounds (the last five years') with their
// winners, the latest first.
func (c conn) disclosedRounds(ctx context.Context, d *Disclosure, touch func(time.Time)) error {
	rounds, err := queryAll(ctx, c, `SELECT r.id, r.title, r.year, r.budget_fen, r.used_fen, r.rule, r.decided_at, COALESCE(v.voted, 0), COALESCE(v.eligible, 0)
		FROM budget_rounds r LEFT JOIN votes v ON v.id = r.vote_id WHERE r.community_id = ? AND r.status = 'decided' ORDER BY r.year DESC, r.id DESC LIMIT 5`,
		[]any{d.CommunityID}, func(rs rowScanner) (DisclosedRound, error) {
			var r DisclosedRound
			err := rs.Scan(&r.ID, &r.Title, &r.Year, &r.BudgetFen, &r.UsedFen, &r.Rule, &r.DecidedAt, &r.Ballots, &r.Eligible)
			return r, err
		})
	if err != nil {
		return err
	}
	for i := range rounds {
		r := &rounds[i]
		touch(r.DecidedAt)
		var updated []time.Time
		r.Winners, err = queryAll(ctx, c, `SELECT p.id, p.title, t.name, p.cost_fen, COALESCE(p.approvals, 0), p.status, p.photos, p.updated_at,
				(SELECT COUNT(*) FROM small_project_milestones m WHERE m.project_id = p.id),
				(SELECT COUNT(*) FROM small_project_milestones m WHERE m.project_id = p.id AND m.done_at IS NOT NULL)
			FROM small_projects p JOIN territories t ON t.id = p.territory_id
			WHERE p.round_id = ? AND p.status IN ('won', 'in_progress', 'done') ORDER BY COALESCE(p.approvals, 0) DESC, p.cost_fen, p.id`,
			[]any{r.ID}, func(rs rowScanner) (DisclosedWinner, error) {
				var w DisclosedWinner
				var at time.Time
				err := rs.Scan(&w.ID, &w.Title, &w.TerritoryName, &w.CostFen, &w.Approvals, &w.Status, &w.Photos, &at, &w.Milestones, &w.MilestonesDone)
				updated = append(updated, at)
				return w, err
			})
		if err != nil {
			return err
		}
		for _, t := range updated {
			touch(t)
		}
	}
	d.Rounds = rounds
	return nil
}
