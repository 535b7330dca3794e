package model

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Gender of a resident.
type Gender string

const (
	GenderMale   Gender = "male"
	GenderFemale Gender = "female"
)

// PoliticalStatus is a resident's political status (政治面貌).
type PoliticalStatus string

const (
	StatusPartyMember  PoliticalStatus = "party_member"  // 中共党员
	StatusProbationary PoliticalStatus = "probationary"  // 预备党员
	StatusLeagueMember PoliticalStatus = "league_member" // 共青团员
	StatusMasses       PoliticalStatus = "masses"        // 群众
)

// PoliticalStatuses lists the statuses in display order.
var PoliticalStatuses = []PoliticalStatus{StatusPartyMember, StatusProbationary, StatusLeagueMember, StatusMasses}

var politicalLabels = map[PoliticalStatus]string{
	StatusPartyMember: "中共党员", StatusProbationary: "预备党员", StatusLeagueMember: "共青团员", StatusMasses: "群众",
}

// Label is the status's Chinese name.
func (p PoliticalStatus) Label() string { return politicalLabels[p] }

// Relation is a member's relation to the household head (与户主关系): a stable ASCII id, as
// stored and as the API answers; Label is the Chinese word. Input may give either
// (ParseRelation).
type Relation string

// The relations a household member may have.
const (
	RelationHead          Relation = "head"            // 户主
	RelationSpouse        Relation = "spouse"          // 配偶
	RelationChild         Relation = "child"           // 子女
	RelationParent        Relation = "parent"          // 父母
	RelationGrandchild    Relation = "grandchild"      // 孙子女
	RelationGrandparent   Relation = "grandparent"     // 祖父母
	RelationSibling       Relation = "sibling"         // 兄弟姐妹
	RelationDaughterInLaw Relation = "daughter_in_law" // 儿媳
	RelationSonInLaw      Relation = "son_in_law"      // 女婿
	RelationOther         Relation = "other"           // 其他
)

// Relations lists the relations in display order, head first.
var Relations = []Relation{RelationHead, RelationSpouse, RelationChild, RelationParent, RelationGrandchild,
	RelationGrandparent, RelationSibling, RelationDaughterInLaw, RelationSonInLaw, RelationOther}

var relationLabels = map[Relation]string{
	RelationHead: "户主", RelationSpouse: "配偶", RelationChild: "子女", RelationParent: "父母", RelationGrandchild: "孙子女",
	RelationGrandparent: "祖父母", RelationSibling: "兄弟姐妹", RelationDaughterInLaw: "儿媳", RelationSonInLaw: "女婿", RelationOther: "其他",
}

// Label is the relation's Chinese word ("" for an unknown relation).
func (r Relation) Label() string { return relationLabels[r] }

// Valid reports whether r is a known relation id.
func (r Relation) Valid() bool { return relationLabels[r] != "" }

// ParseRelation returns the relation s names, by its id (head) or its Chinese word (户主);
// false when it names none.
func ParseRelation(s string) (Relation, bool) {
	if r := Relation(s); r.Valid() {
		return r, true
	}
	for r, label := range relationLabels {
		if label == s {
			return r, true
		}
	}
	return "", false
}

// Normalized is r as its id when it is an id or a Chinese word ParseRelation knows, else r
// unchanged (for Validate to report).
func (r Relation) Normalized() Relation {
	if n, ok := ParseRelation(strings.TrimSpace(string(r))); ok {
		return n
	}
	return r
}

// Resident is one person living in a household.
type Resident struct {
	ID              int64
	HouseholdID     int64
	TerritoryID     int64 // the household's node, denormalized for scoping
	Name            string
	Gender          Gender
	BirthDate       time.Time
	Phone           Sensitive // renders masked everywhere; full only through the store's reveal
	IDNumber        Sensitive // renders masked everywhere; full only through the store's reveal
	Relation        Relation
	PoliticalStatus PoliticalStatus
	Occupation      string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Withheld says which fields the store left out for the caller's role: renderers leave
	// them out too (absent from JSON, not an empty value that looks like a real answer).
	Withheld Withheld
}

