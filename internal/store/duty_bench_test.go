package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/store/storetest"
)

// TestExtendRotationsScale times ExtendRotations for a district of GONGZHI_DUTY_UNITS units of
// 15 households each (66,000 ≈ the 1M-household city), made directly in SQL; it runs only when
// GONGZHI_DUTY_UNITS is set (docs/benchmarks.md), on PostgreSQL and SQLite.
func TestExtendRotationsScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GONGZHI_DUTY_UNITS"))
	if n <= 0 {
		t.Skip("set GONGZHI_DUTY_UNITS to run")
	}
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			tr := mustTree(t, st)
			ts := time.Now().UTC()
			storetest.Exec(t, st, `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
				INSERT INTO units (community_id, territory_id, path, name, basis, status, households, formed_at, created_at, updated_at)
				SELECT ?, ?, ?, 'u' || CAST(i AS TEXT), 'grouped', 'active', 15, ?, ?, ? FROM s`, n, tr.community.ID, tr.stairwell.ID, tr.stairwell.Path, ts, ts, ts)
			var first int64
			if err := st.DB().QueryRowContext(ctx, `SELECT MIN(id) FROM units`).Scan(&first); err != nil {
				t.Fatal(err)
			}
			storetest.Exec(t, st, `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
				INSERT INTO households (territory_id, community_id, path, address, head_name, members, unit_id, created_at, updated_at)
				SELECT ?, ?, ?, 'h' || CAST(i AS TEXT), '', 1, ? + i / 15, ?, ? FROM s`, n*15-1, tr.stairwell.ID, tr.community.ID, tr.stairwell.Path, first, ts, ts)
			if err := st.Analyze(ctx); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			stats, err := st.ExtendRotations(ctx, authz.System(), 0)
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			t.Logf("%s: %d units, %d months in %v", engine, stats.Units, stats.Months, took)
			if stats.Units != n || stats.Months != n*12 {
				t.Errorf("stats = %+v", stats)
			}
		})
	}
}
