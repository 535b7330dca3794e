package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"gongzhi/internal/division"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// generator holds what must stay consistent across the whole run: ID numbers and phone numbers
// handed out, compound names in use. One generator serves one Generate call, sequentially.
type generator struct {
	seed      int64
	asOf      time.Time
	home      int   // the county's 6-digit code
	city      []int // the other counties of its city
	province  []int // the other counties of its province, outside the city
	seq       map[uint64]uint16
	phones    uint64
	compounds map[string]bool
	members   []person // scratch for one household
}

// person is one household member while the household is being made.
type person struct {
	surname, given string
	male           bool
	age            int
	rel            model.Relation
}

func newGenerator(tbl *division.Table, county string, opts Options) (*generator, error) {
	home, err := strconv.Atoi(county)
	if err != nil {
		return nil, fmt.Errorf("demo: county code %q: %w", county, err)
	}
	g := &generator{seed: opts.Seed, asOf: opts.AsOf, home: home, seq: map[uint64]uint16{}, compounds: map[string]bool{}}
	p, err := tbl.Province(county[:2])
	if err != nil {
		return nil, err
	}
	for _, c := range p.Counties {
		code, err := strconv.Atoi(c.Code)
		if err != nil || code == home || c.Code[2:4] == "00" {
			continue
		}
		if c.Code[:4] == county[:4] {
			g.city = append(g.city, code)
		} else {
			g.province = append(g.province, code)
		}
	}
	if len(g.city) == 0 {
		g.city = []int{home}
	}
	if len(g.province) == 0 {
		g.province = g.city
	}
	return g, nil
}

// Household sizes after the 2020 census (一人户 25.4% … 六人及以上 4.3%; mean ≈ 2.6).
var sizeWeights = []int{254, 297, 209, 132, 65, 43}

// Roles of household members; a template lists the roles of one household shape.
type role uint8

const (
	head role = iota
	spouse
	child
	parent
	grandchild
	childInLaw
	sibling
)

type template struct {
	weight int
	roles  []role
}

// templates[n-1] are the shapes of an n-person household.
var templates = [][]template{
	{{100, []role{head}}},
	{{70, []role{head, spouse}}, {18, []role{head, child}}, {8, []role{head, parent}}, {4, []role{head, sibling}}},
	{{72, []role{head, spouse, child}}, {12, []role{head, spouse, parent}}, {8, []role{head, spouse, grandchild}}, {8, []role{head, child, child}}},
	{{50, []role{head, spouse, child, child}}, {30, []role{head, spouse, child, parent}}, {10, []role{head, spouse, child, childInLaw}}, {10, []role{head, spouse, grandchild, grandchild}}},
	{{40, []role{head, spouse, child, child, parent}}, {40, []role{head, spouse, child, childInLaw, grandchild}}, {20, []role{head, spouse, child, parent, parent}}},
	{{50, []role{head, spouse, child, childInLaw, grandchild, grandchild}}, {50, []role{head, spouse, child, child, parent, parent}}},
}

var templateWeights = func() [][]int {
	w := make([][]int, len(templates))
	for i, ts := range templates {
		for _, t := range ts {
			w[i] = append(w[i], t.weight)
		}
	}
	return w
}()

// household makes one household at node stairwell with its members and returns how many
// residents it added.
func (g *generator) household(b *store.Bulk, r *rand.Rand, stairwell int64, address string) (int, error) {
	size := 1 + weighted(r, sizeWeights)
	shape := templates[size-1][weighted(r, templateWeights[size-1])].roles
	h := model.Household{TerritoryID: stairwell, Address: address, Members: size}
	h.Flags.Mobile = r.IntN(1000) < 50
	h.Flags.Hardship = r.IntN(1000) < 20
	h.Flags.Disability = r.IntN(1000) < 15
	// About 3% of all households: 12% of one-person households are old people living alone.
	h.Flags.ElderlyAlone = size == 1 && r.IntN(100) < 12
	g.members = g.family(r, shape, h.Flags.ElderlyAlone, g.members[:0])

	region := g.home
	if h.Flags.Mobile {
		region = pick(r, g.province)
	}
	hd := &g.members[0]
	h.HeadName = hd.surname + hd.given
	var movedIn time.Time
	if h.Flags.Mobile {
		movedIn = g.asOf.AddDate(0, 0, -r.IntN(4*365))
	} else {
		// Some time after the head came of age, and not before 1985.
		from := max(1985, g.asOf.Year()-hd.age+18)
		movedIn = time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC)
		if days := int(g.asOf.Sub(movedIn).Hours() / 24); days > 0 {
			movedIn = movedIn.AddDate(0, 0, r.IntN(days))
		}
	}
	h.MovedInAt = &movedIn
	if err := b.AddHousehold(&h); err != nil {
		return 0, err
	}
	for i := range g.members {
		p := &g.members[i]
		rg := region
		if !h.Flags.Mobile {
			switch n := r.IntN(100); {
			case n < 12:
				rg = pick(r, g.city)
			case n < 18:
				rg = pick(r, g.province)
			}
		}
		birth := g.asOf.AddDate(-p.age, 0, -r.IntN(365))
		id, birth := g.idNumber(rg, birth, p.male)
		res := model.Resident{
			HouseholdID: h.ID, TerritoryID: stairwell,
			Name: p.surname + p.given, Gender: model.GenderFemale, BirthDate: birth,
			Phone: model.NewPhone(g.phone(r, p.age)), IDNumber: model.NewIDNumber(id), Relation: p.rel,
			PoliticalStatus: politicalStatus(r, p.age), Occupation: occupation(r, p.age, p.male, h.Flags.Mobile),
		}
		if p.male {
			res.Gender = model.GenderMale
		}
		if err := b.AddResident(&res); err != nil {
			return 0, err
		}
	}
	return len(g.members), nil
}

