package model

import "time"

// DuplicateIDMessage answers an ID number that is already registered to a resident outside the
// caller's scope. It says nothing about where (API.md: what lies outside the scope looks exactly
// like what does not exist), and the attempt goes to an administrator who sees both sides.
const DuplicateIDMessage = "该身份证号无法登记，请联系上级管理员核实"

// DuplicateIDInScopeMessage answers an ID number registered to a resident the caller can see
// anyway: naming the collision reveals nothing the caller could not look up.
const DuplicateIDInScopeMessage = "该身份证号已登记在其他住户中"

// ConflictStatus is where a recorded ID-number collision stands.
type ConflictStatus string

// An ID conflict is open until an administrator who sees both sides moves the existing resident
// to the requesting household (transferred) or turns the attempt down (rejected).
const (
	ConflictOpen        ConflictStatus = "open"
	ConflictTransferred ConflictStatus = "transferred"
	ConflictRejected    ConflictStatus = "rejected"
)

var conflictStatusLabels = map[ConflictStatus]string{
	ConflictOpen: "待处理", ConflictTransferred: "已迁入", ConflictRejected: "已驳回",
}

// Valid reports whether s is a known status.
func (s ConflictStatus) Valid() bool { _, ok := conflictStatusLabels[s]; return ok }

// Label is the status's Chinese name.
func (s ConflictStatus) Label() string { return conflictStatusLabels[s] }

// ConflictSource is the kind of write that found the collision.
type ConflictSource string

// The writes that check ID numbers: a new resident (page, API, household with residents), a
// change of a resident's ID number, a row of an import file.
const (
	ConflictFromCreate ConflictSource = "create"
	ConflictFromUpdate ConflictSource = "update"
	ConflictFromImport ConflictSource = "import"
)

var conflictSourceLabels = map[ConflictSource]string{
	ConflictFromCreate: "新增居民", ConflictFromUpdate: "修改居民", ConflictFromImport: "批量导入",
}

// Label is the source's Chinese name.
func (s ConflictSource) Label() string { return conflictSourceLabels[s] }

// IDAttempt is what the requester tried to register. It is personal data: sealed at rest, its ID
// number and phone shown masked.
type IDAttempt struct {
	Name      string `json:"name"`
	IDNumber  string `json:"id_number"`
	Gender    string `json:"gender,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Relation  string `json:"relation,omitempty"`
	Row       int    `json:"row,omitempty"` // the row of an import file
}

// IDConflict is an attempt to register an ID number that a resident outside the requester's
// scope already holds, kept for the administrators whose scope holds both sides.
type IDConflict struct {
	ID                  int64
	RequestedBy         int64 // 0 for the operator's command line
	RequesterName       string
	RequesterRole       Role
	Source              ConflictSource
	TargetTerritoryID   int64
	TargetTerritoryName string
	TargetPath          string // the requested node's path; a transfer moves into its subtree
	TargetHouseholdID   int64  // 0 when the household was not written (import, or created in the refused request)
	ResidentID          int64  // the existing resident; 0 when it was deleted or moved out of the viewer's scope since
	ResidentName        string
	HolderTerritoryID   int64
	HolderTerritoryName string
	HolderPath          string // the existing resident's node when the attempt was made
	CommonPath          string // the lowest common ancestor of the two sides
	Attempt             IDAttempt
	Status              ConflictStatus
	HandledBy           int64
	HandledAt           *time.Time
	Note                string
	CreatedAt           time.Time
}

// AttemptIDMasked is the attempted ID number as lists and answers show it.
func (c *IDConflict) AttemptIDMasked() string { return MaskIDNumber(c.Attempt.IDNumber) }
