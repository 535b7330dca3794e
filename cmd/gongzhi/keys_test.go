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
	if strings.Join(ids, ",") != "k3,index" {
		t.Fatalf("keys after retiring = %v, want k3,index", ids)
	}
	st, err = store.Open(ctx, db, store.WithKeys(mustFileKeys(t, keyFile)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.ResidentByIDNumber(ctx, sys, id)
	if err != nil || r.Phone != "13812345678" {
		t.Fatalf("after rotation: %+v, %v", r, err)
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
