package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestKeysLifecycle: the first migrate creates an owner-only key file beside the database and
// says so; an import seals with it; rotate re-seals under a new key; --retire drops the old keys;
// the data stays readable with the file alone and the blind index still finds it.
func TestKeysLifecycle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "g.db")
	db := "sqlite:" + path
	keyFile := path + ".keys"

	out := mustRun(t, "migrate", "--db", db)
	if !strings.Contains(out, "已生成个人信息加密密钥文件 "+keyFile) {
		t.Fatalf("migrate did not announce the key file:\n%s", out)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	if out := mustRun(t, "migrate", "--db", db); strings.Contains(out, "密钥文件") {
		t.Errorf("second migrate made another key file:\n%s", out)
	}

	// Residents, sealed with the file's key.
	st, err := store.Open(context.Background(), db, store.WithKeys(mustFileKeys(t, keyFile)))
	if err != nil {
		t.Fatal(err)
	}
	sys := authz.System()
	ctx := context.Background()
	var comm *model.Territory
	for _, n := range []struct {
		kind model.TerritoryKind
		name string
	}{{model.KindDistrict, "江油市"}, {model.KindStreet, "中坝街道"}, {model.KindCommunity, "天宝社区"}} {
		var parent int64
		if comm != nil {
			parent = comm.ID
		}
		if comm, err = st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent, Kind: n.kind, Name: n.name}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: comm.ID, Address: "1栋101"})
	if err != nil {
		t.Fatal(err)
	}
	id := "51078119650308" + "123"
	id += string(model.IDCheckDigit(id))
	if _, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: "张建国", IDNumber: id, Phone: "13812345678", Relation: model.RelationHead}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The key file lost: serve and migrate refuse to make a new one over sealed data.
	if err := os.Rename(keyFile, keyFile+".away"); err != nil {
		t.Fatal(err)
	}
	var o, eo bytes.Buffer
	if err := run(ctx, []string{"migrate", "--db", db}, noenv, &o, &eo); err == nil || !strings.Contains(err.Error(), "找不到密钥文件") {
		t.Errorf("migrate without the key file of a sealed database: %v", err)
	}
	if err := os.Rename(keyFile+".away", keyFile); err != nil {
		t.Fatal(err)
	}

	if out := mustRun(t, "keys", "list", "--db", db); !strings.Contains(out, "k1") || !strings.Contains(out, "当前") || !strings.Contains(out, "index") {
		t.Errorf("keys list:\n%s", out)
	}
	out = mustRun(t, "keys", "rotate", "--db", db)
	if !strings.Contains(out, "新的当前密钥 k2") || !strings.Contains(out, "重新加密 1 位居民") {
		t.Errorf("keys rotate:\n%s", out)
	}
	out = mustRun(t, "keys", "rotate", "--retire", "--db", db)
	if !strings.Contains(out, "删除旧密钥 k1") || !strings.Contains(out, "删除旧密钥 k2") {
		t.Errorf("keys rotate --retire:\n%s", out)
	}
	keys, err := pii.LoadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	if strings.Join(ids, ",") != "k3,index,audit1" {
		t.Fatalf("keys after retiring = %v, want k3,index,audit1 (audit keys are never retired)", ids)
	}
	st, err = store.Open(ctx, db, store.WithKeys(mustFileKeys(t, keyFile)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.Residents(ctx, sys, store.ResidentFilter{IDNumber: id, Reason: "核实轮换后的密钥"})
	if err != nil || len(p.Items) != 1 || p.Items[0].Phone.Plain() != "13812345678" {
		t.Fatalf("after rotation: %+v, %v", p, err)
	}
	use, err := st.KeyUsage(ctx)
	if err != nil || use["k3"] != 2 || len(use) != 1 {
		t.Errorf("key usage after rotation = %v, %v", use, err)
	}
}

func mustFileKeys(t *testing.T, path string) *pii.Keyring {
	t.Helper()
	keys, err := pii.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := pii.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestKeysRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := storetest.DSN(t, "postgres")
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"serve", "--db", pg, "--addr", "127.0.0.1:0"}, noenv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "密钥") {
		t.Errorf("serve on PostgreSQL without keys: %v", err)
	}
	env := func(k string) string {
		return map[string]string{"GONGZHI_KEYS": "k1:" + strings.Repeat("A", 43) + "=", "GONGZHI_KEY_FILE": "/x"}[k]
	}
	if err := run(ctx, []string{"migrate", "--db", "sqlite::memory:"}, env, &out, &errOut); err == nil {
		t.Error("GONGZHI_KEYS and GONGZHI_KEY_FILE together accepted")
	}
	bad := func(k string) string { return map[string]string{"GONGZHI_KEYS": "k1:short"}[k] }
	if err := run(ctx, []string{"migrate", "--db", "sqlite::memory:"}, bad, &out, &errOut); err == nil {
		t.Error("a malformed GONGZHI_KEYS accepted")
	}
	// A world-readable key file is refused.
	f := filepath.Join(t.TempDir(), "k")
	if _, err := pii.CreateFile(f); err != nil {
		t.Fatal(err)
	}
	os.Chmod(f, 0o644)
	if err := run(ctx, []string{"migrate", "--db", "sqlite:" + filepath.Join(t.TempDir(), "x.db"), "--keys", f}, noenv, &out, &errOut); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file: %v", err)
	}
}

