package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestUnitSplitHistory: after a split the unit page still shows the unit active, its history
// ends with the split linking the new unit, and the new unit's history links back.
func TestUnitSplitHistory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st, web.Options{})
		ctx := context.Background()
		var ids []int64
		for i := 1; i <= 24; i++ {
			h, err := st.CreateHousehold(ctx, authz.System(), model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d号", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, h.ID)
		}
		u := storetest.MustUnit(t, st, "一单元联建单元", ids...)
		nu, err := st.SplitUnit(ctx, authz.System(), u.ID, store.UnitSplitInput{Name: "一单元北联建单元", Households: ids[12:]})
		if err != nil {
			t.Fatal(err)
		}
		staff := f.as(t, "staff")
		res := staff.get("/units/"+strconv.FormatInt(u.ID, 10)).want(t, http.StatusOK)
		if got := text(one(t, res.Doc, "#form-dissolve legend")); got == "" {
			t.Error("the unit split from is not active any more (no dissolve form)")
		}
		items := all(res.Doc, ".timeline li")
		last := items[len(items)-1]
		if !strings.Contains(text(last), "拆分") || attr(one(t, last, "a.event-related"), "href") != "/units/"+strconv.FormatInt(nu.ID, 10) {
			t.Errorf("split entry = %q", text(last))
		}
		res = staff.get("/units/"+strconv.FormatInt(nu.ID, 10)).want(t, http.StatusOK)
		back := one(t, res.Doc, ".timeline a.event-related")
		if tl := text(one(t, res.Doc, ".timeline")); attr(back, "href") != "/units/"+strconv.FormatInt(u.ID, 10) || !strings.Contains(tl, "由「一单元联建单元」拆分而来") {
			t.Errorf("new unit's history = %q", tl)
		}
	})
}
