package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Surveys of residents (issue 11 item 3; model/survey.go says what a survey is). Who answered
// (survey_respondents, one row per survey and resident: the database refuses a second) is
// stored apart from what was answered (survey_responses, under a random key); only a named
// survey's response names its resident. A response keeps the respondent's grid (or community)
// and, for a perception survey, its perception index, which PerceptionTrend averages.
//
// Who sees a survey: staff and grid leaders whose territory holds the survey's, and the accounts
// (residents, members, unit leaders) linked to a resident whose household lies under it, as for
// votes (householder). Who answers: such an account. Staff create and close surveys in their
// territory; staff and grid leaders read results: a named survey's at any time, an anonymous
// one's once it has closed (model.Survey.ResultsLive).

const surveyColumns = `s.id, s.title, s.description, s.territory_id, t.name, s.path, COALESCE(s.community_id, 0), s.kind, s.anonymous,
	s.opens_at, s.closes_at, s.status, s.responses, s.closed_at, COALESCE(u.display_name, ''), s.created_at`

const surveyFrom = ` FROM surveys s JOIN territories t ON t.id = s.territory_id LEFT JOIN users u ON u.id = s.created_by`

func scanSurvey(r rowScanner) (*model.Survey, error) {
	var s model.Survey
	var closed sql.NullTime
	if err := r.Scan(&s.ID, &s.Title, &s.Description, &s.TerritoryID, &s.TerritoryName, &s.Path, &s.CommunityID, &s.Kind, &s.Anonymous,
		&s.OpensAt, &s.ClosesAt, &s.Status, &s.Responses, &closed, &s.CreatedByName, &s.CreatedAt); err != nil {
		return nil, err
	}
	if closed.Valid {
		s.ClosedAt = &closed.Time
	}
	return &s, nil
}

