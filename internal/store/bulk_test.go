package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func TestBulk(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		var grid int64
		err := st.Bulk(ctx, func(b *store.Bulk) error {
			b.RecordEvents("imported", 0)
			var err error
			if grid, err = b.AddTerritory(tr.community.ID, model.KindGrid, "第九网格", ""); err != nil {
				return err
			}
			for i := range 3 {
				h := &model.Household{TerritoryID: grid, Address: "10" + string(rune('1'+i)) + "室", HeadName: "户主", Members: 1}
				if err := b.AddHousehold(h); err != nil {
					return err
				}
				r := &model.Resident{HouseholdID: h.ID, TerritoryID: grid, Name: "户主", Gender: model.GenderMale,
					BirthDate: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), IDNumber: model.NewIDNumber(validID("510781", "19600101", 100+i)),
					Relation: model.RelationHead, PoliticalStatus: model.StatusMasses}
				if err := b.AddResident(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id     int64
			hh, rs int64
		}{{grid, 3, 3}, {tr.community.ID, 3, 3}, {tr.district.ID, 3, 3}, {tr.community2.ID, 0, 0}} {
			n, err := st.Territory(ctx, sys, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if n.Households != c.hh || n.Residents != c.rs {
				t.Errorf("%s counts = %d/%d, want %d/%d", n.Name, n.Households, n.Residents, c.hh, c.rs)
			}
		}
		if err := st.Analyze(ctx); err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		page, err := st.Households(ctx, sys, store.HouseholdFilter{Under: grid})
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("households under the bulk grid = %v, %v", page, err)
		}
		events, err := st.HouseholdEvents(ctx, sys, page.Items[0].ID)
		if err != nil || len(events) != 1 || events[0].Action != "imported" {
			t.Errorf("history of a bulk household = %+v, %v; want one imported entry", events, err)
		}
		// Single writes after a bulk load get fresh ids (PostgreSQL's sequences were moved on).
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: grid, Address: "201室"})
		if err != nil {
			t.Fatalf("create after bulk: %v", err)
		}
		if h.ID <= page.Items[2].ID {
			t.Errorf("new household id %d not after bulk ids", h.ID)
		}
		// A failing bulk writes nothing.
		err = st.Bulk(ctx, func(b *store.Bulk) error {
			_, err := b.AddTerritory(tr.community.ID, model.KindGrid, "半途网格", "")
			if err != nil {
				return err
			}
			return b.AddHousehold(&model.Household{TerritoryID: 999999, Address: "x"})
		})
		if err == nil {
			t.Fatal("bulk with an unknown territory succeeded")
		}
		p, _ := st.Territories(ctx, sys, store.TerritoryFilter{Under: tr.community.ID, Kind: model.KindGrid})
		for _, n := range p.Items {
			if n.Name == "半途网格" {
				t.Error("failed bulk left a territory behind")
			}
		}
	})
}

// TestBulkLoad: the blind indexes BulkLoad drops are back after it, with the definitions the
// schema gives them, and a duplicate ID number (within the load or against a resident already
// registered) fails the whole load with a conflict naming both people, writing nothing.
func TestBulkLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		before := mustIndexDefs(t, st)
		if len(before) != 2 {
			t.Fatalf("blind indexes before = %q, want 2", before)
		}
		resident := func(hh int64, name, id string) *model.Resident {
			return &model.Resident{HouseholdID: hh, TerritoryID: tr.community.ID, Name: name, Gender: model.GenderFemale,
				BirthDate: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), IDNumber: model.NewIDNumber(id), Phone: model.NewPhone("13800000000"),
				Relation: model.RelationHead, PoliticalStatus: model.StatusMasses}
		}
		// load writes a household of one for each name; a name ending in 同 gets the ID number
		// sequence dup instead of its own.
		load := func(base, dup int, names ...string) error {
			return st.BulkLoad(ctx, func(b *store.Bulk) error {
				for i, name := range names {
					h := &model.Household{TerritoryID: tr.community.ID, Address: name + "家", HeadName: name, Members: 1}
					if err := b.AddHousehold(h); err != nil {
						return err
					}
					seq := base + i
					if strings.HasSuffix(name, "同") {
						seq = dup
					}
					if err := b.AddResident(resident(h.ID, name, validID("510781", "19700101", seq))); err != nil {
						return err
					}
				}
				return nil
			})
		}
		count := func() int64 {
			n, err := st.Territory(ctx, sys, tr.community.ID)
			if err != nil {
				t.Fatal(err)
			}
			return n.Residents
		}
		if err := load(200, 0, "甲", "乙", "丙"); err != nil {
			t.Fatalf("BulkLoad: %v", err)
		}
		if got := mustIndexDefs(t, st); !slices.Equal(got, before) {
			t.Errorf("blind indexes after a load = %q, want %q", got, before)
		}
		if r, err := lookupID(ctx, st, sys, validID("510781", "19700101", 201)); err != nil || r.Name != "乙" {
			t.Errorf("lookup through the rebuilt blind index = %v, %v; want 乙", r, err)
		}
		residents := count()

		for _, c := range []struct {
			base, dup int
			names     []string
			want      []string
		}{
			{300, 300, []string{"丁", "戊同"}, []string{"丁", "戊同", "本次导入"}},   // two in one load
			{400, 200, []string{"己同"}, []string{"甲", "己同", "已登记", "本次导入"}}, // against a resident already there
		} {
			err := load(c.base, c.dup, c.names...)
			var ce *model.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("load %q: err = %v, want a *model.ConflictError", c.names, err)
			}
			for _, w := range append(c.want, "5107**********", "未写入任何数据") {
				if !strings.Contains(ce.Message, w) {
					t.Errorf("load %q: message %q does not name %q", c.names, ce.Message, w)
				}
			}
			if n := count(); n != residents {
				t.Errorf("after the failed load %q the community counts %d residents, want %d", c.names, n, residents)
			}
			if got := mustIndexDefs(t, st); !slices.Equal(got, before) {
				t.Errorf("blind indexes after a failed load = %q, want %q", got, before)
			}
		}
		p, err := st.Households(ctx, sys, store.HouseholdFilter{Under: tr.community.ID, Q: "丁"})
		if err != nil || len(p.Items) != 0 {
			t.Errorf("households of a failed load = %v, %v; want none", p, err)
		}
	})
}

