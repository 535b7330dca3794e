package securitytest_test

import (
	"maps"
	"net/url"
)

// The owning body of meetings and handed-down tasks changed afterwards, and the residents'
// committee's member picker (issue 12 item 4): the
// same kinds and objects as the routes that manage them — a meeting's managers (lifeWrite), a
// task's staff (burdenWrite). The meeting stays the Party organization's (a Party type), so
// the other cases on it see the same roster; the task goes to the Party organization.
var owningBodySpecs = map[string]spec{
	"PATCH /api/v1/party/meetings/{id}": {kind: lifeWrite, scoped: true, body: jsonBody(`{"body":"party","type":"party_lecture"}`)},
	"PATCH /api/v1/burden/tasks/{id}":   {kind: burdenWrite, scoped: true, body: jsonBody(`{"body":"party"}`)},
	"POST /party/meetings/{id}/body": {kind: lifeWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"body": {"party"}, "type": {"party_lecture"}}
	})},
	"POST /burden/tasks/{id}/body": {kind: burdenWrite, scoped: true, body: formBody(func(*world, relation, int64) url.Values {
		return url.Values{"body": {"party"}}
	})},
	// The term form's member picker: the relation's community's people by name (staff who
	// record terms there; another community is not found).
	"GET /bodies/people": {kind: bodyWrite, scoped: true, query: communityQuery},
}

func init() {
	maps.Copy(specs, owningBodySpecs)
}
