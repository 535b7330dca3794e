package securitytest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Surveys' part of the matrix (issue 11 item 3). Each relation has a standing open named survey
// and a standing closed named one (an anonymous survey without five answers has no results to
// read) over its node (own, same household and same unit share the
// stairwell's), as votes do. Staff and grid leaders reach the surveys of their territory and
// read their results; residents, members and unit leaders (linked to a head of the same-unit
// household, as for votes) the surveys over their own household, which they answer. An answer is
// lenient (one response per resident: every case after the first is a 409, the handler ran).
// Closing consumes a survey: each case gets a fresh one.

const (
	surveyOpenObj   objKind = 2000 + iota // the relation's standing open named survey
	surveyClosedObj                       // the relation's standing closed named survey
	surveyFreshObj                        // a fresh open survey at the relation
)

const (
	surveyRead    routeKind = 2900 + iota // see surveys: staff and grid leaders by territory; residents, members, unit leaders over their household
	surveyWrite                           // send and close surveys: staff by territory
	surveyAnswer                          // one's own response: residents, members, unit leaders
	surveyResults                         // results and the perception index: staff and grid leaders by territory
)

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		switch k {
		case surveyRead:
			return fieldWorker(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		case surveyWrite:
			return staffRole(r), true
		case surveyAnswer:
			return r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
		case surveyResults:
			return fieldWorker(r), true
		}
		return false, false
	})
	extraReach = append(extraReach, func(w *world, r model.Role, k routeKind) (relation, bool) {
		if (k == surveyRead || k == surveyAnswer) && (r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident) {
			return relUnit, true // the surveys over the own stairwell
		}
		return 0, false
	})
	extraKindNames[surveyRead] = "survey read"
	extraKindNames[surveyWrite] = "survey write"
	extraKindNames[surveyAnswer] = "survey answer"
	extraKindNames[surveyResults] = "survey results"
}

type surveyWorld struct {
	open, closed map[relation]int64
}

var (
	surveyMu     sync.Mutex
	surveyWorlds = map[*fixture]*surveyWorld{}
)

// sendSurvey sends the perception survey over the relation's node (as the system).
func (w *world) sendSurvey(rel relation, anonymous bool) int64 {
	w.tb.Helper()
	s, err := w.st.CreateSurvey(context.Background(), authz.System(), model.SurveyInput{Title: fmt.Sprintf("矩阵问卷%d", w.nextSeq()), Kind: model.SurveyPerception,
		TerritoryID: w.targets[rel].node.ID, Anonymous: anonymous, ClosesAt: time.Now().Add(60 * 24 * time.Hour)})
	if err != nil {
		w.tb.Fatalf("survey at %s: %v", rel, err)
	}
	return s.ID
}

func (w *world) surveyWorld() *surveyWorld {
	w.tb.Helper()
	w.electionWorld() // the unit leader's account is linked to the same-unit household's head
	surveyMu.Lock()
	defer surveyMu.Unlock()
	if s, ok := surveyWorlds[w.fixture]; ok {
		return s
	}
	s := &surveyWorld{open: map[relation]int64{}, closed: map[relation]int64{}}
	byNode := map[int64][2]int64{}
	for _, rel := range placed {
		node := w.targets[rel].node.ID
		ids, ok := byNode[node]
		if !ok {
			ids = [2]int64{w.sendSurvey(rel, false), w.sendSurvey(rel, false)}
			if _, err := w.st.CloseSurvey(context.Background(), authz.System(), ids[1]); err != nil {
				w.tb.Fatalf("close survey %d: %v", ids[1], err)
			}
			byNode[node] = ids
		}
		s.open[rel], s.closed[rel] = ids[0], ids[1]
	}
	surveyWorlds[w.fixture] = s
	return s
}

func (w *world) surveyObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	switch kind {
	case surveyOpenObj:
		return w.surveyWorld().open[rel]
	case surveyClosedObj:
		return w.surveyWorld().closed[rel]
	case surveyFreshObj:
		return w.sendSurvey(rel, true)
	}
	return 0
}

