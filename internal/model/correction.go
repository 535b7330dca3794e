package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// CorrectionField names a stored fact a data subject may ask to have corrected (PIPL art. 46).
type CorrectionField string

// The fields a correction may name: the resident's own facts and the household's address.
const (
	CorrectName            CorrectionField = "name"
	CorrectPhone           CorrectionField = "phone"
	CorrectIDNumber        CorrectionField = "id_number"
	CorrectBirthDate       CorrectionField = "birth_date"
	CorrectOccupation      CorrectionField = "occupation"
	CorrectPoliticalStatus CorrectionField = "political_status"
	CorrectAddress         CorrectionField = "address"
)

// CorrectionFields lists the fields in the order the pages show them.
var CorrectionFields = []CorrectionField{CorrectName, CorrectPhone, CorrectIDNumber, CorrectBirthDate,
	CorrectOccupation, CorrectPoliticalStatus, CorrectAddress}

var correctionLabels = map[CorrectionField]string{
	CorrectName: "姓名", CorrectPhone: "联系电话", CorrectIDNumber: "身份证号", CorrectBirthDate: "出生日期",
	CorrectOccupation: "职业", CorrectPoliticalStatus: "政治面貌", CorrectAddress: "门牌地址",
}

// Valid reports whether f is a field a correction may name.
func (f CorrectionField) Valid() bool { _, ok := correctionLabels[f]; return ok }

// Label is the field's Chinese name.
func (f CorrectionField) Label() string { return correctionLabels[f] }

// Display is a value of the field as people read it: a political status by its name, "—" for
// none, the rest as it is.
func (f CorrectionField) Display(v string) string {
	if f == CorrectPoliticalStatus {
		if l := PoliticalStatus(v).Label(); l != "" {
			return l
		}
	}
	if v == "" {
		return "—"
	}
	return v
}

// Sensitive reports whether the field's values are personal data shown masked to staff.
func (f CorrectionField) Sensitive() bool { return f == CorrectPhone || f == CorrectIDNumber }

// CorrectionStatus is where a correction request stands.
type CorrectionStatus string

// The states of a correction request: open until staff accept or reject it.
const (
	CorrectionOpen     CorrectionStatus = "open"
	CorrectionAccepted CorrectionStatus = "accepted"
	CorrectionRejected CorrectionStatus = "rejected"
)

var correctionStatusLabels = map[CorrectionStatus]string{
	CorrectionOpen: "待处理", CorrectionAccepted: "已更正", CorrectionRejected: "未采纳",
}

// Valid reports whether s is a known status.
func (s CorrectionStatus) Valid() bool { _, ok := correctionStatusLabels[s]; return ok }

// Label is the status's Chinese name.
func (s CorrectionStatus) Label() string { return correctionStatusLabels[s] }

// CorrectionRequest is a data subject's request to correct one stored fact about them.
type CorrectionRequest struct {
	ID                 int64
	ResidentID         int64
	ResidentName       string // the resident's current name, for staff lists
	HouseholdID        int64  // the resident's household, for staff to open
	TerritoryID        int64  // the resident's household node
	RequestedBy        int64  // the account that asked
	Field              CorrectionField
	CurrentValueMasked string // the value when asked; masked for phone and ID number
	RequestedValue     string // the value asked for, in full (personal data: shown masked to staff lists)
	Reason             string
	Status             CorrectionStatus
	HandledBy          int64 // 0 while open
	HandledAt          *time.Time
	Note               string // staff's answer, required when rejecting
	CreatedAt          time.Time
}

// RequestedValueMasked is the requested value as lists show it: masked for phone and ID number.
func (c *CorrectionRequest) RequestedValueMasked() string {
	switch c.Field {
	case CorrectPhone:
		return MaskPhone(c.RequestedValue)
	case CorrectIDNumber:
		return MaskIDNumber(c.RequestedValue)
	}
	return c.RequestedValue
}

// CorrectionInput is what a data subject sends to ask for a correction.
type CorrectionInput struct {
	Field  CorrectionField
	Value  string
	Reason string
}

// Validate checks the field name, trims the value and the reason and bounds their lengths; the
// store checks the value itself with the same validators as staff edits (ResidentInput,
// HouseholdInput), against the record it would change.
func (in *CorrectionInput) Validate() error {
	var v ValidationError
	in.Value = strings.TrimSpace(in.Value)
	in.Reason = strings.TrimSpace(in.Reason)
	if !in.Field.Valid() {
		v.Add("field", "请选择要更正的信息：姓名、联系电话、身份证号、出生日期、职业、政治面貌或门牌地址")
	}
	if in.Value == "" && in.Field != CorrectOccupation && in.Field != CorrectPhone {
		v.Add("value", "请填写正确的内容")
	}
	if utf8.RuneCountInString(in.Value) > 128 {
		v.Add("value", "内容不能超过128个字")
	}
	if strings.ContainsAny(in.Value, "\x00\r\n") {
		v.Add("value", "内容不能包含换行或控制字符")
	}
	if utf8.RuneCountInString(in.Reason) > 500 {
		v.Add("reason", "说明不能超过500个字")
	}
	if strings.ContainsRune(in.Reason, 0) {
		v.Add("reason", "说明不能包含控制字符")
	}
	return v.Err()
}

// CheckCorrectionNote bounds a staff note; rejecting requires one so the resident learns why.
func CheckCorrectionNote(note string, reject bool) error {
	var v ValidationError
	n := utf8.RuneCountInString(strings.TrimSpace(note))
	switch {
	case reject && n == 0:
		v.Add("note", "请写明不予更正的理由，居民会看到这段说明")
	case n > 500:
		v.Add("note", "说明不能超过500个字")
	case strings.ContainsRune(note, 0):
		v.Add("note", "说明不能包含控制字符")
	}
	return v.Err()
}
