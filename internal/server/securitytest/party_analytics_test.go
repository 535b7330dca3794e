package securitytest_test

import (
	"maps"
	"strconv"
)

// analytics' part of the matrix: the composition of the members under the relation's node (the
// API by territory_id, the page too); a node outside the scope is not found.

func analyticsUnderNode(w *world, rel relation) string {
	return "territory_id=" + strconv.FormatInt(w.targets[rel].node.ID, 10)
}

var analyticsSpecs = map[string]spec{
	"GET /api/v1/party/analytics": {kind: partyAnalytics, scoped: true, query: analyticsUnderNode},
	"GET /party/analytics":        {kind: partyAnalytics, scoped: true, query: analyticsUnderNode},
}

func init() {
	maps.Copy(specs, analyticsSpecs)
}
