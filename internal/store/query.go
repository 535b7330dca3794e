package store

import (
	"fmt"
	"time"

	"context"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// rowScanner is what *sql.Row and *sql.Rows share.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs query and scans every row with scan; rows.Err is checked.
func queryAll[T any](ctx context.Context, c conn, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryOne runs a one-row query and scans it; no row is model.ErrNotFound.
func queryOne[T any](ctx context.Context, c conn, query string, args []any, scan func(rowScanner) (T, error)) (T, error) {
	var zero T
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return zero, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return zero, err
		}
		return zero, model.ErrNotFound
	}
	v, err := scan(rows)
	if err != nil {
		return zero, err
	}
	return v, rows.Close()
}

// scopedOne is queryOne for a row that lies in the territory tree: a row whose path (pathOf)
// is outside sc is model.ErrNotFound, exactly like a missing one (API.md: out of scope looks
// missing). Every single-object read of a scoped noun goes through it.
func scopedOne[T any](ctx context.Context, c conn, sc authz.Scope, query string, args []any, scan func(rowScanner) (T, error), pathOf func(T) string) (T, error) {
	v, err := queryOne(ctx, c, query, args, scan)
	if err != nil {
		return v, err
	}
	if !sc.Contains(pathOf(v)) {
		var zero T
		return zero, model.ErrNotFound
	}
	return v, nil
}

// sqlTime scans a time that an aggregate (MAX, MIN) returns: PostgreSQL keeps the column's
// type, SQLite hands back the stored text. NULL is the zero time.
type sqlTime struct{ Time time.Time }

// Scan implements sql.Scanner.
func (t *sqlTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time = time.Time{}
		return nil
	case time.Time:
		t.Time = x.UTC()
		return nil
	case []byte:
		return t.Scan(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if p, err := time.Parse(layout, x); err == nil {
				t.Time = p.UTC()
				return nil
			}
		}
		return fmt.Errorf("scan time: unknown format %q", x)
	}
	return fmt.Errorf("scan time: unexpected %T", v)
}
