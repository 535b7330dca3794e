package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"gongzhi/internal/model"
)

// Counters of the units (issue 9 items 5 and 6), kept for every node path above what they count
// and the root "/", adjusted in the transaction of every write that changes what they count, so
// that coverage and the monthly activity counts of any subtree, the district of a million
// households included, read the rows of one path.
//
//   - unit_counts (path, dim, value, n): dim "households" (households in units, at the
//     households' own paths), and of the active units at their paths: "units", "leader" (with a
//     current leader), "rotation" (by rotation_until month, "" for none) and "last_activity"
//     (by last_activity_month, "" for none).
//   - unit_activity_counts (path, month, category, n): activity records.
//
// Who changes a unit's row (status, leader, rotation_until, last_activity_month, path) does it
// inside tx.unitCountsChange, which takes the unit's counts out before and puts them back
// after; who changes a household's unit goes through tx.setUnitHouseholds (unit.go), which
// counts the households. RebuildUnitCounts recounts everything (after a bulk load, the demo).

// unitCountKey is one row of unit_counts.
type unitCountKey struct{ path, dim, value string }

// unitCountsRows sums into agg sign × the counts of the units where selects (locked on
// PostgreSQL when taking them out, so that a concurrent change of the same unit waits).
func (c conn) unitCountsRows(ctx context.Context, agg map[unitCountKey]int64, sign int64, where string, args ...any) error {
	q := `SELECT path, leader_household_id IS NOT NULL, rotation_until, last_activity_month FROM units WHERE status = 'active' AND (` + where + `)`
	if sign < 0 && c.d.name == "postgres" {
		// NO KEY UPDATE, as the UPDATE that follows takes: it waits for another change of the
		// unit, not for the key-share locks of rows inserted referencing it (an activity).
		q += " ORDER BY id FOR NO KEY UPDATE"
	}
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var path, rotation, last string
		var leader bool
		if err := rows.Scan(&path, &leader, &rotation, &last); err != nil {
			return err
		}
		addUnitCounts(agg, path, sign, leader, rotation, last)
	}
	return rows.Err()
}

func addUnitCounts(agg map[unitCountKey]int64, path string, n int64, leader bool, rotation, last string) {
	for _, p := range memberCountsAncestors(path) {
		agg[unitCountKey{p, "units", ""}] += n
		if leader {
			agg[unitCountKey{p, "leader", ""}] += n
		}
		agg[unitCountKey{p, "rotation", rotation}] += n
		agg[unitCountKey{p, "last_activity", last}] += n
	}
}

// unitCountsChange runs change, which updates the rows of the units ids (their status, leader,
// rotation, last activity or path), between taking their counts out and putting them back.
func (tx *Tx) unitCountsChange(ctx context.Context, ids []int64, change func() error) error {
	if len(ids) == 0 {
		return change()
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	where := `id IN (` + inList(len(ids)) + `)`
	agg := map[unitCountKey]int64{}
	if err := tx.unitCountsRows(ctx, agg, -1, where, args...); err != nil {
		return err
	}
	if err := change(); err != nil {
		return err
	}
	if err := tx.unitCountsRows(ctx, agg, 1, where, args...); err != nil {
		return err
	}
	return tx.unitCountsWrite(ctx, agg)
}

// unitCountsAdd counts the units ids, new in this transaction.
func (tx *Tx) unitCountsAdd(ctx context.Context, ids ...int64) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	agg := map[unitCountKey]int64{}
	if err := tx.unitCountsRows(ctx, agg, 1, `id IN (`+inList(len(ids))+`)`, args...); err != nil {
		return err
	}
	return tx.unitCountsWrite(ctx, agg)
}