// survey reads survey id as the caller may see it (model.ErrNotFound otherwise), with its
// questions and the caller's standing.
func (c conn) survey(ctx context.Context, sc authz.Scope, id int64) (*model.Survey, householder, error) {
	s, vr, err := householderOne(ctx, c, sc, `SELECT `+surveyColumns+surveyFrom+` WHERE s.id = ?`, []any{id}, scanSurvey,
		func(vr householder, s *model.Survey) bool { return vr.readsAt(s.Path) })
	if err != nil {
		return nil, vr, err
	}
	if err := c.fillSurveyQuestions(ctx, []*model.Survey{s}); err != nil {
		return nil, vr, err
	}
	if vr.household != 0 && strings.HasPrefix(vr.householdPath, s.Path) {
		s.Caller.Eligible = true
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM survey_respondents WHERE survey_id = ? AND resident_id = ?`, []any{s.ID, vr.resident}, &n); err != nil {
			return nil, vr, err
		}
		s.Caller.Answered = n > 0
	}
	return s, vr, nil
}

// fillSurveyQuestions reads the questions of the surveys.
func (c conn) fillSurveyQuestions(ctx context.Context, ss []*model.Survey) error {
	if len(ss) == 0 {
		return nil
	}
	byID := make(map[int64]*model.Survey, len(ss))
	args := make([]any, 0, len(ss))
	for _, s := range ss {
		byID[s.ID] = s
		args = append(args, s.ID)
	}
	return eachRow(ctx, c, `SELECT survey_id, id, position, kind, text, options, scale_max, required, dimension, points FROM survey_questions
		WHERE survey_id IN (`+inList(len(args))+`) ORDER BY survey_id, position`, args,
		func(r rowScanner) error {
			var sid int64
			var q model.SurveyQuestion
			var options, points string
			if err := r.Scan(&sid, &q.ID, &q.Position, &q.Kind, &q.Text, &options, &q.ScaleMax, &q.Required, &q.Dimension, &points); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(options), &q.Options); err != nil {
				return fmt.Errorf("options of question %d: %w", q.ID, err)
			}
			if err := json.Unmarshal([]byte(points), &q.Points); err != nil {
				return fmt.Errorf("points of question %d: %w", q.ID, err)
			}
			byID[sid].Questions = append(byID[sid].Questions, q)
			return nil
		})
}

// Survey returns survey id as the caller may see it; model.ErrNotFound when it does not exist
// or the caller may not see it. A survey whose closing time has passed is closed first.
func (s *Store) Survey(ctx context.Context, sc authz.Scope, id int64) (*model.Survey, error) {
	sv, _, err := s.reader().survey(ctx, sc, id)
	if err != nil || !sv.Due(s.now()) {
		return sv, err
	}
	if err := s.closeDueSurveys(ctx); err != nil {
		return nil, err
	}
	sv, _, err = s.reader().survey(ctx, sc, id)
	return sv, err
}

// closeDueSurveys closes every open survey whose closing time has passed, as of that time.
func (s *Store) closeDueSurveys(ctx context.Context) error {
	ts := s.now()
	var n int
	if err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM surveys WHERE status = 'open' AND closes_at <= ?`, []any{ts}, &n); err != nil || n == 0 {
		return err
	}
	return s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE surveys SET status = 'closed', closed_at = closes_at WHERE status = 'open' AND closes_at <= ?`, ts)
		return err
	})
}

// SurveyFilter narrows the surveys a caller lists.
type SurveyFilter struct {
	Status model.SurveyStatus // "": all
	Kind   model.SurveyKind   // "": all
	Limit  int
	Cursor string
}

// Surveys lists the surveys the caller may see, newest first: staff and grid leaders those in
// their territory, anyone those over its own household. Due surveys are closed first.
func (s *Store) Surveys(ctx context.Context, sc authz.Scope, f SurveyFilter) (*Page[*model.Survey], error) {
	if f.Status != "" && f.Status != model.SurveyOpen && f.Status != model.SurveyClosed {
		return nil, fieldErr("status", "状态应为 open 或 closed")
	}
	if f.Kind != "" && f.Kind != model.SurveyCustom && f.Kind != model.SurveyPerception {
		return nil, fieldErr("kind", "类型应为 custom 或 perception")
	}
	if err := s.closeDueSurveys(ctx); err != nil {
		return nil, err
	}
	c := s.reader()
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	vr, err := c.householderOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	cond, args := vr.listWhere("s.path")
	if cond == "" {
		return &Page[*model.Survey]{}, nil
	}
	w := filter{where: []string{cond}, args: args}
	if f.Status != "" {
		w.add("s.status = ?", string(f.Status))
	}
	if f.Kind != "" {
		w.add("s.kind = ?", string(f.Kind))
	}
	p, err := newestPage(ctx, c, `SELECT `+surveyColumns+surveyFrom, `FROM surveys s`, "s.id", w, cur, clampLimit(f.Limit), scanSurvey, func(x *model.Survey) int64 { return x.ID })
	if err != nil {
		return nil, err
	}
	items := p.Items
	if vr.resident != 0 && len(items) > 0 {
		var ids []any
		for _, sv := range items {
			if vr.household != 0 && strings.HasPrefix(vr.householdPath, sv.Path) {
				sv.Caller.Eligible = true
				ids = append(ids, sv.ID)
			}
		}
		if len(ids) > 0 {
			answered := map[int64]bool{}
			err := eachRow(ctx, c, `SELECT survey_id FROM survey_respondents WHERE survey_id IN (`+inList(len(ids))+`) AND resident_id = ?`,
				append(ids, vr.resident), func(r rowScanner) error {
					var id int64
					err := r.Scan(&id)
					answered[id] = true
					return err
				})
			if err != nil {
				return nil, err
			}
			for _, sv := range items {
				sv.Caller.Answered = answered[sv.ID]
			}
		}
	}
	p.Items = items
	return p, nil
}

// CreateSurvey sends a survey to territory in.TerritoryID (staff, in their territory). A
// *model.ValidationError names the bad fields; nothing is stored then.
func (s *Store) CreateSurvey(ctx context.Context, sc authz.Scope, in model.SurveyInput) (*model.Survey, error) {
	if !authz.Allowed(sc.Role, authz.SurveyWrite) {
		return nil, model.ErrForbidden
	}
	ts := s.now()
	qs, err := in.Validate(ts)
	if err != nil {
		return nil, err
	}
	if in.OpensAt.IsZero() {
		in.OpensAt = ts
	}
	var id int64
	err = s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, in.TerritoryID)
		if errors.Is(err, model.ErrNotFound) {
			return fieldErr("territory_id", "调查范围不存在或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		if t.Kind == model.KindDistrict {
			return fieldErr("territory_id", "调查范围应为街道、社区、网格、小区、楼栋或单元")
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
			return err
		}
		err = tx.queryRow(ctx, `INSERT INTO surveys (title, description, territory_id, community_id, path, kind, anonymous, opens_at, closes_at, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id`,
			[]any{in.Title, in.Description, t.ID, community, t.Path, string(in.Kind), in.Anonymous, in.OpensAt.UTC(), in.ClosesAt.UTC(), nullID(sc.UserID), ts}, &id)
		if err != nil {
			return err
		}
		for _, q := range qs {
			options, _ := json.Marshal(orEmpty(q.Options))
			points, _ := json.Marshal(orEmpty(q.Points))
			if _, err := tx.exec(ctx, `INSERT INTO survey_questions (survey_id, position, kind, text, options, scale_max, required, dimension, points)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, q.Position, string(q.Kind), q.Text, string(options), q.ScaleMax, q.Required, string(q.Dimension), string(points)); err != nil {
				return err
			}
		}
		kind := "named"
		if in.Anonymous {
			kind = "anonymous"
		}
		tx.auditAt(sc, t.Path, "survey.create", "survey", []int64{id}, fmt.Sprintf("%s %s, %d questions", kind, in.Kind, len(qs)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Survey(ctx, sc, id)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// AnswerSurvey records the caller's answers to survey id: once per resident (the database
// decides). model.ErrNotFound when the caller may not see the survey; a *model.ForbiddenError
// when its household does not lie under it; model.ErrSurveyClosed (a *model.ConflictError) when
// the survey takes no more answers; a *model.ConflictError when the caller has answered
// already; a *model.ValidationError for bad answers. Nothing is changed on any error.
func (s *Store) AnswerSurvey(ctx context.Context, sc authz.Scope, id int64, answers []model.Answer) error {
	return s.Tx(ctx, func(tx *Tx) error {
		sv, vr, err := tx.survey(ctx, sc, id)
		if err != nil {
			return err
		}
		switch {
		case vr.household == 0:
			return &model.ForbiddenError{Message: "您的账号还没有关联住户，无法填写问卷；请联系社区工作人员"}
		case !sv.Caller.Eligible:
			return &model.ForbiddenError{Message: "您的住户不在这份问卷的调查范围内"}
		}
		ts := tx.s.now()
		if !sv.Accepting(ts) {
			return model.ErrSurveyClosed
		}
		clean, err := sv.CheckAnswers(answers)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO survey_respondents (survey_id, resident_id, household_id) VALUES (?, ?, ?)`, sv.ID, vr.resident, vr.household); isConflict(err) {
			return &model.ConflictError{Message: "您已经填写过这份问卷了，每人只能填写一次"}
		} else if err != nil {
			return err
		}
		// The respondent's area: its grid, or its community outside grids.
		a, err := tx.surveyArea(ctx, vr.householdPath)
		if err != nil {
			return err
		}
		if err := tx.storeResponse(ctx, sv, vr.resident, a, clean); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE surveys SET responses = responses + 1 WHERE id = ? AND status = 'open' AND closes_at > ?`, sv.ID, ts)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.ErrSurveyClosed
		}
		tx.auditAt(sc, sv.Path, "survey.answer", "survey", []int64{sv.ID}, "a resident answered")
		return nil
	})
}

