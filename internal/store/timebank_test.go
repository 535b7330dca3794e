package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// timebankWorld is orderWorld with the volunteer's account linked to a household of its own
// (赵志愿's, 303) and an order of that household to spend on.
type timebankWorld struct {
	*orderWorld
	home  *model.Household
	ownOr *model.Order // an order of the volunteer's own household
}

func mustTimebankWorld(t *testing.T, st *store.Store) *timebankWorld {
	t.Helper()
	w := &timebankWorld{orderWorld: mustOrderWorld(t, st)}
	w.home = mustHousehold(t, st, w.stairwell, "1栋1单元303室", model.ResidentInput{Name: "赵志愿", IDNumber: validID("510781", "19700101", 504), Relation: model.RelationHead})
	if err := st.LinkResident(context.Background(), authz.System(), w.volunteer.UserID, mustResidentNamed(t, st, w.home, "赵志愿").ID); err != nil {
		t.Fatal(err)
	}
	w.ownOr = w.place(t, st, w.volunteer, 0)
	return w
}

// serve has taker sc claim order id and mark it done after hours.
func serve(t *testing.T, st *store.Store, sc authz.Scope, id int64, hours float64) {
	t.Helper()
	if _, err := transition(st, sc, id, model.ActClaim); err != nil {
		t.Fatalf("claim: %v", err)
	}
	if _, err := transition(st, sc, id, model.ActDone, func(in *model.OrderTransitionInput) { in.Hours = hours }); err != nil {
		t.Fatalf("done: %v", err)
	}
}

func balanceOf(t *testing.T, st *store.Store, kind model.TimebankHolderKind, id int64) int {
	t.Helper()
	h, err := st.TimebankHolder(context.Background(), authz.System(), kind, id)
	if err != nil {
		t.Fatal(err)
	}
	return h.Balance
}

// checkLedger: the entries of a holder sum to its balance, and the balance is not negative.
func checkLedger(t *testing.T, st *store.Store, kind model.TimebankHolderKind, id int64) int {
	t.Helper()
	sum := mustCount(t, st, `SELECT COALESCE(CAST(SUM(minutes) AS BIGINT), 0) FROM timebank_entries WHERE holder_kind = $1 AND holder_id = $2`, string(kind), id)
	b := balanceOf(t, st, kind, id)
	if b != sum || b < 0 {
		t.Errorf("%s %d: balance %d, entries sum to %d", kind, id, b, sum)
	}
	return b
}

