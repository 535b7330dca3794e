package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// compoundStyle is a kind of residential compound with the shape of its buildings.
type compoundStyle struct {
	weight    int
	buildings [2]int // inclusive ranges
	units     [2]int
	floors    [2]int
	perFloor  [2]int
	name      func(g *generator, r *rand.Rand, stem string) string
}

var compoundStyles = []compoundStyle{
	// 商品房小区: a gated estate of mid- and high-rise blocks.
	{weight: 50, buildings: [2]int{4, 12}, units: [2]int{2, 3}, floors: [2]int{6, 18}, perFloor: [2]int{2, 4}, name: estateName},
	// 老旧院落: the housing of a former work unit, a few walk-ups round a yard.
	{weight: 35, buildings: [2]int{1, 4}, units: [2]int{1, 3}, floors: [2]int{4, 7}, perFloor: [2]int{2, 2}, name: courtyardName},
	// 安置小区: resettlement housing built for people whose land or old homes were taken.
	{weight: 15, buildings: [2]int{5, 10}, units: [2]int{2, 4}, floors: [2]int{6, 11}, perFloor: [2]int{2, 2}, name: resettlementName},
}

var compoundWeights = func() []int {
	w := make([]int, len(compoundStyles))
	for i, s := range compoundStyles {
		w[i] = s.weight
	}
	return w
}()

// Word lists for compound names: common auspicious and local words, combined at random.
var (
	estatePrefixes = []string{
		"涪江", "诗仙", "太白", "青莲", "明珠", "锦绣", "金色", "阳光", "翠竹", "银河", "滨江", "天府",
		"新城", "东方", "南山", "北城", "西苑", "龙凤", "凤凰", "长青", "丽都", "和平", "幸福", "康乐",
		"怡和", "泰和", "嘉禾", "紫荆", "桂花", "兰亭", "梧桐", "枫林", "书香", "学府", "文昌", "月亮湾",
		"江畔", "碧水", "绿洲", "春晓", "恒安", "瑞丰", "兴隆", "福源", "华厦", "鑫源", "盛世", "星辰",
	}
	estateSuffixes = []string{
		"花园", "小区", "苑", "家园", "雅居", "新村", "公寓", "华庭", "名苑", "嘉园", "丽景", "世家",
		"人家", "佳苑", "雅苑", "水岸", "新居", "广场", "庭院", "御景", "名城", "府",
	}
	workUnits = []string{
		"供电局", "粮食局", "税务局", "水电局", "交通局", "邮电局", "农机厂", "机械厂", "纺织厂", "水泥厂",
		"化肥厂", "钢铁厂", "发电厂", "人民医院", "中医院", "第一中学", "实验小学", "人民银行", "农业银行",
		"工商局", "卫生局", "林业局", "运输公司", "建筑公司", "供销社", "百货公司", "食品公司", "自来水公司",
		"印刷厂", "酒厂", "棉纺厂", "烟草公司", "气象站", "农技站",
	}
	workUnitSuffixes = []string{"宿舍", "家属院", "职工宿舍", "家属区", "生活区"}
	roads            = []string{
		"人民路", "解放路", "建设路", "中山路", "太白路", "诗仙路", "涪江路", "江东路", "北环路", "西山路",
		"文化路", "胜利路", "新华路", "和平路", "长城路", "东大街", "西大街", "南街", "北街", "公园路",
	}
	resettlementSuffixes = []string{"安置小区", "新居", "安居小区", "安置点", "新苑"}
)

// uniqueName returns base, or base with 二期, 三期 … when the county already has it.
func (g *generator) uniqueName(base string) string {
	name := base
	for i := 2; g.compounds[name]; i++ {
		name = base + chineseNumber(i) + "期"
	}
	g.compounds[name] = true
	return name
}

// freshName returns the first of a few candidates that the county does not have yet, or the
// last one made unique by uniqueName.
func (g *generator) freshName(candidate func() string) string {
	name := candidate()
	for range 8 {
		if !g.compounds[name] {
			break
		}
		name = candidate()
	}
	return g.uniqueName(name)
}