// family makes the members of a household of the given shape, head first, appending to dst.
// Ages follow relations: a spouse near the head's age, children 22–36 years younger, the head's
// parents 22–34 years older, grandchildren a generation below the children.
func (g *generator) family(r *rand.Rand, shape []role, elderlyAlone bool, dst []person) []person {
	has := func(x role) bool {
		for _, s := range shape {
			if s == x {
				return true
			}
		}
		return false
	}
	hd := person{rel: model.RelationHead, surname: surname(r)}
	switch {
	case elderlyAlone:
		hd.age, hd.male = 65+r.IntN(21), r.IntN(100) < 40
	case len(shape) == 1:
		hd.age, hd.male = 30+r.IntN(35), r.IntN(2) == 0
	case has(grandchild) || has(childInLaw):
		hd.age, hd.male = 50+r.IntN(36), r.IntN(100) < 80
	case has(parent):
		hd.age, hd.male = 30+r.IntN(31), r.IntN(100) < 80
	case has(child):
		hd.age, hd.male = 30+r.IntN(33), r.IntN(100) < 75
	default:
		hd.age, hd.male = 30+r.IntN(56), r.IntN(100) < 85
	}
	dst = append(dst, hd)
	childAge, childMale, inLawSurname := -1, true, ""
	parents := 0
	for _, ro := range shape[1:] {
		p := person{surname: hd.surname}
		switch ro {
		case spouse:
			p.rel, p.male, p.surname = model.RelationSpouse, !hd.male, otherSurname(r, hd.surname)
			if hd.male {
				p.age = hd.age - 6 + r.IntN(10)
			} else {
				p.age = hd.age - 3 + r.IntN(10)
			}
			p.age = min(max(p.age, 22), 95)
		case child:
			p.rel, p.male = model.RelationChild, r.IntN(1000) < 515
			hi := hd.age - 22
			lo := max(0, hd.age-36)
			if has(childInLaw) {
				lo, hi = max(20, hd.age-34), max(20, hd.age-22)
				if childAge < 0 {
					p.male = r.IntN(100) < 75 // a married son lives with his parents more often than a daughter
				}
			}
			p.age = lo + r.IntN(max(1, hi-lo+1))
			if childAge < 0 {
				childAge, childMale = p.age, p.male
			}
		case childInLaw:
			p.male = !childMale
			p.surname = otherSurname(r, hd.surname)
			inLawSurname = p.surname
			p.rel = model.RelationDaughterInLaw
			if p.male {
				p.rel = model.RelationSonInLaw
			}
			p.age = min(max(childAge-3+r.IntN(7), 20), 60)
		case parent:
			// Father shares the head's surname; a lone parent is more often the mother.
			p.rel = model.RelationParent
			if countRole(shape, parent) == 2 {
				p.male = parents == 0
			} else {
				p.male = r.IntN(100) < 35
			}
			if !p.male {
				p.surname = otherSurname(r, hd.surname)
			}
			p.age = min(hd.age+22+r.IntN(13), 95)
			if parents == 1 {
				p.age = min(max(dst[len(dst)-1].age-6+r.IntN(10), hd.age+20), 97)
			}
			parents++
		case grandchild:
			p.rel, p.male = model.RelationGrandchild, r.IntN(1000) < 515
			if childAge >= 0 && !childMale && inLawSurname != "" {
				p.surname = inLawSurname // a daughter's children carry their father's surname
			}
			top := hd.age - 45
			if childAge >= 0 {
				top = childAge - 20
			}
			p.age = r.IntN(max(1, min(top, 17)+1))
		case sibling:
			p.rel, p.male = model.RelationSibling, r.IntN(2) == 0
			p.age = min(max(hd.age-10+r.IntN(21), 25), 90)
		}
		p.given = givenName(r, p.male, g.asOf.Year()-p.age)
		dst = append(dst, p)
	}
	dst[0].given = givenName(r, hd.male, g.asOf.Year()-hd.age)
	return dst
}

func countRole(shape []role, x role) int {
	n := 0
	for _, s := range shape {
		if s == x {
			n++
		}
	}
	return n
}

