package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// tree is a small territory tree: district › street › community › grid › building › stairwell,
// plus a second community with its own stairwell.
type tree struct {
	district, street, community, grid, building, stairwell, community2, stairwell2 *model.Territory
}

func mustTree(t *testing.T, st *store.Store) tree {
	t.Helper()
	ctx := context.Background()
	sys := authz.System()
	add := func(parent *model.Territory, kind model.TerritoryKind, name, code string) *model.Territory {
		t.Helper()
		var pid int64
		if parent != nil {
			pid = parent.ID
		}
		n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: pid, Kind: kind, Name: name, Code: code})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return n
	}
	var tr tree
	tr.district = add(nil, model.KindDistrict, "江油市", "510781000000")
	tr.street = add(tr.district, model.KindStreet, "中坝街道", "510781006000")
	tr.community = add(tr.street, model.KindCommunity, "天宝社区", "510781006001")
	tr.grid = add(tr.community, model.KindGrid, "第一网格", "")
	tr.building = add(tr.grid, model.KindBuilding, "1栋", "")
	tr.stairwell = add(tr.building, model.KindStairwell, "1单元", "")
	tr.community2 = add(tr.street, model.KindCommunity, "东胜社区", "510781006002")
	tr.stairwell2 = add(add(tr.community2, model.KindBuilding, "8栋", ""), model.KindStairwell, "2单元", "")
	return tr
}

func mustHousehold(t *testing.T, st *store.Store, node *model.Territory, addr string, people ...model.ResidentInput) *model.Household {
	t.Helper()
	ctx := context.Background()
	h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: node.ID, Address: addr})
	if err != nil {
		t.Fatalf("create household: %v", err)
	}
	for _, p := range people {
		p.HouseholdID = h.ID
		if _, err := st.CreateResident(ctx, authz.System(), p); err != nil {
			t.Fatalf("create resident %s: %v", p.Name, err)
		}
	}
	return h
}

// validID builds a valid ID number for region, birth date and sequence.
func validID(region, birth string, seq int) string {
	s := region + birth + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
	return s + string(model.IDCheckDigit(s))
}

func TestMigrateTwiceAndSchemaCheck(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if err := st.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after Migrate = %v, want nil", err)
		}
		n, err := st.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
		}
	})
}

// A database that ran a later migration before an earlier one had landed (parallel branches land
// in any order) gets the missing one, and is then current.
func TestMigrateOutOfOrder(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Unmigrated(t, e)
			// 0010 landed after 0011–0013 had run on some databases.
			if err := st.MigrateUpTo(ctx, 9); err != nil {
				t.Fatal(err)
			}
			for _, v := range []int64{11, 12} {
				if err := st.MigrateApply(ctx, v); err != nil {
					t.Fatalf("apply %d: %v", v, err)
				}
			}
			if err := st.CheckSchema(ctx); !errors.Is(err, store.ErrStaleSchema) {
				t.Fatalf("CheckSchema with 0010 missing = %v, want ErrStaleSchema", err)
			}
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatalf("Migrate with 0010 missing = %v, want the missing one applied", err)
			}
			if err := st.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after Migrate = %v", err)
			}
		})
	}
}

func TestStaleSchemaRefused(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			st, err := store.Open(context.Background(), storetest.DSN(t, e))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.CheckSchema(context.Background()); !errors.Is(err, store.ErrStaleSchema) {
				t.Fatalf("CheckSchema on empty database = %v, want ErrStaleSchema", err)
			}
		})
	}
}

func TestSubtreeAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		mustHousehold(t, st, tr.stairwell, "101室",
			model.ResidentInput{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: model.RelationHead, Phone: "13812345678"},
			model.ResidentInput{Name: "李秀英", IDNumber: validID("510781", "19600505", 22), Relation: "配偶"})
		mustHousehold(t, st, tr.stairwell2, "202室",
			model.ResidentInput{Name: "王芳", IDNumber: validID("510781", "19851120", 42), Relation: model.RelationHead})

		// Maintained counts at every level.
		for _, c := range []struct {
			node   *model.Territory
			hh, rs int64
		}{{tr.district, 2, 3}, {tr.street, 2, 3}, {tr.community, 1, 2}, {tr.grid, 1, 2}, {tr.stairwell, 1, 2}, {tr.community2, 1, 1}} {
			got, err := st.Territory(ctx, authz.System(), c.node.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Households != c.hh || got.Residents != c.rs {
				t.Errorf("%s counts = %d/%d, want %d/%d", c.node.Name, got.Households, got.Residents, c.hh, c.rs)
			}
		}

		// A grid leader of community 1 sees its own households only; the other community is 404.
		grid := authz.Scope{UserID: 9, Role: model.RoleGridLeader, Path: tr.grid.Path}
		page, err := st.Households(ctx, grid, store.HouseholdFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Address != "101室" || page.Total != 1 {
			t.Fatalf("grid leader households = %+v (total %d), want only 101室", page.Items, page.Total)
		}
		if _, err := st.Territory(ctx, grid, tr.community2.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("territory outside scope: err = %v, want ErrNotFound", err)
		}
		if _, err := st.Households(ctx, grid, store.HouseholdFilter{Under: tr.community2.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("households under a node outside scope: err = %v, want ErrNotFound", err)
		}
		// A node above the scope is outside it too: the grid leader cannot name the district.
		if _, err := st.Households(ctx, grid, store.HouseholdFilter{Under: tr.district.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("households under the district for a grid leader: err = %v, want ErrNotFound", err)
		}
		rs, err := st.Residents(ctx, grid, store.ResidentFilter{})
		if err != nil || len(rs.Items) != 2 || rs.Total != 2 {
			t.Fatalf("grid residents = %v (%v)", rs, err)
		}
		other, err := st.Residents(ctx, authz.System(), store.ResidentFilter{Under: tr.community2.ID})
		if err != nil || len(other.Items) != 1 {
			t.Fatalf("community2 residents = %v, %v", other, err)
		}
		if _, err := st.Resident(ctx, grid, other.Items[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("resident outside scope: err = %v, want ErrNotFound", err)
		}
		// The zero scope sees nothing.
		if p, err := st.Households(ctx, authz.Scope{Role: model.RoleResident}, store.HouseholdFilter{}); err != nil || len(p.Items) != 0 {
			t.Errorf("zero scope sees %v, %v", p, err)
		}
	})
}

func TestMoveTerritory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		mustHousehold(t, st, tr.stairwell, "101室",
			model.ResidentInput{Name: "张建国", IDNumber: validID("510781", "19580312", 11), Relation: model.RelationHead})

		// Under its own descendant: a validation error on parent_id, nothing changed.
		_, err := st.MoveTerritory(ctx, sys, tr.grid.ID, tr.stairwell.ID)
		var ve *model.ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != "parent_id" {
			t.Fatalf("move under descendant: err = %v, want parent_id validation error", err)
		}
		// Move the building (with its household) to community 2.
		moved, err := st.MoveTerritory(ctx, sys, tr.building.ID, tr.community2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := model.ChildPath(tr.community2.Path, tr.building.ID); moved.Path != want || moved.ParentID != tr.community2.ID {
			t.Errorf("moved building path %q parent %d, want %q under %d", moved.Path, moved.ParentID, want, tr.community2.ID)
		}
		c1, _ := st.Territory(ctx, sys, tr.community.ID)
		c2, _ := st.Territory(ctx, sys, tr.community2.ID)
		d, _ := st.Territory(ctx, sys, tr.district.ID)
		if c1.Households != 0 || c2.Households != 1 || d.Households != 1 || c2.Residents != 1 {
			t.Errorf("after move counts c1=%d c2=%d/%d district=%d; want 0, 1/1, 1", c1.Households, c2.Households, c2.Residents, d.Households)
		}
		page, err := st.Households(ctx, sys, store.HouseholdFilter{Under: tr.community2.ID})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("households under community2 after move = %v, %v", page, err)
		}
		events, err := st.TerritoryEvents(ctx, sys, tr.building.ID)
		if err != nil || len(events) != 2 || events[0].Action != "moved" {
			t.Errorf("events = %+v, %v", events, err)
		}
		// A grid holding a Party branch (its organization carries the grid's path) does not
		// move: a conflict naming what it holds, nothing changed.
		storetest.MustOrg(t, st, "grid_branch", "第一网格党支部", tr.grid.ID, 0)
		_, err = st.MoveTerritory(ctx, sys, tr.grid.ID, tr.community2.ID)
		var ce *model.ConflictError
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, "党组织") {
			t.Errorf("move of a grid with a branch: err = %v, want a conflict naming 党组织", err)
		}
		if g, _ := st.Territory(ctx, sys, tr.grid.ID); g.ParentID != tr.community.ID || g.Path != tr.grid.Path {
			t.Errorf("after the refused move the grid is at %q under %d", g.Path, g.ParentID)
		}
		// Archive refuses while households remain.
		if _, err := st.ArchiveTerritory(ctx, sys, tr.building.ID); !errors.Is(err, model.ErrConflict) {
			t.Errorf("archive with households: err = %v, want conflict", err)
		}
		if _, err := st.ArchiveTerritory(ctx, sys, tr.grid.ID); err != nil {
			t.Errorf("archive empty grid: %v", err)
		}
	})
}

