package store

import (
	"context"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// TerritoriesByCodePrefix returns the nodes in the scope, archived ones included, whose
// 12-digit statistical code starts with prefix ("51" for a province, "510781" for a county), in
// code order. Imports of division codes use it to find the nodes that already exist. It reads
// the code index once, however many nodes there are. A prefix that is not up to 12 digits
// matches nothing.
func (s *Store) TerritoriesByCodePrefix(ctx context.Context, sc authz.Scope, prefix string) ([]*model.Territory, error) {
	if len(prefix) > 12 || strings.Trim(prefix, "0123456789") != "" {
		return nil, nil
	}
	// Codes are 12 digits, which every collation orders alike: the prefix padded with 0s and
	// with 9s bound one range scan on the unique index of codes.
	lo := prefix + strings.Repeat("0", 12-len(prefix))
	hi := prefix + strings.Repeat("9", 12-len(prefix))
	rows, err := s.reader().query(ctx, `SELECT `+territoryColumns+` FROM territories WHERE code >= ? AND code <= ? ORDER BY code`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*model.Territory
	for rows.Next() {
		t, err := scanTerritory(rows)
		if err != nil {
			return nil, err
		}
		if sc.Contains(t.Path) {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}
