package securitytest_test

import (
	"maps"
	"strconv"

	"gongzhi/internal/model"
)

// The order statistics (issue 10 item 7) in the matrix: the API's GET /api/v1/orders/stats and
// the page /orders/stats read the maintained figures of a subtree; staff and grid leaders
// (the dispatchers) by territory, nobody else at all (a unit leader's scope is its unit's
// households, which the counters, kept per node, cannot narrow to).

const orderStatsRead routeKind = 2600 // the statistics of a subtree: field workers by territory

func init() {
	extraMay = append(extraMay, func(r model.Role, k routeKind) (bool, bool) {
		if k == orderStatsRead {
			return fieldWorker(r), true
		}
		return false, false
	})
	extraKindNames[orderStatsRead] = "order statistics"
}

func orderStatsPageQuery(w *world, rel relation) string {
	return "territory_id=" + strconv.FormatInt(w.targets[rel].node.ID, 10)
}

var orderStatsSpecs = map[string]spec{
	"GET /api/v1/orders/stats": {kind: orderStatsRead, scoped: true, query: underNode},
	"GET /orders/stats":        {kind: orderStatsRead, scoped: true, query: orderStatsPageQuery},
}

func init() {
	maps.Copy(specs, orderStatsSpecs)
}
