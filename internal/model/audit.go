package model

import "time"

// AuditResult is how an audited action ended.
type AuditResult string

// The results an audit record can have.
const (
	AuditOK     AuditResult = "ok"     // the action was done
	AuditDenied AuditResult = "denied" // the policy refused it (401, 403)
	AuditFailed AuditResult = "failed" // it was tried and failed (a wrong password)
)

// AuditRecord is one row of the append-only audit log. Detail is short and never holds
// personal values (no ID numbers, phones or names of residents).
type AuditRecord struct {
	ID         int64
	At         time.Time
	ActorID    int64  // 0 for the operator's commands and anonymous requests
	ActorName  string // the account's username at the time
	Role       Role
	Scope      string // materialized path of the territory the record belongs to; "" for everything
	Action     string // e.g. "household.create", "resident.reveal", "auth.login"
	ObjectType string
	ObjectIDs  []int64
	Result     AuditResult
	RequestID  string
	Source     string
	Detail     string
	PrevHash   string
	// KeyID names the audit key whose HMAC-SHA256 Hash is; "" for a row from before the chain
	// was keyed, whose Hash is plain SHA-256.
	KeyID string
	Hash  string
}