// mustIndexDefs returns the definitions of the residents' blind indexes as the catalog holds them.
func mustIndexDefs(tb testing.TB, st *store.Store) []string {
	tb.Helper()
	q := `SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN ('residents_id_number_idx', 'residents_phone_idx') ORDER BY name`
	if st.Engine() == "postgres" {
		q = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN ('residents_id_number_idx', 'residents_phone_idx') ORDER BY indexname`
	}
	rows, err := st.DB().Query(q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestBulkLoadForeignKeys: on PostgreSQL BulkLoad drops the foreign keys of the tables it fills
// and adds them back before COMMIT. They are back, as the schema has them, after a load that
// succeeds and after one that fails; a resident whose household does not exist fails the whole
// load (on SQLite as it is written, on PostgreSQL when the key is added back), and nothing of it
// is written. The load spreads over more nodes than one counts statement takes, and every node
// counts what was added under it.
func TestBulkLoadForeignKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		before := mustForeignKeys(t, st)
		if len(before) == 0 {
			t.Fatal("no foreign keys found before the load")
		}
		const stairwells = 1100
		var first, last int64
		err := st.BulkLoad(ctx, func(b *store.Bulk) error {
			for i := range stairwells {
				id, err := b.AddTerritory(tr.building.ID, model.KindStairwell, fmt.Sprintf("%d单元", i+2), "")
				if err != nil {
					return err
				}
				if i == 0 {
					first = id
				}
				last = id
				h := &model.Household{TerritoryID: id, Address: fmt.Sprintf("%d单元101室", i+2), HeadName: "户主", Members: 1}
				if err := b.AddHousehold(h); err != nil {
					return err
				}
				if err := b.AddResident(&model.Resident{HouseholdID: h.ID, TerritoryID: id, Name: "户主", Gender: model.GenderMale,
					BirthDate: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), IDNumber: model.NewIDNumber(validID("510781", fmt.Sprintf("196%d0101", i/1000), i%1000)),
					Relation: model.RelationHead, PoliticalStatus: model.StatusMasses}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("BulkLoad: %v", err)
		}
		for _, c := range []struct {
			id     int64
			hh, rs int64
		}{{first, 1, 1}, {last, 1, 1}, {tr.building.ID, stairwells, stairwells}, {tr.community.ID, stairwells, stairwells},
			{tr.district.ID, stairwells, stairwells}, {tr.community2.ID, 0, 0}} {
			n, err := st.Territory(ctx, sys, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if n.Households != c.hh || n.Residents != c.rs {
				t.Errorf("%s counts = %d/%d, want %d/%d", n.Name, n.Households, n.Residents, c.hh, c.rs)
			}
		}
		if got := mustForeignKeys(t, st); !slices.Equal(got, before) {
			t.Errorf("foreign keys after a load = %q, want %q", got, before)
		}

		err = st.BulkLoad(ctx, func(b *store.Bulk) error {
			h := &model.Household{TerritoryID: tr.community2.ID, Address: "孤户101室", HeadName: "无户", Members: 1}
			if err := b.AddHousehold(h); err != nil {
				return err
			}
			return b.AddResident(&model.Resident{HouseholdID: h.ID + 1000, TerritoryID: tr.community2.ID, Name: "无户", Gender: model.GenderFemale,
				BirthDate: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), IDNumber: model.NewIDNumber(validID("510781", "19700101", 999)),
				Relation: model.RelationHead, PoliticalStatus: model.StatusMasses})
		})
		if err == nil {
			t.Fatal("a load with a resident of a missing household succeeded")
		}
		if !strings.Contains(err.Error(), "residents_household_id_fkey") && !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("error %q does not name the foreign key", err)
		}
		if n, err := st.Territory(ctx, sys, tr.community2.ID); err != nil || n.Households != 0 || n.Residents != 0 {
			t.Errorf("after the failed load %s counts %d/%d (%v), want 0/0", n.Name, n.Households, n.Residents, err)
		}
		if p, err := st.Households(ctx, sys, store.HouseholdFilter{Under: tr.community2.ID}); err != nil || len(p.Items) != 0 {
			t.Errorf("households of the failed load = %v, %v; want none", p, err)
		}
		if got := mustForeignKeys(t, st); !slices.Equal(got, before) {
			t.Errorf("foreign keys after a failed load = %q, want %q", got, before)
		}
	})
}

// mustForeignKeys returns the foreign keys of the tables BulkLoad fills as the catalog holds them
// (on SQLite, the tables' definitions, which hold their foreign keys).
func mustForeignKeys(tb testing.TB, st *store.Store) []string {
	tb.Helper()
	q := `SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN ('households', 'household_events', 'residents') ORDER BY name`
	if st.Engine() == "postgres" {
		q = `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated::text FROM pg_constraint
			WHERE contype = 'f' AND conrelid IN ('households'::regclass, 'household_events'::regclass, 'residents'::regclass) ORDER BY 1`
	}
	rows, err := st.DB().Query(q)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
