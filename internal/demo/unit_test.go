package demo

import (
	"testing"

	"gongzhi/internal/store"
)

// checkUnits: every current household of the demo is in exactly one active unit; the units
// are as many as Generate says; a unit formed by grouping or splitting holds 10–20 households,
// a whole building or stairwell any number, an override has its reason; most households live
// in units of 10–20.
func checkUnits(t *testing.T, st *store.Store, res *Result) {
	t.Helper()
	if n := mustCount(t, st, `SELECT COUNT(*) FROM units WHERE status = 'active'`); n != res.Units || n == 0 {
		t.Errorf("%d active units, Generate says %d", n, res.Units)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM households WHERE moved_out_at IS NULL AND unit_id IS NULL`); n != 0 {
		t.Errorf("%d households in no unit", n)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM (SELECT household_id FROM unit_households WHERE left_at IS NULL GROUP BY household_id HAVING COUNT(*) > 1) x`); n != 0 {
		t.Errorf("%d households in two units", n)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM units u WHERE households <> (SELECT COUNT(*) FROM households h WHERE h.unit_id = u.id)`); n != 0 {
		t.Errorf("%d units whose count differs from their households", n)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM units WHERE basis IN ('grouped', 'split') AND (households < 10 OR households > 20)`); n != 0 {
		t.Errorf("%d grouped or split units outside 10–20 households", n)
	}
	if n := mustCount(t, st, `SELECT COUNT(*) FROM units WHERE basis = 'override' AND override_reason = ''`); n != 0 {
		t.Errorf("%d overrides without a reason", n)
	}
	within := mustCount(t, st, `SELECT COALESCE(SUM(households), 0) FROM units WHERE households BETWEEN 10 AND 20`)
	if all := mustCount(t, st, `SELECT COUNT(*) FROM households WHERE moved_out_at IS NULL`); within*2 < all {
		t.Errorf("only %d of %d households in units of 10–20", within, all)
	}
}
