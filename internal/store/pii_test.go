package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func TestPersonalDataSealed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		id := validID("510781", "19580312", 11)
		mustHousehold(t, st, tr.stairwell, "一号楼1单元101",
			model.ResidentInput{Name: "张建国", IDNumber: id, Relation: model.RelationHead, Phone: "13812345678"},
			model.ResidentInput{Name: "李秀英", IDNumber: validID("510781", "19600505", 22), Relation: "配偶", Phone: "13812345678"})

		// Stored sealed, never plain.
		var idEnc, phoneEnc string
		if err := st.DB().QueryRowContext(ctx, `SELECT id_number_enc, phone_enc FROM residents WHERE name = '张建国'`).Scan(&idEnc, &phoneEnc); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(idEnc, "t1:") || strings.Contains(idEnc, id) || strings.Contains(phoneEnc, "13812345678") {
			t.Fatalf("stored %q, %q", idEnc, phoneEnc)
		}

		// Exact lookup through the blind index, x and X alike, within scope only.
		r, err := lookupID(ctx, st, authz.System(), strings.ToLower(id))
		if err != nil || r.Name != "张建国" || r.IDNumber.Plain() != id || r.Phone.Plain() != "13812345678" {
			t.Fatalf("lookup by ID number = %+v, %v", r, err)
		}
		if _, err := lookupID(ctx, st, authz.Scope{Role: model.RoleCommunityAdmin, Path: tr.community2.Path}, id); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("lookup outside scope = %v, want ErrNotFound", err)
		}
		if _, err := lookupID(ctx, st, authz.System(), validID("510781", "19700101", 99)); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("unknown number = %v", err)
		}
		rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{Phone: "138 1234 5678", Reason: "核实联系方式"})
		if err != nil || len(rs.Items) != 2 {
			t.Fatalf("lookup by phone = %+v, %v", rs, err)
		}
		ex, err := st.CheckIDNumbers(ctx, authz.System(), []string{id, validID("510781", "19700101", 99)})
		if _, ok := ex[id]; err != nil || !ok || len(ex) != 1 {
			t.Errorf("CheckIDNumbers = %v, %v", ex, err)
		}

		// The duplicate check still works on the index.
		h2 := mustHousehold(t, st, tr.stairwell2, "二号楼")
		_, err = st.CreateResident(ctx, authz.System(), model.ResidentInput{HouseholdID: h2.ID, Name: "重复", IDNumber: id, Relation: model.RelationHead})
		var ve *model.ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != "id_number" {
			t.Errorf("duplicate ID number: %v", err)
		}

		// A tampered value is an error, never a wrong value; a value moved between columns too.
		for _, q := range []string{
			`UPDATE residents SET id_number_enc = substr(id_number_enc, 1, 10) || CASE WHEN substr(id_number_enc, 11, 1) = 'A' THEN 'B' ELSE 'A' END || substr(id_number_enc, 12) WHERE id = ?`,
			`UPDATE residents SET id_number_enc = phone_enc WHERE id = ?`,
			`UPDATE residents SET phone_enc = 'x9' || substr(phone_enc, 3) WHERE id = ?`,
		} {
			if _, err := st.DB().ExecContext(ctx, rebind(st, q), r.ID); err != nil {
				t.Fatal(err)
			}
			got, err := st.Resident(ctx, authz.System(), r.ID)
			if !errors.Is(err, pii.ErrOpen) || got != nil {
				t.Errorf("after %s: %+v, %v; want ErrOpen", q, got, err)
			}
			if _, err := st.DB().ExecContext(ctx, rebind(st, `UPDATE residents SET id_number_enc = ?, phone_enc = ? WHERE id = ?`), idEnc, phoneEnc, r.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func rebind(st *store.Store, q string) string {
	if st.Engine() != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + string(rune('0'+n)))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func TestRotation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		var people []model.ResidentInput
		for i := range 25 {
			people = append(people, model.ResidentInput{Name: "居民", IDNumber: validID("510781", "19800101", i), Relation: "其他", Phone: "1381234" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00"})
		}
		people[0].Relation = model.RelationHead
		mustHousehold(t, st, tr.stairwell, "一号楼", people...)

		old := storetest.Keyring(t)
		k2, _ := pii.NewKey("t2")
		both, err := pii.New(append([]pii.Key{k2}, old.Keys()...))
		if err != nil {
			t.Fatal(err)
		}
		rotated, err := store.Open(ctx, storeDSN(t, st), store.WithKeys(both))
		if err != nil {
			t.Fatal(err)
		}
		defer rotated.Close()
		var calls int
		n, err := rotated.Reencrypt(ctx, 10, func(done, total int64) { calls++ })
		if err != nil || n != 25 || calls != 3 {
			t.Fatalf("Reencrypt = %d, %v (%d progress calls)", n, err, calls)
		}
		use, err := rotated.KeyUsage(ctx)
		if err != nil || use["t1"] != 0 || use["t2"] != 50 {
			t.Fatalf("KeyUsage = %v, %v", use, err)
		}
		// The old key retired: everything still opens, and lookups by index still work.
		var keys []pii.Key
		for _, k := range both.Keys() {
			if k.ID != "t1" {
				keys = append(keys, k)
			}
		}
		only, err := pii.New(keys)
		if err != nil {
			t.Fatal(err)
		}
		retired, err := store.Open(ctx, storeDSN(t, st), store.WithKeys(only))
		if err != nil {
			t.Fatal(err)
		}
		defer retired.Close()
		p, err := retired.Residents(ctx, authz.System(), store.ResidentFilter{Limit: 100})
		if err != nil || len(p.Items) != 25 {
			t.Fatalf("Residents after retiring t1: %v", err)
		}
		if r, err := lookupID(ctx, retired, authz.System(), validID("510781", "19800101", 7)); err != nil || r.Phone.Plain() != "13812340700" {
			t.Errorf("lookup after rotation = %+v, %v", r, err)
		}
		if n, err := rotated.Reencrypt(ctx, 10, nil); err != nil || n != 0 {
			t.Errorf("second Reencrypt = %d, %v", n, err)
		}
	})
}

// storeDSN is the DSN of st, for a second Store on the same database.
func storeDSN(t *testing.T, st *store.Store) string {
	t.Helper()
	return store.DSNOf(st)
}

func TestMigratePlaintextDatabase(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, e)
			st, err := store.Open(ctx, dsn, store.WithKeys(storetest.Keyring(t)))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.MigrateTo(ctx, 2); err != nil {
				t.Fatal(err)
			}
			// Rows as the foundation release wrote them: plaintext columns.
			ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			db := st.DB()
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, rebind(st, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`INSERT INTO territories (id, kind, name, path, community_id, created_at, updated_at) VALUES (1, 'community', '老社区', '/1/', 1, ?, ?)`, ts, ts)
			exec(`INSERT INTO households (id, territory_id, community_id, path, address, created_at, updated_at) VALUES (1, 1, 1, '/1/', '老地址', ?, ?)`, ts, ts)
			ids := []string{validID("510781", "19500101", 1), validID("510781", "19600101", 2), validID("510781", "19700101", 3)}
			phones := []string{"13900000001", "", "13900000003"}
			for i := range ids {
				exec(`INSERT INTO residents (id, household_id, territory_id, community_id, path, name, gender, birth_date, phone, id_number, relation, political_status, created_at, updated_at)
					VALUES (?, 1, 1, 1, '/1/', '老居民', 'male', ?, ?, ?, '其他', 'masses', ?, ?)`, i+1, ts, phones[i], ids[i], ts, ts)
			}

			// A binary without keys refuses to finish the migration, and the schema stays stale.
			bare, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bare.Migrate(ctx); !errors.Is(err, pii.ErrNoKeys) {
				t.Fatalf("Migrate without keys = %v, want ErrNoKeys", err)
			}
			if err := bare.CheckSchema(ctx); !errors.Is(err, store.ErrStaleSchema) {
				t.Fatalf("CheckSchema with plaintext pending = %v", err)
			}
			bare.Close()

			if _, err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := st.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
			var pending int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pii_pending`).Scan(&pending); err != nil || pending != 0 {
				t.Fatalf("pii_pending = %d, %v", pending, err)
			}
			for i, id := range ids {
				r, err := lookupID(ctx, st, authz.System(), id)
				if err != nil || r.Phone.Plain() != phones[i] || r.ID != int64(i+1) {
					t.Errorf("resident %d after migration: %+v, %v", i+1, r, err)
				}
			}
			// No plaintext left anywhere in the file (SQLite) or the table's text (PostgreSQL).
			if e == "sqlite" {
				path := strings.TrimPrefix(dsn, "sqlite:")
				for _, f := range []string{path, path + "-wal"} {
					b, err := os.ReadFile(f)
					if err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
					for _, id := range ids {
						if bytes.Contains(b, []byte(id)) || bytes.Contains(b, []byte("13900000001")) {
							t.Errorf("%s still holds plaintext %s", f, id)
						}
					}
				}
			} else {
				var dump string
				if err := db.QueryRowContext(ctx, `SELECT string_agg(r::text, ' ') FROM residents r`).Scan(&dump); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(dump, ids[0]) || strings.Contains(dump, "13900000001") {
					t.Errorf("residents still hold plaintext: %s", dump)
				}
			}
		})
	}
}

// lookupID finds the one resident with ID number id in sc through the audited exact lookup
// (Residents with IDNumber and a reason); model.ErrNotFound when there is none.
func lookupID(ctx context.Context, st *store.Store, sc authz.Scope, id string) (*model.Resident, error) {
	p, err := st.Residents(ctx, sc, store.ResidentFilter{IDNumber: id, Reason: "测试：核实身份"})
	if err != nil {
		return nil, err
	}
	if len(p.Items) == 0 {
		return nil, model.ErrNotFound
	}
	return p.Items[0], nil
}
