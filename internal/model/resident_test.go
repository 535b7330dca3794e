package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func validID(first17 string) string { return first17 + string(IDCheckDigit(first17)) }

func TestParseIDNumber(t *testing.T) {
	good := validID("51078119580312001")
	wrongCheck := good[:17] + "0"
	if good[17] == '0' {
		wrongCheck = good[:17] + "1"
	}
	tests := []struct {
		in, wantErr string
	}{
		{good, ""},
		{"11010519491231002X", ""},
		{"", "请填写身份证号"},
		{"5107811958031200", "身份证号应为18位，现在是16位"},
		{"51078119580312001A", "身份证号第18位应为数字或X"},
		{"5107811958A312001X", "身份证号第11位应为数字"},
		{wrongCheck, "身份证号第18位校验码应为" + string(good[17])},
		{validID("99078119580312001"), "身份证号前6位不是有效的行政区划代码（前2位99不是省级代码）"},
		{validID("51078119581332001"), "身份证号第7–14位应为有效的出生日期（YYYYMMDD）"},
		{validID("51078120300101001"), "身份证号第7–14位的出生日期不在合理范围内"},
		{validID("51078118500101001"), "身份证号第7–14位的出生日期不在合理范围内"},
	}
	for _, tt := range tests {
		_, got := ParseIDNumber(tt.in, testNow)
		if got != tt.wantErr {
			t.Errorf("ParseIDNumber(%q) = %q, want %q", tt.in, got, tt.wantErr)
		}
	}
	id, _ := ParseIDNumber("11010519491231002X", testNow)
	if id.Gender != GenderFemale || id.BirthDate.Format(time.DateOnly) != "1949-12-31" || id.Region != "110105" {
		t.Errorf("ParseIDNumber fields = %+v", id)
	}
}

func TestResidentValidateOneErrorForBadID(t *testing.T) {
	in := ResidentInput{Name: "王五", IDNumber: "510781195803120010", Relation: "子女"}
	err := in.Validate(testNow)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a ValidationError", err)
	}
	if len(ve.Fields) != 1 || ve.Fields[0].Field != "id_number" {
		t.Errorf("fields = %+v, want only id_number", ve.Fields)
	}
}

func TestResidentValidateDerivesAndChecks(t *testing.T) {
	id := validID("51078119580312001")
	in := ResidentInput{Name: "张三", IDNumber: id, Relation: "其他"}
	if err := in.Validate(testNow); err != nil {
		t.Fatal(err)
	}
	if in.Gender != GenderMale || in.BirthDate != "1958-03-12" || in.PoliticalStatus != StatusMasses {
		t.Errorf("derived = %+v", in)
	}
	in = ResidentInput{Name: "张三", IDNumber: id, Gender: GenderFemale, BirthDate: "1960-01-01", Phone: "12345", Relation: "其他"}
	err := in.Validate(testNow)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Fatalf("Validate = %v, want gender, birth_date and phone errors", err)
	}
}

func TestMasks(t *testing.T) {
	if got, want := MaskIDNumber("51078119580312123X"), "5107**********123X"; got != want {
		t.Errorf("MaskIDNumber = %q, want %q", got, want)
	}
	if got, want := MaskPhone("13812345678"), "138****5678"; got != want {
		t.Errorf("MaskPhone = %q, want %q", got, want)
	}
}

func TestCheckPhone(t *testing.T) {
	for _, p := range []string{"13812345678", "0816-3221234", "08163221234"} {
		if msg := CheckPhone(p); msg != "" {
			t.Errorf("CheckPhone(%q) = %q, want ok", p, msg)
		}
	}
	for _, p := range []string{"1381234567", "12812345678", "138-1234-567a", "5551234"} {
		if CheckPhone(p) == "" {
			t.Errorf("CheckPhone(%q) accepted", p)
		}
	}
}

func FuzzParseIDNumber(f *testing.F) {
	f.Add("51078119580312001X")
	f.Add("")
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, s string) {
		id, msg := ParseIDNumber(s, testNow)
		if msg == "" {
			if len(s) != 18 || IDCheckDigit(s) != s[17] || id.BirthDate.After(testNow) {
				t.Fatalf("accepted invalid %q", s)
			}
			if m := MaskIDNumber(s); len(m) != 18 || m[4:14] != "**********" {
				t.Fatalf("mask %q", m)
			}
		}
	})
}

func FuzzCheckPhone(f *testing.F) {
	f.Add("13812345678")
	f.Add("0816-3221234")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckPhone(s) == "" {
			for _, c := range s {
				if (c < '0' || c > '9') && c != '-' {
					t.Fatalf("accepted %q", s)
				}
			}
		}
	})
}

// TestRelationIDs: relations are stable ASCII ids with a Chinese label; input may give either.
func TestRelationIDs(t *testing.T) {
	for _, r := range Relations {
		if r.Label() == "" || !r.Valid() {
			t.Errorf("%q has no label", r)
		}
		for _, c := range string(r) {
			if c > 0x7f {
				t.Errorf("relation id %q is not ASCII", r)
			}
		}
		for _, in := range []string{string(r), r.Label(), " " + r.Label() + " "} {
			if got := Relation(in).Normalized(); got != r {
				t.Errorf("Normalized(%q) = %q, want %q", in, got, r)
			}
		}
	}
	if _, ok := ParseRelation("邻居"); ok {
		t.Error("an unknown word parsed")
	}
	in := ResidentInput{Name: "王五", IDNumber: validID("51078119580312001"), Relation: "配偶"}
	if err := in.Validate(time.Now()); err != nil || in.Relation != RelationSpouse {
		t.Errorf("Validate with 配偶: %v, relation %q", err, in.Relation)
	}
	in = ResidentInput{Name: "王五", IDNumber: validID("51078119580312001"), Relation: "邻居"}
	if err := in.Validate(time.Now()); err == nil || !strings.Contains(err.Error(), "户主、配偶") {
		t.Errorf("Validate with 邻居: %v", err)
	}
}

// TestMaskContact: the numbers of a free-text contact are masked, the words kept.
func TestMaskContact(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":          "138****5678",
		"王阿姨 13812345678，白天在家": "王阿姨 138****5678，白天在家",
		"0816-3221234":         "0816-*******",
		"3栋2单元":                "3栋2单元",
		"12345":                "*****",
		"":                     "",
	} {
		if got := MaskContact(in); got != want {
			t.Errorf("MaskContact(%q) = %q, want %q", in, got, want)
		}
	}
}
