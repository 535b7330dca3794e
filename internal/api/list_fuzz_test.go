package api

import (
	"errors"
	"net/http/httptest"
	"testing"
)

// FuzzParseList feeds arbitrary query strings to the list-query parser every list route
// shares: no panic; either a clean listQuery with limit and territory in range, or a
// *badRequest naming at least one field, each with a message.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "limit=50&cursor=abc", "territory=12&flag=hardship", "limit=0", "limit=501", "territory=-1",
		"limit=%zz", "cursor=%00&q=%E4%B8%AD", "a=1&a=2&limit=1&limit=2", "territory=99999999999999999999", ";;&&=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/api/v1/households", nil)
		r.URL.RawQuery = raw
		lq, err := parseList(r, "flag", "q", "moved_out")
		if err != nil {
			var be *badRequest
			if !errors.As(err, &be) || len(be.fields) == 0 {
				t.Fatalf("parseList(%q) error %v is not a badRequest naming a field", raw, err)
			}
			for _, fe := range be.fields {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("parseList(%q): empty field error %+v", raw, fe)
				}
			}
			return
		}
		if lq.Limit < 0 || lq.Limit > 500 || lq.Territory < 0 {
			t.Fatalf("parseList(%q) = %+v: out of range", raw, lq)
		}
		if lq.Cursor != r.URL.Query().Get("cursor") {
			t.Fatalf("parseList(%q) cursor %q", raw, lq.Cursor)
		}
	})
}
