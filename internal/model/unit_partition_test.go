package model_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/model"
)

// tree builds partition inputs: nodes under a community, households on them.
type tree struct {
	in   model.PartitionInput
	next int64
}

func newTree() *tree {
	t := &tree{in: model.PartitionInput{Nodes: map[int64]model.PartitionNode{}, Bounds: model.DefaultUnitBounds}, next: 1}
	t.node("/", model.KindCommunity, "天宝社区")
	return t
}

// node adds a node under parent path and returns its path.
func (t *tree) node(parent string, kind model.TerritoryKind, name string) string {
	id := t.next
	t.next++
	t.in.Nodes[id] = model.PartitionNode{ID: id, Kind: kind, Name: name}
	return model.ChildPath(parent, id)
}

// households adds n households on the node at path, addresses prefix+"1号"…; it returns their ids.
func (t *tree) households(path, prefix string, n int) []int64 {
	var ids []int64
	for i := 1; i <= n; i++ {
		id := int64(10000 + len(t.in.Households) + 1)
		t.in.Households = append(t.in.Households, model.PartitionHousehold{ID: id, Path: path, Address: fmt.Sprintf("%s%d号", prefix, i)})
		ids = append(ids, id)
	}
	return ids
}

// flats adds a stairwell's flats floor by floor (perFloor a floor) and returns their ids.
func (t *tree) flats(path string, floors, perFloor int) []int64 {
	var ids []int64
	for f := 1; f <= floors; f++ {
		for p := 1; p <= perFloor; p++ {
			id := int64(10000 + len(t.in.Households) + 1)
			t.in.Households = append(t.in.Households, model.PartitionHousehold{ID: id, Path: path, Address: fmt.Sprintf("%d室", f*100+p)})
			ids = append(ids, id)
		}
	}
	return ids
}

func sizes(p model.Partition) []int {
	var s []int
	for _, u := range p.Units {
		s = append(s, len(u.Households))
	}
	return s
}

func names(p model.Partition) []string {
	var s []string
	for _, u := range p.Units {
		s = append(s, u.Name+"/"+string(u.Basis))
	}
	return s
}

