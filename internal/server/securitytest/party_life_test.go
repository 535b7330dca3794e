package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
)

// partylife's part of the matrix: per relation an org anchored at the relation's node with one
// member, a scheduled meeting of it and an activity published there; the member account is a
// party member of the org at relOwn.

type lifeTarget struct {
	org, member, meeting, activity int64
}

func (w *world) partyLife() {
	w.tb.Helper()
	for _, rel := range placed {
		t := w.targets[rel]
		l := &w.life[rel]
		l.org = storetest.PartyOrg(w.tb, w.st, "building_group", "", fmt.Sprintf("矩阵党小组%d", rel), t.node, 0)
		l.member = storetest.PartyMember(w.tb, w.st, fmt.Sprintf("矩阵党员%d", rel), l.org, 0)
		l.meeting = w.lifeMeeting(rel)
		l.activity = w.lifeActivity(rel)
	}
	storetest.PartyMember(w.tb, w.st, "矩阵党员账号", w.life[relOwn].org, w.users[model.RoleMember].ID)
	// The member account is secretary of the own relation's group: its organizational life is
	// that group's (a post, not a role); every other relation's is out of its reach.
	storetest.MustPost(w.tb, w.st, w.life[relOwn].org, "secretary", w.users[model.RoleMember].ID)
}