// unitHouseholdCounts adds sign for each of the households to the "households" counts of every
// node above them (one read of their paths).
func (tx *Tx) unitHouseholdCounts(ctx context.Context, households []int64, sign int64) error {
	if len(households) == 0 {
		return nil
	}
	agg := map[unitCountKey]int64{}
	for chunk := range slices.Chunk(households, 1000) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.query(ctx, `SELECT path, COUNT(*) FROM households WHERE id IN (`+inList(len(args))+`) GROUP BY path`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var path string
			var n int64
			if err := rows.Scan(&path, &n); err != nil {
				_ = rows.Close()
				return err
			}
			for _, p := range memberCountsAncestors(path) {
				agg[unitCountKey{p, "households", ""}] += sign * n
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return tx.unitCountsWrite(ctx, agg)
}

// unitCountsWrite adds the adjustments of agg to the transaction's, written when it ends
// (flushUnitCounts).
func (tx *Tx) unitCountsWrite(_ context.Context, agg map[unitCountKey]int64) error {
	if tx.unitCounts == nil {
		tx.unitCounts = map[unitCountKey]int64{}
	}
	for k, n := range agg {
		tx.unitCounts[k] += n
	}
	return nil
}

// flushUnitCounts upserts the transaction's non-zero counter adjustments in key order (one
// lock order for concurrent writers), 400 rows a statement. Store.Tx calls it before COMMIT,
// after every other write of the transaction.
func (tx *Tx) flushUnitCounts(ctx context.Context) error {
	keys := make([]unitCountKey, 0, len(tx.unitCounts))
	for k, n := range tx.unitCounts {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b unitCountKey) int {
		return strings.Compare(a.path+"\x00"+a.dim+"\x00"+a.value, b.path+"\x00"+b.dim+"\x00"+b.value)
	})
	for chunk := range slices.Chunk(keys, 400) {
		args := make([]any, 0, 4*len(chunk))
		for _, k := range chunk {
			args = append(args, k.path, k.dim, k.value, tx.unitCounts[k])
		}
		if _, err := tx.exec(ctx, `INSERT INTO unit_counts (path, dim, value, n) VALUES `+valuesList(len(chunk), 4)+`
			ON CONFLICT (path, dim, value) DO UPDATE SET n = unit_counts.n + excluded.n`, args...); err != nil {
			return err
		}
	}
	tx.unitCounts = nil
	akeys := make([]activityCountKey, 0, len(tx.activityCounts))
	for k, n := range tx.activityCounts {
		if n != 0 {
			akeys = append(akeys, k)
		}
	}
	slices.SortFunc(akeys, func(a, b activityCountKey) int {
		return strings.Compare(a.path+"\x00"+a.month+"\x00"+a.category, b.path+"\x00"+b.month+"\x00"+b.category)
	})
	for chunk := range slices.Chunk(akeys, 400) {
		args := make([]any, 0, 4*len(chunk))
		for _, k := range chunk {
			args = append(args, k.path, k.month, k.category, tx.activityCounts[k])
		}
		if _, err := tx.exec(ctx, `INSERT INTO unit_activity_counts (path, month, category, n) VALUES `+valuesList(len(chunk), 4)+`
			ON CONFLICT (path, month, category) DO UPDATE SET n = unit_activity_counts.n + excluded.n`, args...); err != nil {
			return err
		}
	}
	tx.activityCounts = nil
	return nil
}

// activityCountKey is one row of unit_activity_counts.
type activityCountKey struct{ path, month, category string }

// activityCountsWrite adds the adjustments of agg to the transaction's (flushUnitCounts).
func (tx *Tx) activityCountsWrite(_ context.Context, agg map[activityCountKey]int64) error {
	if tx.activityCounts == nil {
		tx.activityCounts = map[activityCountKey]int64{}
	}
	for k, n := range agg {
		tx.activityCounts[k] += n
	}
	return nil
}

// valuesList is "(?, ?), (?, ?)" for rows rows of cols placeholders.
func valuesList(rows, cols int) string {
	one := "(" + inList(cols) + ")"
	return strings.Repeat(one+", ", rows-1) + one
}

// RebuildUnitCounts recounts unit_counts and unit_activity_counts from the units, the households
// in them and the activity records, in one transaction: after a bulk load (the demo city) and
// the migration that made them. Reads are grouped by path, so the work is per path, not per row.
func (s *Store) RebuildUnitCounts(ctx context.Context) error {
	return s.Tx(ctx, func(tx *Tx) error {
		for _, q := range []string{`DELETE FROM unit_counts`, `DELETE FROM unit_activity_counts`} {
			if _, err := tx.exec(ctx, q); err != nil {
				return err
			}
		}
		agg := map[unitCountKey]int64{}
		rows, err := tx.query(ctx, `SELECT path, leader_household_id IS NOT NULL, rotation_until, last_activity_month, COUNT(*) FROM units
			WHERE status = 'active' GROUP BY path, leader_household_id IS NOT NULL, rotation_until, last_activity_month`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var path, rotation, last string
			var leader bool
			var n int64
			if err := rows.Scan(&path, &leader, &rotation, &last, &n); err != nil {
				_ = rows.Close()
				return err
			}
			addUnitCounts(agg, path, n, leader, rotation, last)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := groupedPaths(ctx, tx, `SELECT path, COUNT(*) FROM households WHERE unit_id IS NOT NULL GROUP BY path`, func(path string, n int64) {
			for _, p := range memberCountsAncestors(path) {
				agg[unitCountKey{p, "households", ""}] += n
			}
		}); err != nil {
			return err
		}
		if err := tx.unitCountsWrite(ctx, agg); err != nil {
			return err
		}
		acts := map[activityCountKey]int64{}
		rows, err = tx.query(ctx, `SELECT path, month, category, COUNT(*) FROM unit_activities GROUP BY path, month, category`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var path, month, category string
			var n int64
			if err := rows.Scan(&path, &month, &category, &n); err != nil {
				_ = rows.Close()
				return err
			}
			for _, p := range memberCountsAncestors(path) {
				acts[activityCountKey{p, month, category}] += n
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		return tx.activityCountsWrite(ctx, acts)
	})
}

// groupedPaths runs a query of (path, count) rows and hands each to f.
func groupedPaths(ctx context.Context, tx *Tx, q string, f func(path string, n int64)) error {
	rows, err := tx.query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var path string
		var n sql.NullInt64
		if err := rows.Scan(&path, &n); err != nil {
			return err
		}
		f(path, n.Int64)
	}
	return rows.Err()
}

// unitCountsOf reads the unit counts of paths: for each path, dim → value → n.
func (c conn) unitCountsOf(ctx context.Context, paths []string) (map[string]map[string]map[string]int64, error) {
	out := map[string]map[string]map[string]int64{}
	if len(paths) == 0 {
		return out, nil
	}
	args := make([]any, len(paths))
	for i, p := range paths {
		args[i] = p
		out[p] = map[string]map[string]int64{}
	}
	rows, err := c.query(ctx, `SELECT path, dim, value, n FROM unit_counts WHERE path IN (`+inList(len(args))+`) AND n <> 0`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var path, dim, value string
		var n int64
		if err := rows.Scan(&path, &dim, &value, &n); err != nil {
			return nil, err
		}
		if out[path][dim] == nil {
			out[path][dim] = map[string]int64{}
		}
		out[path][dim][value] = n
	}
	return out, rows.Err()
}

// activityCountsOf reads the activity counts of paths in months: path → month → category → n.
func (c conn) activityCountsOf(ctx context.Context, paths, months []string) (map[string]map[string]map[model.ActivityCategory]int64, error) {
	out := map[string]map[string]map[model.ActivityCategory]int64{}
	if len(paths) == 0 || len(months) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(paths)+len(months))
	for _, p := range paths {
		args = append(args, p)
		out[p] = map[string]map[model.ActivityCategory]int64{}
	}
	for _, m := range months {
		args = append(args, m)
	}
	rows, err := c.query(ctx, `SELECT path, month, category, n FROM unit_activity_counts WHERE path IN (`+inList(len(paths))+`) AND month IN (`+inList(len(months))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var path, month, category string
		var n int64
		if err := rows.Scan(&path, &month, &category, &n); err != nil {
			return nil, err
		}
		if out[path][month] == nil {
			out[path][month] = map[model.ActivityCategory]int64{}
		}
		out[path][month][model.ActivityCategory(category)] += n
	}
	return out, rows.Err()
}