// Withheld lists the fields of a record the store did not give the caller (authz.Scope's
// RedactResident, RedactHousehold): their values in the record are not the real ones.
type Withheld struct {
	PoliticalStatus bool // Resident.PoliticalStatus is empty
	BirthDate       bool // Resident.BirthDate holds the year only (January 1st): the ID number is masked too
	Hardship        bool // Household.Flags.Hardship is false whatever it is
}

// Age in whole years on day now; with the birth date withheld, the age the birth year gives
// (now's year minus it), which may be one more than the real age.
func (r *Resident) Age(now time.Time) int {
	y := now.Year() - r.BirthDate.Year()
	if now.YearDay() < r.BirthDate.YearDay() {
		y--
	}
	return y
}

// ResidentInput is what a client may set on a resident.
type ResidentInput struct {
	HouseholdID     int64
	Name            string
	Gender          Gender
	BirthDate       string // YYYY-MM-DD; may be empty when the ID number gives it
	Phone           string
	IDNumber        string
	Relation        Relation
	PoliticalStatus PoliticalStatus
	Occupation      string
}

// Validate checks every field, fills gender and birth date from a valid ID number when they are
// empty, and returns a *ValidationError naming every bad field. now bounds plausible birth dates.
func (in *ResidentInput) Validate(now time.Time) error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.IDNumber = strings.ToUpper(strings.TrimSpace(in.IDNumber))
	in.Phone = strings.TrimSpace(in.Phone)
	in.Occupation = strings.TrimSpace(in.Occupation)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "请填写姓名")
	case n > 32:
		v.Add("name", "姓名不能超过32个字")
	case strings.ContainsAny(in.Name, "\x00\r\n\t<>"):
		v.Add("name", "姓名不能包含换行、尖括号或控制字符")
	}
	id, idErr := ParseIDNumber(in.IDNumber, now)
	if idErr != "" {
		v.Add("id_number", idErr)
	}
	if in.Gender == "" && idErr == "" {
		in.Gender = id.Gender
	}
	switch {
	case in.Gender == "" && idErr != "":
		// Derived from the ID number once it is fixed: one error, not three.
	case in.Gender != GenderMale && in.Gender != GenderFemale:
		v.Add("gender", "请选择性别")
	case idErr == "" && in.Gender != id.Gender:
		v.Add("gender", fmt.Sprintf("性别与身份证号不符：身份证号第17位表示%s", genderLabel(id.Gender)))
	}
	if in.BirthDate == "" && idErr == "" {
		in.BirthDate = id.BirthDate.Format(time.DateOnly)
	}
	if in.BirthDate == "" && idErr != "" {
		// Likewise derived from the ID number.
	} else if b, err := time.Parse(time.DateOnly, in.BirthDate); err != nil {
		v.Add("birth_date", "出生日期应为 YYYY-MM-DD 格式，例如 1965-03-08")
	} else if idErr == "" && !b.Equal(id.BirthDate) {
		v.Add("birth_date", "出生日期与身份证号第7–14位不符："+id.BirthDate.Format(time.DateOnly))
	}
	if in.Phone != "" {
		if msg := CheckPhone(in.Phone); msg != "" {
			v.Add("phone", msg)
		}
	}
	if in.Relation = in.Relation.Normalized(); in.Relation == "" {
		// Required, not defaulted, so that nobody is registered as 其他 by oversight.
		v.Add("relation", "请选择与户主关系")
	} else if !in.Relation.Valid() {
		v.Add("relation", "与户主关系应为："+joinRelations())
	}
	if in.PoliticalStatus == "" {
		in.PoliticalStatus = StatusMasses
	}
	if in.PoliticalStatus.Label() == "" {
		v.Add("political_status", "政治面貌应为：中共党员、预备党员、共青团员或群众")
	}
	if utf8.RuneCountInString(in.Occupation) > 64 {
		v.Add("occupation", "职业不能超过64个字")
	}
	return v.Err()
}

