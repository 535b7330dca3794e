package model

import (
	"fmt"
	"time"
)

// IDNumber is what an 18-digit resident identity number (GB 11643-1999) tells.
type IDNumber struct {
	Region    string // 6-digit administrative division code of first registration
	BirthDate time.Time
	Gender    Gender
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDCheckDigit computes the 18th character from the first 17 digits (ISO 7064 MOD 11-2).
func IDCheckDigit(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// validProvinces are the first two digits of mainland province-level codes (GB/T 2260).
var validProvinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// ParseIDNumber validates s as an 18-character resident ID number and returns what it encodes.
// On failure it returns a Chinese reason that says how to fix the number; now bounds the birth date.
func ParseIDNumber(s string, now time.Time) (IDNumber, string) {
	var id IDNumber
	if s == "" {
		return id, "请填写身份证号"
	}
	if len(s) != 18 {
		return id, fmt.Sprintf("身份证号应为18位，现在是%d位", len([]rune(s)))
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return id, fmt.Sprintf("身份证号第%d位应为数字", i+1)
		}
	}
	last := s[17]
	if (last < '0' || last > '9') && last != 'X' {
		return id, "身份证号第18位应为数字或X"
	}
	if !validProvinces[s[:2]] {
		return id, "身份证号前6位不是有效的行政区划代码（前2位" + s[:2] + "不是省级代码）"
	}
	if s[2:4] == "00" && s[:2] != "71" && s[:2] != "81" && s[:2] != "82" {
		return id, "身份证号前6位不是有效的行政区划代码（第3–4位不能为00）"
	}
	b, err := time.ParseInLocation("20060102", s[6:14], time.UTC)
	if err != nil {
		return id, "身份证号第7–14位应为有效的出生日期（YYYYMMDD）"
	}
	if b.Year() < 1890 || b.After(now) {
		return id, "身份证号第7–14位的出生日期不在合理范围内"
	}
	if want := IDCheckDigit(s); want != last {
		return id, fmt.Sprintf("身份证号第18位校验码应为%c", want)
	}
	id.Region = s[:6]
	id.BirthDate = b
	id.Gender = GenderMale
	if (s[16]-'0')%2 == 0 {
		id.Gender = GenderFemale
	}
	return id, ""
}