// surveyAnswers is a full response to survey id as JSON: the first option, 4 on every scale.
func (w *world) surveyAnswers(id int64) []byte {
	w.tb.Helper()
	s, err := w.st.Survey(context.Background(), authz.System(), id)
	if err != nil {
		w.tb.Fatalf("survey %d: %v", id, err)
	}
	var as []map[string]any
	for _, q := range s.Questions {
		a := map[string]any{"question_id": fmt.Sprint(q.ID)}
		switch q.Kind {
		case model.QuestionSingle, model.QuestionMultiple:
			a["choices"] = []int{0}
		case model.QuestionScale:
			a["scale"] = 4
		}
		as = append(as, a)
	}
	b, _ := json.Marshal(map[string]any{"answers": as})
	return b
}

// surveyForm is a full response to survey id as the answer form sends it.
func (w *world) surveyForm(id int64) url.Values {
	w.tb.Helper()
	s, err := w.st.Survey(context.Background(), authz.System(), id)
	if err != nil {
		w.tb.Fatalf("survey %d: %v", id, err)
	}
	v := url.Values{}
	for _, q := range s.Questions {
		switch q.Kind {
		case model.QuestionSingle, model.QuestionMultiple:
			v.Set(fmt.Sprintf("q%d", q.ID), "0")
		case model.QuestionScale:
			v.Set(fmt.Sprintf("q%d", q.ID), "4")
		}
	}
	return v
}

var surveyPatternKinds = map[string]objKind{
	"/api/v1/surveys/{id}/results": surveyClosedObj,
	"/api/v1/surveys/{id}/close":   surveyFreshObj,
	"/surveys/{id}/results":        surveyClosedObj,
	"/surveys/{id}/close":          surveyFreshObj,
}

var surveyObjKinds = map[string]objKind{
	"/api/v1/surveys/{id}": surveyOpenObj,
	"/surveys/{id}":        surveyOpenObj,
}

var surveySpecs = map[string]spec{
	"GET /api/v1/surveys": {kind: surveyRead},
	"POST /api/v1/surveys": {kind: surveyWrite, scoped: true, ref: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"kind":"perception","territory_id":"%d","closes_at":%q}`,
			w.targets[rel].node.ID, time.Now().Add(48*time.Hour).Format(time.RFC3339))
	}},
	"GET /api/v1/surveys/perception": {kind: surveyResults, scoped: true, query: underNode},
	"GET /api/v1/surveys/{id}":       {kind: surveyRead, scoped: true},
	"POST /api/v1/surveys/{id}/responses": {kind: surveyAnswer, scoped: true, lenient: true, body: func(w *world, _ relation, id int64) (string, []byte) {
		return "application/json", w.surveyAnswers(id)
	}},
	"GET /api/v1/surveys/{id}/results": {kind: surveyResults, scoped: true},
	"POST /api/v1/surveys/{id}/close":  {kind: surveyWrite, scoped: true, fresh: true, body: jsonBody(`{}`)},

	// The pages: the list, the form, the trend, a survey with its answer form, close, results.
	"GET /surveys":     {kind: surveyRead},
	"GET /surveys/new": {kind: surveyWrite},
	"POST /surveys/new": {kind: surveyWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"kind": {"perception"}, "territory_id": {strconv.FormatInt(w.targets[rel].node.ID, 10)}, "anonymous": {"1"},
			"closes_at": {time.Now().Add(48 * time.Hour).In(model.Shanghai).Format("2006-01-02T15:04")}}
	})},
	"GET /surveys/perception": {kind: surveyResults, scoped: true, query: underNode},
	"GET /surveys/{id}":       {kind: surveyRead, scoped: true},
	"POST /surveys/{id}/response": {kind: surveyAnswer, scoped: true, lenient: true, body: formBody(func(w *world, _ relation, id int64) url.Values {
		return w.surveyForm(id)
	})},
	"POST /surveys/{id}/close":  {kind: surveyWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{} })},
	"GET /surveys/{id}/results": {kind: surveyResults, scoped: true},
}

func init() {
	maps.Copy(specs, surveySpecs)
	maps.Copy(patternKinds, surveyPatternKinds)
	maps.Copy(objKinds, surveyObjKinds)
}
