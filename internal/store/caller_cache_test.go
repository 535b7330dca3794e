package store_test

import (
	"context"
	"errors"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOrderCallerRemembered: who an account is to the orders (its household, its name, its
// posts) is read once a moment, not at every request — a write made past the store's
// transactions shows only after ForgetAccounts (or a second) — and a change the store itself
// commits shows at the next request: a resident linked to a household places for it at once,
// a secretary whose post ends stops dispatching at once.
func TestOrderCallerRemembered(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		in := model.OrderInput{CategoryID: w.cats[0].ID, Description: "帮忙买药"}
		placedBy := func(sc authz.Scope) string {
			t.Helper()
			o, _, err := st.PlaceOrder(ctx, sc, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			return o.PlacedByName
		}
		if got := placedBy(w.res); got != "wang" {
			t.Fatalf("placed by %q", got)
		}
		if _, err := st.DB().ExecContext(ctx, rebind(st, `UPDATE users SET display_name = '王奶奶' WHERE id = ?`), w.res.UserID); err != nil {
			t.Fatal(err)
		}
		if got := placedBy(w.res); got != "wang" {
			t.Errorf("placed by %q within the moment after a write past the store, want the name remembered", got)
		}
		st.ForgetAccounts()
		if got := placedBy(w.res); got != "王奶奶" {
			t.Errorf("placed by %q after ForgetAccounts", got)
		}

		// Linked through the store: its household at once.
		u := storetest.RawUser(t, st, "newcomer", model.RoleResident, w.stairwell)
		sc := authz.ForUser(u)
		var verr *model.ValidationError
		if _, _, err := st.PlaceOrder(ctx, sc, in, nil); !errors.As(err, &verr) {
			t.Fatalf("an account of no household placed: %v", err)
		}
		h := mustHousehold(t, st, w.stairwell, "1栋1单元303室", model.ResidentInput{Name: "新住户", IDNumber: validID("510781", "19700101", 504), Relation: model.RelationHead})
		if err := st.LinkResident(ctx, authz.System(), u.ID, mustResidentNamed(t, st, h, "新住户").ID); err != nil {
			t.Fatal(err)
		}
		if o, _, err := st.PlaceOrder(ctx, sc, in, nil); err != nil || o.HouseholdID != h.ID {
			t.Errorf("placed after its link: %v", err)
		}

		// A branch secretary dispatches by post; the post ended through the store, not at once.
		mu := storetest.RawUser(t, st, "secretary", model.RoleMember, w.tree.grid)
		var org int64
		if err := st.DB().QueryRowContext(ctx, rebind(st, `SELECT id FROM party_orgs WHERE kind = 'grid_branch' AND territory_id = ?`), w.tree.grid.ID).Scan(&org); err != nil {
			t.Fatal(err)
		}
		m := storetest.PartyMember(t, st, "书记", org, mu.ID)
		post, err := st.AddPost(ctx, authz.System(), org, model.PostInput{Post: model.PostSecretary, MemberID: m, StartsOn: w.clock.AddDate(0, -1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		sec := authz.ForUser(mu)
		o := w.place(t, st, w.res, 0)
		if _, err := st.SuggestTakers(ctx, sec, o.ID, 0); err != nil {
			t.Fatalf("the secretary asks for takers: %v", err)
		}
		if err := st.EndPost(ctx, authz.System(), post.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SuggestTakers(ctx, sec, o.ID, 0); err == nil {
			t.Errorf("a secretary whose post ended still dispatches")
		}
	})
}
