package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Partition of households into joint-building units (联建单元, issue 9). The document's rule:
// 「以居民小组为单位，10—20户或一个居民楼栋（单元）为基础」. A whole building (or a whole
// stairwell) is a valid unit as it is, whatever its size; by default each building is one
// unit. Only when staff ask (SplitLarge) is a building larger than the bounds split by
// stairwell, and a stairwell still too large split by floor into contiguous groups within the
// bounds. Households outside buildings (bungalows, village houses) are grouped by closeness
// into balanced groups within the bounds; a leftover smaller than the minimum is one unit
// flagged out of bounds. No unit crosses a resident group or a compound. The same input, in any
// order, gives the same partition.

// PartitionOptions are what staff choose when they ask for a proposal.
type PartitionOptions struct {
	// SplitLarge splits a building larger than the bounds' maximum by stairwell, and a
	// stairwell still larger by floor.
	SplitLarge bool `json:"split_large"`
}

// PartitionNode is a territory node on the households' paths.
type PartitionNode struct {
	ID   int64
	Kind TerritoryKind
	Name string
}

// PartitionHousehold is one household as the partition sees it.
type PartitionHousehold struct {
	ID      int64
	Path    string // its territory node's path
	Address string
	// InUnit marks a household already in a unit: it counts in its building's size (so the
	// building is no longer whole) but is never proposed.
	InUnit bool
}

// PartitionInput is everything a partition depends on.
type PartitionInput struct {
	Households []PartitionHousehold
	Nodes      map[int64]PartitionNode // every node on the households' paths
	Bounds     UnitBounds
	Options    PartitionOptions
}

// ProposedUnit is a draft unit of a proposal with what the partition knows of it.
type ProposedUnit struct {
	UnitDraft
	AnchorID    int64 `json:"anchor_id"`           // the lowest node holding all its households
	Building    int64 `json:"building,omitempty"`  // the building it lies in, 0 for none
	Stairwell   int64 `json:"stairwell,omitempty"` // the stairwell it lies in, 0 for none
	OutOfBounds bool  `json:"out_of_bounds,omitempty"`
}

// PartitionQuality summarizes a partition for the page.
type PartitionQuality struct {
	Units           int     `json:"units"`
	Households      int     `json:"households"`
	WithinBounds    int     `json:"within_bounds"`    // units whose size lies within the bounds
	WholeBlocks     int     `json:"whole_blocks"`     // units that are one whole building or stairwell
	BuildingsSplit  int     `json:"buildings_split"`  // buildings whose households are in several units
	StairwellsSplit int     `json:"stairwells_split"` // stairwells split by floor
	OutOfBounds     int     `json:"out_of_bounds"`    // units that need an override to be confirmed
	MinSize         int     `json:"min_size"`
	MaxSize         int     `json:"max_size"`
	MeanSize        float64 `json:"mean_size"`
}

// Partition is a proposal's units and their quality.
type Partition struct {
	Units   []ProposedUnit   `json:"units"`
	Quality PartitionQuality `json:"quality"`
}

// placed is a household with what the partition derived from its path.
type placed struct {
	PartitionHousehold
	building, stairwell int64 // the deepest building and stairwell on its path, 0 for none
	container           int64 // the deepest node above or at it that is neither building nor stairwell
	group, compound     int64 // the deepest resident group and compound on its path
}

// partitionIndex is the input, sorted and resolved.
type partitionIndex struct {
	in     PartitionInput
	byID   map[int64]*placed
	totals map[int64]int // households (in a unit or not) under each building and stairwell
}

func newPartitionIndex(in PartitionInput) *partitionIndex {
	x := &partitionIndex{in: in, byID: make(map[int64]*placed, len(in.Households)), totals: map[int64]int{}}
	for _, h := range in.Households {
		p := &placed{PartitionHousehold: h}
		for _, id := range PathIDs(h.Path) {
			switch in.Nodes[id].Kind {
			case KindBuilding:
				p.building = id
			case KindStairwell:
				p.stairwell = id
			case KindResidentGroup:
				p.group, p.container = id, id
			case KindCompound:
				p.compound, p.container = id, id
			default:
				p.container = id
			}
		}
		if p.building != 0 {
			x.totals[p.building]++
		}
		if p.stairwell != 0 {
			x.totals[p.stairwell]++
		}
		x.byID[h.ID] = p
	}
	return x
}

