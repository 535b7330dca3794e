package store

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"gongzhi/internal/model"
)

// Page is one page of a list: Next is the cursor of the following page, "" at the end.
// Total counts every row matching the filter, or is -1 when counting would cost too much.
type Page[T any] struct {
	Items []T
	Next  string
	Total int64
}

// MaxLimit bounds a page; DefaultLimit is used when the caller asks for none.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ErrBadCursor is returned for a cursor this store did not hand out.
var ErrBadCursor = &model.ValidationError{Fields: []model.FieldError{{Field: "cursor", Message: "分页游标无效，请从第一页重新开始"}}}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// cursor is the position after the last row of a page ordered by (key, id).
type cursor struct {
	key string
	id  int64
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.key + "|" + strconv.FormatInt(c.id, 10)))
}

func decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	i := strings.LastIndexByte(string(b), '|')
	if i < 0 {
		return cursor{}, ErrBadCursor
	}
	id, err := strconv.ParseInt(string(b[i+1:]), 10, 64)
	if err != nil || id <= 0 {
		return cursor{}, errors.Join(ErrBadCursor, err)
	}
	return cursor{key: string(b[:i]), id: id}, nil
}

// inList returns "?, ?, ?" for n placeholders.
func inList(n int) string {
	if n <= 0 {
		return "NULL"
	}
	return strings.Repeat("?, ", n-1) + "?"
}
