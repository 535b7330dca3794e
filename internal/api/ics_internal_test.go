package api

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/")

// TestICSFolding: every physical line is at most 75 octets before its CRLF, a fold never
// splits a UTF-8 sequence, continuation lines start with one space, and unfolding gives the
// line back.
func TestICSFolding(t *testing.T) {
	for _, line := range []string{
		"SUMMARY:short",
		"DESCRIPTION:" + strings.Repeat("a", 200),
		"SUMMARY:联建轮值：" + strings.Repeat("3栋2单元502户", 12),
		"X:" + strings.Repeat("é中😀", 40),
		"DESCRIPTION:" + strings.Repeat("x", 72) + "中",
	} {
		var b bytes.Buffer
		writeICSLine(&b, line)
		out := b.String()
		if !strings.HasSuffix(out, "\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
			t.Errorf("%q: not CRLF-terminated lines", out)
		}
		phys := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
		for i, p := range phys {
			if len(p) > 75 {
				t.Errorf("line %d of %q is %d octets", i, line, len(p))
			}
			if !utf8.ValidString(p) {
				t.Errorf("line %d splits a UTF-8 sequence: %q", i, p)
			}
			if i > 0 && (!strings.HasPrefix(p, " ") || strings.HasPrefix(p, "  ")) {
				t.Errorf("continuation %d = %q", i, p)
			}
		}
		if got := strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n ", ""); got != line {
			t.Errorf("unfolded %q, want %q", got, line)
		}
	}
}

// TestDutyICSGolden pins the rendering of a small feed (testdata/duty.golden.ics; -update
// rewrites it).
func TestDutyICSGolden(t *testing.T) {
	at := time.Date(2026, 3, 1, 2, 3, 4, 0, time.UTC)
	d := &store.UnitDuty{Unit: &model.Unit{ID: 42, Name: "天宝社区1栋联建单元, 第一组; 试点"}, Months: []store.DutyMonth{
		{Month: "2026-03", HouseholdID: 7, Address: "1栋1单元502室", Version: 1, UpdatedAt: at},
		{Month: "2026-12", HouseholdID: 8, Address: "1栋1单元601室（原住户已迁出，由邻居接替）", Version: 3, UpdatedAt: at.Add(48 * time.Hour)},
	}}
	got := dutyICS(d, 0, model.DefaultDutyChecklist)
	path := filepath.Join("testdata", "duty.golden.ics")
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("feed differs from %s:\n%s", path, got)
	}
	if own := dutyICS(d, 8, nil); bytes.Count(own, []byte("BEGIN:VEVENT")) != 1 {
		t.Errorf("a household's feed has other households' months:\n%s", own)
	}
}

// TestICSTextAllocs: escaping a value allocates its result and nothing else (icsText built a
// strings.Replacer per call, a third of a feed's CPU), and escapes as RFC 5545 3.3.11 says.
func TestICSTextAllocs(t *testing.T) {
	for in, want := range map[string]string{
		"":     "",
		"楼道卫生": "楼道卫生",
		`门栋;楼道,卫生\检查` + "\n第二行": `门栋\;楼道\,卫生\\检查\n第二行`,
		"a\r\nb\rc;;,,\\\\":     `a\nb` + "\r" + `c\;\;\,\,\\\\`,
	} {
		if got := icsText(in); got != want {
			t.Errorf("icsText(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = icsText(";;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;门栋;楼道,卫生检查") }); n > 1 {
		t.Errorf("icsText allocates %v times a call, want at most 1", n)
	}
}
