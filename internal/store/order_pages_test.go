package store_test

import (
	"context"
	"errors"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestOrderPlaceFor: the place form's household and categories: a resident its own (not a
// neighbour's), staff and grid leaders any household of their scope, an account without a
// household is told to ask staff; the board's categories are those of the communities the
// scope lies in or holds.
func TestOrderPlaceFor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustOrderWorld(t, st)
		h, cats, err := st.OrderPlaceFor(ctx, w.res, 0)
		if err != nil || h.ID != w.hh.ID || len(cats) != len(model.DefaultOrderCategories) {
			t.Fatalf("own: %v, %d categories, %v", h, len(cats), err)
		}
		if _, _, err := st.OrderPlaceFor(ctx, w.res, w.neighbour.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a resident for the neighbour: %v", err)
		}
		if h, _, err := st.OrderPlaceFor(ctx, w.grid, w.neighbour.ID); err != nil || h.ID != w.neighbour.ID {
			t.Errorf("grid leader on behalf: %v, %v", h, err)
		}
		if _, _, err := st.OrderPlaceFor(ctx, w.staff, w.far.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("staff for another community's household: %v", err)
		}
		var ve *model.ValidationError
		if _, _, err := st.OrderPlaceFor(ctx, w.staff, 0); !errors.As(err, &ve) || ve.Fields[0].Field != "household_id" {
			t.Errorf("staff without a household of their own: %v", err)
		}
		if _, err := st.SaveOrderCategory(ctx, w.staff, w.community.ID, cats[0].ID, store.OrderCategoryInput{Name: cats[0].Name, TakeWithinHours: 1, FinishWithinHours: 1}); err != nil {
			t.Fatal(err)
		}
		if _, cats, _ := st.OrderPlaceFor(ctx, w.res, 0); len(cats) != len(model.DefaultOrderCategories)-1 {
			t.Errorf("an inactive category is offered: %d", len(cats))
		}
		if _, err := st.OrderCategories(ctx, w.otherStaff, w.community2.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			got  func() ([]*model.OrderCategory, error)
			want int
		}{
			{"grid leader (inside the community)", func() ([]*model.OrderCategory, error) { return st.OrderCategoriesInScope(ctx, w.grid) }, len(model.DefaultOrderCategories)},
			{"community staff", func() ([]*model.OrderCategory, error) { return st.OrderCategoriesInScope(ctx, w.staff) }, len(model.DefaultOrderCategories)},
			{"other community's staff", func() ([]*model.OrderCategory, error) { return st.OrderCategoriesInScope(ctx, w.otherStaff) }, len(model.DefaultOrderCategories)},
		} {
			got, err := c.got()
			if err != nil || len(got) != c.want {
				t.Errorf("%s: %d categories, want %d (%v)", c.name, len(got), c.want, err)
			}
			for _, cat := range got {
				if c.name == "other community's staff" && cat.CommunityID != w.community2.ID {
					t.Errorf("%s sees category %s of community %d", c.name, cat.Name, cat.CommunityID)
				}
			}
		}
	})
}