// idNumber returns an 18-digit resident ID number (GB 11643) for someone registered in region,
// born on birth, of the given sex, with a valid check digit and unique within the run. Digits
// 15–17 run through a permutation of the 500 numbers of the right parity for each region, date
// and sex; when those are used up the birth date moves a day earlier, and the date used is
// returned.
func (g *generator) idNumber(region int, birth time.Time, male bool) (string, time.Time) {
	sex := uint64(0)
	if male {
		sex = 1
	}
	for {
		y, m, d := birth.Date()
		date := uint64(y*10000 + int(m)*100 + d)         // #nosec G115 -- a calendar date, positive and far below 2^63
		key := (uint64(region)*100_000_000+date)*2 + sex // #nosec G115 -- region is a six-digit code
		n := g.seq[key]
		if n >= 500 {
			birth = birth.AddDate(0, 0, -1)
			continue
		}
		g.seq[key] = n + 1
		serial := (uint64(n)*263+key%500)%500*2 + sex
		var b [18]byte
		putDigits(b[0:6], uint64(region)) // #nosec G115 -- a six-digit region code
		putDigits(b[6:14], date)
		putDigits(b[14:17], serial)
		b[17] = model.IDCheckDigit(string(b[:17]))
		return string(b[:]), birth
	}
}

// putDigits writes n into b as len(b) decimal digits with leading zeros.
func putDigits(b []byte, n uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}

// Mobile number blocks of the three carriers.
var phonePrefixes = []string{
	"134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159", "178",
	"182", "183", "184", "187", "188", "198", "130", "131", "132", "145", "155", "156", "166", "175",
	"176", "185", "186", "133", "149", "153", "173", "177", "180", "181", "189", "199", "191",
}

// phone returns a mobile number, or "" for small children and some of the very old. The last
// eight digits run through a permutation of 0…99,999,999, so numbers are unique within the run.
func (g *generator) phone(r *rand.Rand, age int) string {
	switch {
	case age < 12,
		age < 16 && r.IntN(100) >= 40,
		age >= 75 && r.IntN(100) >= 60,
		r.IntN(100) >= 96:
		return ""
	}
	g.phones++
	var b [11]byte
	copy(b[:3], pick(r, phonePrefixes))
	putDigits(b[3:], (g.phones*73_939_133+12_345_679)%100_000_000)
	return string(b[:])
}

// politicalStatus: about 7% of residents are Party members (more among the old, none under
// 18), and a third of those aged 14–22 and a fifth of those 23–28 are League members.
func politicalStatus(r *rand.Rand, age int) model.PoliticalStatus {
	n := r.IntN(1000)
	switch {
	case age < 14:
		return model.StatusMasses
	case age < 18:
		if n < 350 {
			return model.StatusLeagueMember
		}
	case age <= 28:
		switch {
		case n < 30:
			return model.StatusPartyMember
		case n < 40:
			return model.StatusProbationary
		case age <= 22 && n < 380, n < 240:
			return model.StatusLeagueMember
		}
	case age < 60:
		switch {
		case n < 85:
			return model.StatusPartyMember
		case n < 89:
			return model.StatusProbationary
		}
	default:
		if n < 120 {
			return model.StatusPartyMember
		}
	}
	return model.StatusMasses
}

type job struct {
	weight int
	name   string
}

var workingJobs = []job{
	{14, "工人"}, {12, "个体经营"}, {12, "公司职员"}, {8, "务农"}, {9, "外出务工"}, {9, "服务业"},
	{4, "教师"}, {3, "医务人员"}, {2, "公务员"}, {4, "事业单位职工"}, {5, "自由职业"}, {3, "司机"},
	{3, "建筑工人"}, {4, "待业"}, {3, "家务"}, {1, "下岗失业"},
}

var youngJobs = []job{{55, "学生"}, {12, "工人"}, {10, "服务业"}, {5, "个体经营"}, {8, "待业"}, {10, "外出务工"}}

var retiredJobs = []job{{70, "退休"}, {15, "务农"}, {15, "无业"}}

var mobileJobs = []job{{30, "外出务工"}, {25, "个体经营"}, {20, "服务业"}, {15, "建筑工人"}, {10, "公司职员"}}

func jobWeights(js []job) []int {
	w := make([]int, len(js))
	for i, j := range js {
		w[i] = j.weight
	}
	return w
}

var (
	workingWeights = jobWeights(workingJobs)
	youngWeights   = jobWeights(youngJobs)
	retiredWeights = jobWeights(retiredJobs)
	mobileWeights  = jobWeights(mobileJobs)
)

// occupation by age and sex: children at school, adults at work, men from 60 and women from
// 55 mostly retired.
func occupation(r *rand.Rand, age int, male, mobile bool) string {
	switch {
	case age < 6:
		return "学龄前"
	case age < 18:
		return "学生"
	case age < 23:
		return youngJobs[weighted(r, youngWeights)].name
	case male && age >= 60, !male && age >= 55:
		return retiredJobs[weighted(r, retiredWeights)].name
	case mobile:
		return mobileJobs[weighted(r, mobileWeights)].name
	}
	return workingJobs[weighted(r, workingWeights)].name
}