// lifeMeeting schedules a fresh meeting of the relation's org, starting now.
func (w *world) lifeMeeting(rel relation) int64 {
	w.tb.Helper()
	start := time.Now().UTC().Truncate(time.Minute)
	ms, err := w.st.ScheduleMeetings(context.Background(), authz.System(), model.MeetingInput{OrgID: w.life[rel].org, Type: model.GroupMeeting,
		Title: fmt.Sprintf("矩阵会议%d", w.nextSeq()), StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
	if err != nil {
		w.tb.Fatalf("meeting at %s: %v", rel, err)
	}
	return ms[0].ID
}

// lifeActivity publishes a fresh activity at the relation's node.
func (w *world) lifeActivity(rel relation) int64 {
	w.tb.Helper()
	start := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Minute)
	a, err := w.st.PublishActivity(context.Background(), authz.System(), model.ActivityInput{TerritoryID: w.targets[rel].node.ID,
		Title: fmt.Sprintf("矩阵活动%d", w.nextSeq()), StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
	if err != nil {
		w.tb.Fatalf("activity at %s: %v", rel, err)
	}
	return a.ID
}

func lifeOrgBody(w *world, rel relation, _ int64) (string, []byte) {
	start := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(50 * time.Hour).UTC().Format(time.RFC3339)
	return "application/json", fmt.Appendf(nil, `{"org_id":"%d","type":"group_meeting","title":"矩阵排会%d","starts_at":%q,"ends_at":%q}`,
		w.life[rel].org, w.nextSeq(), start, end)
}

func lifeActivityBody(w *world, rel relation, _ int64) (string, []byte) {
	start := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(50 * time.Hour).UTC().Format(time.RFC3339)
	return "application/json", fmt.Appendf(nil, `{"territory_id":"%d","title":"矩阵活动%d","starts_at":%q,"ends_at":%q,"limit":0}`,
		w.targets[rel].node.ID, w.nextSeq(), start, end)
}

var lifeObjKinds = map[string]objKind{
	"/api/v1/party/meetings/{id}":   meetingObj,
	"/api/v1/party/activities/{id}": activityObj,
	"/party/meetings/{id}":          meetingObj,
	"/party/activities/{id}":        activityObj,
}

var lifeSpecs = map[string]spec{
	"GET /api/v1/party/meetings":                 {kind: lifeRead, scoped: true, query: underNode},
	"POST /api/v1/party/meetings":                {kind: lifeWrite, scoped: true, ref: true, body: lifeOrgBody},
	"GET /api/v1/party/meetings/{id}":            {kind: lifeRead, scoped: true},
	"GET /api/v1/party/meetings/{id}/attendance": {kind: lifeRead, scoped: true},
	"POST /api/v1/party/meetings/{id}/attendance": {kind: lifeWrite, scoped: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"member_ids":["%d"]}`, w.life[rel].member)
	}},
	"PUT /api/v1/party/meetings/{id}/minutes":   {kind: lifeWrite, scoped: true, body: jsonBody(`{"minutes":"矩阵记录"}`)},
	"POST /api/v1/party/meetings/{id}/close":    {kind: lifeWrite, scoped: true, fresh: true},
	"POST /api/v1/party/meetings/{id}/cancel":   {kind: lifeWrite, scoped: true, fresh: true},
	"GET /api/v1/party/meetings/{id}/code":      {kind: lifeWrite, scoped: true},
	"GET /api/v1/party/compliance":              {kind: lifeRead, scoped: true, query: underNode},
	"POST /api/v1/party/checkin":                {kind: activityJoin, lenient: true, body: jsonBody(`{"code":"not-a-code"}`)},
	"GET /api/v1/party/activities":              {kind: activityRead},
	"POST /api/v1/party/activities":             {kind: activityWrite, scoped: true, ref: true, body: lifeActivityBody},
	"GET /api/v1/party/activities/{id}":         {kind: activityRead, scoped: true},
	"POST /api/v1/party/activities/{id}/signup": {kind: activityJoin, scoped: true, fresh: true},
	"POST /api/v1/party/activities/{id}/close":  {kind: activityWrite, scoped: true, fresh: true},
	"POST /api/v1/party/activities/{id}/cancel": {kind: activityWrite, scoped: true, fresh: true},
	"GET /api/v1/party/points":                  {kind: pointsRead, scoped: true, query: underNode},
	"GET /api/v1/party/points/me":               {kind: partySelf},

	"GET /party/meetings":     {kind: lifeRead},
	"GET /party/meetings/new": {kind: lifeWrite},
	"POST /party/meetings/new": {kind: lifeWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		start := time.Now().Add(48 * time.Hour).In(model.Shanghai)
		return url.Values{"org_id": {strconv.FormatInt(w.life[rel].org, 10)}, "type": {"group_meeting"}, "title": {fmt.Sprintf("矩阵排会%d", w.nextSeq())},
			"starts_at": {start.Format("2006-01-02T15:04")}, "ends_at": {start.Add(time.Hour).Format("2006-01-02T15:04")}}
	})},
	"GET /party/meetings/{id}": {kind: lifeRead, scoped: true},
	"POST /party/meetings/{id}/attendance": {kind: lifeWrite, scoped: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"member_id": {strconv.FormatInt(w.life[rel].member, 10)}}
	})},
	"POST /party/meetings/{id}/minutes":  {kind: lifeWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"minutes": {"矩阵记录"}} })},
	"POST /party/meetings/{id}/close":    {kind: lifeWrite, scoped: true, fresh: true},
	"GET /party/meetings/{id}/qr":        {kind: lifeWrite, scoped: true},
	"GET /party/checkin":                 {kind: activityJoin, lenient: true, query: func(*world, relation) string { return "c=not-a-code" }},
	"POST /party/checkin":                {kind: activityJoin, lenient: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"c": {"not-a-code"}} })},
	"GET /party/activities":              {kind: activityRead},
	"GET /party/activities/{id}":         {kind: activityRead, scoped: true},
	"POST /party/activities/{id}/signup": {kind: activityJoin, scoped: true, fresh: true},
	"GET /party/activities/{id}/qr":      {kind: activityWrite, scoped: true},
	"POST /party/activities/{id}/close":  {kind: activityWrite, scoped: true, fresh: true},
	"GET /party/points":                  {kind: pointsRead},
	"GET /party/me":                      {kind: partySelf},
}

func init() {
	maps.Copy(specs, lifeSpecs)
	maps.Copy(objKinds, lifeObjKinds)
}
