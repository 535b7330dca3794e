package store

import (
	"context"
	"fmt"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// SeedUnits forms the units of the demo city: every community's households that are in no
// unit, partitioned with model.PartitionUnits (opts), written set-based, one transaction per
// community: the units in multi-row INSERTs, households.unit_id in UPDATE … FROM (VALUES …)
// statements of a thousand rows, unit_households in multi-row INSERTs, the formed events in one
// INSERT … SELECT. No per-unit round trip, so a city of a million households (some 66,000
// units) forms in one pass. Out-of-bounds units (a leftover of bungalows) are confirmed as
// overrides with the reason the demo gives. Only the system scope; it returns the units formed
// and the households placed.
func (s *Store) SeedUnits(ctx context.Context, sc authz.Scope, communities []int64, opts model.PartitionOptions, reason string,
	progress func(done, total int)) (units, households int, err error) {
	if !sc.All {
		return 0, 0, &model.ForbiddenError{Message: "只有系统可以批量组建演示联建单元"}
	}
	c := s.reader()
	for i, id := range communities {
		if err := ctx.Err(); err != nil {
			return units, households, err
		}
		node, err := c.territory(ctx, sc, id)
		if err != nil {
			return units, households, err
		}
		in, err := c.partitionInput(ctx, node, id, opts)
		if err != nil {
			return units, households, err
		}
		part := model.PartitionUnits(in)
		if len(part.Units) > 0 {
			if err := s.Tx(ctx, func(tx *Tx) error { return tx.seedUnits(ctx, sc, node, in, part, reason) }); err != nil {
				return units, households, fmt.Errorf("units of %s: %w", node.Name, err)
			}
		}
		units += part.Quality.Units
		households += part.Quality.Households
		if progress != nil {
			progress(i+1, len(communities))
		}
	}
	return units, households, nil
}

// seedUnitRows bounds the rows of one multi-row statement (SQLite takes 32,766 parameters).
const seedUnitRows = 1000

func (tx *Tx) seedUnits(ctx context.Context, sc authz.Scope, community *model.Territory, in model.PartitionInput, part model.Partition, reason string) error {
	paths := make(map[int64]string, len(in.Households))
	for _, h := range in.Households {
		paths[h.ID] = h.Path
	}
	ts := now()
	// The units, a batch at a time; RETURNING gives each id with its name (unique within a
	// partition), whatever order the engine returns them in.
	ids := make(map[string]int64, len(part.Units))
	const unitCols = 12
	const unitBatch = 800 // 9,600 parameters
	for start := 0; start < len(part.Units); start += unitBatch {
		batch := part.Units[start:min(len(part.Units), start+unitBatch)]
		var q strings.Builder
		q.WriteString(`INSERT INTO units (community_id, territory_id, path, name, basis, override_reason, status, households, formed_at, created_by, created_at, updated_at) VALUES `)
		args := make([]any, 0, len(batch)*unitCols)
		for k, u := range batch {
			if k > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + inList(unitCols) + ")")
			hp := make([]string, len(u.Households))
			for j, h := range u.Households {
				hp[j] = paths[h]
			}
			anchor := commonPathOf(hp)
			aid := model.PathIDs(anchor)
			basis, why := u.Basis, ""
			if u.OutOfBounds {
				basis, why = model.UnitOverride, reason
			}
			args = append(args, community.ID, aid[len(aid)-1], anchor, u.Name, string(basis), why, string(model.UnitActive), len(u.Households),
				ts, nullID(sc.UserID), ts, ts)
		}
		q.WriteString(` RETURNING id, name`)
		rows, err := tx.query(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return err
			}
			ids[name] = id
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	// households.unit_id and unit_households.
	type pair struct{ household, unit int64 }
	var pairs []pair
	for _, u := range part.Units {
		for _, h := range u.Households {
			pairs = append(pairs, pair{h, ids[u.Name]})
		}
	}
	for start := 0; start < len(pairs); start += seedUnitRows {
		batch := pairs[start:min(len(pairs), start+seedUnitRows)]
		var q strings.Builder
		args := make([]any, 0, 2*len(batch)+1)
		args = append(args, ts)
		// The VALUES columns are column1, column2 on both engines; the casts type them on PostgreSQL.
		q.WriteString(`UPDATE households SET unit_id = v.column2, updated_at = ? FROM (VALUES (CAST(? AS BIGINT), CAST(? AS BIGINT))`)
		q.WriteString(strings.Repeat(", (?, ?)", len(batch)-1))
		q.WriteString(`) AS v WHERE households.id = v.column1 AND households.unit_id IS NULL`)
		for _, p := range batch {
			args = append(args, p.household, p.unit)
		}
		r, err := tx.exec(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if int(n) != len(batch) {
			return &model.ConflictError{Message: fmt.Sprintf("%d of %d households already in a unit", len(batch)-int(n), len(batch))}
		}
		var ins strings.Builder
		ins.WriteString(`INSERT INTO unit_households (unit_id, household_id, joined_at) VALUES `)
		iargs := make([]any, 0, 3*len(batch))
		for k, p := range batch {
			if k > 0 {
				ins.WriteString(", ")
			}
			ins.WriteString("(?, ?, ?)")
			iargs = append(iargs, p.unit, p.household, ts)
		}
		if _, err := tx.exec(ctx, ins.String(), iargs...); err != nil {
			return err
		}
	}
	if _, err := tx.exec(ctx, `INSERT INTO unit_events (unit_id, action, detail, actor_id, at)
		SELECT id, 'formed', '演示数据组建：' || households || '户', NULL, ? FROM units WHERE community_id = ? AND formed_at = ?`, ts, community.ID, ts); err != nil {
		return err
	}
	tx.auditAt(sc, community.Path, "unit.seed", "territory", []int64{community.ID},
		fmt.Sprintf("%s：%d个联建单元，%d户", community.Name, part.Quality.Units, part.Quality.Households))
	return nil
}
