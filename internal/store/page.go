package store

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
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

// filter collects the conditions of a list query and their arguments, in order.
type filter struct {
	where []string
	args  []any
}

// add appends a condition with its arguments.
func (f *filter) add(cond string, args ...any) {
	f.where = append(f.where, cond)
	f.args = append(f.args, args...)
}

// sql is the conditions joined with AND ("1 = 1" for none).
func (f filter) sql() string { return and(f.where) }

// clone returns a copy that can grow independently (the count query leaves out the cursor).
func (f filter) clone() filter {
	return filter{where: append([]string(nil), f.where...), args: append([]any(nil), f.args...)}
}

// subtree is the path prefix a list covers: the subtree of node under (0: the whole scope),
// narrowed to sc. ok is false when nothing of it lies in the scope; a node outside the scope
// is model.ErrNotFound.
func (c conn) subtree(ctx context.Context, sc authz.Scope, under int64) (prefix string, ok bool, err error) {
	if under != 0 {
		t, err := c.territory(ctx, sc, under)
		if err != nil {
			return "", false, err
		}
		prefix = t.Path
	}
	prefix, ok = sc.Narrow(prefix)
	return prefix, ok, nil
}

// underPath is a filter on the rows whose path lies under prefix ("" = every path).
func underPath(prefix string) filter {
	lo, hi := authz.PathRange(prefix)
	return filter{where: []string{"path >= ?", "path < ?"}, args: []any{lo, hi}}
}

// afterPath narrows f to the rows after cur in (path, id) order; the zero cursor is the start.
func (f *filter) afterPath(cur cursor) {
	if cur.key != "" {
		f.add("(path > ? OR (path = ? AND id > ?))", cur.key, cur.key, cur.id)
	}
}

// fetchPage runs query (which ends in its ORDER BY) with LIMIT limit+1, scans the rows with scan
// (each row with its cursor) and sets Next when a further row exists. Total is left to the caller.
func fetchPage[T any](ctx context.Context, c conn, query string, args []any, limit int, scan func(rowScanner) (T, cursor, error)) (*Page[T], error) {
	type row struct {
		v   T
		cur cursor
	}
	rows, err := queryAll(ctx, c, query+` LIMIT `+strconv.Itoa(limit+1), args, func(r rowScanner) (row, error) {
		v, cur, err := scan(r)
		return row{v, cur}, err
	})
	if err != nil {
		return nil, err
	}
	page := &Page[T]{}
	for i, r := range rows {
		if i == limit {
			page.Next = rows[limit-1].cur.encode()
			break
		}
		page.Items = append(page.Items, r.v)
	}
	return page, nil
}

// and joins conditions with AND; no condition is "1 = 1".
func and(where []string) string {
	if len(where) == 0 {
		return "1 = 1"
	}
	return strings.Join(where, " AND ")
}

// newestPage reads one page of a list kept newest first by id (the votes, surveys, topics,
// budget rounds): selectFrom is the SELECT up to its WHERE, countFrom the FROM clause the total
// is counted over, idCol the listed table's id column. The total ignores the cursor.
func newestPage[T any](ctx context.Context, c conn, selectFrom, countFrom, idCol string, w filter, cur cursor, limit int,
	scan func(rowScanner) (T, error), id func(T) int64) (*Page[T], error) {
	count := w.clone()
	if cur.id != 0 {
		w.add(idCol+" < ?", cur.id)
	}
	items, err := queryAll(ctx, c, selectFrom+` WHERE `+w.sql()+` ORDER BY `+idCol+` DESC LIMIT ?`, append(w.args, limit+1), scan)
	if err != nil {
		return nil, err
	}
	p := &Page[T]{}
	if len(items) > limit {
		items = items[:limit]
		p.Next = cursor{id: id(items[limit-1])}.encode()
	}
	if err := c.queryRow(ctx, `SELECT COUNT(*) `+countFrom+` WHERE `+count.sql(), count.args, &p.Total); err != nil {
		return nil, err
	}
	p.Items = items
	return p, nil
}