// estateName is e.g. 天宝花园, 涪江小区 or 诗仙苑; stem is the community's name without 社区.
func estateName(g *generator, r *rand.Rand, stem string) string {
	return g.freshName(func() string {
		prefix := pick(r, estatePrefixes)
		if r.IntN(4) == 0 && stem != "" {
			prefix = stem
		}
		return prefix + pick(r, estateSuffixes)
	})
}

// courtyardName is e.g. 粮食局宿舍 or 人民路38号院.
func courtyardName(g *generator, r *rand.Rand, stem string) string {
	return g.freshName(func() string {
		if r.IntN(2) == 0 {
			return pick(r, roads) + strconv.Itoa(1+r.IntN(198)) + "号院"
		}
		return pick(r, workUnits) + pick(r, workUnitSuffixes)
	})
}

// resettlementName is e.g. 天宝安置小区.
func resettlementName(g *generator, r *rand.Rand, stem string) string {
	prefix := stem
	if prefix == "" || r.IntN(3) == 0 {
		prefix = pick(r, estatePrefixes)
	}
	return g.uniqueName(prefix + pick(r, resettlementSuffixes))
}

// community fills one community with households: grids of 300–500 households (fewer when the
// community is small), compounds in each grid, then buildings, stairwells and rooms, about one
// room in fourteen left empty. It adds what it creates to counts.
func (g *generator) community(b *store.Bulk, c *model.Territory, households int, counts *Result) error {
	r := seedFor(g.seed, "community "+c.Code)
	stem := strings.TrimSuffix(c.Name, "社区")
	grids := max(1, (households+499)/500)
	mean := households / grids
	sizes := splitEven(r, households, grids, min(300, mean), max(500, mean+1))
	var addr []byte
	for gi, size := range sizes {
		grid, err := b.AddTerritory(c.ID, model.KindGrid, "第"+strconv.Itoa(gi+1)+"网格", "")
		if err != nil {
			return err
		}
		counts.Grids++
		left := size
		for left > 0 {
			style := &compoundStyles[weighted(r, compoundWeights)]
			name := style.name(g, r, stem)
			compound, err := b.AddTerritory(grid, model.KindCompound, name, "")
			if err != nil {
				return err
			}
			counts.Compounds++
			buildings := between(r, style.buildings)
			for bn := 1; bn <= buildings && left > 0; bn++ {
				building, err := b.AddTerritory(compound, model.KindBuilding, strconv.Itoa(bn)+"栋", "")
				if err != nil {
					return err
				}
				counts.Buildings++
				units, floors, perFloor := between(r, style.units), between(r, style.floors), between(r, style.perFloor)
				for un := 1; un <= units && left > 0; un++ {
					stairwell, err := b.AddTerritory(building, model.KindStairwell, strconv.Itoa(un)+"单元", "")
					if err != nil {
						return err
					}
					counts.Stairwells++
					for f := 1; f <= floors && left > 0; f++ {
						for p := 1; p <= perFloor && left > 0; p++ {
							if r.IntN(14) == 0 {
								continue // an empty flat
							}
							// 天宝花园3栋2单元502室
							addr = append(addr[:0], name...)
							addr = strconv.AppendInt(addr, int64(bn), 10)
							addr = append(addr, "栋"...)
							addr = strconv.AppendInt(addr, int64(un), 10)
							addr = append(addr, "单元"...)
							addr = strconv.AppendInt(addr, int64(f*100+p), 10)
							addr = append(addr, "室"...)
							n, err := g.household(b, r, stairwell, string(addr))
							if err != nil {
								return err
							}
							counts.Households++
							counts.Residents += n
							left--
						}
					}
				}
			}
		}
	}
	return nil
}

var chineseDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

// chineseNumber writes 1–99 in Chinese numerals (二, 十二, 二十三).
func chineseNumber(n int) string {
	switch {
	case n <= 10:
		return chineseDigits[n]
	case n < 20:
		return "十" + chineseDigits[n-10]
	case n%10 == 0:
		return chineseDigits[n/10] + "十"
	case n < 100:
		return chineseDigits[n/10] + "十" + chineseDigits[n%10]
	}
	return strconv.Itoa(n)
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// between returns a number in the inclusive range.
func between(r *rand.Rand, span [2]int) int { return span[0] + r.IntN(span[1]-span[0]+1) }

// weighted returns index i with probability weights[i] / sum(weights).
func weighted(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}