// ResidentPatch is a change of some of a resident's fields: the fields present (non-nil)
// change, the rest stay; the household is not changed by a patch. A new ID number without a
// gender or birth date derives them afresh from the number. The API's PATCH and the edit page
// both build one; the store applies it to the stored resident in one transaction and validates
// the result with ResidentInput.Validate, so both surfaces share every rule.
type ResidentPatch struct {
	Name            *string
	Gender          *Gender
	BirthDate       *string
	Phone           *string // "" clears it
	IDNumber        *string
	Relation        *Relation
	PoliticalStatus *PoliticalStatus
	Occupation      *string
}

// Empty reports whether p changes nothing.
func (p ResidentPatch) Empty() bool { return p == ResidentPatch{} }

// Apply sets the fields present in p on in (the stored resident's fields).
func (p ResidentPatch) Apply(in *ResidentInput) {
	if p.IDNumber != nil {
		in.IDNumber, in.Gender, in.BirthDate = *p.IDNumber, "", ""
	}
	setIf(&in.Name, p.Name)
	setIf(&in.Gender, p.Gender)
	setIf(&in.BirthDate, p.BirthDate)
	setIf(&in.Phone, p.Phone)
	setIf(&in.Relation, p.Relation)
	setIf(&in.PoliticalStatus, p.PoliticalStatus)
	setIf(&in.Occupation, p.Occupation)
}

// Birth returns the parsed birth date; call it after Validate succeeded.
func (in *ResidentInput) Birth() time.Time {
	b, _ := time.Parse(time.DateOnly, in.BirthDate)
	return b
}

func genderLabel(g Gender) string {
	if g == GenderFemale {
		return "女"
	}
	return "男"
}

func joinRelations() string {
	s := make([]string, len(Relations))
	for i, r := range Relations {
		s[i] = r.Label()
	}
	return strings.Join(s, "、")
}

// CheckPhone returns "" for a plausible mainland mobile (11 digits, 1[3-9]…) or landline
// (区号-号码, 0 then 9–11 digits with an optional dash), else a Chinese reason.
func CheckPhone(p string) string {
	digits := strings.ReplaceAll(p, "-", "")
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "电话号码只能包含数字和连字符“-”"
		}
	}
	switch {
	case len(digits) == 11 && digits[0] == '1' && digits[1] >= '3':
		return ""
	case digits != "" && digits[0] == '0' && len(digits) >= 10 && len(digits) <= 12:
		return ""
	case len(digits) == 11 && digits[0] == '1':
		return "手机号第2位应为3–9"
	default:
		return "手机号应为11位数字（如 13812345678），固定电话请带区号（如 0816-3221234）"
	}
}

// MaskPhone shows the first 3 and last 4 digits: 138****5678.
func MaskPhone(p string) string {
	if len(p) < 8 {
		return strings.Repeat("*", len(p))
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}

// MaskContact masks the numbers in a free-text contact ("王阿姨 13812345678"): every run of five
// or more digits as MaskPhone masks it (138****5678; up to seven digits, all of them); the rest
// of the text stays.
func MaskContact(s string) string {
	var b strings.Builder
	run := -1 // where the run of digits before i began (-1: none)
	flush := func(end int) {
		if run < 0 {
			return
		}
		if d := s[run:end]; len(d) >= 5 {
			b.WriteString(MaskPhone(d))
		} else {
			b.WriteString(d)
		}
		run = -1
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			if run < 0 {
				run = i
			}
			continue
		}
		flush(i)
		b.WriteByte(s[i])
	}
	flush(len(s))
	return b.String()
}

// MaskIDNumber shows the region prefix's first 4 and the last 4 characters: 5107**********123X.
func MaskIDNumber(id string) string {
	if len(id) < 9 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}
