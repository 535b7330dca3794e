package model

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TerritoryKind is the level of a node in the territory tree.
type TerritoryKind string

// The kinds, from the top of a deployment down. Kinds below community are optional per community.
const (
	KindDistrict      TerritoryKind = "district"       // 区/县/县级市
	KindStreet        TerritoryKind = "street"         // 街道/镇/乡
	KindCommunity     TerritoryKind = "community"      // 社区/村
	KindResidentGroup TerritoryKind = "resident_group" // 居民小组
	KindGrid          TerritoryKind = "grid"           // 网格
	KindCompound      TerritoryKind = "compound"       // 小区/楼院
	KindBuilding      TerritoryKind = "building"       // 楼栋
	KindStairwell     TerritoryKind = "stairwell"      // 单元(楼道)
)

// Kinds lists every kind in tree order.
var Kinds = []TerritoryKind{KindDistrict, KindStreet, KindCommunity, KindResidentGroup, KindGrid, KindCompound, KindBuilding, KindStairwell}

var kindLabels = map[TerritoryKind]string{
	KindDistrict: "区县", KindStreet: "街道/乡镇", KindCommunity: "社区/村", KindResidentGroup: "居民小组",
	KindGrid: "网格", KindCompound: "小区", KindBuilding: "楼栋", KindStairwell: "单元",
}

// Valid reports whether k is a known kind.
func (k TerritoryKind) Valid() bool { return slices.Contains(Kinds, k) }

// Label is the kind's Chinese name.
func (k TerritoryKind) Label() string { return kindLabels[k] }

// Rank is the kind's depth in the canonical order (district 0 … stairwell 7).
func (k TerritoryKind) Rank() int { return slices.Index(Kinds, k) }

// CanContain reports whether a node of kind k may have a child of kind child: children sit
// strictly lower in the canonical order, and nothing but a district sits at the top.
func (k TerritoryKind) CanContain(child TerritoryKind) bool {
	return k.Valid() && child.Valid() && child != KindDistrict && child.Rank() > k.Rank()
}

// TerritoryRef names a node: what a breadcrumb or a link needs, without its counts and dates.
type TerritoryRef struct {
	ID   int64
	Kind TerritoryKind
	Name string
	Path string
}

// Territory is one node of the territory tree. Path is the materialized path of ids from the
// root, "/1/5/23/", so that a node's subtree is every row whose path has its path as prefix.
type Territory struct {
	ID         int64
	ParentID   int64 // 0 for a root
	Kind       TerritoryKind
	Name       string
	Code       string // 12-digit statistical division code, or ""
	Path       string
	Households int64 // households in the subtree, maintained by the store
	Residents  int64 // residents in the subtree, maintained by the store
	ArchivedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Depth is the number of ancestors of t.
func (t *Territory) Depth() int { return strings.Count(t.Path, "/") - 2 }

// AncestorIDs returns the ids on t's path from the root down to t itself.
func (t *Territory) AncestorIDs() []int64 { return PathIDs(t.Path) }

// PathIDs parses a materialized path "/1/5/23/" into [1 5 23].
func PathIDs(path string) []int64 {
	var ids []int64
	for _, s := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// ChildPath is the path of a child with id under a node with path parent.
func ChildPath(parent string, id int64) string {
	if parent == "" {
		parent = "/"
	}
	return parent + strconv.FormatInt(id, 10) + "/"
}

// TerritoryInput is what a client may set on a node.
type TerritoryInput struct {
	ParentID int64
	Kind     TerritoryKind
	Name     string
	Code     string
}

// Validate checks the fields on their own; the store checks the parent's kind.
func (in *TerritoryInput) Validate() error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.Code = strings.TrimSpace(in.Code)
	if !in.Kind.Valid() {
		v.Add("kind", "请选择层级：区县、街道/乡镇、社区/村、居民小组、网格、小区、楼栋或单元")
	}
	validateName(&v, "name", in.Name)
	if in.Code != "" && !ValidDivisionCode(in.Code) {
		v.Add("code", "统计区划代码应为12位数字")
	}
	if in.Kind != KindDistrict && in.Kind.Valid() && in.ParentID == 0 {
		v.Add("parent_id", "请选择上级节点")
	}
	return v.Err()
}

func validateName(v *ValidationError, field, name string) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add(field, "请填写名称")
	case n > 64:
		v.Add(field, "名称不能超过64个字")
	case strings.ContainsAny(name, "\x00\r\n\t"):
		v.Add(field, "名称不能包含换行或控制字符")
	}
}

// ValidDivisionCode reports whether s is a 12-digit statistical division code.
func ValidDivisionCode(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// TerritoryEvent is one entry of a node's history.
type TerritoryEvent struct {
	ID          int64
	TerritoryID int64
	Action      string // created | renamed | moved | archived
	Detail      string // e.g. "旧名 → 新名"
	ActorID     int64
	At          time.Time
}
