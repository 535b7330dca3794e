package store

import "time"

// SetAuditIDStep spaces the ids audit appends assign (tests leave gaps to forge rows into) and
// returns a function restoring the default.
func SetAuditIDStep(n int64) (restore func()) {
	auditIDStep = n
	return func() { auditIDStep = 1 }
}

// SetAuditClock makes audit appends stamp records with clock() and returns a function restoring
// the store's clock (tests write records dated years ago to purge them).
func SetAuditClock(clock func() time.Time) (restore func()) {
	auditNow = clock
	return func() { auditNow = now }
}
