package securitytest_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"mime/multipart"
	"net/url"
	"strconv"
	"sync"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
)

// partymember's pages in the matrix: the roster at a desk, on the members and orgs of the
// world's party fixture (targets[rel].member, targets[rel].org), and transfers: a fresh one is a
// request from the relation's partylife org to its party org (so that the member account, its
// secretary at relOwn, is the receiving side); the standing one an accepted transfer out of a
// member of the party org, with its signed file.

var memberPageObjKinds = map[string]objKind{
	"/party/members/{id}":          memberObj,
	"/party/transfers/{id}":        transferObj,
	"/api/v1/party/transfers/{id}": transferObj,
	// a trusted key of another deployment: not territorial, a fresh one per case
	"/party/transfer-keys/{id}":        transferKeyObj,
	"/api/v1/party/transfer-keys/{id}": transferKeyObj,
}

const transferKeyObj objKind = 1001

// freshTransferKey trusts a new key of another deployment.
func (w *world) freshTransferKey() int64 {
	w.tb.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		w.tb.Fatal(err)
	}
	k, err := w.st.TrustTransferKey(context.Background(), authz.System(), fmt.Sprintf("矩阵邻区%d", w.nextSeq()), base64.StdEncoding.EncodeToString(pub))
	if err != nil {
		w.tb.Fatalf("trusted key: %v", err)
	}
	return k.ID
}

// transfersOut caches the standing transfer per world and relation.
var transfersOut = struct {
	sync.Mutex
	m map[*world]map[relation]int64
}{m: map[*world]map[relation]int64{}}

// freshTransfer is a requested transfer of a new member from the relation's partylife org to its
// party org.
func (w *world) freshTransfer(rel relation) int64 {
	w.tb.Helper()
	m := storetest.PartyMember(w.tb, w.st, fmt.Sprintf("转接党员%d", w.nextSeq()), w.life[rel].org, 0)
	t, err := w.st.RequestTransfer(context.Background(), authz.System(), model.TransferInput{MemberID: m, ToOrgID: w.targets[rel].org})
	if err != nil {
		w.tb.Fatalf("transfer at %s: %v", rel, err)
	}
	return t.ID
}

// standingTransfer is the relation's accepted transfer out (made once).
func (w *world) standingTransfer(rel relation) int64 {
	w.tb.Helper()
	transfersOut.Lock()
	defer transfersOut.Unlock()
	if id, ok := transfersOut.m[w][rel]; ok {
		return id
	}
	ctx := context.Background()
	t, err := w.st.RequestTransfer(ctx, authz.System(), model.TransferInput{MemberID: w.member(rel, "full"), Destination: "矩阵外系统党委"})
	if err == nil {
		t, err = w.st.AcceptTransfer(ctx, authz.System(), t.ID, "", "矩阵系统")
	}
	if err != nil {
		w.tb.Fatalf("transfer out at %s: %v", rel, err)
	}
	if transfersOut.m[w] == nil {
		transfersOut.m[w] = map[relation]int64{}
	}
	transfersOut.m[w][rel] = t.ID
	return t.ID
}

func transferImportForm(w *world, rel relation, _ int64) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("to_org_id", strconv.FormatInt(w.targets[rel].org, 10))
	fw, _ := mw.CreateFormFile("file", "transfer.json")
	_, _ = fw.Write([]byte(`{"format":"gongzhi.party-transfer/1"}`))
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

var memberPageSpecs = map[string]spec{
	"GET /party/members":     {kind: partyRead},
	"GET /party/members/new": {kind: partyWrite},
	"POST /party/members/new": {kind: partyWrite, scoped: true, ref: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"list": {"registered"}, "name": {fmt.Sprintf("矩阵新党员%d", w.nextSeq())}, "org_id": {strconv.FormatInt(w.targets[rel].org, 10)},
			"status": {"full"}, "category": {"retired"}, "mobility": {"none"}}
	})},
	"GET /party/members/import":               {kind: partyWrite},
	"POST /party/members/import":              {kind: partyWrite, lenient: true, body: importBody},
	"GET /party/members/import/template.xlsx": {kind: partyWrite},
	"POST /api/v1/imports/members":            {kind: partyWrite, lenient: true, body: importBody},
	"GET /party/members/{id}":                 {kind: partyRead, scoped: true},
	"GET /party/members/{id}/edit":            {kind: partyWrite, scoped: true},
	"POST /party/members/{id}/edit": {kind: partyWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"name": {"矩阵改名"}, "category": {"retired"}, "mobility": {"none"}, "workplace": {"矩阵单位"}}
	})},
	"POST /party/members/{id}/convert": {kind: partyWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"full_on": {"2021-06-01"}}
	})},

	// transfers
	"POST /party/members/{id}/transfer": {kind: partyWrite, scoped: true, fresh: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"to_org_id": {strconv.FormatInt(w.life[rel].org, 10)}, "reason": {"矩阵转接"}}
	})},
	"POST /api/v1/party/members/{id}/transfers": {kind: partyWrite, scoped: true, fresh: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"to_org_id":"%d","reason":"矩阵转接"}`, w.life[rel].org)
	}},
	"GET /party/transfers":                     {kind: partyRead},
	"GET /api/v1/party/transfers":              {kind: partyRead},
	"GET /party/transfers/{id}":                {kind: partyRead, scoped: true},
	"GET /api/v1/party/transfers/{id}":         {kind: partyRead, scoped: true},
	"POST /party/transfers/{id}/accept":        {kind: partyWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"note": {"矩阵接收"}} })},
	"POST /party/transfers/{id}/reject":        {kind: partyWrite, scoped: true, fresh: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"note": {"矩阵退回"}} })},
	"POST /api/v1/party/transfers/{id}/accept": {kind: partyWrite, scoped: true, fresh: true, body: jsonBody(`{"note":"矩阵接收"}`)},
	"POST /api/v1/party/transfers/{id}/reject": {kind: partyWrite, scoped: true, fresh: true, body: jsonBody(`{"note":"矩阵退回"}`)},
	"GET /party/transfers/{id}/file":           {kind: partyWrite, scoped: true},
	"GET /api/v1/party/transfers/{id}/file":    {kind: partyWrite, scoped: true},
	"POST /party/transfers/import":             {kind: partyWrite, lenient: true, body: transferImportForm},
	"POST /api/v1/party/transfers/import": {kind: partyWrite, lenient: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"to_org_id":"%d","file":{"format":"x"}}`, w.targets[rel].org)
	}},
	"POST /party/transfer-keys":                    {kind: partyOrgWrite, lenient: true, body: formBody(func(*world, relation, int64) url.Values { return url.Values{"name": {"矩阵"}, "public_key": {"x"}} })},
	"GET /api/v1/party/transfer-keys":              {kind: partyOrgWrite},
	"POST /api/v1/party/transfer-keys":             {kind: partyOrgWrite, lenient: true, body: jsonBody(`{"name":"矩阵","public_key":"x"}`)},
	"POST /party/transfer-keys/{id}/retire":        {kind: partyOrgWrite, fresh: true},
	"POST /api/v1/party/transfer-keys/{id}/retire": {kind: partyOrgWrite, fresh: true},
}

func init() {
	maps.Copy(specs, memberPageSpecs)
	maps.Copy(objKinds, memberPageObjKinds)
}
