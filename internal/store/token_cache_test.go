package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestTokenCacheEndsWithWrites: a token looked up a moment ago (so remembered by the store's
// token cache) answers the change at once after a logout, a revoked API token, a changed role
// and a disabled account, each committed through this store.
func TestTokenCacheEndsWithWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		newClock(st)
		admin := mustAccount(t, st, "admin", model.RoleSystemAdmin, 0, authz.NewTOTPSecret())
		tr := mustTree(t, st)
		u := mustAccount(t, st, "staff", model.RoleCommunityStaff, tr.community.ID, "")
		lookup := func(tok string) *model.User {
			t.Helper()
			got, err := st.UserByToken(ctx, tok)
			if err != nil {
				return nil
			}
			return got
		}
		warm := func(tok string) *model.User {
			t.Helper()
			got := lookup(tok)
			if got == nil || lookup(tok) == nil {
				t.Fatal("a live token was refused")
			}
			return got
		}

		tok, _, _ := st.CreateSession(ctx, u)
		warm(tok)
		if err := st.DeleteSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if lookup(tok) != nil {
			t.Error("a session looked up before its logout is still live")
		}

		api, k, err := st.CreateAPIToken(ctx, u, "script", 0, 30)
		if err != nil {
			t.Fatal(err)
		}
		warm(api)
		if err := st.RevokeAPIToken(ctx, u.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if lookup(api) != nil {
			t.Error("an API token looked up before its revocation is still live")
		}

		tok, _, _ = st.CreateSession(ctx, u)
		if got := warm(tok); got.Role != model.RoleCommunityStaff {
			t.Fatalf("role = %s", got.Role)
		}
		role := model.RoleGridLeader
		if _, err := st.UpdateUser(ctx, authz.ForUser(admin), u.ID, store.UserPatch{Role: &role}); err != nil {
			t.Fatal(err)
		}
		// A changed role ends the account's sessions, or at least shows in them.
		if got := lookup(tok); got != nil && got.Role != role {
			t.Errorf("after the role change the session still resolves to role %s", got.Role)
		}

		tok, _, _ = st.CreateSession(ctx, u)
		warm(tok)
		if _, err := st.AdminAccount(ctx, authz.ForUser(admin), u.ID, store.ActionDisable); err != nil {
			t.Fatal(err)
		}
		if lookup(tok) != nil {
			t.Error("a session looked up before its account was disabled is still live")
		}
	})
}

// TestTokenCacheKeptByOtherWrites: a transaction that writes nothing a token resolves to (an
// order, a notification) leaves the cached lookups alone; one that writes an account ends them.
func TestTokenCacheKeptByOtherWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		u := mustAccount(t, st, "staff", model.RoleCommunityStaff, tr.community.ID, "")
		gen := st.TokenCacheGeneration()
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.TestExec(ctx, `INSERT INTO order_categories (community_id, name, created_at) VALUES (?, ?, ?)`, tr.community.ID, "缓存测试", time.Now().UTC()); err != nil {
				return err
			}
			_, err := tx.TestQueryInt(ctx, `SELECT COUNT(*) FROM users WHERE id = ?`, u.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := st.TokenCacheGeneration(); got != gen {
			t.Errorf("a write of order categories ended the token cache (%d → %d)", gen, got)
		}
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.TestExec(ctx, `UPDATE users SET display_name = ? WHERE id = ?`, "改名", u.ID)
		}); err != nil {
			t.Fatal(err)
		}
		if got := st.TokenCacheGeneration(); got == gen {
			t.Error("a write of an account left the token cache")
		}
		gen = st.TokenCacheGeneration()
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.TestExec(ctx, `UPDATE users SET display_name = ? WHERE id = ?`, "又改名", u.ID); err != nil {
				return err
			}
			return errors.New("rolled back")
		}); err == nil {
			t.Fatal("the failing transaction succeeded")
		}
		if got := st.TokenCacheGeneration(); got != gen {
			t.Errorf("a rolled-back write ended the token cache (%d → %d)", gen, got)
		}
	})
}
