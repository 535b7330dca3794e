package securitytest_test

import "maps"

// events' part of the matrix: GET /api/v1/events streams the caller's own live updates, so any
// account may open it and nobody else's reach it (no object, no scope). The stream stays open:
// matrixCase reads its status and headers and closes it (streaming). That another account's
// events never arrive is proven in internal/api (TestEventsAPI) and internal/store
// (TestEventPublish).

var eventSpecs = map[string]spec{
	"GET /api/v1/events": {kind: loggedIn},
}

func init() {
	maps.Copy(specs, eventSpecs)
}
