package securitytest_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"mime/multipart"
	"net/url"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// space's part of the matrix: each relation's partylife org (party_life_test.go) has an online
// space with a standing notice, thread and file; the member account is a member and the
// secretary of relOwn's org, so it reads, posts and moderates there and nowhere else. Staff
// reach the spaces of their territory; every other role is refused by the policy.

// spaceObjects are the standing objects of the spaces, per relation.
type spaceObjects struct {
	notices, threads, files map[relation]int64
}

var (
	spaceMu    sync.Mutex
	spaceWorld = map[*fixture]*spaceObjects{}
)

// spaceObject is the standing notice, thread or file of relation rel's space, made on first use.
func (w *world) spaceObject(kind objKind, rel relation) int64 {
	w.tb.Helper()
	spaceMu.Lock()
	defer spaceMu.Unlock()
	s, ok := spaceWorld[w.fixture]
	if !ok {
		s = &spaceObjects{notices: map[relation]int64{}, threads: map[relation]int64{}, files: map[relation]int64{}}
		spaceWorld[w.fixture] = s
	}
	m := map[objKind]map[relation]int64{spaceNoticeObj: s.notices, spaceThreadObj: s.threads, spaceFileObj: s.files}[kind]
	if id, ok := m[rel]; ok {
		return id
	}
	m[rel] = w.freshSpace(kind, rel)
	return m[rel]
}

// freshSpace makes a new notice, thread (also for spacePostObj) or file in relation rel's space.
func (w *world) freshSpace(kind objKind, rel relation) int64 {
	w.tb.Helper()
	ctx, sys, org := context.Background(), authz.System(), w.life[rel].org
	var id int64
	var err error
	switch kind {
	case spaceNoticeObj:
		var n *model.OrgNotice
		n, err = w.st.PublishOrgNotice(ctx, sys, org, model.OrgNoticeInput{Title: fmt.Sprintf("矩阵公告%d", w.nextSeq()), Body: "矩阵"})
		if n != nil {
			id = n.ID
		}
	case spaceThreadObj, spacePostObj:
		var p *model.OrgPost
		p, err = w.st.OpenThread(ctx, sys, org, model.MessageInput{Title: fmt.Sprintf("矩阵话题%d", w.nextSeq()), Body: "矩阵"})
		if p != nil {
			id = p.ID
		}
	case spaceFileObj:
		var f *model.OrgFile
		f, err = w.st.ShareFile(ctx, sys, org, fmt.Sprintf("矩阵%d.txt", w.nextSeq()), []byte("矩阵文件"))
		if f != nil {
			id = f.ID
		}
	default:
		w.tb.Fatalf("no space object of kind %d", kind)
	}
	if err != nil {
		w.tb.Fatalf("space object %d at %s: %v", kind, rel, err)
	}
	return id
}

func spaceFileBody(w *world, _ relation, _ int64) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", fmt.Sprintf("矩阵上传%d.txt", w.nextSeq()))
	_, _ = fw.Write([]byte("矩阵上传的文件"))
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// spacePatternKinds name the kind of the {id} of the space's routes under /party/orgs/{id}: the
// org whose space it is (the relation's partylife org), not the relation's org of the chart.
var spacePatternKinds = map[string]objKind{
	"/api/v1/party/orgs/{id}/notices": spaceOrgObj,
	"/api/v1/party/orgs/{id}/threads": spaceOrgObj,
	"/api/v1/party/orgs/{id}/files":   spaceOrgObj,
	"/party/orgs/{id}/space":          spaceOrgObj,
	"/party/orgs/{id}/space/notices":  spaceOrgObj,
	"/party/orgs/{id}/space/threads":  spaceOrgObj,
	"/party/orgs/{id}/space/files":    spaceOrgObj,
}

// spaceObjKinds are the prefixes of the routes on one notice, thread, post or file.
var spaceObjKinds = map[string]objKind{
	"/api/v1/party/space/notices/{id}": spaceNoticeObj,
	"/api/v1/party/space/threads/{id}": spaceThreadObj,
	"/api/v1/party/space/posts/{id}":   spacePostObj,
	"/api/v1/party/space/files/{id}":   spaceFileObj,
	"/party/space/threads/{id}":        spaceThreadObj,
	"/party/space/posts/{id}":          spacePostObj,
	"/party/space/files/{id}":          spaceFileObj,
}

var spaceSpecs = map[string]spec{
	"GET /api/v1/party/orgs/{id}/notices":           {kind: spaceRead, scoped: true},
	"POST /api/v1/party/orgs/{id}/notices":          {kind: spaceModerate, scoped: true, body: jsonBody(`{"title":"矩阵公告","body":"矩阵"}`)},
	"GET /api/v1/party/orgs/{id}/threads":           {kind: spaceRead, scoped: true},
	"POST /api/v1/party/orgs/{id}/threads":          {kind: spaceWrite, scoped: true, body: jsonBody(`{"title":"矩阵话题","body":"矩阵"}`)},
	"GET /api/v1/party/orgs/{id}/files":             {kind: spaceRead, scoped: true},
	"POST /api/v1/party/orgs/{id}/files":            {kind: spaceWrite, scoped: true, body: spaceFileBody},
	"GET /api/v1/party/space/notices/{id}":          {kind: spaceRead, scoped: true},
	"GET /api/v1/party/space/threads/{id}":          {kind: spaceRead, scoped: true},
	"POST /api/v1/party/space/threads/{id}/replies": {kind: spaceWrite, scoped: true, body: jsonBody(`{"body":"矩阵回复"}`)},
	"POST /api/v1/party/space/posts/{id}/hide":      {kind: spaceModerate, scoped: true, fresh: true, body: jsonBody(`{"reason":"矩阵隐藏"}`)},
	"GET /api/v1/party/space/files/{id}":            {kind: spaceRead, scoped: true},
	"POST /api/v1/party/space/files/{id}/withdraw":  {kind: spaceModerate, scoped: true, fresh: true},
	"GET /party/orgs/{id}/space":                    {kind: spaceRead, scoped: true},
	"POST /party/orgs/{id}/space/notices": {kind: spaceModerate, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"title": {"矩阵公告"}, "body": {"矩阵"}}
	})},
	"POST /party/orgs/{id}/space/threads": {kind: spaceWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"title": {"矩阵话题"}, "body": {"矩阵"}}
	})},
	"POST /party/orgs/{id}/space/files":      {kind: spaceWrite, scoped: true, body: spaceFileBody},
	"GET /party/space/threads/{id}":          {kind: spaceRead, scoped: true},
	"POST /party/space/threads/{id}/replies": {kind: spaceWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"body": {"矩阵回复"}} })},
	"POST /party/space/posts/{id}/hide":      {kind: spaceModerate, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"reason": {"矩阵隐藏"}} })},
	"GET /party/space/files/{id}":            {kind: spaceRead, scoped: true},
	"POST /party/space/files/{id}/withdraw":  {kind: spaceModerate, scoped: true, fresh: true},
}

// spaceObjectOf is the standing object of a space kind at rel (0 for other kinds).
func (w *world) spaceObjectOf(kind objKind, rel relation) int64 {
	switch kind {
	case spaceOrgObj:
		return w.life[rel].org
	case spaceNoticeObj, spaceThreadObj, spaceFileObj:
		return w.spaceObject(kind, rel)
	case spacePostObj:
		return w.spaceObject(spaceThreadObj, rel)
	}
	return 0
}

func init() {
	maps.Copy(specs, spaceSpecs)
	maps.Copy(patternKinds, spacePatternKinds)
	maps.Copy(objKinds, spaceObjKinds)
}
