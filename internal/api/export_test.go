package api

import "time"

// SetEventHeartbeat shortens a's event-stream heartbeat, for tests of what it checks.
func SetEventHeartbeat(a *API, d time.Duration) { a.heartbeat = d }