// PartitionUnits proposes units for the input's households that are in no unit (see the file
// comment for the rule). Units come in tree order; names say where they lie.
func PartitionUnits(in PartitionInput) Partition {
	x := newPartitionIndex(in)
	free := make([]*placed, 0, len(in.Households))
	for _, h := range in.Households {
		if !h.InUnit {
			free = append(free, x.byID[h.ID])
		}
	}
	slices.SortFunc(free, func(a, b *placed) int {
		if c := NaturalCompare(a.Path, b.Path); c != 0 {
			return c
		}
		if c := NaturalCompare(a.Address, b.Address); c != 0 {
			return c
		}
		return cmpInt64(a.ID, b.ID)
	})
	// Blocks in order of their first household: a building, a stairwell outside buildings, or
	// the node loose households hang from.
	type block struct {
		key        int64
		households []*placed
	}
	var blocks []*block
	index := map[int64]*block{}
	for _, h := range free {
		key := h.container
		if h.building != 0 {
			key = h.building
		} else if h.stairwell != 0 {
			key = h.stairwell
		}
		b := index[key]
		if b == nil {
			b = &block{key: key}
			index[key] = b
			blocks = append(blocks, b)
		}
		b.households = append(b.households, h)
	}
	names := map[string]int{}
	var units []ProposedUnit
	add := func(name string, hs []*placed) {
		ids := make([]int64, len(hs))
		for i, h := range hs {
			ids[i] = h.ID
		}
		if n := names[name]; n > 0 {
			names[name]++
			name = fmt.Sprintf("%s（%d）", name, n+1)
		} else {
			names[name] = 1
		}
		units = append(units, ProposedUnit{UnitDraft: UnitDraft{Name: name, Households: ids}})
	}
	// chunk splits hs into contiguous groups within the bounds, named "<where>第k联建单元".
	chunk := func(where string, hs []*placed) {
		sizes := BalancedSizes(len(hs), in.Bounds)
		if len(sizes) == 1 {
			add(unitName(where, 0), hs)
			return
		}
		at := 0
		for i, n := range sizes {
			add(unitName(where, i+1), hs[at:at+n])
			at += n
		}
	}
	for _, b := range blocks {
		hs := b.households
		first := hs[0]
		kind := in.Nodes[b.key].Kind
		where := x.placeName(first, b.key)
		switch kind {
		case KindBuilding, KindStairwell:
			whole := len(hs) == x.totals[b.key]
			if whole && (!in.Options.SplitLarge || len(hs) <= in.Bounds.Max) {
				add(unitName(where, 0), hs)
				continue
			}
			if kind == KindStairwell {
				chunk(where, hs)
				continue
			}
			// The building by stairwell (households on the building itself form one more part),
			// each stairwell whole when it may be, else by floor.
			var parts [][]*placed
			for i := 0; i < len(hs); {
				j := i + 1
				for j < len(hs) && hs[j].stairwell == hs[i].stairwell {
					j++
				}
				parts = append(parts, hs[i:j])
				i = j
			}
			for _, part := range parts {
				sw := part[0].stairwell
				pw := x.placeName(part[0], sw)
				if sw == 0 {
					pw = where
				}
				if sw != 0 && len(part) == x.totals[sw] && (!in.Options.SplitLarge || len(part) <= in.Bounds.Max) {
					add(unitName(pw, 0), part)
					continue
				}
				chunk(pw, part)
			}
		default:
			chunk(where, hs)
		}
	}
	for i := range units {
		x.classify(&units[i])
	}
	return Partition{Units: units, Quality: QualityOf(units, in.Bounds)}
}

// unitName is "<where>联建单元", or "<where>第k联建单元" for the k-th of several.
func unitName(where string, k int) string {
	suffix := "联建单元"
	if k > 0 {
		suffix = fmt.Sprintf("第%d联建单元", k)
	}
	// Names are at most 60 characters: shorten the place from the front (the nearest node
	// says the most).
	for utf8.RuneCountInString(where)+utf8.RuneCountInString(suffix) > 56 {
		_, size := utf8.DecodeRuneInString(where)
		where = where[size:]
	}
	return where + suffix
}

