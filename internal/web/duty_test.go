package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
	"gongzhi/internal/web"
)

// TestDutyPages: a household whose month it is not sees its turns and the month's checklist
// without tick boxes; ticking anyway is refused on the page with the reason and writes
// nothing; the unit's leader sees this month's duty household and checklist on its unit's page.
func TestDutyPages(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	f := mustFixture(t, st, web.Options{})
	ctx, sys := context.Background(), authz.System()
	var ids []int64
	var heads []int64
	for i := range 3 {
		h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: f.stairwell.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: fmt.Sprintf("户主%d", i+1),
			IDNumber: validID("510781", "19620101", 40+i), Relation: model.RelationHead})
		if err != nil {
			t.Fatal(err)
		}
		ids, heads = append(ids, h.ID), append(heads, r.ID)
	}
	unit := f.leadUnit(t, ids...)
	if _, err := st.GenerateRotation(ctx, sys, unit.ID); err != nil {
		t.Fatal(err)
	}
	res, err := st.UserByUsername(ctx, "resident")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LinkResident(ctx, sys, res.ID, heads[1]); err != nil {
		t.Fatal(err)
	}

	c := f.as(t, "resident")
	page := c.get("/units/duty/mine").want(t, http.StatusOK)
	if s := page.Body; !strings.Contains(s, "我家的轮值月份") || !strings.Contains(s, "1栋1单元101室") {
		t.Errorf("我家轮值 lacks the turns or this month's household: %s", excerpt(s))
	}
	if n := len(all(page.Doc, "form.duty-tick")); n != 0 {
		t.Errorf("%d tick forms on a household's page in another household's month", n)
	}
	cur := model.ThisMonth(st.Now()).String()
	bad := c.post(fmt.Sprintf("/units/%d/duty/ticks", unit.ID), url.Values{"month": {cur}, "item": {"楼道卫生"}, "from": {"mine"}}).want(t, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.Body, "不是您家的轮值月份") {
		t.Errorf("the refusal does not say why: %s", excerpt(bad.Body))
	}
	if n, _ := st.DutyTicked(ctx, sys, unit.ID, cur); n[cur] != 0 {
		t.Errorf("a refused tick was written: %v", n)
	}

	leader := f.as(t, "unitleader")
	lp := leader.get(fmt.Sprintf("/units/%d/duty", unit.ID)).want(t, http.StatusOK)
	if s := one(t, lp.Doc, "#duty-now-household"); s == nil || !strings.Contains(lp.Body, "1栋1单元101室") {
		t.Errorf("the leader's page lacks this month's household")
	}
	if n := len(all(lp.Doc, "form.duty-tick")); n != len(model.DefaultDutyChecklist) {
		t.Errorf("the leader sees %d tick forms, want %d", n, len(model.DefaultDutyChecklist))
	}
	leader.post(fmt.Sprintf("/units/%d/duty/ticks", unit.ID), url.Values{"month": {cur}, "item": {"安全巡查"}}).want(t, http.StatusSeeOther)
	if n, _ := st.DutyTicked(ctx, sys, unit.ID, cur); n[cur] != 1 {
		t.Errorf("the leader's tick: %v", n)
	}
}