// TestDemoKeysOnPostgreSQL: `gongzhi demo --db postgres://…` without keys creates its key file
// in the working directory (owner-only), says where, and uses it on the next run; the other
// commands, lacking it, say which flag gives it and how to make one.
func TestDemoKeysOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	pg := storetest.DSN(t, "postgres")
	dir := t.TempDir()
	t.Chdir(dir)
	keyFile := filepath.Join(dir, demoKeyFile)

	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"demo", "--db", pg, "--households", "20", "--no-serve"}, noenv, &out, &errOut); err != nil {
		t.Fatalf("demo on PostgreSQL without keys: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "已生成个人信息加密密钥文件 "+keyFile) || !strings.Contains(out.String(), "--keys "+keyFile) {
		t.Errorf("demo did not say where its key file is and how to use it:\n%s", out.String())
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo key file: %v, %v", fi, err)
	}
	first, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"demo", "--db", pg, "--households", "20", "--no-serve"}, noenv, &out, &errOut); err != nil {
		t.Fatalf("second demo: %v", err)
	}
	if !strings.Contains(out.String(), "使用个人信息加密密钥文件 "+keyFile) || !strings.Contains(out.String(), "直接使用") {
		t.Errorf("second demo did not reuse its key file and city:\n%s", out.String())
	}
	if again, _ := os.ReadFile(keyFile); !bytes.Equal(again, first) {
		t.Error("the second demo rewrote the key file")
	}
	// The key file opens what the demo sealed.
	mustRun(t, "keys", "list", "--db", pg, "--keys", demoKeyFile)

	// Lost key file over sealed data: the demo refuses to make a new one.
	if err := os.Rename(keyFile, keyFile+".away"); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"demo", "--db", pg, "--households", "20", "--no-serve"}, noenv, &out, &errOut); err == nil || !strings.Contains(err.Error(), "找不到密钥文件") {
		t.Errorf("demo without the key file of a sealed database: %v", err)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("the refused demo made a new key file")
	}

	// Every command that needs keys names the flag and `gongzhi keys new` when it has none.
	csv := filepath.Join(dir, "h.csv")
	if err := os.WriteFile(csv, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"serve", "--db", pg, "--addr", "127.0.0.1:0"},
		{"migrate", "--db", pg},
		{"keys", "list", "--db", pg},
		{"keys", "rotate", "--db", pg},
		{"serve", "--db", pg, "--addr", "127.0.0.1:0", "--keys", "no-such.keys"},
		{"import", "households", csv, "--db", pg, "--keys", "no-such.keys"},
		{"keys", "rotate", "--db", pg, "--keys", "no-such.keys"},
	} {
		err := run(ctx, args, noenv, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "--keys") || !strings.Contains(err.Error(), "gongzhi keys new") {
			t.Errorf("gongzhi %s: %v; want a message naming --keys and gongzhi keys new", strings.Join(args, " "), err)
		}
	}
}