// placeName names node (on h's path) for a unit name: a building or stairwell with the
// compound and building above it ("幸福小区3栋2单元"), any other node by its own name.
func (x *partitionIndex) placeName(h *placed, node int64) string {
	n := x.in.Nodes[node]
	switch n.Kind {
	case KindBuilding, KindStairwell:
		var b strings.Builder
		if h.compound != 0 {
			b.WriteString(x.in.Nodes[h.compound].Name)
		}
		if n.Kind == KindStairwell && h.building != 0 {
			b.WriteString(x.in.Nodes[h.building].Name)
		}
		b.WriteString(n.Name)
		return b.String()
	}
	return n.Name
}

// classify sets a unit's anchor, building, stairwell, basis and out-of-bounds flag from its
// households: one whole building or stairwell is that; part of a building or stairwell is a
// split; anything else is grouped. A unit that is not whole and not within the bounds is out
// of bounds (it needs an override reason to be confirmed).
func (x *partitionIndex) classify(u *ProposedUnit) {
	var anchor string
	for i, id := range u.Households {
		h := x.byID[id]
		if h == nil {
			continue
		}
		if i == 0 || anchor == "" {
			anchor = h.Path
		} else {
			anchor = commonNodePath(anchor, h.Path)
		}
	}
	ids := PathIDs(anchor)
	u.AnchorID, u.Building, u.Stairwell = 0, 0, 0
	if len(ids) > 0 {
		u.AnchorID = ids[len(ids)-1]
	}
	for _, id := range ids {
		switch x.in.Nodes[id].Kind {
		case KindBuilding:
			u.Building = id
		case KindStairwell:
			u.Stairwell = id
		}
	}
	n := len(u.Households)
	kind := x.in.Nodes[u.AnchorID].Kind
	if u.Basis == UnitOverride {
		u.OutOfBounds = false
		return
	}
	switch {
	case kind == KindBuilding && n == x.totals[u.AnchorID]:
		u.Basis = UnitBuilding
	case kind == KindStairwell && n == x.totals[u.AnchorID]:
		u.Basis = UnitStairwell
	case u.Building != 0 || u.Stairwell != 0:
		u.Basis = UnitSplit
	default:
		u.Basis = UnitGrouped
	}
	whole := u.Basis == UnitBuilding || u.Basis == UnitStairwell
	u.OutOfBounds = !whole && !x.in.Bounds.Within(n)
}

// commonNodePath is the deepest node path that is a prefix of both paths ("/1/5/" of
// "/1/5/7/" and "/1/5/9/").
func commonNodePath(a, b string) string {
	n := min(len(a), len(b))
	last := 0
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			break
		}
		if a[i] == '/' {
			last = i + 1
		}
	}
	return a[:last]
}

// EvaluateUnits re-derives every unit's basis, anchor and out-of-bounds flag after staff
// adjusted a proposal, and checks what an adjustment may break: every household is one of
// the input's households in no unit and listed once, no unit is empty, and no unit crosses a
// resident group or a compound. Field names are "units[i].households".
func EvaluateUnits(in PartitionInput, units []ProposedUnit) (PartitionQuality, error) {
	x := newPartitionIndex(in)
	v := &ValidationError{}
	seen := map[int64]int{}
	for i := range units {
		u := &units[i]
		field := fmt.Sprintf("units[%d].households", i)
		if len(u.Households) == 0 {
			v.Add(field, fmt.Sprintf("联建单元「%s」没有住户", u.Name))
			continue
		}
		var group, compound int64
		for k, id := range u.Households {
			if j, ok := seen[id]; ok {
				v.Add(field, fmt.Sprintf("住户 %d 同时列在「%s」和「%s」中，一户只能属于一个联建单元", id, units[j].Name, u.Name))
				break
			}
			seen[id] = i
			h := x.byID[id]
			if h == nil || h.InUnit {
				v.Add(field, fmt.Sprintf("住户 %d 已迁出、已在其他联建单元中或不在所选范围内", id))
				break
			}
			if k == 0 {
				group, compound = h.group, h.compound
			} else if h.group != group {
				v.Add(field, fmt.Sprintf("联建单元「%s」不能跨居民小组", u.Name))
				break
			} else if h.compound != compound {
				v.Add(field, fmt.Sprintf("联建单元「%s」不能跨小区", u.Name))
				break
			}
		}
		x.classify(u)
	}
	if err := v.Err(); err != nil {
		return PartitionQuality{}, err
	}
	return QualityOf(units, in.Bounds), nil
}