func TestResidentValidationAndConflicts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		h := mustHousehold(t, st, tr.stairwell, "101室")
		id := validID("510781", "19580312", 11)
		bad := id[:17] + string("0123456789X"[(checkCharIndex(id[17])+1)%11])
		_, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张三", IDNumber: bad, Relation: model.RelationHead})
		var ve *model.ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != "id_number" {
			t.Fatalf("bad check digit: err = %v", err)
		}
		r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张三", IDNumber: id, Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		if r.Gender != model.GenderMale || r.BirthDate.Format(time.DateOnly) != "1958-03-12" {
			t.Errorf("derived gender/birth = %s %s", r.Gender, r.BirthDate)
		}
		_, err = st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张四", IDNumber: id, Relation: "子女"})
		if !errors.As(err, &ve) || ve.Fields[0].Field != "id_number" {
			t.Errorf("duplicate ID number: err = %v", err)
		}
		_, err = st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张五", IDNumber: validID("510781", "19900101", 33), Relation: model.RelationHead})
		if !errors.As(err, &ve) || ve.Fields[0].Field != "relation" {
			t.Errorf("second head: err = %v", err)
		}
		got, _ := st.Household(ctx, sys, h.ID)
		if got.HeadName != "张三" || got.Members != 1 {
			t.Errorf("household head/members = %q/%d", got.HeadName, got.Members)
		}
	})
}

// checkCharIndex is c's position among the check characters 0–9 and X.
func checkCharIndex(c byte) int {
	for i := range 11 {
		if "0123456789X"[i] == c {
			return i
		}
	}
	return 0
}

func TestPagination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		for i := range 7 {
			mustHousehold(t, st, tr.stairwell, string(rune('A'+i))+"室")
		}
		seen := map[int64]bool{}
		cur := ""
		for pages := 0; ; pages++ {
			p, err := st.Households(ctx, authz.System(), store.HouseholdFilter{Limit: 3, Cursor: cur})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != 7 {
				t.Errorf("total = %d, want 7", p.Total)
			}
			for _, h := range p.Items {
				if seen[h.ID] {
					t.Fatalf("household %d twice", h.ID)
				}
				seen[h.ID] = true
			}
			if p.Next == "" {
				break
			}
			cur = p.Next
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if len(seen) != 7 {
			t.Errorf("saw %d households, want 7", len(seen))
		}
		if _, err := st.Households(ctx, authz.System(), store.HouseholdFilter{Cursor: "!!"}); err == nil {
			t.Error("bad cursor accepted")
		}
	})
}

// TestCreateReportsEveryBadField checks that a create with bad fields and a bad reference (an
// unknown parent, territory or household, a duplicate ID number) names all of them in one
// validation error, and writes nothing.
func TestCreateReportsEveryBadField(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sys := authz.System()
		tr := mustTree(t, st)
		taken := validID("510781", "19580312", 11)
		h := mustHousehold(t, st, tr.stairwell, "101室",
			model.ResidentInput{Name: "张建国", IDNumber: taken, Relation: model.RelationHead})
		const unknown = 999999
		tests := []struct {
			name   string
			create func() error
			want   []string
		}{
			{"territory: empty name and unknown parent", func() error {
				_, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: unknown, Kind: model.KindGrid, Name: " "})
				return err
			}, []string{"name", "parent_id"}},
			{"territory: bad code and kind not allowed under parent", func() error {
				_, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: tr.stairwell.ID, Kind: model.KindGrid, Name: "新网格", Code: "12"})
				return err
			}, []string{"code", "kind"}},
			{"household: empty address and unknown territory", func() error {
				_, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: unknown, Address: ""})
				return err
			}, []string{"address", "territory_id"}},
			{"household: bad date and street-level territory", func() error {
				_, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: tr.street.ID, Address: "1号", MovedInAt: "2020-13-01"})
				return err
			}, []string{"moved_in_at", "territory_id"}},
			{"resident: empty name, no relation and unknown household", func() error {
				_, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: unknown, IDNumber: validID("510781", "19900101", 33)})
				return err
			}, []string{"household_id", "name", "relation"}},
			{"resident: duplicate ID number, second head and bad phone", func() error {
				_, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张三", IDNumber: taken, Relation: model.RelationHead, Phone: "12"})
				return err
			}, []string{"id_number", "phone", "relation"}},
		}
		before := mustCounts(t, st)
		for _, tt := range tests {
			err := tt.create()
			var ve *model.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: err = %v, want a validation error", tt.name, err)
				continue
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: fields = %v, want %v", tt.name, got, tt.want)
			}
		}
		if after := mustCounts(t, st); after != before {
			t.Errorf("counts after rejected creates = %+v, want %+v", after, before)
		}
	})
}

