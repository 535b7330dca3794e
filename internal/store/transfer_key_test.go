package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

func newTransferKey(t *testing.T) (string, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pub), priv
}

// TestTrustedKeysAddOnly: a trusted key of another deployment is added and retired, never
// overwritten or replaced in place. The same key again (under another name too) is a conflict;
// an UPDATE of its name or key, a DELETE, and un-retiring are refused by the database itself;
// retiring twice is a conflict; a retired key signs no more imports; a rotation is a second key
// beside the retired one.
func TestTrustedKeysAddOnly(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		org := storetest.MustOrg(t, st, "community_committee", "城厢社区党委", tr.community.ID, 0)
		sc := transferScope(t, st, "keys", tr.community)
		pub, priv := newTransferKey(t)
		k, err := st.TrustTransferKey(ctx, sc, "邻区平台", pub)
		if err != nil {
			t.Fatal(err)
		}
		var ce *model.ConflictError
		if _, err := st.TrustTransferKey(ctx, sc, "改名的邻区平台", pub); !errors.As(err, &ce) {
			t.Fatalf("the same key under another name: %v, want a conflict", err)
		}
		// The database refuses to overwrite, replace or delete a key.
		other, _ := newTransferKey(t)
		for _, q := range []string{
			`UPDATE party_transfer_keys SET public_key = '` + other + `' WHERE id = ?`,
			`UPDATE party_transfer_keys SET name = '冒名平台' WHERE id = ?`,
			`DELETE FROM party_transfer_keys WHERE id = ?`,
		} {
			if _, err := st.DB().ExecContext(ctx, strings.ReplaceAll(q, "?", strconv.FormatInt(k.ID, 10))); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
		if keys, err := st.TrustedTransferKeys(ctx); err != nil || len(keys) != 1 || keys[0].PublicKey != pub || keys[0].Name != "邻区平台" || keys[0].RetiredAt != nil {
			t.Fatalf("keys after refused overwrites: %+v %v", keys, err)
		}

		file, err := store.SignTransfer(model.TransferPayload{Format: model.TransferFileFormat, TransferID: 7, FromOrg: "邻区党委", Deployment: "邻区平台",
			Member: model.TransferMemberRecord{Name: "钱转入", Status: model.MemberFull, Category: model.CategoryRetired, JoinedOn: "2001-07-01"}}, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		retired, err := st.RetireTransferKey(ctx, sc, k.ID)
		if err != nil || retired.RetiredAt == nil || retired.PublicKey != pub {
			t.Fatalf("retire: %+v %v", retired, err)
		}
		if _, err := st.RetireTransferKey(ctx, sc, k.ID); !errors.As(err, &ce) {
			t.Errorf("retire twice: %v, want a conflict", err)
		}
		if _, err := st.DB().ExecContext(ctx, `UPDATE party_transfer_keys SET retired_at = NULL, retired_by = NULL WHERE id = `+strconv.FormatInt(k.ID, 10)); err == nil {
			t.Errorf("un-retiring a key was allowed")
		}
		if _, err := st.TrustTransferKey(ctx, sc, "邻区平台", pub); !errors.As(err, &ce) {
			t.Errorf("re-adding a retired key: %v, want a conflict", err)
		}
		if _, err := st.ImportTransfer(ctx, sc, file, org); err == nil || !strings.Contains(err.Error(), "已停用") {
			t.Errorf("a file signed with a retired key: %v", err)
		}
		own, err := st.OwnTransferKey(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RetireTransferKey(ctx, sc, own.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("retiring the own key: %v, want not found", err)
		}

		// Rotation: the deployment's new key beside the retired one; its files import.
		pub2, priv2 := newTransferKey(t)
		if _, err := st.TrustTransferKey(ctx, sc, "邻区平台", pub2); err != nil {
			t.Fatal(err)
		}
		file2, err := store.SignTransfer(model.TransferPayload{Format: model.TransferFileFormat, TransferID: 8, FromOrg: "邻区党委", Deployment: "邻区平台",
			Member: model.TransferMemberRecord{Name: "钱转入", Status: model.MemberFull, Category: model.CategoryRetired, JoinedOn: "2001-07-01"}}, pub2, priv2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ImportTransfer(ctx, sc, file2, org); err != nil {
			t.Errorf("a file signed with the new key: %v", err)
		}
		keys, err := st.TrustedTransferKeys(ctx)
		if err != nil || len(keys) != 2 || keys[0].RetiredAt == nil || keys[1].RetiredAt != nil || keys[0].PublicKey != pub || keys[1].PublicKey != pub2 {
			t.Errorf("keys after the rotation: %+v %v", keys, err)
		}
	})
}