// QualityOf summarizes units under bounds.
func QualityOf(units []ProposedUnit, bounds UnitBounds) PartitionQuality {
	q := PartitionQuality{Units: len(units)}
	buildingUnits := map[int64]int{}
	stairwellsSplit := map[int64]bool{}
	for i, u := range units {
		n := len(u.Households)
		q.Households += n
		if bounds.Within(n) {
			q.WithinBounds++
		}
		switch u.Basis {
		case UnitBuilding, UnitStairwell:
			q.WholeBlocks++
		case UnitSplit:
			if u.Stairwell != 0 {
				stairwellsSplit[u.Stairwell] = true
			}
		}
		if u.OutOfBounds {
			q.OutOfBounds++
		}
		if u.Building != 0 {
			buildingUnits[u.Building]++
		}
		if i == 0 || n < q.MinSize {
			q.MinSize = n
		}
		if n > q.MaxSize {
			q.MaxSize = n
		}
	}
	for _, n := range buildingUnits {
		if n > 1 {
			q.BuildingsSplit++
		}
	}
	q.StairwellsSplit = len(stairwellsSplit)
	if q.Units > 0 {
		q.MeanSize = float64(int(float64(q.Households)/float64(q.Units)*10+0.5)) / 10
	}
	return q
}

// BalancedSizes splits n households into as few contiguous groups within the bounds as
// possible, their sizes differing by at most one, larger groups first. When n is below the
// minimum it is one group (out of bounds); when no balanced split fits the bounds (narrow
// bounds), groups of the maximum and a leftover.
func BalancedSizes(n int, b UnitBounds) []int {
	if n <= 0 {
		return nil
	}
	if n <= b.Max || b.Max <= 0 {
		return []int{n}
	}
	k := (n + b.Max - 1) / b.Max
	if n/k >= b.Min {
		sizes := make([]int, k)
		for i := range sizes {
			sizes[i] = n / k
			if i < n%k {
				sizes[i]++
			}
		}
		return sizes
	}
	var sizes []int
	for ; n >= b.Max; n -= b.Max {
		sizes = append(sizes, b.Max)
	}
	if n > 0 {
		sizes = append(sizes, n)
	}
	return sizes
}