// counts is how many rows the tables hold, to show that rejected writes wrote nothing.
type counts struct{ territories, households, residents int }

func mustCounts(t *testing.T, st *store.Store) counts {
	t.Helper()
	var c counts
	for _, q := range []struct {
		table string
		n     *int
	}{{"territories", &c.territories}, {"households", &c.households}, {"residents", &c.residents}} {
		if err := st.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+q.table).Scan(q.n); err != nil {
			t.Fatalf("count %s: %v", q.table, err)
		}
	}
	return c
}

// TestMigrateRelationIDs: migration 0010 turns the Chinese relation words stored before it into
// their ASCII ids, on both engines. The rows are written with SQL at schema 9, as they were.
func TestMigrateRelationIDs(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Unmigrated(t, e)
			if err := st.MigrateTo(ctx, 9); err != nil {
				t.Fatal(err)
			}
			ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := st.DB().ExecContext(ctx, rebind(st, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`INSERT INTO territories (id, kind, name, path, created_at, updated_at) VALUES (1, 'district', '江油市', '/1/', ?, ?)`, ts, ts)
			exec(`INSERT INTO households (id, territory_id, path, address, created_at, updated_at) VALUES (1, 1, '/1/', '101室', ?, ?)`, ts, ts)
			want := map[string]model.Relation{"户主": model.RelationHead, "配偶": model.RelationSpouse, "儿媳": model.RelationDaughterInLaw,
				"其他": model.RelationOther, "孙子女": model.RelationGrandchild}
			for word := range want {
				exec(`INSERT INTO residents (household_id, territory_id, path, name, gender, birth_date, relation, political_status, created_at, updated_at)
					VALUES (1, 1, '/1/', ?, 'male', ?, ?, 'masses', ?, ?)`, word, ts, word, ts, ts)
			}
			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			rows, err := st.DB().QueryContext(ctx, `SELECT name, relation FROM residents`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var name, rel string
				if err := rows.Scan(&name, &rel); err != nil {
					t.Fatal(err)
				}
				if model.Relation(rel) != want[name] {
					t.Errorf("%s: relation %q after migrating, want %q", name, rel, want[name])
				}
				n++
			}
			if err := rows.Err(); err != nil || n != len(want) {
				t.Fatalf("%d rows, %v", n, err)
			}
		})
	}
}

