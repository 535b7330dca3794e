package authz

import (
	"slices"
	"time"

	"gongzhi/internal/model"
)

// Field is a personal field whose visibility depends on the caller's role: the field-level half
// of the policy table. Roles not listed for a field see it masked (ID numbers, phones) or not at
// all (hardship, party status) on every render path: pages, JSON, exports, logs and error pages.
type Field string

// The fields under the field-level policy.
const (
	FieldIDNumber        Field = "id_number"        // 身份证号: full value on an audited reveal, else 5107**********123X
	FieldPhone           Field = "phone"            // 联系电话: full value on an audited reveal, else 138****5678
	FieldHardship        Field = "hardship"         // 困难户 flag of a household: hidden from everyone else
	FieldPoliticalStatus Field = "political_status" // 政治面貌 (party membership): hidden from everyone else
)

// Fields lists the fields in documentation order.
var Fields = []Field{FieldIDNumber, FieldPhone, FieldHardship, FieldPoliticalStatus}

// fieldPolicy is which roles may see each field in full. Staff and grid leaders work with
// households in need and with party members by name; a unit leader is a neighbour elected by
// neighbours and sees who lives in the unit, but not who is poor or in the Party; members,
// residents and partners read no household data at all (their own, as data subjects, comes
// through the subject pages, which show a person everything stored about them).
var fieldPolicy = map[Field][]model.Role{
	FieldIDNumber:        fieldStaff,
	FieldPhone:           fieldStaff,
	FieldHardship:        fieldStaff,
	FieldPoliticalStatus: fieldStaff,
}

// CanSee reports whether role may see field in full. An unknown field is visible to nobody.
func CanSee(role model.Role, f Field) bool { return slices.Contains(fieldPolicy[f], role) }

// FieldPolicy returns a copy of the field table for documentation and tests.
func FieldPolicy() map[Field][]model.Role {
	m := make(map[Field][]model.Role, len(fieldPolicy))
	for f, r := range fieldPolicy {
		m[f] = slices.Clone(r)
	}
	return m
}

// CanSee reports whether the scope's role may see field in full; internal jobs (All) may.
func (s Scope) CanSee(f Field) bool { return s.All || CanSee(s.Role, f) }

// Redacted lists the fields of a household or resident that the scope does not see: the value a
// client gets is masked (ID number, phone) or withheld (hardship, party status).
func (s Scope) Redacted() []Field {
	var out []Field
	for _, f := range Fields {
		if !s.CanSee(f) {
			out = append(out, f)
		}
	}
	return out
}

// RedactHousehold clears what the scope may not see of h, the hardship flag, and marks it
// withheld so that renderers leave it out instead of showing false.
func (s Scope) RedactHousehold(h *model.Household) {
	if h != nil && !s.CanSee(FieldHardship) {
		h.Flags.Hardship = false
		h.Withheld.Hardship = true
	}
}

// RedactResident masks or clears what the scope may not see of r: the ID number and phone,
// which render masked anyway (model.Sensitive), keep nothing but their mask, so not even the
// store's reveal could give them back; the birth date keeps only its year (with the mask's
// first 4 and last 4 characters, the full date left about ten candidates for the whole number);
// and the party status is cleared. What is cleared is marked in r.Withheld.
func (s Scope) RedactResident(r *model.Resident) {
	if r == nil {
		return
	}
	if !s.CanSee(FieldIDNumber) {
		r.IDNumber = r.IDNumber.MaskedOnly()
		if !r.BirthDate.IsZero() {
			r.BirthDate = time.Date(r.BirthDate.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
		}
		r.Withheld.BirthDate = true
	}
	if !s.CanSee(FieldPhone) {
		r.Phone = r.Phone.MaskedOnly()
	}
	if !s.CanSee(FieldPoliticalStatus) {
		r.PoliticalStatus = ""
		r.Withheld.PoliticalStatus = true
	}
}
