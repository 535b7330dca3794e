package securitytest_test

import (
	"fmt"
	"maps"
	"net/url"
	"strconv"
)

// partymember's pages in the matrix: the roster at a desk, on the members and orgs of the
// world's party fixture (targets[rel].member, targets[rel].org).

var memberPageObjKinds = map[string]objKind{
	"/party/members/{id}": memberObj,
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
}

func init() {
	maps.Copy(specs, memberPageSpecs)
	maps.Copy(objKinds, memberPageObjKinds)
}
