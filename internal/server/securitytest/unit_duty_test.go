package securitytest_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store/storetest"
)

// unitduty's part of the matrix: every relation's standing household lies in a joint-building
// unit with a generated rotation. The caller's own household and the same-unit household share
// one unit (the unit of relOwn, relHousehold and relUnit), whose leader is the unit_leader
// account and whose current month is the own household's; each other relation's household has a
// unit of its own. Each unit also has a spare household, which the exemption route exempts. The
// resident and member accounts are the own household's, so they reach that one unit, and their
// own household's feed and swaps; staff reach the units of their territory.

// The object kinds of the duty routes (numbered apart from matrix_test.go's list).
const (
	dutyUnitObj      objKind = 100 + iota // the relation's unit
	dutyHouseholdObj                      // the relation's standing household, in its unit
	dutyCommunityObj                      // the relation's community (its checklist)
	dutyExemptionObj                      // a fresh open exemption in the relation's unit
	dutySwapObj                           // a fresh pending swap asked of the relation's household
	dutyFeedTokenObj                      // a fresh private feed link of the caller's own
	notificationObj                       // a fresh notification of the caller's own
)

// The route kinds of the duty rotation (the oracle's part; numbered apart from oracle_test.go's).
const (
	dutyRead          routeKind = 100 + iota // a unit's rotation, checklist, feed; one's own feed links: staff and grid leaders by territory, a unit leader its own unit, a resident or member the unit of its own household
	dutyHouseholdRead                        // a household's own feed: as dutyRead, but a resident or member only its own household
	dutyWrite                                // generate the rotation, exemptions: staff by territory, a unit leader its own unit
	dutySelf                                 // a household asks for a swap of months: residents and members, in their own unit
	dutySwapDecide                           // consent to or decline a swap asked of one's own household: residents and members
	dutyTick                                 // tick the month's checklist: staff by territory, a unit leader its own unit, the month's duty household
	dutyChecklist                            // a community's checklist: staff
	ownMessages                              // mark one's own notifications read: any account but the auditor, which changes nothing (SECURITY.md, separation of duties)
)