// responseArea is where a response is counted: the respondent's grid (or community) and community.
type responseArea struct {
	id, community int64
	path          string
}

// storeResponse stores clean, the checked answers of resident (named surveys only) living in
// area a, under a random key with its perception score.
func (tx *Tx) storeResponse(ctx context.Context, sv *model.Survey, resident int64, a responseArea, clean []model.Answer) error {
	raw, err := json.Marshal(clean)
	if err != nil {
		return err
	}
	var score [6]sql.NullFloat64
	if sv.Kind == model.SurveyPerception {
		if p, ok := model.ScorePerception(sv.Questions, clean); ok {
			score[0] = sql.NullFloat64{Float64: p.Index, Valid: true}
			for i, d := range model.Dimensions {
				if v, ok := p.Dimensions[d]; ok {
					score[i+1] = sql.NullFloat64{Float64: v, Valid: true}
				}
			}
		}
	}
	if sv.Anonymous {
		resident = 0
	}
	var key [12]byte
	_, _ = rand.Read(key[:])
	_, err = tx.exec(ctx, `INSERT INTO survey_responses (survey_id, rkey, community_id, area_id, area_path, resident_id, answers,
		score, awareness, presence, satisfaction, identity, belonging) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sv.ID, hex.EncodeToString(key[:]), nullID(a.community), a.id, a.path, nullID(resident), string(raw),
		score[0], score[1], score[2], score[3], score[4], score[5])
	return err
}

// surveyArea is the grid a household at path lies in, or its community when it lies in no
// grid (or the deepest node above it when neither: a tree without communities).
func (c conn) surveyArea(ctx context.Context, path string) (responseArea, error) {
	ids := model.PathIDs(path)
	if len(ids) == 0 {
		return responseArea{}, fmt.Errorf("survey area of %q", path)
	}
	args := make([]any, len(ids))
	for i, x := range ids {
		args[i] = x
	}
	type node struct {
		id, community int64
		kind          model.TerritoryKind
		path          string
	}
	nodes, err := queryAll(ctx, c, `SELECT id, COALESCE(community_id, 0), kind, path FROM territories WHERE id IN (`+inList(len(args))+`)`, args,
		func(r rowScanner) (node, error) {
			var n node
			err := r.Scan(&n.id, &n.community, &n.kind, &n.path)
			return n, err
		})
	if err != nil {
		return responseArea{}, err
	}
	var grid, comm, deepest *node
	for i := range nodes {
		n := &nodes[i]
		switch n.kind {
		case model.KindGrid:
			grid = n
		case model.KindCommunity:
			comm = n
		}
		if deepest == nil || len(n.path) > len(deepest.path) {
			deepest = n
		}
	}
	pick := grid
	if pick == nil {
		pick = comm
	}
	if pick == nil {
		pick = deepest
	}
	a := responseArea{id: pick.id, path: pick.path, community: pick.community}
	if comm != nil {
		a.community = comm.id
	}
	return a, nil
}

// CloseSurvey closes open survey id now (staff in its territory). A survey no longer open is a
// *model.ConflictError; a survey sent from above the caller's territory is read-only to it
// (a *model.ForbiddenError).
func (s *Store) CloseSurvey(ctx context.Context, sc authz.Scope, id int64) (*model.Survey, error) {
	if !authz.Allowed(sc.Role, authz.SurveyWrite) {
		return nil, model.ErrForbidden
	}
	if err := s.closeDueSurveys(ctx); err != nil {
		return nil, err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		sv, _, err := tx.survey(ctx, sc, id)
		if err != nil {
			return err
		}
		if !sc.Contains(sv.Path) {
			return &model.ForbiddenError{Message: "该问卷由上级组织发起，只有发起范围的工作人员可以结束"}
		}
		res, err := tx.exec(ctx, `UPDATE surveys SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ? AND status = 'open'`,
			tx.s.now(), nullID(sc.UserID), sv.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该问卷已经截止"}
		}
		tx.auditAt(sc, sv.Path, "survey.close", "survey", []int64{sv.ID}, fmt.Sprintf("%d responses", sv.Responses))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Survey(ctx, sc, id)
}

// resultsReader reports whether sc may read results: staff and grid leaders, not bound to a unit.
func resultsReader(sc authz.Scope) bool {
	return authz.Allowed(sc.Role, authz.SurveyResults) && !householdRole(sc.Role) && !sc.UnitBound()
}

// SurveyResults counts the answers of survey id (staff and grid leaders who may see it): per
// option, per scale value with the mean, the texts in no particular order (by the random key),
// and for a perception survey its index. An anonymous survey still open, or answered by fewer
// than model.MinPerceptionSample residents, is a *model.ConflictError: its results are published
// when it closes, and only when they cannot be read as one neighbour's answers.
func (s *Store) SurveyResults(ctx context.Context, sc authz.Scope, id int64) (*model.Survey, *model.SurveyResults, error) {
	if !resultsReader(sc) {
		return nil, nil, model.ErrForbidden
	}
	sv, err := s.Survey(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	if sv.Status == model.SurveyOpen && !sv.ResultsLive() {
		return nil, nil, &model.ConflictError{Message: "匿名问卷的结果在截止后公布（进行中公布会让人从结果的变化推算出刚填写者的回答）"}
	}
	c := s.reader()
	var responses [][]model.Answer
	var sum model.PerceptionSum
	err = eachRow(ctx, c, `SELECT answers, score, awareness, presence, satisfaction, identity, belonging FROM survey_responses WHERE survey_id = ? ORDER BY rkey`,
		[]any{sv.ID}, func(r rowScanner) error {
			var raw string
			var sc [6]sql.NullFloat64
			if err := r.Scan(&raw, &sc[0], &sc[1], &sc[2], &sc[3], &sc[4], &sc[5]); err != nil {
				return err
			}
			var as []model.Answer
			if err := json.Unmarshal([]byte(raw), &as); err != nil {
				return fmt.Errorf("a response to survey %d: %w", sv.ID, err)
			}
			responses = append(responses, as)
			if sc[0].Valid {
				sum.Add(perceptionScore(sc))
			}
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	if sv.Anonymous && len(responses) < model.MinPerceptionSample {
		return nil, nil, &model.ConflictError{Message: fmt.Sprintf("匿名问卷只有 %d 人填写，不足 %d 人不公布结果：人数太少，容易看出是谁的回答", len(responses), model.MinPerceptionSample)}
	}
	res := model.Tabulate(sv.Questions, responses)
	if sv.Kind == model.SurveyPerception {
		p := sum.Point(model.ThisMonth(sv.OpensAt).String())
		res.Perception = &p
	}
	return sv, &res, nil
}

// perceptionScore reads the stored index and dimensions of one response.
func perceptionScore(sc [6]sql.NullFloat64) model.PerceptionScore {
	p := model.PerceptionScore{Index: sc[0].Float64, Dimensions: map[model.Dimension]float64{}}
	for i, d := range model.Dimensions {
		if sc[i+1].Valid {
			p.Dimensions[d] = sc[i+1].Float64
		}
	}
	return p
}

// PerceptionTrendMax is the most periods a trend shows: the latest ones.
const PerceptionTrendMax = 24

// PerceptionTrend is the perception index under territory under (0: the caller's whole scope)
// by month of the perception surveys' rounds (staff and grid leaders): the node's own, and its
// areas' — its communities when it lies above communities, its grids when it is a community —
// from the responses of residents living there. model.ErrNotFound for a node outside the scope.
func (s *Store) PerceptionTrend(ctx context.Context, sc authz.Scope, under int64) (*model.PerceptionTrend, error) {
	if !resultsReader(sc) {
		return nil, model.ErrForbidden
	}
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, model.ErrNotFound
	}
	tr := &model.PerceptionTrend{Name: "全部"}
	byArea := func(id int64, community int64) int64 { return community } // above communities: by community
	if prefix != "" {
		ids := model.PathIDs(prefix)
		tr.TerritoryID = ids[len(ids)-1]
		var kind model.TerritoryKind
		if err := c.queryRow(ctx, `SELECT name, kind FROM territories WHERE id = ?`, []any{tr.TerritoryID}, &tr.Name, &kind); err != nil {
			return nil, err
		}
		switch {
		case kind.Rank() >= model.KindGrid.Rank():
			byArea = nil // a grid (or below): no areas
		case kind.Rank() >= model.KindCommunity.Rank():
			byArea = func(id int64, _ int64) int64 { return id } // a community: by grid
		}
	}
	tr.Total = model.PerceptionSeries{TerritoryID: tr.TerritoryID, Name: tr.Name}
	lo, hi := authz.PathRange(prefix)
	type key struct {
		period string
		area   int64
	}
	total := map[string]*model.PerceptionSum{}
	areas := map[key]*model.PerceptionSum{}
	seen := map[int64]bool{}
	err = eachRow(ctx, c, `SELECT s.opens_at, r.area_id, COALESCE(r.community_id, 0), COUNT(*), SUM(r.score), SUM(r.awareness), SUM(r.presence),
		SUM(r.satisfaction), SUM(r.identity), SUM(r.belonging)
		FROM survey_responses r JOIN surveys s ON s.id = r.survey_id
		WHERE s.kind = 'perception' AND r.score IS NOT NULL AND r.area_path >= ? AND r.area_path < ?
		GROUP BY r.survey_id, s.opens_at, r.area_id, r.community_id`, []any{lo, hi}, func(r rowScanner) error {
		var opens sql.NullTime
		var area, community int64
		var n int
		var sums [6]sql.NullFloat64
		if err := r.Scan(&opens, &area, &community, &n, &sums[0], &sums[1], &sums[2], &sums[3], &sums[4], &sums[5]); err != nil {
			return err
		}
		period := model.ThisMonth(opens.Time).String()
		part := model.PerceptionSum{N: n, Index: sums[0].Float64, Dims: map[model.Dimension]float64{}}
		for i, d := range model.Dimensions {
			if sums[i+1].Valid {
				part.Dims[d] = sums[i+1].Float64
			}
		}
		if total[period] == nil {
			total[period] = &model.PerceptionSum{}
		}
		total[period].Merge(part)
		if byArea != nil {
			k := key{period, byArea(area, community)}
			if areas[k] == nil {
				areas[k] = &model.PerceptionSum{}
			}
			areas[k].Merge(part)
			seen[k.area] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for p := range total {
		tr.Periods = append(tr.Periods, p)
	}
	slices.Sort(tr.Periods)
	if len(tr.Periods) > PerceptionTrendMax {
		tr.Periods = tr.Periods[len(tr.Periods)-PerceptionTrendMax:]
	}
	for _, p := range tr.Periods {
		tr.Total.Points = append(tr.Total.Points, total[p].Point(p))
	}
	if len(seen) == 0 {
		return tr, nil
	}
	var ids []any
	for id := range seen {
		ids = append(ids, id)
	}
	err = eachRow(ctx, c, `SELECT id, name, kind FROM territories WHERE id IN (`+inList(len(ids))+`) ORDER BY path`, ids, func(r rowScanner) error {
		a := model.PerceptionSeries{}
		if err := r.Scan(&a.TerritoryID, &a.Name, &a.Kind); err != nil {
			return err
		}
		for _, p := range tr.Periods {
			sum := areas[key{p, a.TerritoryID}]
			if sum == nil {
				sum = &model.PerceptionSum{}
			}
			a.Points = append(a.Points, sum.Point(p))
		}
		tr.Areas = append(tr.Areas, a)
		return nil
	})
	return tr, err
}
