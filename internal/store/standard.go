package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Basic public service standards (基本公共服务达标, issue 12 item 5; model/standard.go says what
// they are). The catalogue is kept like the burden register's (catalogWhere, catalogOwner,
// catalogEntry in burden.go): street, district and system administrators keep the items of
// their territory (standard.catalog), staff read those that apply to theirs (standard.read) and
// enter the values of manual items for their communities (standard.write). A community's
// compliance is computed when asked: auto items from communityMetric, manual ones from the
// latest entry.

const standardItemColumns = `x.id, COALESCE(x.owner_id, 0), x.owner_path, COALESCE(o.name, ''), x.code, x.name, x.method, x.metric, x.op, x.threshold, x.unit, x.active`

func scanStandardItem(rs rowScanner) (*model.StandardItem, error) {
	var i model.StandardItem
	return &i, rs.Scan(&i.ID, &i.OwnerID, &i.OwnerPath, &i.OwnerName, &i.Code, &i.Name, &i.Method, &i.Metric, &i.Op, &i.Threshold, &i.Unit, &i.Active)
}

// StandardItems lists the items the caller reads (f narrows: Community to the items that apply
// to it), by code. A community outside the scope is model.ErrNotFound.
func (s *Store) StandardItems(ctx context.Context, sc authz.Scope, f BurdenCatalogFilter) ([]*model.StandardItem, error) {
	if !authz.Allowed(sc.Role, authz.StandardRead) {
		return nil, nil
	}
	c := s.reader()
	w, err := c.catalogFilter(ctx, sc, f, "x.owner_path")
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT `+standardItemColumns+` FROM standard_items x LEFT JOIN territories o ON o.id = x.owner_id
		WHERE `+w.sql()+` ORDER BY x.code, x.id LIMIT 500`, w.args, scanStandardItem)
}

// SaveStandardItem creates an item (id 0) kept by in.OwnerID, or changes one (the owner
// stays). Bad fields are a *model.ValidationError; a code the owner's catalogue has already is
// a *model.ConflictError; an item kept above the caller's territory is model.ErrForbidden.
func (s *Store) SaveStandardItem(ctx context.Context, sc authz.Scope, id int64, in model.StandardItemInput) (*model.StandardItem, error) {
	if !authz.Allowed(sc.Role, authz.StandardCatalog) {
		return nil, model.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	conflict := func(err error) error {
		if errors.Is(err, model.ErrConflict) {
			return &model.ConflictError{Message: "达标目录中已有编号为“" + in.Code + "”的事项"}
		}
		return err
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		var path string
		if id == 0 {
			owner, p, err := tx.catalogOwner(ctx, sc, in.OwnerID)
			if err != nil {
				return err
			}
			path = p
			if err := tx.queryRow(ctx, `INSERT INTO standard_items (owner_id, owner_path, code, name, method, metric, op, threshold, unit, active, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				[]any{owner, p, in.Code, in.Name, string(in.Method), string(in.Metric), in.Op, in.ThresholdValue, in.Unit, true, s.now()}, &id); err != nil {
				return conflict(err)
			}
		} else {
			p, err := tx.catalogEntry(ctx, sc, "standard_items", id)
			if err != nil {
				return err
			}
			path = p
			if _, err := tx.exec(ctx, `UPDATE standard_items SET code = ?, name = ?, method = ?, metric = ?, op = ?, threshold = ?, unit = ?, active = ? WHERE id = ?`,
				in.Code, in.Name, string(in.Method), string(in.Metric), in.Op, in.ThresholdValue, in.Unit, in.Active, id); err != nil {
				return conflict(err)
			}
		}
		tx.auditAt(sc, path, "standard.item.save", "standard_item", []int64{id}, in.Code+" "+in.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return queryOne(ctx, s.reader(), `SELECT `+standardItemColumns+` FROM standard_items x LEFT JOIN territories o ON o.id = x.owner_id WHERE x.id = ?`, []any{id}, scanStandardItem)
}

// RecordStandardValue enters the value of manual item in.ItemID for community in.CommunityID
// with its evidence (staff whose territory holds the community). A community outside the
// territory, an item that does not apply to it or is checked automatically, and bad fields are
// reported together in one *model.ValidationError.
func (s *Store) RecordStandardValue(ctx context.Context, sc authz.Scope, in model.StandardEntryInput) error {
	if !authz.Allowed(sc.Role, authz.StandardWrite) {
		return model.ErrForbidden
	}
	v := validation(in.Validate())
	return s.Tx(ctx, func(tx *Tx) error {
		t, err := tx.territory(ctx, sc, in.CommunityID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("community_id", "社区不存在或不在您的管辖范围内")
		case err != nil:
			return err
		case t.Kind != model.KindCommunity:
			v.Add("community_id", "请选择一个社区")
			t = nil
		}
		if t != nil {
			anc := ownerPaths(t.Path)
			var method string
			err := tx.queryRow(ctx, `SELECT method FROM standard_items WHERE id = ? AND active = ? AND owner_path IN (`+inList(len(anc))+`)`,
				append([]any{in.ItemID, true}, anc...), &method)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("item_id", "该达标事项不适用于本社区")
			case err != nil:
				return err
			case method != string(model.StandardManual):
				v.Add("item_id", "该事项由系统根据数据自动核验，无需填报")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO standard_entries (item_id, community_id, path, value, evidence, recorded_by, recorded_by_name, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			[]any{in.ItemID, t.ID, t.Path, in.ValueHundredths, in.Evidence, nullID(sc.UserID), name, s.now()}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "standard.value.record", "standard_entry", []int64{id}, model.FormatHundredths(in.ValueHundredths))
		return nil
	})
}

// StandardCompliance is the compliance of every community at node territory or under it (0:
// the caller's whole territory), by name, with each applicable active item's result, for year
// (the metrics that count a year's work). A node outside the scope is model.ErrNotFound.
func (s *Store) StandardCompliance(ctx context.Context, sc authz.Scope, territory int64, year int) ([]*model.StandardRow, error) {
	if !authz.Allowed(sc.Role, authz.StandardRead) {
		return nil, nil
	}
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, territory)
	if err != nil || !ok {
		return nil, err
	}
	lo, hi := authz.PathRange(prefix)
	comms, err := queryAll(ctx, c, `SELECT `+territoryColumns+` FROM territories WHERE kind = 'community' AND archived_at IS NULL AND path >= ? AND path < ? ORDER BY name, id LIMIT 500`,
		[]any{lo, hi}, scanTerritory)
	if err != nil {
		return nil, err
	}
	items, err := queryAll(ctx, c, `SELECT `+standardItemColumns+` FROM standard_items x LEFT JOIN territories o ON o.id = x.owner_id WHERE x.active = ? ORDER BY x.code, x.id LIMIT 500`,
		[]any{true}, scanStandardItem)
	if err != nil {
		return nil, err
	}
	var rows []*model.StandardRow
	for _, t := range comms {
		row := &model.StandardRow{CommunityID: t.ID, CommunityName: t.Name}
		anc := map[string]bool{}
		for _, p := range ownerPaths(t.Path) {
			anc[p.(string)] = true
		}
		metrics := map[model.StandardMetric]*int64{}
		for _, it := range items {
			if !anc[it.OwnerPath] {
				continue
			}
			r := &model.StandardResult{Item: it, Status: model.StandardNoData}
			if it.Method == model.StandardAuto {
				v, seen := metrics[it.Metric]
				if !seen {
					if v, err = c.communityMetric(ctx, t, it.Metric, year); err != nil {
						return nil, err
					}
					metrics[it.Metric] = v
				}
				if v != nil {
					r.Value, r.Status = *v, it.Judge(*v)
				}
			} else {
				var at sql.NullTime
				err := c.queryRow(ctx, `SELECT value, evidence, recorded_by_name, recorded_at FROM standard_entries WHERE community_id = ? AND item_id = ? ORDER BY id DESC LIMIT 1`,
					[]any{t.ID, it.ID}, &r.Value, &r.Evidence, &r.RecordedBy, &at)
				switch {
				case errors.Is(err, model.ErrNotFound):
				case err != nil:
					return nil, err
				default:
					r.Status, r.RecordedAt = it.Judge(r.Value), timePtr(at)
				}
			}
			switch r.Status {
			case model.StandardMet:
				row.Met++
			case model.StandardUnmet:
				row.Unmet++
			default:
				row.NoData++
			}
			row.Results = append(row.Results, r)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// communityMetric computes metric m for community t in year, in hundredths; nil when there is
// nothing to measure (no grid, no household, no decided round, no order).
func (c conn) communityMetric(ctx context.Context, t *model.Territory, m model.StandardMetric, year int) (*int64, error) {
	lo, hi := authz.PathRange(t.Path)
	percent := func(part, whole int64) *int64 {
		if whole == 0 {
			return nil
		}
		v := part * 10000 / whole
		return &v
	}
	switch m {
	case model.MetricGridBranch:
		var grids, covered int64
		if err := c.queryRow(ctx, `SELECT COUNT(*), COUNT(CASE WHEN EXISTS (SELECT 1 FROM party_orgs o WHERE o.territory_id = g.id AND o.status = 'active'
				AND o.kind IN ('grid_branch', 'building_group')) THEN 1 END)
			FROM territories g WHERE g.kind = 'grid' AND g.archived_at IS NULL AND g.path >= ? AND g.path < ?`, []any{lo, hi}, &grids, &covered); err != nil {
			return nil, err
		}
		return percent(covered, grids), nil
	case model.MetricStaffPer100:
		if t.Households == 0 {
			return nil, nil
		}
		var staff int64
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE scope_id = ? AND role IN ('community_admin', 'community_staff') AND disabled_at IS NULL`,
			[]any{t.ID}, &staff); err != nil {
			return nil, err
		}
		v := staff * 10000 / t.Households
		return &v, nil
	case model.MetricProjectsDone:
		var won, done int64
		if err := c.queryRow(ctx, `SELECT COUNT(*), COUNT(CASE WHEN p.status = 'done' THEN 1 END) FROM small_projects p JOIN budget_rounds r ON r.id = p.round_id
			WHERE p.community_id = ? AND r.year = ? AND r.status = 'decided' AND p.status IN ('won', 'in_progress', 'done')`, []any{t.ID, year}, &won, &done); err != nil {
			return nil, err
		}
		return percent(done, won), nil
	case model.MetricOrdersDone:
		from := time.Date(year, 1, 1, 0, 0, 0, 0, model.Shanghai).UTC()
		to := time.Date(year+1, 1, 1, 0, 0, 0, 0, model.Shanghai).UTC()
		var placed, done int64
		if err := c.queryRow(ctx, `SELECT COUNT(*), COUNT(CASE WHEN status IN ('done', 'rated', 'closed') THEN 1 END) FROM orders
			WHERE community_id = ? AND placed_at >= ? AND placed_at < ? AND status <> 'cancelled'`, []any{t.ID, from, to}, &placed, &done); err != nil {
			return nil, err
		}
		return percent(done, placed), nil
	}
	return nil, fmt.Errorf("unknown standard metric %q", m)
}
