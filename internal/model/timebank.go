package model

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The time bank (时间银行, issue 10 item 4): the minutes of service a taker did on done orders
// are banked for it; it spends them on orders for its own household or gives them to another
// household of its community, which spends them on its own orders. The ledger is append-only
// and in whole minutes; a balance never goes below zero.

// TimebankHolderKind says what holds a balance.
type TimebankHolderKind string

// The holders: the taker who earned the minutes, or a household they were given to.
const (
	HolderTaker     TimebankHolderKind = "taker"
	HolderHousehold TimebankHolderKind = "household"
)

// Valid reports whether k is a known holder kind.
func (k TimebankHolderKind) Valid() bool { return k == HolderTaker || k == HolderHousehold }

// Label is the holder kind's Chinese name.
func (k TimebankHolderKind) Label() string {
	switch k {
	case HolderTaker:
		return "个人服务时长"
	case HolderHousehold:
		return "家庭受赠时长"
	}
	return ""
}

// TimebankKind is what an entry of the ledger records.
type TimebankKind string

// The kinds. Earn and receive add; spend and give take away; a correction by staff does
// either, with its reason.
const (
	TimebankEarn       TimebankKind = "earn"       // a done order banked for its taker
	TimebankSpend      TimebankKind = "spend"      // spent on an order for the holder's household
	TimebankGive       TimebankKind = "give"       // given to another household
	TimebankReceive    TimebankKind = "receive"    // received from a giver
	TimebankCorrection TimebankKind = "correction" // staff, with a reason
)

var timebankKindLabels = map[TimebankKind]string{
	TimebankEarn: "服务存入", TimebankSpend: "兑换服务", TimebankGive: "转赠", TimebankReceive: "受赠", TimebankCorrection: "更正",
}

// Label is the kind's Chinese name.
func (k TimebankKind) Label() string { return timebankKindLabels[k] }

// TimebankMaxMinutes bounds one spend, gift or correction (1000 hours).
const TimebankMaxMinutes = 60000

// TimebankNoteMax is the longest note or reason, in characters.
const TimebankNoteMax = 200

// TimebankEntry is one line of a holder's ledger.
type TimebankEntry struct {
	ID               int64              `json:"id,string"`
	HolderKind       TimebankHolderKind `json:"holder_kind"`
	HolderID         int64              `json:"holder_id,string"`
	Kind             TimebankKind       `json:"kind"`
	Minutes          int                `json:"minutes"` // signed: + adds to the balance, − takes away
	OrderID          int64              `json:"order_id,string,omitempty"`
	ActivityID       int64              `json:"activity_id,string,omitempty"` // an earn from a volunteer service activity
	CounterpartyKind TimebankHolderKind `json:"counterparty_kind,omitempty"`
	CounterpartyID   int64              `json:"counterparty_id,string,omitempty"`
	Counterparty     string             `json:"counterparty,omitempty"` // the taker's name or the household's address
	Reason           string             `json:"reason,omitempty"`
	ActorName        string             `json:"actor_name,omitempty"`
	At               time.Time          `json:"at"`
}

// TimebankHolder is a balance and the holder it belongs to.
type TimebankHolder struct {
	Kind        TimebankHolderKind `json:"kind"`
	ID          int64              `json:"id,string"`
	Name        string             `json:"name"` // the taker's name or the household's address
	CommunityID int64              `json:"community_id,string"`
	Balance     int                `json:"balance_minutes"`
	Path        string             `json:"-"`
}

// TimebankTransfer is a spend or a gift asked of a holder's balance.
type TimebankTransfer struct {
	From        TimebankHolderKind `json:"from"`                // whose balance: "taker" (the caller's own) or "household" (the caller's household's)
	OrderID     int64              `json:"order_id,string"`     // spend: an order of the holder's household
	HouseholdID int64              `json:"household_id,string"` // gift: the receiving household
	Minutes     int                `json:"minutes"`             // whole minutes, > 0
	Note        string             `json:"note,omitempty"`      // gift: a word for the receiver
	Hours       string             `json:"-"`                   // the page's field, parsed into Minutes
}

// TimebankCorrectionInput is staff's correction of a holder's balance: signed minutes and why.
type TimebankCorrectionInput struct {
	HolderKind TimebankHolderKind `json:"holder_kind"`
	HolderID   int64              `json:"holder_id,string"`
	Minutes    int                `json:"minutes"` // + adds, − takes away
	Reason     string             `json:"reason"`
}

// Validate checks the correction.
func (in *TimebankCorrectionInput) Validate() error {
	v := &ValidationError{}
	in.Reason = strings.TrimSpace(in.Reason)
	if !in.HolderKind.Valid() {
		v.Add("holder_kind", "应为 taker（志愿者）或 household（住户）")
	}
	if in.HolderID <= 0 {
		v.Add("holder_id", "请选择要更正的账户")
	}
	if in.Minutes == 0 || in.Minutes > TimebankMaxMinutes || in.Minutes < -TimebankMaxMinutes {
		v.Add("minutes", fmt.Sprintf("更正的分钟数不能为 0，且绝对值最多 %d", TimebankMaxMinutes))
	}
	if n := utf8.RuneCountInString(in.Reason); n == 0 || n > TimebankNoteMax {
		v.Add("reason", fmt.Sprintf("请说明更正的原因（最多 %d 个字）", TimebankNoteMax))
	}
	return v.Err()
}

