package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Transfers of organizational relations (组织关系转接, issue 8 item 3): a request that is then
// accepted or rejected, kept with its history, never an overwrite. Within the deployment the
// member moves to the receiving org on acceptance; out of it (to a Party organization another
// deployment keeps, or none) the member leaves the roster on acceptance and the transfer is
// exported as a file signed with the deployment's ed25519 key; into it, a file signed by a
// trusted deployment is imported as a request that creates the member on acceptance.

// TransferDirection is internal, out or in.
type TransferDirection string

const (
	TransferInternal TransferDirection = "internal"
	TransferOut      TransferDirection = "out"
	TransferIn       TransferDirection = "in"
)

// TransferStatus is requested, accepted or rejected.
type TransferStatus string

const (
	TransferRequested TransferStatus = "requested"
	TransferAccepted  TransferStatus = "accepted"
	TransferRejected  TransferStatus = "rejected"
)

var transferLabels = map[string]string{
	"direction:internal": "系统内转接", "direction:out": "转出", "direction:in": "转入",
	"status:requested": "待接收", "status:accepted": "已接收", "status:rejected": "已退回",
}

// Label is the Chinese name ("" for an unknown value).
func (d TransferDirection) Label() string { return transferLabels["direction:"+string(d)] }

// Label is the Chinese name ("" for an unknown value).
func (s TransferStatus) Label() string { return transferLabels["status:"+string(s)] }

// TransferStatuses in display order.
var TransferStatuses = []TransferStatus{TransferRequested, TransferAccepted, TransferRejected}

// Transfer is one transfer with the names of what it refers to.
type Transfer struct {
	ID          int64
	MemberID    int64 // 0 for a transfer in not yet accepted
	MemberName  string
	FromOrgID   int64 // 0 for a transfer in
	FromOrgName string
	ToOrgID     int64 // 0 for a transfer out
	ToOrgName   string
	Direction   TransferDirection
	Destination string // out: where to; in: where from (the sender's org and deployment)
	Reason      string
	Status      TransferStatus
	RequestedBy int64
	HandledBy   int64
	HandledAt   time.Time // zero while requested
	Note        string
	Signer      string // in: the trusted key the file was signed with
	HasFile     bool   // out, accepted: the signed file can be downloaded
	CreatedAt   time.Time
}

// TransferInput is a transfer request from the roster: within the deployment to ToOrgID, or
// out of it to Destination (ToOrgID 0).
type TransferInput struct {
	MemberID    int64
	ToOrgID     int64
	Destination string
	Reason      string
}

// Validate checks the fields against each other: a target (an org here or a destination
// elsewhere, not both), texts of sane length.
func (in *TransferInput) Validate() error {
	var v ValidationError
	in.Destination, in.Reason = strings.TrimSpace(in.Destination), strings.TrimSpace(in.Reason)
	switch {
	case in.ToOrgID < 0:
		v.Add("to_org_id", "请选择接收的党组织")
	case in.ToOrgID == 0 && in.Destination == "":
		v.Add("to_org_id", "请选择本系统内接收的党组织，或填写转往的党组织（系统外）")
	case in.ToOrgID != 0 && in.Destination != "":
		v.Add("destination", "转往本系统内的党组织时不填“转往党组织（系统外）”")
	}
	for _, f := range []struct{ field, value string }{{"destination", in.Destination}, {"reason", in.Reason}} {
		if utf8.RuneCountInString(f.value) > 100 {
			v.Add(f.field, "不能超过100个字")
		} else if strings.ContainsAny(f.value, "\x00\r\n<>") {
			v.Add(f.field, "不能包含换行、尖括号或控制字符")
		}
	}
	return v.Err()
}

// TransferFileFormat names the signed transfer file's layout.
const TransferFileFormat = "gongzhi.party-transfer/1"

// TransferPayload is what a signed transfer file says: the member's roster data, where from and
// where to, and which transfer of which deployment it is (the pair identifies the file: it is
// imported at most once).
type TransferPayload struct {
	Format      string               `json:"format"`
	TransferID  int64                `json:"transfer_id"`
	Deployment  string               `json:"deployment"`
	IssuedAt    time.Time            `json:"issued_at"`
	FromOrg     string               `json:"from_org"`
	Destination string               `json:"destination"`
	Reason      string               `json:"reason"`
	Member      TransferMemberRecord `json:"member"`
}

// TransferMemberRecord is the roster data a transfer file carries.
type TransferMemberRecord struct {
	Name      string         `json:"name"`
	Gender    Gender         `json:"gender,omitempty"`
	BirthDate string         `json:"birth_date,omitempty"`
	Education Education      `json:"education,omitempty"`
	Status    MemberStatus   `json:"status"`
	JoinedOn  string         `json:"joined_on,omitempty"`
	FullOn    string         `json:"full_on,omitempty"`
	Category  MemberCategory `json:"category"`
	Workplace string         `json:"workplace,omitempty"`
}

// Input is the member the record becomes in org, on the registered list.
func (r TransferMemberRecord) Input(org int64) MemberInput {
	return MemberInput{List: ListRegistered, Name: r.Name, Gender: r.Gender, BirthDate: r.BirthDate, Education: r.Education, OrgID: org,
		Status: r.Status, JoinedOn: r.JoinedOn, FullOn: r.FullOn, Category: r.Category, Mobility: MobilityNone, Workplace: r.Workplace}
}

// TransferKey is a deployment's public key: our own, or a trusted sender's.
type TransferKey struct {
	ID        int64
	Name      string
	PublicKey string // base64 of the 32-byte ed25519 public key
	Own       bool
	CreatedAt time.Time
	RetiredAt *time.Time // a trusted key no longer accepted; nil while it is
}
