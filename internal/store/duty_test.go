package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// dutyWorld is a unit of six households of one stairwell, each with a head; the first three
// linked to resident accounts; a staff account of the community, the unit's leader account, and
// a resident of a household of another unit. The clock stands at 15 March 2026 (Shanghai).
type dutyWorld struct {
	tree
	unit       *model.Unit
	other      *model.Unit
	hh         []*model.Household
	outsider   *model.Household
	res        []authz.Scope // resident accounts of hh[0..2]
	outRes     authz.Scope
	staff      authz.Scope
	leader     authz.Scope
	otherLead  authz.Scope
	clock      *time.Time
	setClockMu *sync.Mutex
}

func mustDutyWorld(t *testing.T, st *store.Store) *dutyWorld {
	t.Helper()
	ctx := context.Background()
	w := &dutyWorld{tree: mustTree(t, st), setClockMu: &sync.Mutex{}}
	at := time.Date(2026, 3, 15, 10, 0, 0, 0, model.Shanghai)
	w.clock = &at
	st.SetNow(func() time.Time { w.setClockMu.Lock(); defer w.setClockMu.Unlock(); return *w.clock })
	var ids []int64
	for i := range 6 {
		h := mustHousehold(t, st, w.stairwell, fmt.Sprintf("1栋1单元%d02室", i+1), model.ResidentInput{Name: fmt.Sprintf("户主%d", i+1), IDNumber: validID("510781", "19600101", 300+i), Relation: model.RelationHead})
		w.hh = append(w.hh, h)
		ids = append(ids, h.ID)
	}
	w.outsider = mustHousehold(t, st, w.stairwell2, "8栋2单元101室", model.ResidentInput{Name: "外人", IDNumber: validID("510781", "19600101", 399), Relation: model.RelationHead})
	w.unit = storetest.MustUnit(t, st, "一号联建单元", ids...)
	w.other = storetest.MustUnit(t, st, "八号联建单元", w.outsider.ID)
	link := func(name string, h *model.Household, who string) authz.Scope {
		u := storetest.RawUser(t, st, name, model.RoleResident, w.stairwell)
		if err := st.LinkResident(ctx, authz.System(), u.ID, mustResidentNamed(t, st, h, who).ID); err != nil {
			t.Fatal(err)
		}
		return authz.ForUser(u)
	}
	for i := range 3 {
		w.res = append(w.res, link(fmt.Sprintf("res%d", i+1), w.hh[i], fmt.Sprintf("户主%d", i+1)))
	}
	w.outRes = link("outsider", w.outsider, "外人")
	w.staff = authz.ForUser(storetest.RawUser(t, st, "staff", model.RoleCommunityStaff, w.community))
	lead := storetest.RawUser(t, st, "leader", model.RoleUnitLeader, w.building)
	storetest.Exec(t, st, `UPDATE users SET unit_id = ? WHERE id = ?`, w.unit.ID, lead.ID)
	lead.UnitID = w.unit.ID
	w.leader = authz.ForUser(lead)
	ol := storetest.RawUser(t, st, "otherlead", model.RoleUnitLeader, w.community)
	ol.UnitID = w.other.ID
	w.otherLead = authz.ForUser(ol)
	return w
}

func (w *dutyWorld) setClock(t time.Time) {
	w.setClockMu.Lock()
	defer w.setClockMu.Unlock()
	*w.clock = t
}

// schedule is the unit's months from the current one on: month → household.
func schedule(t *testing.T, st *store.Store, sc authz.Scope, unit int64) map[string]int64 {
	t.Helper()
	d, err := st.UnitDuty(context.Background(), sc, unit)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, m := range d.Months {
		out[m.Month] = m.HouseholdID
	}
	return out
}

func TestDutyRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustDutyWorld(t, st)
		d, err := st.GenerateRotation(ctx, w.staff, w.unit.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Months) != 12 || d.Months[0].Month != "2026-03" || d.Months[11].Month != "2027-02" {
			t.Fatalf("months = %d, %+v", len(d.Months), d.Months)
		}
		for i, m := range d.Months {
			if want := w.hh[i%6].ID; m.HouseholdID != want {
				t.Errorf("%s: household %d, want %d (address order)", m.Month, m.HouseholdID, want)
			}
		}
		if u, _ := st.Unit(ctx, authz.System(), w.unit.ID); u.RotationUntil != "2027-02" {
			t.Errorf("rotation_until = %q", u.RotationUntil)
		}
		before := schedule(t, st, w.staff, w.unit.ID)
		if _, err := st.GenerateRotation(ctx, w.leader, w.unit.ID); err != nil {
			t.Fatal(err)
		}
		if got := schedule(t, st, w.staff, w.unit.ID); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Errorf("generating again changed the schedule:\n%v\n%v", before, got)
		}

		// Who reads it.
		if _, err := st.UnitDuty(ctx, w.outRes, w.unit.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("resident of another unit: %v", err)
		}
		if _, err := st.UnitDuty(ctx, w.otherLead, w.unit.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("leader of another unit: %v", err)
		}
		if _, err := st.GenerateRotation(ctx, w.otherLead, w.unit.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("leader of another unit generates: %v", err)
		}
		if _, err := st.GenerateRotation(ctx, w.res[0], w.unit.ID); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("household generates: %v", err)
		}
		if d, err := st.UnitDuty(ctx, w.res[1], w.unit.ID); err != nil || d.Own != w.hh[1].ID {
			t.Errorf("own unit: %v, own %d", err, d.Own)
		}

		// A month later the district's extension adds one month, to the first household again.
		w.setClock(time.Date(2026, 4, 2, 9, 0, 0, 0, model.Shanghai))
		stats, err := st.ExtendRotations(ctx, w.staff, 0)
		if err != nil || stats.Units != 1 || stats.Months != 1 {
			t.Fatalf("extend = %+v, %v", stats, err)
		}
		if got := schedule(t, st, w.staff, w.unit.ID)["2027-03"]; got != w.hh[0].ID {
			t.Errorf("2027-03 = %d, want the first household", got)
		}
		if stats, _ := st.ExtendRotations(ctx, w.staff, 0); stats.Units != 0 {
			t.Errorf("second extension in the month touched %d units", stats.Units)
		}

		// A household moving in: nothing assigned moves; it joins the end of the queue, after
		// the household of the last month assigned (hh[0], 2027-03) has taken its next turn.
		newcomer := mustHousehold(t, st, w.stairwell, "1栋1单元702室")
		before = schedule(t, st, w.staff, w.unit.ID)
		if err := st.MoveUnitHouseholds(ctx, w.unit.ID, []int64{newcomer.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if got := schedule(t, st, w.staff, w.unit.ID); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Errorf("moving in changed assigned months")
		}
		for k := range 7 {
			w.setClock(time.Date(2026, time.Month(5+k), 2, 9, 0, 0, 0, model.Shanghai))
			if _, err := st.ExtendRotations(ctx, w.staff, 0); err != nil {
				t.Fatal(err)
			}
		}
		got := schedule(t, st, w.staff, w.unit.ID)
		for k, want := range []int64{w.hh[1].ID, w.hh[2].ID, w.hh[3].ID, w.hh[4].ID, w.hh[5].ID, w.hh[0].ID, newcomer.ID} {
			m := model.Month(2027*12+3) + model.Month(k)
			if got[m.String()] != want {
				t.Errorf("%s = %d, want %d", m, got[m.String()], want)
			}
		}

		// A household moving out loses its months from the current one on, to others; months
		// before stay.
		full, _ := st.UnitDuty(ctx, w.staff, w.unit.ID)
		var past []store.DutyMonth
		for _, m := range full.Months {
			if m.Month < full.Current && m.HouseholdID == w.hh[3].ID {
				past = append(past, m)
			}
		}
		if err := st.MoveUnitHouseholds(ctx, w.unit.ID, nil, []int64{w.hh[3].ID}); err != nil {
			t.Fatal(err)
		}
		after, _ := st.UnitDuty(ctx, w.staff, w.unit.ID)
		for _, m := range after.Months {
			if m.Month >= after.Current && m.HouseholdID == w.hh[3].ID {
				t.Errorf("%s still with the household that moved out", m.Month)
			}
		}
		for _, p := range past {
			if got := after.Month(p.Month); got == nil || got.HouseholdID != w.hh[3].ID {
				t.Errorf("past month %s changed", p.Month)
			}
		}
		if len(after.Months) != len(full.Months) {
			t.Errorf("months %d → %d: vacated months not all given to others", len(full.Months), len(after.Months))
		}
	})
}

