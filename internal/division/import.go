package division

import (
	"context"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// ImportDivisions loads the county with the 6-digit code, or every county of the province with
// the 2-digit code, into the territory tree: a district node for each county (code padded to 12
// digits), under it a street node for each township, and under those a community node for each
// residents' committee (社区) and, when villages is true, for each village (村) and other
// village-level unit. Nodes are named by ShortName and carry their 12-digit code.
//
// It is idempotent: a unit whose code is already on a node reuses that node as it is (name,
// parent and archived state untouched) and only missing units are added, so created counts the
// new nodes and is 0 when everything was there. A code already held by a node of another kind is
// an error. A unit whose 12-digit code equals its parent's (a placeholder, as under 金门县) is
// skipped with everything below it.
//
// Each county is written in one transaction through store.Bulk; an error leaves the counties
// before it imported. progress, when not nil, is called after each township with the number of
// townships done and the total. A malformed code is a plain error; an unknown one wraps
// model.ErrNotFound.
func ImportDivisions(ctx context.Context, st *store.Store, tbl *Table, code string, villages bool, progress func(done, total int)) (created int, err error) {
	var counties []County
	switch len(code) {
	case 6:
		c, err := tbl.County(code)
		if err != nil {
			return 0, err
		}
		counties = []County{c}
	case 2:
		p, err := tbl.Province(code)
		if err != nil {
			return 0, err
		}
		counties = p.Counties
	default:
		return 0, fmt.Errorf("division: %q is neither a 6-digit county code nor a 2-digit province code", code)
	}
	have, err := st.TerritoriesByCodePrefix(ctx, authz.System(), code)
	if err != nil {
		return 0, err
	}
	existing := make(map[string]*model.Territory, len(have))
	for _, t := range have {
		existing[t.Code] = t
	}
	total := 0
	for _, c := range counties {
		total += len(c.Townships)
	}
	done := 0
	for _, c := range counties {
		n := 0
		err := st.Bulk(ctx, func(b *store.Bulk) error {
			// ensure returns the node for code, adding it under parent when it is missing.
			ensure := func(parent int64, kind model.TerritoryKind, name, code string) (int64, error) {
				if t, ok := existing[code]; ok {
					if t.Kind != kind {
						return 0, &model.ConflictError{Message: fmt.Sprintf("统计区划代码 %s（%s）已被%s节点“%s”使用", code, name, t.Kind.Label(), t.Name)}
					}
					return t.ID, nil
				}
				n++
				return b.AddTerritory(parent, kind, name, code)
			}
			countyCode := c.Code + "000000"
			district, err := ensure(0, model.KindDistrict, c.Name, countyCode)
			if err != nil {
				return err
			}
			for _, tw := range c.Townships {
				if err := ctx.Err(); err != nil {
					return err
				}
				if tw.Code != countyCode {
					street, err := ensure(district, model.KindStreet, tw.Name, tw.Code)
					if err != nil {
						return err
					}
					for _, v := range tw.Villages {
						if v.Code == tw.Code || !v.Community() && !villages {
							continue
						}
						if _, err := ensure(street, model.KindCommunity, ShortName(v.Name), v.Code); err != nil {
							return err
						}
					}
				}
				done++
				if progress != nil {
					progress(done, total)
				}
			}
			return nil
		})
		if err != nil {
			return created, fmt.Errorf("import %s %s: %w", c.Code, c.Name, err)
		}
		created += n
	}
	if created > 0 {
		if err := st.Analyze(ctx); err != nil {
			return created, err
		}
	}
	return created, nil
}
