package demo

import (
	"math/rand/v2"
	"strings"
)

// Common surnames with rough weights (per mille of the population, Sichuan leaning: 李, 何, 罗,
// 蒋, 邓 and 唐 weigh more than nationally).
var surnameTable = []struct {
	name   string
	weight int
}{
	{"李", 79}, {"王", 71}, {"张", 68}, {"刘", 54}, {"陈", 46}, {"杨", 31}, {"黄", 23}, {"赵", 21},
	{"吴", 20}, {"周", 19}, {"徐", 16}, {"孙", 15}, {"马", 14}, {"朱", 13}, {"胡", 13}, {"郭", 12},
	{"何", 15}, {"高", 11}, {"林", 11}, {"罗", 14}, {"郑", 10}, {"梁", 9}, {"谢", 9}, {"宋", 8},
	{"唐", 10}, {"许", 7}, {"韩", 7}, {"冯", 7}, {"邓", 10}, {"曹", 7}, {"彭", 6}, {"曾", 6},
	{"肖", 6}, {"田", 6}, {"董", 5}, {"袁", 5}, {"潘", 5}, {"于", 5}, {"蒋", 8}, {"蔡", 5},
	{"余", 5}, {"杜", 5}, {"叶", 5}, {"程", 5}, {"苏", 4}, {"魏", 4}, {"吕", 4}, {"丁", 4},
	{"任", 4}, {"沈", 4}, {"姚", 4}, {"卢", 4}, {"姜", 4}, {"崔", 3}, {"钟", 3}, {"谭", 3},
	{"陆", 3}, {"汪", 3}, {"范", 3}, {"金", 3}, {"石", 3}, {"廖", 4}, {"贾", 3}, {"夏", 3},
	{"付", 3}, {"方", 3}, {"邹", 3}, {"熊", 3}, {"白", 3}, {"孟", 3}, {"秦", 3}, {"邱", 3},
	{"侯", 3}, {"江", 3}, {"尹", 2}, {"薛", 2}, {"闫", 2}, {"段", 2}, {"雷", 2}, {"龙", 2},
	{"黎", 2}, {"史", 2}, {"陶", 2}, {"贺", 2}, {"毛", 2}, {"郝", 2}, {"顾", 2}, {"龚", 2},
	{"邵", 2}, {"万", 2}, {"钱", 2}, {"戴", 2}, {"严", 2}, {"向", 2}, {"常", 2}, {"汤", 2},
	{"康", 2}, {"易", 2}, {"乔", 2}, {"赖", 2}, {"文", 2}, {"欧阳", 1}, {"司马", 1}, {"诸葛", 1},
}

var surnameWeights = func() []int {
	w := make([]int, len(surnameTable))
	for i, s := range surnameTable {
		w[i] = s.weight
	}
	return w
}()

func surname(r *rand.Rand) string { return surnameTable[weighted(r, surnameWeights)].name }

// otherSurname is a surname for someone married into the family: any, but not the same.
func otherSurname(r *rand.Rand, not string) string {
	for {
		if s := surname(r); s != not {
			return s
		}
	}
}

// Characters for given names by generation (born before 1966, 1966–1989, 1990–2004, from 2005)
// and sex, as naming fashions changed: 建国 and 秀英, 伟 and 丽, 浩宇 and 婷, 子轩 and 梓涵.
var givenChars = [4][2][]string{
	{
		{"建", "国", "德", "志", "明", "福", "文", "学", "光", "正", "永", "长", "春", "金", "宝", "成", "华", "忠", "祥", "贵", "荣", "才", "林", "清", "山", "安", "平", "生", "顺", "富", "兴", "海", "军", "民", "全", "发"},
		{"秀", "英", "桂", "兰", "淑", "珍", "玉", "凤", "芳", "华", "琼", "素", "翠", "菊", "梅", "群", "芬", "惠", "霞", "莲", "琴", "云", "银", "香", "仙", "珠"},
	},
	{
		{"伟", "勇", "军", "磊", "涛", "斌", "强", "波", "辉", "刚", "健", "杰", "鹏", "峰", "超", "明", "东", "亮", "林", "平", "华", "兵", "春", "晓", "志", "宏", "建", "海", "俊", "毅"},
		{"丽", "敏", "静", "燕", "艳", "娟", "霞", "红", "梅", "玲", "芳", "英", "萍", "琴", "莉", "晓", "丹", "华", "雪", "琳", "蓉", "慧", "颖", "洁", "婷", "莎"},
	},
	{
		{"浩", "宇", "鑫", "杰", "俊", "磊", "鹏", "博", "文", "涛", "豪", "帅", "凯", "超", "旭", "阳", "轩", "晨", "亮", "龙", "昊", "翔", "宁", "辰"},
		{"婷", "雪", "倩", "欣", "佳", "怡", "雨", "洁", "静", "琳", "丹", "璐", "颖", "梦", "瑶", "月", "悦", "思", "晶", "蕾", "玥", "媛", "薇", "露"},
	},
	{
		{"子", "浩", "宇", "轩", "梓", "睿", "俊", "泽", "博", "一", "皓", "铭", "辰", "逸", "航", "然", "熙", "宸", "祺", "煜", "锦", "承", "奕", "嘉"},
		{"梓", "欣", "子", "涵", "诗", "一", "雨", "可", "若", "语", "思", "佳", "怡", "馨", "彤", "萱", "晴", "琪", "妍", "诺", "依", "沐", "安", "汐"},
	},
}

// Per mille of one-character given names in each generation.
var singleCharPerMille = [4]int{300, 300, 150, 80}

// givenName makes a one- or two-character given name fitting the sex and birth year.
func givenName(r *rand.Rand, male bool, born int) string {
	era := 3
	switch {
	case born < 1966:
		era = 0
	case born < 1990:
		era = 1
	case born < 2005:
		era = 2
	}
	sex := 1
	if male {
		sex = 0
	}
	chars := givenChars[era][sex]
	first := pick(r, chars)
	if r.IntN(1000) < singleCharPerMille[era] {
		return first
	}
	var b strings.Builder
	b.WriteString(first)
	for {
		if second := pick(r, chars); second != first {
			b.WriteString(second)
			return b.String()
		}
	}
}