// Every materialized path on PostgreSQL compares byte by byte (COLLATE "C"): subtree reads are
// the range [prefix, prefix+"0"), which a language's collation would break. The test server runs
// under C.UTF-8, where the range happens to work, so the declaration itself is checked.
func TestPathsCollateC(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "postgres")
	rows, err := st.DB().QueryContext(context.Background(), `SELECT table_name, column_name, COALESCE(collation_name, '')
		FROM information_schema.columns WHERE table_schema = current_schema() AND column_name LIKE '%path' AND data_type = 'text'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, column, coll string
		if err := rows.Scan(&table, &column, &coll); err != nil {
			t.Fatal(err)
		}
		n++
		if coll != "C" {
			t.Errorf("%s.%s has collation %q, want \"C\"", table, column, coll)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found %d path columns, want the territory, people, party and register ones", n)
	}
}

// TestTxStatementsPrepared: on SQLite a transaction's statements are prepared on the write
// connection after their second run and reused by the next transactions, and a prepared
// statement still belongs to the transaction that runs it: what a rolled-back transaction
// wrote through one is gone, what a committed one wrote stays. SQL that does not prepare keeps
// failing with its error. On PostgreSQL the driver keeps the statements.
func TestTxStatementsPrepared(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sqlite := st.Engine() == "sqlite"
		const count = `SELECT COUNT(*) FROM order_categories WHERE community_id = ? AND name LIKE '预备语句测试%'`
		const insert = `INSERT INTO order_categories (community_id, name, created_at) VALUES (?, ?, ?)`
		tr := mustTree(t, st)
		seq := 0
		run := func(fail bool) (int64, error) {
			var n int64
			seq++
			err := st.Tx(ctx, func(tx *store.Tx) error {
				if err := tx.TestExec(ctx, insert, tr.community.ID, fmt.Sprintf("预备语句测试%d", seq), time.Now()); err != nil {
					return err
				}
				var err error
				if n, err = tx.TestQueryInt(ctx, count, tr.community.ID); err != nil {
					return err
				}
				if fail {
					return errors.New("rolled back")
				}
				return nil
			})
			return n, err
		}
		before, _ := st.TxStatements()
		for i := range 3 {
			// Rolled back: the row the transaction saw is not kept.
			if n, err := run(true); err == nil || n != int64(i+1) {
				t.Fatalf("run %d rolled back: %d rows inside, %v", i, n, err)
			}
			if n, err := run(false); err != nil || n != int64(i+1) {
				t.Fatalf("run %d committed: %d rows inside, %v", i, n, err)
			}
		}
		// Prepared before the third run began.
		if prepared, _ := st.TxStatements(); sqlite && prepared < before+2 || !sqlite && prepared != 0 {
			t.Errorf("%d statements prepared before, %d after", before, prepared)
		}
		for range 3 { // wanted after its second run, tried before the third
			err := st.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.TestQueryInt(ctx, `SELECT COUNT(*) FROM no_such_table`)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "no_such_table") {
				t.Fatalf("a query of a missing table: %v", err)
			}
		}
		if _, failed := st.TxStatements(); sqlite && failed == 0 {
			t.Error("the query that does not prepare is not remembered as such")
		}
	})
}

// TestTxStatementsPreparedUnderLoad: while writers queue for SQLite's write connection without
// a pause, a new statement is still prepared (it was prepared only when the connection was
// free after a commit, which it never is under steady load: the order flow parsed every
// statement of every transaction).
func TestTxStatementsPreparedUnderLoad(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	ctx := context.Background()
	tr := mustTree(t, st)
	const count = `SELECT COUNT(*) FROM order_categories WHERE community_id = ? AND name LIKE '排队预备测试%'`
	before, _ := st.TxStatements()
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				err := st.Tx(ctx, func(tx *store.Tx) error {
					_, err := tx.TestQueryInt(ctx, count, tr.community.ID)
					time.Sleep(time.Millisecond) // long enough for the others to queue
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	prepared := before
	for i := 0; i < 200 && prepared <= before; i++ {
		time.Sleep(10 * time.Millisecond)
		prepared, _ = st.TxStatements()
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if prepared <= before {
		t.Errorf("under load: %d statements prepared before, %d after two seconds", before, prepared)
	}
}

// TestPostgresPlansForValues: on PostgreSQL every connection plans each statement for its values
// (a generic plan of a path range read every order of a street per community: 670 ms for a
// count that takes 0.7 ms), unless the DSN, role or database sets plan_cache_mode; a transaction's
// statements, by key and run again and again, keep the cached plans.
func TestPostgresPlansForValues(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "postgres")
	for range 3 { // several connections of the pool
		var mode string
		if err := st.ReadDB().QueryRowContext(context.Background(), `SHOW plan_cache_mode`).Scan(&mode); err != nil || mode != "force_custom_plan" {
			t.Fatalf("plan_cache_mode %q, %v", mode, err)
		}
	}
	for range 2 {
		err := st.Tx(context.Background(), func(tx *store.Tx) error {
			mode, err := tx.TestQueryString(context.Background(), `SHOW plan_cache_mode`)
			if err == nil && mode != "auto" {
				t.Errorf("in a transaction plan_cache_mode %q", mode)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var mode string
	if err := st.ReadDB().QueryRowContext(context.Background(), `SHOW plan_cache_mode`).Scan(&mode); err != nil || mode != "force_custom_plan" {
		t.Fatalf("after transactions plan_cache_mode %q, %v", mode, err)
	}
}
