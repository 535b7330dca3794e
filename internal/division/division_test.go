package division

import (
	"compress/gzip"
	"errors"
	"os"
	"strings"
	"testing"

	"gongzhi/internal/model"
)

// mustLoad returns the embedded table. Without the generated data the test is skipped, unless
// CI=true, where it fails.
func mustLoad(tb testing.TB) *Table {
	tb.Helper()
	tbl, err := Load()
	if errors.Is(err, ErrMissing) && os.Getenv("CI") != "true" {
		tb.Skipf("%v (set CI=true to make this fail)", err)
	}
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return tbl
}

func mustParse(tb testing.TB, lines ...string) *Table {
	tb.Helper()
	tbl, err := parse(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return tbl
}

func TestJiangyou(t *testing.T) {
	tbl := mustLoad(t)
	c, err := tbl.County("510781")
	if err != nil {
		t.Fatal(err)
	}
	if c.Code != "510781" || c.Name != "江油市" {
		t.Errorf("county = %s %s, want 510781 江油市", c.Code, c.Name)
	}
	if n := len(c.Townships); n < 23 || n > 30 {
		t.Errorf("江油市 has %d townships, want 23–30", n)
	}
	townships := map[string]Township{}
	villages := map[string]Village{}
	communities := 0
	for _, tw := range c.Townships {
		townships[tw.Code] = tw
		if len(tw.Code) != 12 || !strings.HasPrefix(tw.Code, "510781") || !strings.HasSuffix(tw.Code, "000") {
			t.Errorf("township code %q is not 510781xxx000", tw.Code)
		}
		for _, v := range tw.Villages {
			villages[v.Code] = v
			if v.Code[:9] != tw.Code[:9] {
				t.Errorf("village %s %s listed under township %s", v.Code, v.Name, tw.Code)
			}
			if v.Community() {
				communities++
			}
		}
	}
	for _, tc := range []struct {
		code, name string
		kind       Kind
	}{
		{"510781006000", "中坝街道", KindStreet},
		{"510781101000", "太平镇", KindTown},
		{"510781219000", "枫顺乡", KindTownship},
	} {
		got := townships[tc.code]
		if got.Name != tc.name || got.Kind != tc.kind {
			t.Errorf("township %s = %q %v, want %q %v", tc.code, got.Name, got.Kind, tc.name, tc.kind)
		}
	}
	if v := villages["510781006001"]; v.Name != "天宝社区居民委员会" || v.Kind != KindCommunity || ShortName(v.Name) != "天宝社区" {
		t.Errorf("510781006001 = %q %v, want 天宝社区居民委员会, a community", v.Name, v.Kind)
	}
	if v := villages["510781006201"]; v.Kind != KindVillage || v.Community() {
		t.Errorf("510781006201 %q kind %v, want a village", v.Name, v.Kind)
	}
	if communities < 60 {
		t.Errorf("江油市 has %d residents' committees, want ≥ 60", communities)
	}
}

func TestName(t *testing.T) {
	tbl := mustLoad(t)
	for _, tc := range []struct {
		code   string
		want   string
		wantOK bool
	}{
		{"51", "四川省", true},
		{"5107", "绵阳市", true},
		{"510781", "江油市", true},
		{"510781000000", "江油市", true},
		{"510781006", "中坝街道", true},
		{"510781006000", "中坝街道", true},
		{"510781006001", "天宝社区居民委员会", true},
		{"4419", "东莞市", true},
		{"441900", "东莞市", true},
		{"441900000000", "东莞市", true},
		{"510799", "", false},
		{"510781006999", "", false},
		{"5107810060", "", false},
		{"51078x", "", false},
		{"", "", false},
	} {
		got, ok := tbl.Name(tc.code)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("Name(%q) = %q, %v; want %q, %v", tc.code, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestProvince(t *testing.T) {
	tbl := mustLoad(t)
	p, err := tbl.Province("51")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "四川省" || len(p.Counties) < 150 {
		t.Errorf("province 51 = %s with %d counties, want 四川省 with ≥ 150", p.Name, len(p.Counties))
	}
	found := false
	for _, c := range p.Counties {
		if !strings.HasPrefix(c.Code, "51") || len(c.Code) != 6 {
			t.Errorf("county %s %s in province 51", c.Code, c.Name)
		}
		if c.Code == "510781" {
			found = len(c.Townships) > 0
		}
	}
	if !found {
		t.Error("province 51 lacks 510781 or its townships")
	}
}

func TestLookupErrors(t *testing.T) {
	tbl := mustParse(t, "51\t四川省", "5107\t绵阳市", "510781\t江油市")
	for _, code := range []string{"510799", "52"} {
		var err error
		if len(code) == 2 {
			_, err = tbl.Province(code)
		} else {
			_, err = tbl.County(code)
		}
		if !errors.Is(err, model.ErrNotFound) {
			t.Errorf("lookup %s: err = %v, want ErrNotFound", code, err)
		}
	}
	for _, code := range []string{"5107", "51078", "5107810", "abcdef"} {
		if _, err := tbl.County(code); err == nil || errors.Is(err, model.ErrNotFound) {
			t.Errorf("County(%q): err = %v, want a format error", code, err)
		}
	}
	if _, err := tbl.Province("5"); err == nil || errors.Is(err, model.ErrNotFound) {
		t.Errorf("Province(5): err = %v, want a format error", err)
	}
}

func TestParse(t *testing.T) {
	// Out of order on purpose; 4419/441900 and 350527/350527000/350527000000 share a padded code.
	tbl := mustParse(t,
		"44\t广东省", "441900\t东莞市", "4419\t东莞市",
		"441900003001\t甲社区居委会", "441900003\t东城街道", "441900003201\t乙村委会",
		"35\t福建省", "3505\t泉州市", "350527\t金门县", "350527000\t金门县", "350527000000\t金门县",
	)
	if tbl.Len() != 11 {
		t.Errorf("Len = %d, want 11", tbl.Len())
	}
	c, err := tbl.County("441900")
	if err != nil {
		t.Fatal(err)
	}
	want := County{Code: "441900", Name: "东莞市", Townships: []Township{{
		Code: "441900003000", Name: "东城街道", Kind: KindStreet,
		Villages: []Village{{"441900003001", "甲社区居委会", KindCommunity}, {"441900003201", "乙村委会", KindVillage}},
	}}}
	if got := describe(c); got != describe(want) {
		t.Errorf("County(441900) = %s\nwant %s", got, describe(want))
	}
	c, err = tbl.County("350527")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Townships) != 1 || len(c.Townships[0].Villages) != 1 || c.Townships[0].Code != "350527000000" {
		t.Errorf("County(350527) = %s", describe(c))
	}
	p, err := tbl.Province("44")
	if err != nil || len(p.Counties) != 1 {
		t.Errorf("Province(44) = %+v, %v; want one county", p, err)
	}

	for _, bad := range []string{"", "51", "51\t", "123\t某地", "51x\t某地", "51\t四川省\n51\t四川省"} {
		if _, err := parse(strings.NewReader(bad)); err == nil {
			t.Errorf("parse(%q) succeeded, want an error", bad)
		}
	}
}

func describe(c County) string {
	var b strings.Builder
	b.WriteString(c.Code + " " + c.Name)
	for _, tw := range c.Townships {
		b.WriteString(" [" + tw.Code + " " + tw.Name + " " + tw.Kind.String())
		for _, v := range tw.Villages {
			b.WriteString(" (" + v.Code + " " + v.Name + " " + v.Kind.String() + ")")
		}
		b.WriteString("]")
	}
	return b.String()
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		code string
		want Kind
	}{
		{"510781006", KindStreet},
		{"510781006000", KindStreet},
		{"510781099000", KindStreet},
		{"510781101", KindTown},
		{"510781199000", KindTown},
		{"510781219", KindTownship},
		{"510781399", KindTownship},
		{"110115404", KindOtherTownship},
		{"350527000", KindOtherTownship},
		{"510781006001", KindCommunity},
		{"510781006199", KindCommunity},
		{"510781006201", KindVillage},
		{"510781006399", KindVillage},
		{"659012505508", KindOtherVillage},
		{"510781", 0},
		{"51078100600x", 0},
	} {
		if got := KindOf(tc.code); got != tc.want {
			t.Errorf("KindOf(%q) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestShortName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"天宝社区居民委员会", "天宝社区"},
		{"多福巷社区居委会", "多福巷社区"},
		{"合阳居委会", "合阳社区"},
		{"幸福村村民委员会", "幸福村"},
		{"黑龙村民委员会", "黑龙村"},
		{"洛岗村委会", "洛岗村"},
		{"大姚格庄村委会", "大姚格庄村"},
		{"巴彦嘎查村民委员会", "巴彦嘎查"},
		{"八连生活区", "八连生活区"},
		{"天宝社区", "天宝社区"},
		{"居委会", "居委会"},
	} {
		if got := ShortName(tc.name); got != tc.want {
			t.Errorf("ShortName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	mustLoad(b)
	for b.Loop() {
		f, err := dataFS.Open(dataFile)
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := parse(zr); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
