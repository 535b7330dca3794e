package store

import (
	"errors"
	"testing"
)

// FuzzDecodeCursor feeds arbitrary strings to the cursor parser behind every list's ?cursor=:
// no panic; a cursor is either refused with ErrBadCursor or decodes to a position with a
// positive id that encodes back to a cursor decoding to the same position.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add(cursor{key: "/1/5/", id: 42}.encode())
	f.Add("L3x8")
	f.Add("fDA")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("decodeCursor(%q) = %v, not ErrBadCursor", s, err)
			}
			return
		}
		if s == "" {
			return
		}
		if c.id <= 0 {
			t.Fatalf("decodeCursor(%q) id %d", s, c.id)
		}
		again, err := decodeCursor(c.encode())
		if err != nil || again != c {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
	})
}