// dutyMay is the oracle for the duty kinds: a unit's rotation is its neighbours' business (the
// unit's own households and its leader) and that of the staff and grid leaders who look after
// its territory; only staff and the unit's leader plan it; a swap is between households.
func dutyMay(r model.Role, k routeKind) (may, known bool) {
	switch k {
	case dutyRead, dutyHouseholdRead:
		return fieldWorker(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
	case dutyWrite:
		return staffRole(r) || r == model.RoleUnitLeader, true
	case dutySelf, dutySwapDecide:
		return r == model.RoleMember || r == model.RoleResident, true
	case dutyTick:
		return staffRole(r) || r == model.RoleUnitLeader || r == model.RoleMember || r == model.RoleResident, true
	case dutyChecklist:
		return staffRole(r), true
	case ownMessages:
		return r != model.RoleAuditor, true
	}
	return false, false
}

// dutyReach: a unit leader reaches its own unit only (the relations up to relUnit); a household
// (resident, member) its own unit, and its own feed and the swaps asked of it (its household:
// up to relHousehold).
func dutyReach(role model.Role, k routeKind) (relation, bool) {
	switch k {
	case dutyRead, dutyTick, dutySelf, dutyWrite, dutyHouseholdRead, dutySwapDecide:
	default:
		return 0, false
	}
	switch role {
	case model.RoleUnitLeader:
		return relUnit, true
	case model.RoleMember, model.RoleResident:
		if k == dutyHouseholdRead || k == dutySwapDecide {
			return relHousehold, true
		}
		return relUnit, true
	}
	return 0, false
}

// dutyUnits is the duty fixture of one world.
type dutyUnits struct {
	units [relOther + 1]int64
	spare [relOther + 1]int64 // the spare household of each relation's unit
	cur   model.Month
}

var (
	dutyMu    sync.Mutex
	dutyWorld = map[*fixture]*dutyUnits{}
)

// duty makes the units on first use.
func (w *world) duty() *dutyUnits {
	w.tb.Helper()
	dutyMu.Lock()
	defer dutyMu.Unlock()
	if d, ok := dutyWorld[w.fixture]; ok {
		return d
	}
	ctx, sys := context.Background(), authz.System()
	d := &dutyUnits{cur: model.ThisMonth(time.Now())}
	unitOf := func(households ...int64) int64 {
		for _, h := range households {
			if u, err := w.st.UnitOfHousehold(ctx, sys, h); err != nil {
				w.tb.Fatal(err)
			} else if u != 0 {
				// Another area's fixture formed it: the rest join it.
				for _, o := range households {
					if o != h {
						if x, _ := w.st.UnitOfHousehold(ctx, sys, o); x == 0 {
							if err := w.st.AddHouseholdToUnit(ctx, sys, o, u); err != nil {
								w.tb.Fatalf("add household %d to unit %d: %v", o, u, err)
							}
						}
					}
				}
				return u
			}
		}
		us, err := w.st.FormUnits(ctx, sys, []model.UnitDraft{{Name: fmt.Sprintf("矩阵联建单元%d", w.nextSeq()), Basis: model.UnitOverride,
			OverrideReason: "矩阵", Households: households}})
		if err != nil {
			w.tb.Fatalf("form unit of %v: %v", households, err)
		}
		return us[0].ID
	}
	own := w.targets[relOwn]
	spare := w.household(own.node).ID
	u0 := unitOf(own.household.ID, w.targets[relUnit].household.ID, spare)
	for _, rel := range []relation{relOwn, relHousehold, relUnit} {
		d.units[rel], d.spare[rel] = u0, spare
	}
	for _, rel := range []relation{relGrid, relCommunity, relStreet, relOther} {
		t := w.targets[rel]
		sp := w.household(t.node).ID
		d.units[rel], d.spare[rel] = unitOf(t.household.ID, sp), sp
	}
	// The unit leader leads the caller's unit.
	storetest.Exec(w.tb, w.st, `UPDATE users SET unit_id = ? WHERE id = ? AND unit_id IS NULL`, u0, w.users[model.RoleUnitLeader].ID)
	for _, rel := range []relation{relOwn, relGrid, relCommunity, relStreet, relOther} {
		if _, err := w.st.GenerateRotation(ctx, sys, d.units[rel]); err != nil {
			w.tb.Fatalf("rotation of %s: %v", rel, err)
		}
	}
	// The current month is the own household's (the resident and member tick it); each other
	// unit's is its standing household's.
	for _, rel := range []relation{relOwn, relGrid, relCommunity, relStreet, relOther} {
		storetest.Exec(w.tb, w.st, `UPDATE unit_duty SET household_id = ? WHERE unit_id = ? AND month = ?`, w.targets[rel].household.ID, d.units[rel], d.cur.String())
	}
	dutyWorld[w.fixture] = d
	return d
}

// dutyObject is the standing object of a duty kind at rel.
func (w *world) dutyObject(kind objKind, rel relation) int64 {
	d := w.duty()
	switch kind {
	case dutyUnitObj:
		return d.units[rel]
	case dutyHouseholdObj:
		return w.targets[rel].household.ID
	case dutyCommunityObj:
		return w.communityOf(rel).ID
	}
	return 0
}

// freshDuty makes a fresh duty object of kind at rel for role's case.
func (w *world) freshDuty(kind objKind, rel relation, role model.Role) int64 {
	d := w.duty()
	now := time.Now().UTC()
	switch kind {
	case dutyExemptionObj:
		h := w.household(w.targets[rel].node).ID
		return storetest.Exec(w.tb, w.st, `INSERT INTO duty_exemptions (unit_id, household_id, community_id, reason, from_month, created_at)
			VALUES (?, ?, ?, 'away', ?, ?) RETURNING id`, d.units[rel], h, w.communityOf(rel).ID, d.cur.String(), now)
	case dutySwapObj:
		// Asked of the relation's household by another of its unit, for two months it holds as
		// the request says (set here, so that a consent can take effect).
		to := w.targets[rel].household.ID
		from := d.spare[rel]
		if rel == relOwn || rel == relHousehold {
			from = w.targets[relUnit].household.ID
		}
		if rel == relUnit {
			from = w.targets[relOwn].household.ID
		}
		dutyMu.Lock()
		defer dutyMu.Unlock()
		fm, tm := (d.cur + 3).String(), (d.cur + 4).String()
		storetest.Exec(w.tb, w.st, `UPDATE unit_duty SET household_id = ? WHERE unit_id = ? AND month = ?`, from, d.units[rel], fm)
		storetest.Exec(w.tb, w.st, `UPDATE unit_duty SET household_id = ? WHERE unit_id = ? AND month = ?`, to, d.units[rel], tm)
		return storetest.Exec(w.tb, w.st, `INSERT INTO duty_swaps (unit_id, community_id, from_household, from_month, to_household, to_month, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING id`, d.units[rel], w.communityOf(rel).ID, from, fm, to, tm, now)
	case dutyFeedTokenObj:
		// A household's feed: making a link to the unit's feed (another case) revokes the
		// caller's earlier unit links, not this one.
		return storetest.Exec(w.tb, w.st, `INSERT INTO duty_feed_tokens (user_id, unit_id, household_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			w.users[role].ID, d.units[rel], d.spare[rel], fmt.Sprintf("matrix-%d", w.nextSeq()), now)
	case notificationObj:
		return storetest.Exec(w.tb, w.st, `INSERT INTO notifications (user_id, kind, title, created_at) VALUES (?, 'matrix', '矩阵消息', ?) RETURNING id`,
			w.users[role].ID, now)
	}
	w.tb.Fatalf("no fresh duty object of kind %d", kind)
	return 0
}

func dutyMonthBody(format string, shift ...int) func(*world, relation, int64) (string, []byte) {
	return func(w *world, _ relation, _ int64) (string, []byte) {
		cur := w.duty().cur
		args := make([]any, len(shift))
		for i, s := range shift {
			args[i] = (cur + model.Month(s)).String()
		}
		return "application/json", fmt.Appendf(nil, format, args...)
	}
}

var dutyPatternKinds = map[string]objKind{
	"/api/v1/units/{id}/duty":                 dutyUnitObj,
	"/api/v1/units/{id}/duty/generate":        dutyUnitObj,
	"/api/v1/units/{id}/duty/exemptions":      dutyUnitObj,
	"/api/v1/units/{id}/duty/swaps":           dutyUnitObj,
	"/api/v1/units/{id}/duty/checklist":       dutyUnitObj,
	"/api/v1/units/{id}/duty/checklist/ticks": dutyUnitObj,
	"/api/v1/units/{id}/duty.ics":             dutyUnitObj,
	"/api/v1/units/{id}/duty/feed-tokens":     dutyUnitObj,
	"/api/v1/households/{id}/duty.ics":        dutyHouseholdObj,
	"/api/v1/territories/{id}/duty-checklist": dutyCommunityObj,
	"/api/v1/duty/exemptions/{id}":            dutyExemptionObj,
	"/api/v1/duty/swaps/{id}/consent":         dutySwapObj,
	"/api/v1/duty/swaps/{id}/decline":         dutySwapObj,
	"/api/v1/duty/feed-tokens/{id}":           dutyFeedTokenObj,
	"/api/v1/notifications/{id}/read":         notificationObj,
	"/feeds/duty/{file}":                      noObject,
	"/messages/{id}/read":                     notificationObj,
	"/units/{id}/duty":                        dutyUnitObj,
	"/units/{id}/duty/generate":               dutyUnitObj,
	"/units/{id}/duty/exemptions":             dutyUnitObj,
	"/units/duty/exemptions/{id}/lift":        dutyExemptionObj,
	"/units/{id}/duty/ticks":                  dutyUnitObj,
	"/units/{id}/duty/swaps":                  dutyUnitObj,
	"/units/duty/swaps/{id}/consent":          dutySwapObj,
	"/units/duty/swaps/{id}/decline":          dutySwapObj,
	"/units/{id}/duty/feeds":                  dutyUnitObj,
	"/units/duty/feeds/{id}/revoke":           dutyFeedTokenObj,
}

var dutyObjKinds = map[string]objKind{
	"/feeds/duty/{file}": noObject,
}

var dutySpecs = map[string]spec{
	"GET /api/v1/units/{id}/duty":           {kind: dutyRead, scoped: true},
	"POST /api/v1/units/{id}/duty/generate": {kind: dutyWrite, scoped: true},
	// The spare household: the first allowed case exempts it, the next find it exempt (409).
	"POST /api/v1/units/{id}/duty/exemptions": {kind: dutyWrite, scoped: true, lenient: true, body: func(w *world, rel relation, _ int64) (string, []byte) {
		return "application/json", fmt.Appendf(nil, `{"household_id":"%d","reason":"away","until":"%s"}`, w.duty().spare[rel], (w.duty().cur + 2).String())
	}},
	"DELETE /api/v1/duty/exemptions/{id}": {kind: dutyWrite, scoped: true, fresh: true},
	"GET /api/v1/units/{id}/duty/swaps":   {kind: dutyRead, scoped: true},
	// A household asks for a swap; the months may have moved with other cases' consents (422).
	"POST /api/v1/units/{id}/duty/swaps":           {kind: dutySelf, scoped: true, lenient: true, body: dutyMonthBody(`{"from_month":%q,"to_month":%q}`, 4, 3)},
	"POST /api/v1/duty/swaps/{id}/consent":         {kind: dutySwapDecide, scoped: true, fresh: true, lenient: true},
	"POST /api/v1/duty/swaps/{id}/decline":         {kind: dutySwapDecide, scoped: true, fresh: true},
	"GET /api/v1/units/{id}/duty/checklist":        {kind: dutyRead, scoped: true},
	"POST /api/v1/units/{id}/duty/checklist/ticks": {kind: dutyTick, scoped: true, body: dutyMonthBody(`{"month":%q,"item":"楼道卫生"}`, 0)},
	"GET /api/v1/territories/{id}/duty-checklist":  {kind: dutyChecklist, scoped: true},
	"PUT /api/v1/territories/{id}/duty-checklist":  {kind: dutyChecklist, scoped: true, body: jsonBody(`{"items":["楼道卫生","安全巡查","走访困难户"]}`)},
	"GET /api/v1/units/{id}/duty.ics":              {kind: dutyRead, scoped: true},
	"GET /api/v1/households/{id}/duty.ics":         {kind: dutyHouseholdRead, scoped: true},
	"POST /api/v1/units/{id}/duty/feed-tokens":     {kind: dutyRead, scoped: true, body: jsonBody(`{}`)},
	// The caller's own link, wherever its unit lies.
	"DELETE /api/v1/duty/feed-tokens/{id}": {kind: dutyRead, fresh: true},
	// An unknown (or revoked) link reads nothing, whoever asks.
	"GET /feeds/duty/{file}":               {kind: public, fixed: notFound},
	"GET /api/v1/notifications":            {kind: loggedIn},
	"POST /api/v1/notifications/{id}/read": {kind: ownMessages, fresh: true},

	// Pages
	"POST /messages/{id}/read":       {kind: ownMessages, fresh: true},
	"GET /units/duty/mine":           {kind: dutySelf},
	"GET /units/{id}/duty":           {kind: dutyRead, scoped: true},
	"POST /units/{id}/duty/generate": {kind: dutyWrite, scoped: true},
	"POST /units/{id}/duty/exemptions": {kind: dutyWrite, scoped: true, lenient: true, body: formBody(func(w *world, rel relation, _ int64) url.Values {
		return url.Values{"household_id": {strconv.FormatInt(w.duty().spare[rel], 10)}, "reason": {"away"}}
	})},
	"POST /units/duty/exemptions/{id}/lift": {kind: dutyWrite, scoped: true, fresh: true},
	"POST /units/{id}/duty/ticks": {kind: dutyTick, scoped: true, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		return url.Values{"month": {w.duty().cur.String()}, "item": {"楼道卫生"}, "done": {"1"}}
	})},
	"POST /units/{id}/duty/swaps": {kind: dutySelf, scoped: true, lenient: true, body: formBody(func(w *world, _ relation, _ int64) url.Values {
		cur := w.duty().cur
		return url.Values{"from_month": {(cur + 4).String()}, "to_month": {(cur + 3).String()}, "from": {"mine"}}
	})},
	"POST /units/duty/swaps/{id}/consent": {kind: dutySwapDecide, scoped: true, fresh: true, lenient: true},
	"POST /units/duty/swaps/{id}/decline": {kind: dutySwapDecide, scoped: true, fresh: true},
	"POST /units/{id}/duty/feeds":         {kind: dutyRead, scoped: true},
	"POST /units/duty/feeds/{id}/revoke":  {kind: dutyRead, fresh: true},
}

func init() {
	extraMay = append(extraMay, dutyMay)
	maps.Copy(extraKindNames, map[routeKind]string{dutyRead: "duty read", dutyHouseholdRead: "duty household read", dutyWrite: "duty write",
		dutySelf: "duty self", dutySwapDecide: "duty swap decide", dutyTick: "duty tick", dutyChecklist: "duty checklist", ownMessages: "own messages"})
	maps.Copy(specs, dutySpecs)
	maps.Copy(patternKinds, dutyPatternKinds)
	maps.Copy(objKinds, dutyObjKinds)
}