func TestPartitionUnits(t *testing.T) {
	root := "/1/"
	cases := []struct {
		name      string
		build     func(t *tree)
		split     bool
		wantNames []string
		wantSizes []int
		wantOut   int
	}{
		{
			name: "a whole building is one unit whatever its size",
			build: func(t *tree) {
				c := t.node(root, model.KindCompound, "幸福小区")
				b := t.node(c, model.KindBuilding, "3栋")
				t.flats(t.node(b, model.KindStairwell, "1单元"), 6, 4)
				t.flats(t.node(b, model.KindStairwell, "2单元"), 6, 4)
			},
			wantNames: []string{"幸福小区3栋联建单元/building"},
			wantSizes: []int{48},
		},
		{
			name: "split large: by stairwell, then by floor within bounds",
			build: func(t *tree) {
				c := t.node(root, model.KindCompound, "幸福小区")
				b := t.node(c, model.KindBuilding, "3栋")
				t.flats(t.node(b, model.KindStairwell, "1单元"), 6, 3)  // 18: one stairwell unit
				t.flats(t.node(b, model.KindStairwell, "2单元"), 11, 4) // 44: split 15, 15, 14
			},
			split:     true,
			wantNames: []string{"幸福小区3栋1单元联建单元/stairwell", "幸福小区3栋2单元第1联建单元/split", "幸福小区3栋2单元第2联建单元/split", "幸福小区3栋2单元第3联建单元/split"},
			wantSizes: []int{18, 15, 15, 14},
		},
		{
			// A building of one stairwell is that stairwell (its anchor, as FormUnits checks it).
			name: "split large leaves a building within bounds whole, and a small stairwell whole",
			build: func(t *tree) {
				c := t.node(root, model.KindCompound, "老院")
				t.flats(t.node(t.node(c, model.KindBuilding, "1栋"), model.KindStairwell, "1单元"), 5, 2)
				b := t.node(c, model.KindBuilding, "2栋")
				t.flats(t.node(b, model.KindStairwell, "1单元"), 2, 2)
				t.flats(t.node(b, model.KindStairwell, "2单元"), 10, 2)
			},
			split:     true,
			wantNames: []string{"老院1栋联建单元/stairwell", "老院2栋1单元联建单元/stairwell", "老院2栋2单元联建单元/stairwell"},
			wantSizes: []int{10, 4, 20},
		},
		{
			name: "bungalows grouped balanced, leftover flagged",
			build: func(t *tree) {
				t.households(t.node(root, model.KindCompound, "平房院"), "平房院", 45)
				t.households(t.node(root, model.KindCompound, "小院"), "小院", 7)
			},
			wantNames: []string{"平房院第1联建单元/grouped", "平房院第2联建单元/grouped", "平房院第3联建单元/grouped", "小院联建单元/grouped"},
			wantSizes: []int{15, 15, 15, 7},
			wantOut:   1,
		},
		{
			name: "resident groups never mixed",
			build: func(t *tree) {
				t.households(t.node(root, model.KindResidentGroup, "一组"), "一组", 12)
				t.households(t.node(root, model.KindResidentGroup, "二组"), "二组", 21)
			},
			wantNames: []string{"一组联建单元/grouped", "二组第1联建单元/grouped", "二组第2联建单元/grouped"},
			wantSizes: []int{12, 11, 10},
		},
		{
			name: "a building partly in units: the rest split by stairwell",
			build: func(t *tree) {
				b := t.node(root, model.KindBuilding, "5栋")
				ids := t.flats(t.node(b, model.KindStairwell, "1单元"), 3, 2)
				t.flats(t.node(b, model.KindStairwell, "2单元"), 4, 3)
				for i := range t.in.Households {
					if slices.Contains(ids[:2], t.in.Households[i].ID) {
						t.in.Households[i].InUnit = true
					}
				}
			},
			wantNames: []string{"5栋1单元联建单元/split", "5栋2单元联建单元/stairwell"},
			wantSizes: []int{4, 12},
			wantOut:   1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newTree()
			c.build(tr)
			tr.in.Options.SplitLarge = c.split
			p := model.PartitionUnits(tr.in)
			if got := names(p); !reflect.DeepEqual(got, c.wantNames) {
				t.Errorf("names = %q, want %q", got, c.wantNames)
			}
			if got := sizes(p); !reflect.DeepEqual(got, c.wantSizes) {
				t.Errorf("sizes = %v, want %v", got, c.wantSizes)
			}
			if p.Quality.OutOfBounds != c.wantOut {
				t.Errorf("out of bounds = %d, want %d (%+v)", p.Quality.OutOfBounds, c.wantOut, p.Quality)
			}
		})
	}
}

func TestPartitionQuality(t *testing.T) {
	tr := newTree()
	c := tr.node("/1/", model.KindCompound, "幸福小区")
	b := tr.node(c, model.KindBuilding, "3栋")
	tr.flats(tr.node(b, model.KindStairwell, "1单元"), 6, 3)
	tr.flats(tr.node(b, model.KindStairwell, "2单元"), 11, 4)
	tr.households(tr.node("/1/", model.KindCompound, "平房院"), "平房院", 7)
	tr.in.Options.SplitLarge = true
	q := model.PartitionUnits(tr.in).Quality
	want := model.PartitionQuality{Units: 5, Households: 69, WithinBounds: 4, WholeBlocks: 1, BuildingsSplit: 1, StairwellsSplit: 1,
		OutOfBounds: 1, MinSize: 7, MaxSize: 18, MeanSize: 13.8}
	if q != want {
		t.Errorf("quality = %+v\nwant      %+v", q, want)
	}
}