// TestTimebankEarn: a done order banks the taker's minutes once; a reopened order done again
// by the same taker banks nothing more; done by another taker, that one earns its own.
func TestTimebankEarn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustTimebankWorld(t, st)
		o := w.place(t, st, w.res, 0)
		serve(t, st, w.volunteer, o.ID, 2)
		tk := w.volunteerTaker.ID
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 120 {
			t.Fatalf("banked %d minutes, want 120", b)
		}
		// Reopened, done again by the same taker: the first done stands.
		if _, err := transition(st, w.res, o.ID, model.ActReopen); err != nil {
			t.Fatal(err)
		}
		if _, err := transition(st, w.staff, o.ID, model.ActOpen); err != nil {
			t.Fatal(err)
		}
		serve(t, st, w.volunteer, o.ID, 3)
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 120 {
			t.Errorf("after reopen and done again: %d minutes, want 120", b)
		}
		// Reopened and done by the member: the member earns its own.
		if _, err := transition(st, w.res, o.ID, model.ActReopen); err != nil {
			t.Fatal(err)
		}
		if _, err := transition(st, w.staff, o.ID, model.ActOpen); err != nil {
			t.Fatal(err)
		}
		serve(t, st, w.member, o.ID, 1)
		hs, err := st.TimebankHolders(ctx, w.member)
		if err != nil || len(hs) != 1 || hs[0].Kind != model.HolderTaker || hs[0].Balance != 60 || hs[0].Name != "张党员" {
			t.Fatalf("member's holders: %+v, %v", hs, err)
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM timebank_entries WHERE order_id = $1 AND kind = 'earn'`, o.ID); n != 2 {
			t.Errorf("earn entries of the order: %d, want 2", n)
		}
		// The volunteer's holders: its banked minutes and its household's (none yet).
		hs, err = st.TimebankHolders(ctx, w.volunteer)
		if err != nil || len(hs) != 2 || hs[0].Balance != 120 || hs[1].Kind != model.HolderHousehold || hs[1].ID != w.home.ID || hs[1].Balance != 0 {
			t.Fatalf("volunteer's holders: %+v, %v", hs, err)
		}
		// A resident who is no taker has only its household.
		if hs, err := st.TimebankHolders(ctx, w.res); err != nil || len(hs) != 1 || hs[0].Kind != model.HolderHousehold {
			t.Errorf("resident's holders: %+v, %v", hs, err)
		}
		// The ledger refuses to be rewritten.
		for _, q := range []string{`UPDATE timebank_entries SET minutes = 1000`, `DELETE FROM timebank_entries`} {
			if _, err := st.DB().ExecContext(ctx, q); err == nil {
				t.Errorf("%s: no error", q)
			}
		}
		// The service record and the certificate.
		rec, err := st.ServiceRecord(ctx, w.volunteer, 0)
		if err != nil || rec.Minutes != 120 || rec.Orders != 1 || len(rec.Months) != 1 || rec.Months[0].Month != "2026-06" || rec.Balance != 120 || rec.Community == "" {
			t.Fatalf("service record: %+v, %v", rec, err)
		}
		cert, err := st.ServiceCertificate(ctx, w.staff, tk, time.Time{}, time.Time{})
		if err != nil || cert.Minutes != 120 || cert.Orders != 1 || cert.TakerName != "赵志愿" || cert.Number == "" || cert.Community != rec.Community {
			t.Fatalf("certificate: %+v, %v", cert, err)
		}
		again, err := st.ServiceCertificate(ctx, w.volunteer, 0, cert.From, cert.To)
		if err != nil || again.Number != cert.Number {
			t.Errorf("the same certificate twice: %+v, %v", again, err)
		}
		later := time.Date(2026, 7, 1, 0, 0, 0, 0, model.Shanghai)
		if c, err := st.ServiceCertificate(ctx, w.volunteer, 0, later, later.AddDate(0, 1, 0)); err != nil || c.Minutes != 0 || c.Number == cert.Number {
			t.Errorf("an empty period: %+v, %v", c, err)
		}
		if _, err := st.ServiceCertificate(ctx, w.volunteer, 0, later, later.AddDate(0, 0, -1)); fieldOf(err) != "from" {
			t.Errorf("a reversed period: %v", err)
		}
		for name, sc := range map[string]authz.Scope{"other staff": w.otherStaff, "a neighbour": w.neighbourRes} {
			if _, err := st.ServiceCertificate(ctx, sc, tk, time.Time{}, time.Time{}); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("%s reads the certificate: %v", name, err)
			}
			if _, err := st.TimebankEntries(ctx, sc, model.HolderTaker, tk, 10, ""); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("%s reads the entries: %v", name, err)
			}
		}
		if _, err := st.ServiceRecord(ctx, w.res, 0); !errors.Is(err, model.ErrConflict) {
			t.Errorf("a resident who is no taker has a record: %v", err)
		}
	})
}

// TestServiceRecordInTimeOrder: a taker's service record and certificate follow the time of
// its earnings, not the order they were written in: an earning written after a later one (the
// demo's back-dated history) is the first service, its month the oldest, and the certificate
// starts on its day.
func TestServiceRecordInTimeOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustTimebankWorld(t, st)
		start := *w.clock
		w.advance(60 * 24 * time.Hour) // August first
		serve(t, st, w.volunteer, w.place(t, st, w.res, 0).ID, 2)
		w.advance(-60 * 24 * time.Hour) // then June, written after it
		serve(t, st, w.volunteer, w.place(t, st, w.res, 0).ID, 1)
		rec, err := st.ServiceRecord(ctx, w.volunteer, 0)
		if err != nil {
			t.Fatal(err)
		}
		var months []string
		for _, m := range rec.Months {
			months = append(months, m.Month)
		}
		if rec.First == nil || rec.Last == nil || !rec.First.Before(*rec.Last) || rec.First.In(model.Shanghai).Month() != time.June ||
			!slices.Equal(months, []string{"2026-08", "2026-06"}) {
			t.Errorf("service record: first %v, last %v, months %v; want June, August, newest month first", rec.First, rec.Last, months)
		}
		cert, err := st.ServiceCertificate(ctx, w.staff, w.volunteerTaker.ID, time.Time{}, start.AddDate(0, 3, 0))
		if err != nil {
			t.Fatal(err)
		}
		if y, m, d := start.In(model.Shanghai).Date(); !cert.From.Equal(time.Date(y, m, d, 0, 0, 0, 0, model.Shanghai)) || cert.Minutes != 180 || cert.Orders != 2 {
			t.Errorf("certificate from %v: %d minutes, %d orders; want from %v, 180 minutes, 2 orders", cert.From, cert.Minutes, cert.Orders, start)
		}
	})
}

// TestTimebankSpendAndGive: spending and giving within the balance; more than banked is a
// conflict saying what is available, and nothing is written; the rules of whose orders and
// which households.
func TestTimebankSpendAndGive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustTimebankWorld(t, st)
		tk := w.volunteerTaker.ID
		o := w.place(t, st, w.res, 0)
		serve(t, st, w.volunteer, o.ID, 2)
		entries := func() int { return mustCount(t, st, `SELECT COUNT(*) FROM timebank_entries`) }
		n := entries()

		_, err := st.SpendTimebank(ctx, w.volunteer, model.TimebankTransfer{OrderID: w.ownOr.ID, Minutes: 180})
		var ce *model.ConflictError
		if !errors.As(err, &ce) || ce.Message != "余额不足：可用 2 小时，需要 3 小时" {
			t.Fatalf("spending more than banked: %v", err)
		}
		if _, err := st.SpendTimebank(ctx, w.volunteer, model.TimebankTransfer{OrderID: w.ownOr.ID, Hours: "2.5"}); !errors.As(err, &ce) || ce.Message != "余额不足：可用 2 小时，需要 2.5 小时" {
			t.Errorf("spending 2.5 hours: %v", err)
		}
		if entries() != n || balanceOf(t, st, model.HolderTaker, tk) != 120 {
			t.Fatalf("a refused spend wrote something")
		}
		for name, in := range map[string]model.TimebankTransfer{
			"order_id": {OrderID: o.ID, Minutes: 30},                  // not its household's
			"hours":    {OrderID: w.ownOr.ID, Hours: "abc"},           // not a number
			"minutes":  {OrderID: w.ownOr.ID, Minutes: -5},            // negative
			"from":     {OrderID: w.ownOr.ID, Minutes: 5, From: "xx"}, // no such holder
		} {
			if _, err := st.SpendTimebank(ctx, w.volunteer, in); fieldOf(err) != name {
				t.Errorf("%s: %v", name, err)
			}
		}
		e, err := st.SpendTimebank(ctx, w.volunteer, model.TimebankTransfer{OrderID: w.ownOr.ID, Hours: "1"})
		if err != nil || e.Minutes != -60 || e.Kind != model.TimebankSpend || e.OrderID != w.ownOr.ID || e.ActorName != "volunteer" {
			t.Fatalf("spend: %+v, %v", e, err)
		}
		// Gifts: within the community only, not to itself.
		if _, err := st.GiveTimebank(ctx, w.volunteer, model.TimebankTransfer{HouseholdID: w.far.ID, Minutes: 30}); fieldOf(err) != "household_id" {
			t.Errorf("a gift outside the community: %v", err)
		}
		if _, err := st.GiveTimebank(ctx, w.volunteer, model.TimebankTransfer{HouseholdID: w.home.ID, Minutes: 30}); fieldOf(err) != "household_id" {
			t.Errorf("a gift to itself: %v", err)
		}
		if _, err := st.GiveTimebank(ctx, w.res, model.TimebankTransfer{HouseholdID: w.neighbour.ID, Minutes: 30}); fieldOf(err) != "from" {
			t.Errorf("a gift from a resident who is no taker: %v", err)
		}
		g, err := st.GiveTimebank(ctx, w.volunteer, model.TimebankTransfer{HouseholdID: w.neighbour.ID, Minutes: 45, Note: "邻里互助"})
		if err != nil || g.Minutes != -45 || g.Counterparty != w.neighbour.Address || g.Reason != "邻里互助" {
			t.Fatalf("gift: %+v, %v", g, err)
		}
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 15 {
			t.Errorf("taker's balance %d, want 15", b)
		}
		// The neighbour's household spends what it received on its own order, not on another's,
		// and does not give it on.
		hs, err := st.TimebankHolders(ctx, w.neighbourRes)
		if err != nil || len(hs) != 1 || hs[0].Balance != 45 {
			t.Fatalf("neighbour's holders: %+v, %v", hs, err)
		}
		page, err := st.TimebankEntries(ctx, w.neighbourRes, model.HolderHousehold, w.neighbour.ID, 10, "")
		if err != nil || page.Total != 1 || page.Items[0].Kind != model.TimebankReceive || page.Items[0].Counterparty != "赵志愿" {
			t.Fatalf("neighbour's entries: %+v, %v", page, err)
		}
		no := w.place(t, st, w.neighbourRes, 0)
		if _, err := st.SpendTimebank(ctx, w.neighbourRes, model.TimebankTransfer{From: model.HolderHousehold, OrderID: w.ownOr.ID, Minutes: 10}); fieldOf(err) != "order_id" {
			t.Errorf("spending on another household's order: %v", err)
		}
		if _, err := st.GiveTimebank(ctx, w.neighbourRes, model.TimebankTransfer{From: model.HolderHousehold, HouseholdID: w.hh.ID, Minutes: 10}); fieldOf(err) != "from" {
			t.Errorf("giving received minutes on: %v", err)
		}
		if _, err := st.SpendTimebank(ctx, w.neighbourRes, model.TimebankTransfer{From: model.HolderHousehold, OrderID: no.ID, Minutes: 45}); err != nil {
			t.Fatal(err)
		}
		if b := checkLedger(t, st, model.HolderHousehold, w.neighbour.ID); b != 0 {
			t.Errorf("neighbour's balance %d", b)
		}
		// A cancelled order takes no spend, and gives back what was spent on it.
		if _, err := transition(st, w.volunteer, w.ownOr.ID, model.ActCancel); err != nil {
			t.Fatal(err)
		}
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 75 {
			t.Errorf("after the cancel: %d, want 75 (15 and the 60 spent given back)", b)
		}
		if _, err := st.SpendTimebank(ctx, w.volunteer, model.TimebankTransfer{OrderID: w.ownOr.ID, Minutes: 5}); fieldOf(err) != "order_id" {
			t.Errorf("spending on a cancelled order: %v", err)
		}
		// Staff correct within their territory, with a reason; a negative correction cannot overdraw.
		if _, err := st.CorrectTimebank(ctx, w.otherStaff, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: tk, Minutes: 60, Reason: "补录"}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("another community's staff correct: %v", err)
		}
		if _, err := st.CorrectTimebank(ctx, w.volunteer, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: tk, Minutes: 60, Reason: "补录"}); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a volunteer corrects itself: %v", err)
		}
		if _, err := st.CorrectTimebank(ctx, w.staff, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: tk, Minutes: -90, Reason: "多记"}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("a correction below zero: %v", err)
		}
		if _, err := st.CorrectTimebank(ctx, w.staff, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: tk, Minutes: 60}); fieldOf(err) != "reason" {
			t.Errorf("a correction without a reason: %v", err)
		}
		c, err := st.CorrectTimebank(ctx, w.staff, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: tk, Minutes: 60, Reason: "补录 5 月的服务"})
		if err != nil || c.Kind != model.TimebankCorrection || c.Minutes != 60 {
			t.Fatalf("correction: %+v, %v", c, err)
		}
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 135 {
			t.Errorf("after the correction: %d, want 135", b)
		}
		// Address search for a gift: the community's households, not its own, not another community's.
		found, err := st.TimebankHouseholds(ctx, w.volunteer, "1单元")
		if err != nil || len(found) != 2 {
			t.Errorf("households found: %+v, %v", found, err)
		}
		if found, err := st.TimebankHouseholds(ctx, w.volunteer, "8栋"); err != nil || len(found) != 0 {
			t.Errorf("another community's household found: %+v, %v", found, err)
		}
	})
}

// TestTimebankConcurrentSpends: 50 spends and gifts of 30 minutes at once on a balance of 600:
// exactly 20 succeed, the rest are told the balance does not cover them, the balance ends at
// zero and never below, and the entries sum to the balances.
func TestTimebankConcurrentSpends(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustTimebankWorld(t, st)
		tk := w.volunteerTaker.ID
		if _, err := st.CorrectTimebank(ctx, w.staff, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: tk, Minutes: 600, Reason: "期初余额"}); err != nil {
			t.Fatal(err)
		}
		const n = 50
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if i%2 == 0 {
					_, errs[i] = st.SpendTimebank(ctx, w.volunteer, model.TimebankTransfer{OrderID: w.ownOr.ID, Minutes: 30})
				} else {
					_, errs[i] = st.GiveTimebank(ctx, w.volunteer, model.TimebankTransfer{HouseholdID: w.neighbour.ID, Minutes: 30})
				}
			}()
		}
		close(start)
		wg.Wait()
		ok, gifts := 0, 0
		for i, err := range errs {
			var ce *model.ConflictError
			switch {
			case err == nil:
				ok++
				if i%2 == 1 {
					gifts++
				}
			case errors.As(err, &ce):
			default:
				t.Errorf("spend %d: %v", i, err)
			}
		}
		if ok != 20 {
			t.Errorf("%d spends and gifts succeeded, want 20", ok)
		}
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 0 {
			t.Errorf("balance %d, want 0", b)
		}
		if b := checkLedger(t, st, model.HolderHousehold, w.neighbour.ID); b != 30*gifts {
			t.Errorf("the neighbour received %d, want %d", b, 30*gifts)
		}
		if spent := mustCount(t, st, `SELECT COUNT(*) FROM timebank_entries WHERE holder_kind = 'taker' AND kind IN ('spend', 'give')`); spent != ok {
			t.Errorf("%d debit entries for %d successes", spent, ok)
		}
	})
}

// TestTimebankMinutesOnce: a reopened order done again by the same taker counts its minutes
// once on the taker's record, as in its time bank; done again by another taker, that one
// counts its own.
func TestTimebankMinutesOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustTimebankWorld(t, st)
		recorded := func(name string) int {
			t.Helper()
			page, err := st.OrderTakers(ctx, w.staff, 0, 10, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range page.Items {
				if tk.Name == name {
					return tk.Minutes
				}
			}
			t.Fatalf("no taker %s in %+v", name, page.Items)
			return 0
		}
		again := func(id int64) {
			t.Helper()
			if _, err := transition(st, w.res, id, model.ActReopen); err != nil {
				t.Fatal(err)
			}
			if _, err := transition(st, w.staff, id, model.ActOpen); err != nil {
				t.Fatal(err)
			}
		}
		o := w.place(t, st, w.res, 0)
		serve(t, st, w.volunteer, o.ID, 2)
		again(o.ID)
		serve(t, st, w.volunteer, o.ID, 3)
		if got, bank := recorded("赵志愿"), checkLedger(t, st, model.HolderTaker, w.volunteerTaker.ID); got != 120 || bank != 120 {
			t.Errorf("done twice by the same taker: %d minutes recorded, %d banked; want 120 both", got, bank)
		}
		again(o.ID)
		serve(t, st, w.member, o.ID, 1)
		if got := recorded("张党员"); got != 60 {
			t.Errorf("done again by another taker: %d minutes recorded, want 60", got)
		}
		if got := recorded("赵志愿"); got != 120 {
			t.Errorf("the first taker's record changed to %d", got)
		}
	})
}

// TestTimebankCancelRefunds: cancelling an order gives back every holder's spends on it, one
// correction each naming the order, by who cancelled; an order reopened after its service and
// then cancelled gives back what was spent before and after, once; cancelled is terminal, so
// nothing is given back twice; a spend on an order served and not cancelled stays spent.
func TestTimebankCancelRefunds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustTimebankWorld(t, st)
		tk, home := w.volunteerTaker.ID, w.home.ID
		for _, c := range []model.TimebankCorrectionInput{
			{HolderKind: model.HolderTaker, HolderID: tk, Minutes: 300, Reason: "期初余额"},
			{HolderKind: model.HolderHousehold, HolderID: home, Minutes: 60, Reason: "期初余额"},
		} {
			if _, err := st.CorrectTimebank(ctx, w.staff, c); err != nil {
				t.Fatal(err)
			}
		}
		spend := func(from model.TimebankHolderKind, order int64, minutes int) {
			t.Helper()
			if _, err := st.SpendTimebank(ctx, w.volunteer, model.TimebankTransfer{From: from, OrderID: order, Minutes: minutes}); err != nil {
				t.Fatalf("spend %d from %s: %v", minutes, from, err)
			}
		}
		refunds := func() int {
			return mustCount(t, st, `SELECT COUNT(*) FROM timebank_entries WHERE kind = 'correction' AND reason LIKE '订单 #%'`)
		}
		// Two holders, three spends on one order: each holder gets its own back.
		spend(model.HolderTaker, w.ownOr.ID, 30)
		spend(model.HolderTaker, w.ownOr.ID, 10)
		spend(model.HolderHousehold, w.ownOr.ID, 20)
		if _, err := transition(st, w.volunteer, w.ownOr.ID, model.ActCancel); err != nil {
			t.Fatal(err)
		}
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 300 {
			t.Errorf("taker's balance after the cancel: %d, want 300", b)
		}
		if b := checkLedger(t, st, model.HolderHousehold, home); b != 40+20 {
			t.Errorf("household's balance after the cancel: %d, want 60", b)
		}
		page, err := st.TimebankEntries(ctx, w.volunteer, model.HolderTaker, tk, 1, "")
		want := fmt.Sprintf("订单 #%d 已取消，退回兑换的时长", w.ownOr.ID)
		if err != nil || page.Items[0].Kind != model.TimebankCorrection || page.Items[0].Minutes != 40 || page.Items[0].Reason != want ||
			page.Items[0].OrderID != 0 || page.Items[0].ActorName != "volunteer" {
			t.Fatalf("the taker's refund: %+v, %v", page.Items[0], err)
		}
		if n := refunds(); n != 2 {
			t.Errorf("%d refunds, want 2 (one per holder)", n)
		}
		// Served, reopened, then cancelled: the spends before and after are given back once.
		o := w.place(t, st, w.volunteer, 0)
		spend(model.HolderTaker, o.ID, 30)
		serve(t, st, w.member, o.ID, 1)
		if _, err := transition(st, w.volunteer, o.ID, model.ActReopen); err != nil {
			t.Fatal(err)
		}
		spend(model.HolderTaker, o.ID, 15)
		if b := balanceOf(t, st, model.HolderTaker, tk); b != 255 {
			t.Fatalf("balance before the cancel: %d, want 255", b)
		}
		if _, err := transition(st, w.staff, o.ID, model.ActCancel); err != nil {
			t.Fatal(err)
		}
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 300 {
			t.Errorf("after the reopened order's cancel: %d, want 300", b)
		}
		if _, err := transition(st, w.staff, o.ID, model.ActCancel); !errors.Is(err, model.ErrConflict) {
			t.Errorf("cancelling twice: %v", err)
		}
		if n := refunds(); n != 3 {
			t.Errorf("%d refunds, want 3", n)
		}
		// Nothing leads out of cancelled: a refund is never followed by another cancel.
		all := []model.OrderActor{model.ActorRequester, model.ActorTaker, model.ActorCandidate, model.ActorDispatcher, model.ActorSystem}
		for _, a := range []model.OrderAction{model.ActClaim, model.ActAccept, model.ActDone, model.ActDecline, model.ActRate, model.ActReopen,
			model.ActDispatch, model.ActOpen, model.ActEscalate, model.ActClose, model.ActCancel, model.ActRemind} {
			if to, err := model.OrderTransition(model.OrderCancelled, a, all); err == nil {
				t.Errorf("%s leads from cancelled to %s", a, to)
			}
		}
		// A spend on an order served and not cancelled stays spent.
		o = w.place(t, st, w.volunteer, 0)
		spend(model.HolderTaker, o.ID, 30)
		serve(t, st, w.member, o.ID, 1)
		if b := checkLedger(t, st, model.HolderTaker, tk); b != 270 {
			t.Errorf("after a spend on a served order: %d, want 270", b)
		}
	})
}

// TestTimebankSpendCancelRace: a spend and a cancel of the same order at once, 20 times: the
// cancel always succeeds, and either the spend was refused (the order cancelled) or it went
// through and the cancel gave it back; the balance ends each round as it began.
func TestTimebankSpendCancelRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := mustTimebankWorld(t, st)
		tk := w.volunteerTaker.ID
		if _, err := st.CorrectTimebank(ctx, w.staff, model.TimebankCorrectionInput{HolderKind: model.HolderTaker, HolderID: tk, Minutes: 600, Reason: "期初余额"}); err != nil {
			t.Fatal(err)
		}
		spent, refused := 0, 0
		for round := range 20 {
			o := w.place(t, st, w.volunteer, 0)
			var wg sync.WaitGroup
			var spendErr, cancelErr error
			start := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, spendErr = st.SpendTimebank(ctx, w.volunteer, model.TimebankTransfer{OrderID: o.ID, Minutes: 30})
			}()
			go func() {
				defer wg.Done()
				<-start
				_, cancelErr = transition(st, w.volunteer, o.ID, model.ActCancel)
			}()
			close(start)
			wg.Wait()
			if cancelErr != nil {
				t.Fatalf("round %d: cancel: %v", round, cancelErr)
			}
			switch {
			case spendErr == nil:
				spent++
			case fieldOf(spendErr) == "order_id":
				refused++
			default:
				t.Fatalf("round %d: spend: %v", round, spendErr)
			}
			if b := checkLedger(t, st, model.HolderTaker, tk); b != 600 {
				t.Fatalf("round %d: balance %d, want 600 (spend error %v)", round, b, spendErr)
			}
		}
		if n := mustCount(t, st, `SELECT COUNT(*) FROM timebank_entries WHERE kind = 'correction' AND reason LIKE '订单 #%'`); n != spent {
			t.Errorf("%d refunds for %d spends that went through", n, spent)
		}
		t.Logf("%d spends went through and were given back, %d were refused", spent, refused)
	})
}
