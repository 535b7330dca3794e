package model

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// SensitiveKind says what a Sensitive value is, and so how it is masked.
type SensitiveKind uint8

// The kinds of sensitive values.
const (
	SensitiveIDNumber SensitiveKind = iota + 1 // 身份证号: 5107**********123X
	SensitivePhone                             // 联系电话: 138****5678
)

// Sensitive is a personal value (an ID number, a phone) whose every default rendering is its
// mask: String, every fmt verb (%v, %+v, %#v, %s, %q, …), JSON, text marshalling, slog and
// html/template (which print through fmt) all show 5107**********123X or 138****5678, so no
// page, encoder, export or log line can show the full value by forgetting to mask it. The full
// value comes out only through Plain, which only internal/store calls (TestPlainOnlyInStore):
// the store hands it out through its audited reveal (store.RevealResidents) and to the data
// subject for their own record. The zero value is an absent value.
type Sensitive struct {
	kind  SensitiveKind
	value string
}

// NewIDNumber wraps an ID number.
func NewIDNumber(s string) Sensitive { return Sensitive{kind: SensitiveIDNumber, value: s} }

// NewPhone wraps a phone number ("" for none).
func NewPhone(s string) Sensitive { return Sensitive{kind: SensitivePhone, value: s} }

// Kind says what the value is.
func (v Sensitive) Kind() SensitiveKind { return v.kind }

// IsZero reports whether there is no value (e.g. a resident without a phone).
func (v Sensitive) IsZero() bool { return v.value == "" }

// Masked is the value as everyone but an audited reveal sees it.
func (v Sensitive) Masked() string {
	switch v.kind {
	case SensitiveIDNumber:
		return MaskIDNumber(v.value)
	case SensitivePhone:
		return MaskPhone(v.value)
	}
	return strings.Repeat("*", len(v.value))
}

// MaskedOnly returns the value with its full form replaced by the mask, for a role that may
// never see more (so that not even Plain can give it back).
func (v Sensitive) MaskedOnly() Sensitive { return Sensitive{kind: v.kind, value: v.Masked()} }

// Plain is the full value. Only internal/store calls it (TestPlainOnlyInStore): to seal it, to
// compare it, and to hand it out through its audited reveal.
func (v Sensitive) Plain() string { return v.value }

// String is the mask.
func (v Sensitive) String() string { return v.Masked() }

// GoString is the mask too: %#v must not be a way around it.
func (v Sensitive) GoString() string { return fmt.Sprintf("model.Sensitive(%q)", v.Masked()) }

// Format prints the mask for every verb and flag.
func (v Sensitive) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, v.GoString())
		return
	}
	if verb == 'v' {
		verb = 's'
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), v.Masked())
}

// MarshalJSON writes the mask as a JSON string.
func (v Sensitive) MarshalJSON() ([]byte, error) { return json.Marshal(v.Masked()) }

// MarshalText writes the mask (encoding/xml, map keys, text encoders).
func (v Sensitive) MarshalText() ([]byte, error) { return []byte(v.Masked()), nil }

// LogValue makes slog record the mask.
func (v Sensitive) LogValue() slog.Value { return slog.StringValue(v.Masked()) }