func TestBalancedSizes(t *testing.T) {
	cases := []struct {
		n    int
		b    model.UnitBounds
		want []int
	}{
		{0, model.DefaultUnitBounds, nil},
		{7, model.DefaultUnitBounds, []int{7}},
		{20, model.DefaultUnitBounds, []int{20}},
		{21, model.DefaultUnitBounds, []int{11, 10}},
		{41, model.DefaultUnitBounds, []int{14, 14, 13}},
		{21, model.UnitBounds{Min: 15, Max: 20}, []int{20, 1}},
	}
	for _, c := range cases {
		if got := model.BalancedSizes(c.n, c.b); !reflect.DeepEqual(got, c.want) {
			t.Errorf("BalancedSizes(%d, %v) = %v, want %v", c.n, c.b, got, c.want)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	in := []string{"10栋", "2栋", "1栋10室", "1栋9室", "/10/", "/9/", "002", "1"}
	slices.SortFunc(in, model.NaturalCompare)
	want := []string{"/9/", "/10/", "1", "1栋9室", "1栋10室", "002", "2栋", "10栋"}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("sorted = %q, want %q", in, want)
	}
}

// randomTree builds a community with resident groups, grids, compounds, buildings,
// stairwells and loose households, some already in units.
func randomTree(r *rand.Rand) *tree {
	tr := newTree()
	parents := []string{"/1/"}
	if r.IntN(2) == 0 {
		parents = nil
		for g := range 1 + r.IntN(3) {
			parents = append(parents, tr.node("/1/", model.KindResidentGroup, fmt.Sprintf("%d组", g+1)))
		}
	}
	for _, p := range parents {
		for range 1 + r.IntN(2) {
			grid := tr.node(p, model.KindGrid, "网格")
			for range r.IntN(4) {
				c := tr.node(grid, model.KindCompound, "小区")
				for bn := range r.IntN(4) {
					b := tr.node(c, model.KindBuilding, fmt.Sprintf("%d栋", bn+1))
					tr.households(b, "楼下", r.IntN(3))
					for sn := range r.IntN(4) {
						tr.flats(tr.node(b, model.KindStairwell, fmt.Sprintf("%d单元", sn+1)), r.IntN(12), 1+r.IntN(4))
					}
				}
				tr.households(c, "平房", r.IntN(30))
			}
			tr.households(grid, "村", r.IntN(50))
		}
	}
	for i := range tr.in.Households {
		tr.in.Households[i].InUnit = r.IntN(20) == 0
	}
	tr.in.Bounds = model.UnitBounds{Min: 5 + r.IntN(10), Max: 15 + r.IntN(10)}
	tr.in.Options.SplitLarge = r.IntN(2) == 0
	return tr
}

// TestPartitionProperties: over random trees every free household is in exactly one unit, no
// unit crosses a resident group or a compound, grouped and split units lie within the bounds
// unless flagged, and a shuffled input gives the same partition.
func TestPartitionProperties(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 9))
		tr := randomTree(r)
		p := model.PartitionUnits(tr.in)
		free := map[int64]bool{}
		where := map[int64]string{}
		for _, h := range tr.in.Households {
			if !h.InUnit {
				free[h.ID] = true
			}
			where[h.ID] = h.Path
		}
		seen := map[int64]bool{}
		for _, u := range p.Units {
			if len(u.Households) == 0 {
				t.Fatalf("seed %d: empty unit %q", seed, u.Name)
			}
			var block string
			for i, id := range u.Households {
				if !free[id] || seen[id] {
					t.Fatalf("seed %d: household %d in unit %q (free %v, seen %v)", seed, id, u.Name, free[id], seen[id])
				}
				seen[id] = true
				b := blockOf(tr, where[id])
				if i == 0 {
					block = b
				} else if b != block {
					t.Fatalf("seed %d: unit %q crosses %s and %s", seed, u.Name, block, b)
				}
			}
			n := len(u.Households)
			switch u.Basis {
			case model.UnitGrouped, model.UnitSplit:
				if !tr.in.Bounds.Within(n) != u.OutOfBounds {
					t.Fatalf("seed %d: unit %q of %d in %v flagged %v", seed, u.Name, n, tr.in.Bounds, u.OutOfBounds)
				}
			case model.UnitBuilding, model.UnitStairwell:
				if u.OutOfBounds {
					t.Fatalf("seed %d: whole unit %q flagged", seed, u.Name)
				}
			default:
				t.Fatalf("seed %d: basis %q", seed, u.Basis)
			}
			if err := u.UnitDraft.Validate(); err != nil && !strings.Contains(err.Error(), "override") {
				t.Fatalf("seed %d: draft %q invalid: %v", seed, u.Name, err)
			}
		}
		if len(seen) != len(free) {
			t.Fatalf("seed %d: %d of %d free households placed", seed, len(seen), len(free))
		}
		// Shuffled input, same output; the evaluation of an untouched partition agrees.
		shuffled := tr.in
		shuffled.Households = slices.Clone(tr.in.Households)
		r.Shuffle(len(shuffled.Households), func(i, j int) {
			shuffled.Households[i], shuffled.Households[j] = shuffled.Households[j], shuffled.Households[i]
		})
		if q := model.PartitionUnits(shuffled); !reflect.DeepEqual(q, p) {
			t.Fatalf("seed %d: shuffled input gave another partition", seed)
		}
		again := slices.Clone(p.Units)
		q, err := model.EvaluateUnits(tr.in, again)
		if err != nil || q != p.Quality || !reflect.DeepEqual(again, p.Units) {
			t.Fatalf("seed %d: evaluation disagrees: %v %+v %+v", seed, err, q, p.Quality)
		}
	}
}

