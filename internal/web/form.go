package web

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"gongzhi/internal/model"
)

// Form is one HTML form's submitted values and errors, so a page re-renders with the input
// kept and each error both in the summary and under its field.
type Form struct {
	Name    string // distinguishes several forms on one page; prefixes field ids
	Values  url.Values
	Errors  []model.FieldError
	Message string // an error about the whole form (a conflict), shown in the summary
	fields  []string
}

// newForm is a form with the given field names (those that have an input to link to).
func newForm(name string, values url.Values, fields ...string) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Name: name, Values: values, fields: fields}
}

// Field is what a template needs to render one input.
type Field struct {
	ID, Name, Value, Error string
}

// Field returns the input called name: {{with .Form.Field "address"}}.
func (f *Form) Field(name string) Field {
	return Field{ID: f.fieldID(name), Name: name, Value: f.Values.Get(name), Error: f.Err(name)}
}

func (f *Form) fieldID(name string) string {
	if f.Name == "" {
		return "f-" + name
	}
	return "f-" + f.Name + "-" + name
}

// Err is the first error of field name, "" when none.
func (f *Form) Err(name string) string {
	for _, e := range f.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

// Checked reports whether checkbox name was ticked.
func (f *Form) Checked(name string) bool { return f.Values.Get(name) != "" }

// Selected reports whether the select name has value v.
func (f *Form) Selected(name, v string) bool { return f.Values.Get(name) == v }

// Invalid reports whether the form has anything to show in the error summary.
func (f *Form) Invalid() bool { return f != nil && (len(f.Errors) > 0 || f.Message != "") }

// SummaryItem is one line of the error summary, linking to the field when it has one.
type SummaryItem struct {
	Text, Href string
}

// Summary lists the form's errors for the summary at the top of the page.
func (f *Form) Summary() []SummaryItem {
	var s []SummaryItem
	if f.Message != "" {
		s = append(s, SummaryItem{Text: f.Message, Href: "#form-" + f.Name})
	}
	for _, e := range f.Errors {
		href := "#form-" + f.Name
		if slices.Contains(f.fields, e.Field) {
			href = "#" + f.fieldID(e.Field)
		}
		s = append(s, SummaryItem{Text: e.Message, Href: href})
	}
	return s
}

// fail records err on the form when it is one the user can fix (invalid input, a conflict)
// and reports whether it did; other errors go to the error page.
func (f *Form) fail(err error) bool {
	var ve *model.ValidationError
	var ce *model.ConflictError
	switch {
	case errors.As(err, &ve):
		f.Errors = append(f.Errors, ve.Fields...)
		return true
	case errors.As(err, &ce):
		f.Message = ce.Message
		return true
	}
	return false
}

// add records one field error.
func (f *Form) add(field, msg string) {
	f.Errors = append(f.Errors, model.FieldError{Field: field, Message: msg})
}

// inputSpec is one text input for the "input" partial.
type inputSpec struct {
	Field
	Label, Hint, Type                           string
	Required                                    bool
	Autocomplete, Inputmode, Maxlength, Pattern string
	Width                                       string // s, m or l; full width when ""
}

// inputFunc is the template func input: {{template "input" (input .Form "address"
// "household.address" "required" "hint=household.address.hint" "width=l")}}. The label and the
// hint are message keys; the options are required, type=, hint=, ac= (autocomplete), mode=
// (inputmode), max= (maxlength), pattern= and width=.
func inputFunc(msg catalog) func(f *Form, name, labelKey string, opts ...string) inputSpec {
	return func(f *Form, name, labelKey string, opts ...string) inputSpec {
		in := inputSpec{Field: f.Field(name), Label: msg.text(labelKey), Type: "text"}
		for _, o := range opts {
			k, v, _ := strings.Cut(o, "=")
			switch k {
			case "required":
				in.Required = true
			case "type":
				in.Type = v
			case "hint":
				in.Hint = msg.text(v)
			case "ac":
				in.Autocomplete = v
			case "mode":
				in.Inputmode = v
			case "max":
				in.Maxlength = v
			case "pattern":
				in.Pattern = v
			case "width":
				in.Width = v
			}
		}
		return in
	}
}