func TestDutyExemption(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustDutyWorld(t, st)
		if _, err := st.GenerateRotation(ctx, w.staff, w.unit.ID); err != nil {
			t.Fatal(err)
		}
		e, err := st.AddExemption(ctx, w.staff, w.unit.ID, model.DutyExemptionInput{HouseholdID: w.hh[2].ID, Reason: model.DutyIllness, Note: "住院治疗", Until: "2026-09"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Until.String() != "2026-09" || e.From.String() != "2026-03" {
			t.Errorf("exemption %+v", e)
		}
		got := schedule(t, st, w.staff, w.unit.ID)
		for m, h := range got {
			if h == w.hh[2].ID && m <= "2026-09" && m >= "2026-03" {
				t.Errorf("exempt household on duty in %s", m)
			}
		}
		if len(got) != 12 {
			t.Errorf("%d months after the exemption, want 12", len(got))
		}
		if _, err := st.AddExemption(ctx, w.leader, w.unit.ID, model.DutyExemptionInput{HouseholdID: w.hh[2].ID, Reason: model.DutyAway}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second open exemption: %v", err)
		}
		if _, err := st.AddExemption(ctx, w.staff, w.unit.ID, model.DutyExemptionInput{HouseholdID: w.outsider.ID, Reason: model.DutyAway}); fieldOf(err) != "household_id" {
			t.Errorf("household of another unit: %v", err)
		}
		// Neighbours see that a household is exempt, not why.
		d, _ := st.UnitDuty(ctx, w.res[0], w.unit.ID)
		if len(d.Exemptions) != 1 || d.Exemptions[0].Reason != "" || d.Exemptions[0].Note != "" {
			t.Errorf("neighbour sees %+v", d.Exemptions)
		}
		d, _ = st.UnitDuty(ctx, w.res[2], w.unit.ID)
		if d.Exemptions[0].Reason != model.DutyIllness {
			t.Errorf("own household sees %+v", d.Exemptions)
		}
		if err := st.LiftExemption(ctx, w.staff, e.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.LiftExemption(ctx, w.staff, e.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("lifting twice: %v", err)
		}
		// Moving away (the household register's move-out) leaves the unit and its future months.
		if _, err := st.MoveOutHousehold(ctx, w.staff, w.hh[5].ID, model.MoveOut{Date: "2026-03-10"}); err != nil {
			t.Fatal(err)
		}
		got = schedule(t, st, w.staff, w.unit.ID)
		for m, h := range got {
			if h == w.hh[5].ID && m >= "2026-03" {
				t.Errorf("household that moved away still on duty in %s", m)
			}
		}
		if len(got) != 12 {
			t.Errorf("%d months after the move, want 12", len(got))
		}
	})
}

func TestDutySwap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustDutyWorld(t, st)
		if _, err := st.GenerateRotation(ctx, w.staff, w.unit.ID); err != nil {
			t.Fatal(err)
		}
		// hh[0] has 2026-03 and 2026-09, hh[1] 2026-04 and 2026-10, hh[2] 2026-05 and 2026-11.
		if _, err := st.RequestSwap(ctx, w.res[0], w.unit.ID, model.DutySwapInput{FromMonth: "2026-04", ToMonth: "2026-05"}); fieldOf(err) != "from_month" {
			t.Errorf("swapping a month not ours: %v", err)
		}
		if _, err := st.RequestSwap(ctx, w.staff, w.unit.ID, model.DutySwapInput{FromMonth: "2026-09", ToMonth: "2026-10"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("staff asking as a household: %v", err)
		}
		sw, err := st.RequestSwap(ctx, w.res[0], w.unit.ID, model.DutySwapInput{FromMonth: "2026-09", ToMonth: "2026-11", Note: "九月要出差"})
		if err != nil {
			t.Fatal(err)
		}
		before := schedule(t, st, w.staff, w.unit.ID)
		// Not consented: the requester cannot consent for the other side, nor can a third
		// household; a decline changes nothing.
		if _, err := st.DecideSwap(ctx, w.res[0], sw.ID, true); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("requester consents for the other side: %v", err)
		}
		if _, err := st.DecideSwap(ctx, w.res[1], sw.ID, true); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a third household consents: %v", err)
		}
		if x, err := st.DecideSwap(ctx, w.res[2], sw.ID, false); err != nil || x.Status != model.SwapDeclined {
			t.Fatalf("decline: %v %+v", err, x)
		}
		if _, err := st.DecideSwap(ctx, w.res[2], sw.ID, true); !errors.Is(err, model.ErrConflict) {
			t.Errorf("consent after declining: %v", err)
		}
		if got := schedule(t, st, w.staff, w.unit.ID); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("schedule changed without consent")
		}
		// hh[2] is notified of the request.
		if n, _ := st.UnreadNotifications(ctx, w.res[2]); n != 1 {
			t.Errorf("the other side has %d unread notifications", n)
		}

		// Consent: both months change at once; 20 consents racing do it once.
		sw, err = st.RequestSwap(ctx, w.res[0], w.unit.ID, model.DutySwapInput{FromMonth: "2026-09", ToMonth: "2026-10"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.DecideSwap(ctx, w.res[1], sw.ID, true)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, model.ErrConflict):
					conflicts++
				default:
					t.Errorf("consent: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || conflicts != 19 {
			t.Errorf("%d consents took effect, %d conflicts", ok, conflicts)
		}
		got := schedule(t, st, w.staff, w.unit.ID)
		if got["2026-09"] != w.hh[1].ID || got["2026-10"] != w.hh[0].ID {
			t.Errorf("after the swap 09 = %d, 10 = %d", got["2026-09"], got["2026-10"])
		}
		// A swap whose months changed hands meanwhile changes nothing.
		sw, _ = st.RequestSwap(ctx, w.res[0], w.unit.ID, model.DutySwapInput{FromMonth: "2026-10", ToMonth: "2026-11"})
		sw2, _ := st.RequestSwap(ctx, w.res[0], w.unit.ID, model.DutySwapInput{FromMonth: "2026-10", ToMonth: "2026-05"})
		if _, err := st.DecideSwap(ctx, w.res[2], sw.ID, true); err != nil {
			t.Fatal(err)
		}
		before = schedule(t, st, w.staff, w.unit.ID)
		if _, err := st.DecideSwap(ctx, w.res[2], sw2.ID, true); !errors.Is(err, model.ErrConflict) {
			t.Errorf("stale swap: %v", err)
		}
		if got := schedule(t, st, w.staff, w.unit.ID); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Errorf("a stale swap changed the schedule")
		}
		if l, _ := st.DutySwaps(ctx, w.res[1], w.unit.ID); len(l) != 1 {
			t.Errorf("household 2 sees %d swaps, want its own 1", len(l))
		}
	})
}