// blockOf is the resident group and compound a path lies in.
func blockOf(tr *tree, path string) string {
	var g, c int64
	for _, id := range model.PathIDs(path) {
		switch tr.in.Nodes[id].Kind {
		case model.KindResidentGroup:
			g = id
		case model.KindCompound:
			c = id
		}
	}
	return fmt.Sprintf("group %d compound %d", g, c)
}

func TestEvaluateUnits(t *testing.T) {
	tr := newTree()
	a := tr.households(tr.node("/1/", model.KindCompound, "甲院"), "甲", 12)
	b := tr.households(tr.node("/1/", model.KindCompound, "乙院"), "乙", 12)
	p := model.PartitionUnits(tr.in)
	if len(p.Units) != 2 {
		t.Fatalf("units %v", names(p))
	}
	merged := []model.ProposedUnit{p.Units[0]}
	merged[0].Households = append(slices.Clone(a), b...)
	if _, err := model.EvaluateUnits(tr.in, merged); err == nil || !strings.Contains(err.Error(), "不能跨小区") {
		t.Errorf("merge across compounds: %v", err)
	}
	twice := slices.Clone(p.Units)
	twice[1].Households = append(slices.Clone(b), a[0])
	if _, err := model.EvaluateUnits(tr.in, twice); err == nil || !strings.Contains(err.Error(), "同时列在") {
		t.Errorf("household twice: %v", err)
	}
	moved := slices.Clone(p.Units)
	moved[0].Households = slices.Clone(a[:6])
	moved = append(moved, model.ProposedUnit{UnitDraft: model.UnitDraft{Name: "x", Households: slices.Clone(a[6:])}})
	q, err := model.EvaluateUnits(tr.in, moved)
	if err != nil || q.OutOfBounds != 2 || !moved[0].OutOfBounds || moved[2].Basis != model.UnitGrouped {
		t.Errorf("split below min: %+v %v", q, err)
	}
}

// BenchmarkPartitionStreet partitions a street-sized community set in memory: 150,000
// households in compounds of buildings of stairwells (the largest street of the 1M-household
// demo city holds fewer), large buildings split.
func BenchmarkPartitionStreet(b *testing.B) {
	tr := newTree()
	r := rand.New(rand.NewPCG(1, 2))
	for len(tr.in.Households) < 150_000 {
		grid := tr.node("/1/", model.KindGrid, "网格")
		for range 4 {
			c := tr.node(grid, model.KindCompound, "小区")
			for bn := range 1 + r.IntN(10) {
				bl := tr.node(c, model.KindBuilding, fmt.Sprintf("%d栋", bn+1))
				for sn := range 1 + r.IntN(3) {
					tr.flats(tr.node(bl, model.KindStairwell, fmt.Sprintf("%d单元", sn+1)), 6+r.IntN(12), 2+r.IntN(2))
				}
			}
		}
	}
	tr.in.Options.SplitLarge = true
	b.ResetTimer()
	for b.Loop() {
		p := model.PartitionUnits(tr.in)
		if p.Quality.Households != len(tr.in.Households) {
			b.Fatal("households lost")
		}
	}
}
