package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/config"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestDemoSubjectsAndUserAddResident: the demo links its resident and member accounts to real
// residents and leaves one open correction request; `user add --resident` links a new account.
func TestDemoSubjectsAndUserAddResident(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustDemoCopy(t) // the demo run twice: a second run keeps the links and adds no second request
	st, err := open(ctx, config.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var linked []int64
	for _, name := range []string{"resident", "member"} {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.SubjectData(ctx, u.ID)
		if err != nil || d.Resident == nil || d.Household == nil {
			t.Fatalf("demo %s: %+v, %v; want a linked resident", name, d, err)
		}
		if !authz.ForUser(u).Contains(d.Household.Path) {
			t.Errorf("demo %s is linked to a resident outside its stairwell", name)
		}
		linked = append(linked, d.Resident.ID)
		if name == "resident" && (len(d.Corrections) != 1 || d.Corrections[0].Status != model.CorrectionOpen) {
			t.Errorf("demo resident corrections = %+v, want one open", d.Corrections)
		}
	}
	if linked[0] == linked[1] {
		t.Errorf("resident and member linked to the same resident %d", linked[0])
	}
	// The member account has its roster record; the secretary account manages its branch.
	if mu, err := st.UserByUsername(ctx, "member"); err != nil {
		t.Fatal(err)
	} else if m, err := st.MyMemberRecord(ctx, authz.ForUser(mu)); err != nil || m.ResidentID != linked[1] {
		t.Errorf("demo member's roster record: %+v, %v; want the linked resident's", m, err)
	}
	if su, err := st.UserByUsername(ctx, "secretary"); err != nil {
		t.Fatal(err)
	} else if p, err := st.Members(ctx, authz.ForUser(su), store.MemberFilter{}); err != nil || p.Total == 0 {
		t.Errorf("demo secretary sees %v members (%v), want the branch's", p, err)
	}
	staff, err := st.UserByUsername(ctx, "grid")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := st.Corrections(ctx, authz.ForUser(staff), store.CorrectionFilter{Status: model.CorrectionOpen}); err != nil || p.Total != 1 {
		t.Errorf("grid leader sees %v open requests (%v), want 1", p, err)
	}
	// Open ID conflicts for 登记冲突: the neighbouring community's attempts for the street (and
	// the demo grid leader's, when the community has a second grid, for the community too);
	// the second run added none.
	for name, want := range map[string]int64{"grid": 0, "street": 4} {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := st.IDConflicts(ctx, authz.ForUser(u), store.ConflictFilter{Status: model.ConflictOpen}); err != nil || p.Total != want {
			t.Errorf("%s sees %v open conflicts (%v), want %d", name, p, err, want)
		}
	}
	if p, err := st.IDConflicts(ctx, authz.System(), store.ConflictFilter{}); err != nil || p.Total != 4 {
		t.Errorf("demo conflicts = %v (%v), want 4 after two runs", p, err)
	} else {
		seen := map[int64]bool{}
		for _, c := range p.Items {
			if seen[c.ResidentID] {
				t.Errorf("resident %d has two demo conflicts", c.ResidentID)
			}
			seen[c.ResidentID] = true
		}
	}

	// A resident no account has yet.
	p, err := st.Residents(ctx, authz.System(), store.ResidentFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var free *model.Resident
	for _, r := range p.Items {
		if r.ID != linked[0] && r.ID != linked[1] {
			free = r
			break
		}
	}
	rid := strconv.FormatInt(free.ID, 10)
	for _, c := range []struct {
		args []string
		want string // in the error; "" for success
	}{
		{[]string{"--username", "g2", "--role", "grid_leader", "--scope", strconv.FormatInt(free.TerritoryID, 10), "--resident", rid}, "only resident, member and unit_leader"},
		{[]string{"--username", "r2", "--role", "resident", "--scope", strconv.FormatInt(free.TerritoryID, 10), "--resident", "999999999"}, "no resident"},
		{[]string{"--username", "r3", "--role", "resident", "--scope", strconv.FormatInt(free.TerritoryID, 10), "--resident", strconv.FormatInt(linked[0], 10)}, "已关联其他账号"},
		{[]string{"--username", "r4", "--role", "resident", "--scope", strconv.FormatInt(free.TerritoryID, 10), "--resident", rid}, ""},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"user", "add", "--db", db, "--password", "长城-correct-horse-7x!"}, c.args...)
		err := run(ctx, args, noenv, &out, &errOut)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.args, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v = %v, want an error with %q", c.args, err, c.want)
		}
	}
	u, err := st.UserByUsername(ctx, "r4")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.LinkedResidentID(ctx, u.ID); err != nil || got != free.ID {
		t.Errorf("r4 linked to %d (%v), want %d", got, err, free.ID)
	}
}