// NaturalCompare orders strings with runs of digits compared as numbers ("2栋" before "10栋",
// "/9/" before "/10/"), everything else byte by byte.
func NaturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := digitRun(a), digitRun(b)
			da, db := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(da) != len(db) {
				return cmpInt(len(da), len(db))
			}
			if c := strings.Compare(da, db); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return cmpInt(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt(len(a), len(b))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ProposalStatus is where a proposal stands.
type ProposalStatus string

// The statuses of a proposal.
const (
	ProposalDraft     ProposalStatus = "draft"
	ProposalConfirmed ProposalStatus = "confirmed"
	ProposalDiscarded ProposalStatus = "discarded"
)

var proposalStatusLabels = map[ProposalStatus]string{ProposalDraft: "待确认", ProposalConfirmed: "已确认", ProposalDiscarded: "已放弃"}

// Label is the status's Chinese name.
func (s ProposalStatus) Label() string { return proposalStatusLabels[s] }

// UnitProposal is a stored partition of a node's households into draft units, which staff
// adjust before confirming it. Version counts its changes: every adjustment names the version
// it was made on, and a stale one is refused.
type UnitProposal struct {
	ID            int64
	CommunityID   int64
	TerritoryID   int64 // the chosen node (community, resident group, grid or compound)
	TerritoryName string
	Path          string
	Options       PartitionOptions
	Bounds        UnitBounds
	Units         []ProposedUnit
	Quality       PartitionQuality
	Version       int
	Status        ProposalStatus
	CreatedBy     int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// unitField names a unit of the proposal in a field error.
func unitField(i int, field string) string { return fmt.Sprintf("units[%d].%s", i, field) }

func (p *UnitProposal) unit(i int, field string) (*ProposedUnit, error) {
	if i < 0 || i >= len(p.Units) {
		v := &ValidationError{}
		v.Add(field, "所选的联建单元不在方案中，请刷新后重试")
		return nil, v
	}
	return &p.Units[i], nil
}

// MoveHousehold moves a household to the draft unit at index to; a draft it leaves empty is
// dropped. Field errors: household_id, to.
func (p *UnitProposal) MoveHousehold(household int64, to int) error {
	dst, err := p.unit(to, "to")
	if err != nil {
		return err
	}
	for i := range p.Units {
		u := &p.Units[i]
		k := slices.Index(u.Households, household)
		if k < 0 {
			continue
		}
		if i == to {
			v := &ValidationError{}
			v.Add("to", fmt.Sprintf("住户已在「%s」中", u.Name))
			return v
		}
		dst.Households = append(dst.Households, household)
		u.Households = slices.Delete(u.Households, k, k+1)
		if len(u.Households) == 0 {
			p.Units = slices.Delete(p.Units, i, i+1)
		}
		return nil
	}
	v := &ValidationError{}
	v.Add("household_id", fmt.Sprintf("住户 %d 不在这个方案中", household))
	return v
}

// Merge puts the households of draft b into draft a (which keeps its name) and drops b.
// Field errors: a, b.
func (p *UnitProposal) Merge(a, b int) error {
	ua, err := p.unit(a, "a")
	if err != nil {
		return err
	}
	ub, err := p.unit(b, "b")
	if err != nil {
		return err
	}
	if a == b {
		v := &ValidationError{}
		v.Add("b", "请选择另一个联建单元合并")
		return v
	}
	ua.Households = append(ua.Households, ub.Households...)
	ua.Basis = ""
	p.Units = slices.Delete(p.Units, b, b+1)
	return nil
}

// Split moves households (or, when none are named, the second half) of draft i into a new
// draft right after it, named after it with "（二）". Field errors: unit, households.
func (p *UnitProposal) Split(i int, households []int64) error {
	u, err := p.unit(i, "unit")
	if err != nil {
		return err
	}
	v := &ValidationError{}
	if len(u.Households) < 2 {
		v.Add("unit", fmt.Sprintf("「%s」只有 %d 户，无法拆分", u.Name, len(u.Households)))
		return v
	}
	var keep, move []int64
	if len(households) == 0 {
		half := (len(u.Households) + 1) / 2
		keep, move = slices.Clone(u.Households[:half]), slices.Clone(u.Households[half:])
	} else {
		for _, h := range households {
			if !slices.Contains(u.Households, h) {
				v.Add("households", fmt.Sprintf("住户 %d 不在「%s」中", h, u.Name))
				return v
			}
		}
		for _, h := range u.Households {
			if slices.Contains(households, h) {
				move = append(move, h)
			} else {
				keep = append(keep, h)
			}
		}
		if len(keep) == 0 {
			v.Add("households", "拆分后原联建单元至少要留一户")
			return v
		}
	}
	name := u.Name
	if utf8.RuneCountInString(name) > 56 {
		name = string([]rune(name)[:56])
	}
	u.Households = keep
	nu := ProposedUnit{UnitDraft: UnitDraft{Name: name + "（二）", Households: move}}
	p.Units = slices.Insert(p.Units, i+1, nu)
	return nil
}

// Rename renames draft i. Field error: name.
func (p *UnitProposal) Rename(i int, name string) error {
	u, err := p.unit(i, "unit")
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	d := UnitDraft{Name: name, Basis: UnitGrouped, Households: []int64{1}}
	if err := d.Validate(); err != nil {
		return err
	}
	u.Name = name
	return nil
}

// Drafts are the proposal's units as FormUnits takes them: an out-of-bounds unit needs an
// override reason in reasons (by index); without one it is a field error
// "units[i].override_reason" naming the unit, for every such unit at once.
func (p *UnitProposal) Drafts(reasons map[int]string) ([]UnitDraft, error) {
	v := &ValidationError{}
	out := make([]UnitDraft, len(p.Units))
	for i, u := range p.Units {
		d := u.UnitDraft
		d.Households = slices.Clone(u.Households)
		if u.OutOfBounds {
			reason := strings.TrimSpace(reasons[i])
			if reason == "" {
				v.Add(unitField(i, "override_reason"), fmt.Sprintf("「%s」有 %d 户，不在 %s 之间，也不是整栋楼或整个单元(楼道)：请写明特批理由，或调整后再确认",
					u.Name, len(u.Households), p.Bounds))
				continue
			}
			d.Basis, d.Override, d.OverrideReason = UnitOverride, true, reason
		}
		out[i] = d
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