// Validate checks the amount and the note (field "minutes", or "hours" when the amount came
// from the page's field).
func (in *TimebankTransfer) Validate() error {
	v := &ValidationError{}
	field := "minutes"
	if in.Hours != "" {
		field = "hours"
	}
	if in.Hours != "" {
		m, ok := ParseHours(in.Hours)
		if !ok {
			v.Add("hours", "请填写小时数，如 1 或 1.5（最多两位小数）")
		}
		in.Minutes = m
	}
	in.Note = strings.TrimSpace(in.Note)
	if in.From == "" {
		in.From = HolderTaker
	}
	if !in.From.Valid() {
		v.Add("from", "请选择从个人服务时长还是家庭受赠时长中支出")
	}
	if len(v.Fields) == 0 && (in.Minutes <= 0 || in.Minutes > TimebankMaxMinutes) {
		v.Add(field, fmt.Sprintf("时长须大于 0，且一次最多 %d 小时", TimebankMaxMinutes/60))
	}
	if utf8.RuneCountInString(in.Note) > TimebankNoteMax {
		v.Add("note", fmt.Sprintf("附言最多 %d 个字", TimebankNoteMax))
	}
	return v.Err()
}

// ParseHours reads a number of hours written with at most two decimals ("1", "1.5", "0.25")
// into whole minutes, without floating point; ok is false for anything else.
func ParseHours(s string) (minutes int, ok bool) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 2 || len(whole) > 5 {
		return 0, false
	}
	h := 0
	if whole != "" {
		n, err := strconv.Atoi(whole)
		if err != nil || n < 0 || strings.HasPrefix(whole, "+") {
			return 0, false
		}
		h = n
	}
	hundredths := 0
	if frac != "" {
		for len(frac) < 2 {
			frac += "0"
		}
		n, err := strconv.Atoi(frac)
		if err != nil || n < 0 || strings.ContainsAny(frac, "+-") {
			return 0, false
		}
		hundredths = n
	}
	// 60 minutes an hour: hundredths of an hour are 0.6 minutes each, rounded half up.
	return h*60 + (hundredths*60+50)/100, true
}

// FormatHours writes minutes as hours with at most two decimals ("1.5", "2", "0.25"), the
// way ParseHours reads them; a minute's remainder below that is rounded half up.
func FormatHours(minutes int) string {
	sign := ""
	if minutes < 0 {
		sign, minutes = "-", -minutes
	}
	hundredths := (minutes*100 + 30) / 60
	s := strconv.Itoa(hundredths/100) + "." + fmt.Sprintf("%02d", hundredths%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return sign + s
}

// InsufficientMinutes is the message of a spend or gift larger than the balance.
func InsufficientMinutes(balance, need int) string {
	return fmt.Sprintf("余额不足：可用 %s 小时，需要 %s 小时", FormatHours(balance), FormatHours(need))
}

// ServiceMonth is a month of a taker's service record.
type ServiceMonth struct {
	Month   string `json:"month"` // "2026-06", Shanghai time
	Minutes int    `json:"minutes"`
	Orders  int    `json:"orders"`
}

// ServiceRecord is a taker's hours of service: what the time bank holds as earned, with the
// orders done, by month (newest first), and the current balance.
type ServiceRecord struct {
	Taker     *OrderTaker    `json:"taker"`
	Community string         `json:"community"`
	Minutes   int            `json:"minutes"`
	Orders    int            `json:"orders"`
	Balance   int            `json:"balance_minutes"`
	Months    []ServiceMonth `json:"months"`
	First     *time.Time     `json:"first,omitempty"`
	Last      *time.Time     `json:"last,omitempty"`
}

// ServiceCertificate is the printable proof of a taker's hours in a period (服务时长证明).
type ServiceCertificate struct {
	Number    string    `json:"number"`
	Community string    `json:"community"`
	TakerID   int64     `json:"taker_id,string"`
	TakerName string    `json:"taker_name"`
	TakerKind string    `json:"taker_kind"`
	Minutes   int       `json:"minutes"`
	Orders    int       `json:"orders"`
	From      time.Time `json:"from"` // the first day of the period (Shanghai)
	To        time.Time `json:"to"`   // the last day of the period, included
	IssuedAt  time.Time `json:"issued_at"`
}

// Hours is the certificate's minutes as hours.
func (c *ServiceCertificate) Hours() string { return FormatHours(c.Minutes) }

// CertificateNumber is the verification number of a certificate: the taker, the period and
// the minutes, with a check code over them. The same facts give the same number, so staff
// verify a paper certificate by opening the taker's certificate for that period and comparing;
// a number altered by hand fails the check code.
func CertificateNumber(takerID int64, from, to time.Time, minutes, orders int) string {
	// The facts as decimal text: no conversion between signed and unsigned to get wrong.
	sum := sha256.Sum256(fmt.Appendf(nil, "gongzhi-timebank-certificate/%d/%d/%d/%d/%d", takerID, from.Unix(), to.Unix(), minutes, orders))
	return fmt.Sprintf("SJ%s%s-%d-%X", from.In(Shanghai).Format("20060102"), to.In(Shanghai).Format("0102"), takerID, sum[:4])
}