func TestDutyChecklistTicks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustDutyWorld(t, st)
		if _, err := st.GenerateRotation(ctx, w.staff, w.unit.ID); err != nil {
			t.Fatal(err)
		}
		items, custom, err := st.DutyChecklist(ctx, w.staff, w.community.ID)
		if err != nil || custom || len(items) != len(model.DefaultDutyChecklist) {
			t.Fatalf("defaults: %v %v %v", items, custom, err)
		}
		if _, err := st.SetDutyChecklist(ctx, w.staff, w.community.ID, []string{"楼道卫生", "安全巡查", "走访困难户"}); err != nil {
			t.Fatal(err)
		}
		// March is hh[0]'s month.
		if _, err := st.TickDuty(ctx, w.res[1], w.unit.ID, "2026-03", "楼道卫生", true); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("another household ticks: %v", err)
		}
		if _, err := st.TickDuty(ctx, w.res[1], w.unit.ID, "2026-04", "楼道卫生", true); fieldOf(err) != "month" {
			t.Errorf("ticking a month not begun: %v", err)
		}
		if _, err := st.TickDuty(ctx, w.res[0], w.unit.ID, "2026-03", "打麻将", true); fieldOf(err) != "item" {
			t.Errorf("item not on the list: %v", err)
		}
		if _, err := st.TickDuty(ctx, w.outRes, w.unit.ID, "2026-03", "楼道卫生", true); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("resident of another unit ticks: %v", err)
		}
		mc, err := st.TickDuty(ctx, w.res[0], w.unit.ID, "2026-03", "楼道卫生", true)
		if err != nil {
			t.Fatal(err)
		}
		if !mc.CanTick || mc.Entries[0].Tick == nil || !mc.Entries[0].Tick.ByDutyHome || mc.Entries[0].Tick.TickedBy != "res1" {
			t.Errorf("after the tick: %+v %+v", mc, mc.Entries[0].Tick)
		}
		if _, err := st.TickDuty(ctx, w.leader, w.unit.ID, "2026-03", "安全巡查", true); err != nil {
			t.Errorf("leader ticks: %v", err)
		}
		mc, _ = st.DutyMonthChecklist(ctx, w.res[1], w.unit.ID, "2026-03")
		if mc.CanTick || mc.Entries[1].Tick == nil || mc.Entries[1].Tick.ByDutyHome {
			t.Errorf("neighbour's view: %+v", mc)
		}
		if mc, _ = st.TickDuty(ctx, w.res[0], w.unit.ID, "2026-03", "安全巡查", false); mc.Entries[1].Tick != nil {
			t.Errorf("untick kept the tick")
		}
		if n, _ := st.DutyTicked(ctx, w.staff, w.unit.ID, "2026-01"); n["2026-03"] != 1 {
			t.Errorf("ticked = %v", n)
		}
	})
}

func TestDutyFeedToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustDutyWorld(t, st)
		if _, err := st.GenerateRotation(ctx, w.staff, w.unit.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.CreateDutyFeedToken(ctx, w.res[0], 0, w.hh[1].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a link to a neighbour's feed: %v", err)
		}
		tok, rec, err := st.CreateDutyFeedToken(ctx, w.res[0], 0, w.hh[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.DutyFeedByToken(ctx, tok)
		if err != nil || d.Own != w.hh[0].ID || d.Unit.ID != w.unit.ID {
			t.Fatalf("feed by token: %v %+v", err, d)
		}
		tok2, _, err := st.CreateDutyFeedToken(ctx, w.res[0], 0, w.hh[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DutyFeedByToken(ctx, tok); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("the replaced link still reads: %v", err)
		}
		l, _ := st.DutyFeedTokens(ctx, w.res[0], w.unit.ID)
		if len(l) != 1 || l[0].ID == rec.ID {
			t.Fatalf("live links %+v", l)
		}
		if err := st.RevokeDutyFeedToken(ctx, w.res[1], l[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another account revokes: %v", err)
		}
		if err := st.RevokeDutyFeedToken(ctx, w.res[0], l[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DutyFeedByToken(ctx, tok2); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a revoked link reads: %v", err)
		}
		if _, err := st.DutyFeedByToken(ctx, "nonsense"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("an unknown token: %v", err)
		}
		// The unit's leader makes a link to the unit's feed.
		tok3, _, err := st.CreateDutyFeedToken(ctx, w.leader, w.unit.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := st.DutyFeedByToken(ctx, tok3); err != nil || d.Own != 0 || len(d.Months) != 12 {
			t.Errorf("unit feed by token: %v", err)
		}
	})
}

func TestDutyReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustDutyWorld(t, st)
		if _, err := st.GenerateRotation(ctx, w.staff, w.unit.ID); err != nil {
			t.Fatal(err)
		}
		march := model.Month(2026*12 + 2)
		// Ten instances at once: each account is reminded once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var total int64
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := st.SendDutyReminders(ctx, march)
				if err != nil {
					t.Errorf("remind: %v", err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != 2 {
			t.Errorf("%d reminders sent, want 2 (the duty household's account and the leader)", total)
		}
		p, err := st.Notifications(ctx, w.res[0], 10, "")
		if err != nil || len(p.Items) != 1 || p.Items[0].Kind != "duty.reminder" {
			t.Fatalf("household's notifications: %v %+v", err, p)
		}
		if n, _ := st.UnreadNotifications(ctx, w.leader); n != 1 {
			t.Errorf("leader unread = %d", n)
		}
		if n, _ := st.UnreadNotifications(ctx, w.res[1]); n != 0 {
			t.Errorf("a household not on duty was reminded")
		}
		if err := st.MarkNotificationRead(ctx, w.res[1], p.Items[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("marking another's notification: %v", err)
		}
		if err := st.MarkNotificationRead(ctx, w.res[0], p.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := st.UnreadNotifications(ctx, w.res[0]); n != 0 {
			t.Errorf("unread after reading = %d", n)
		}
	})
}

// TestSeedDutyDemo: the demo's set-based rotations reach eleven months ahead from three back,
// skip the exempt households, keep swapped months both changed, and tick past checklists.
func TestSeedDutyDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		now := time.Date(2026, 5, 10, 12, 0, 0, 0, model.Shanghai)
		var units []*model.Unit
		for u := range 120 {
			var ids []int64
			for i := range 5 {
				ids = append(ids, mustHouseholdQuick(t, st, tr.stairwell, fmt.Sprintf("%d-%d", u, i)))
			}
			units = append(units, storetest.MustUnit(t, st, fmt.Sprintf("单元%d", u), ids...))
		}
		stats, err := st.SeedDutyDemo(ctx, authz.System(), now)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Units != 120 || stats.Exemptions == 0 || stats.Swaps == 0 || stats.Ticks == 0 {
			t.Errorf("stats = %+v", stats)
		}
		if _, err := st.SeedDutyDemo(ctx, authz.System(), now); err != nil {
			t.Fatalf("second run: %v", err)
		}
		st.SetNow(func() time.Time { return now })
		for _, u := range units {
			got, _ := st.Unit(ctx, authz.System(), u.ID)
			if got.RotationUntil != "2027-04" {
				t.Fatalf("unit %d rotation_until = %q", u.ID, got.RotationUntil)
			}
			d, err := st.UnitDuty(ctx, authz.System(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Months[0].Month != "2026-02" || len(d.Months) != 15 {
				t.Fatalf("unit %d months %s…, %d", u.ID, d.Months[0].Month, len(d.Months))
			}
			for _, e := range d.Exemptions {
				for _, m := range d.Months {
					mm, _ := model.ParseMonth(m.Month)
					if m.HouseholdID == e.HouseholdID && e.Covers(mm) {
						t.Errorf("unit %d: exempt household on duty in %s", u.ID, m.Month)
					}
				}
			}
		}
	})
}

func mustHouseholdQuick(t *testing.T, st *store.Store, node *model.Territory, addr string) int64 {
	t.Helper()
	h, err := st.CreateHousehold(context.Background(), authz.System(), model.HouseholdInput{TerritoryID: node.ID, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	return h.ID
}

// TestDutyReplanConcurrent: in each of many units, one household is exempted while another
// moves away, at the same moment. Both plan the unit's future months again; on PostgreSQL the
// second must plan from what the first wrote (neither the exempt household nor the one that
// left keeps a future month, every month stays assigned, and the remaining two households'
// turns differ by at most one), not from the snapshot it read before the first committed.
func TestDutyReplanConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		st.SetNow(func() time.Time { return time.Date(2026, 3, 15, 10, 0, 0, 0, model.Shanghai) })
		staff := authz.ForUser(storetest.RawUser(t, st, "staff", model.RoleCommunityStaff, tr.community))
		const n = 25
		units := make([]*model.Unit, n)
		hhs := make([][]int64, n)
		for i := range n {
			for j := range 4 {
				hhs[i] = append(hhs[i], mustHousehold(t, st, tr.stairwell, fmt.Sprintf("%d栋%d02室", i+1, j+1)).ID)
			}
			units[i] = storetest.MustUnit(t, st, fmt.Sprintf("%d号联建单元", i+1), hhs[i]...)
			if _, err := st.GenerateRotation(ctx, staff, units[i].ID); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, err := st.AddExemption(ctx, staff, units[i].ID, model.DutyExemptionInput{HouseholdID: hhs[i][1], Reason: model.DutyAway})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := st.MoveOutHousehold(ctx, staff, hhs[i][2], model.MoveOut{Date: "2026-03-10"})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for i, u := range units {
			rows := dutyRows(t, st, u.ID)
			turns := map[int64]int{}
			for m := model.Month(2026*12 + 2); m < model.Month(2026*12+2)+model.DutyHorizon; m++ {
				r, ok := rows[m]
				if !ok {
					t.Errorf("unit %d: %s vacant", i, m)
					continue
				}
				if r.served != r.planned || (r.planned != hhs[i][0] && r.planned != hhs[i][3]) {
					t.Errorf("unit %d: %s planned for %d, served by %d; only %d and %d are eligible", i, m, r.planned, r.served, hhs[i][0], hhs[i][3])
				}
				turns[r.planned]++
			}
			if d := turns[hhs[i][0]] - turns[hhs[i][3]]; d > 1 || d < -1 {
				t.Errorf("unit %d: turns %v differ by more than one", i, turns)
			}
		}
	})
}
