package api

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The duty calendar feeds (issue 9 item 4) in iCalendar (RFC 5545): content lines end in CRLF
// and are folded at 75 octets, never inside a UTF-8 sequence; each month's turn is an all-day
// event (DATE values: the first of the month to the first of the next, so no time zone is
// needed) with a UID that names the unit and the month and nothing of the host, a SEQUENCE that
// rises with every change of the month's household, and LAST-MODIFIED at that change.

// icsLineMax is the most octets a content line may have, its CRLF not counted (RFC 5545 3.1).
const icsLineMax = 75

// writeICSLine writes one content line to b, folded: a continuation line starts with a space,
// which counts toward its 75 octets; a fold never splits a UTF-8 sequence.
func writeICSLine(b *bytes.Buffer, line string) {
	limit := icsLineMax
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = icsLineMax - 1
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}

// icsText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma get a
// backslash, a line break (CRLF or LF) becomes \n. One allocation: it runs for every
// text of every event of a feed (it built a strings.Replacer per call, a third of a feed's CPU).
func icsText(s string) string {
	if !strings.ContainsAny(s, "\\;,\n") {
		return s
	}
	var b strings.Builder
	b.Grow(2 * len(s)) // every byte escaped at most doubles
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == ';' || c == ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			b.WriteString(`\n`)
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func icsStamp(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// dutyICS renders d as a calendar: every month of the unit, or with own set only that
// household's months. checklist is the community's list, named in each event's description.
func dutyICS(d *store.UnitDuty, own int64, checklist []string) []byte {
	var b bytes.Buffer
	name := "联建轮值：" + d.Unit.Name
	if own != 0 {
		name = "我家轮值：" + d.Unit.Name
	}
	for _, l := range []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//gongzhi//联建轮值//ZH", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
		"X-WR-CALNAME:" + icsText(name), "X-WR-TIMEZONE:Asia/Shanghai"} {
		writeICSLine(&b, l)
	}
	for _, m := range d.Months {
		if own != 0 && m.HouseholdID != own {
			continue
		}
		month, err := model.ParseMonth(m.Month)
		if err != nil {
			continue
		}
		desc := fmt.Sprintf("%s%s的联建轮值户：%s。", d.Unit.Name, month.Label(), m.Address)
		if len(checklist) > 0 {
			desc += "本月清单：" + strings.Join(checklist, "、") + "。"
		}
		for _, l := range []string{
			"BEGIN:VEVENT",
			fmt.Sprintf("UID:unit-%d-duty-%s@gongzhi", d.Unit.ID, m.Month),
			"DTSTAMP:" + icsStamp(m.UpdatedAt),
			"LAST-MODIFIED:" + icsStamp(m.UpdatedAt),
			fmt.Sprintf("SEQUENCE:%d", max(m.Version-1, 0)),
			"DTSTART;VALUE=DATE:" + month.First().Format("20060102"),
			"DTEND;VALUE=DATE:" + (month + 1).First().Format("20060102"),
			"SUMMARY:" + icsText("联建轮值："+m.Address),
			"DESCRIPTION:" + icsText(desc),
			"TRANSP:TRANSPARENT",
			"END:VEVENT",
		} {
			writeICSLine(&b, l)
		}
	}
	writeICSLine(&b, "END:VCALENDAR")
	return b.Bytes()
}
