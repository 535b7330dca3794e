package api_test

import (
	"net/http"
	"sync"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// conflictOut is an ID conflict as the API renders it.
type conflictOut struct {
	ID                  string  `json:"id"`
	Status              string  `json:"status"`
	StatusLabel         string  `json:"status_label"`
	Source              string  `json:"source"`
	SourceLabel         string  `json:"source_label"`
	RequestedBy         *string `json:"requested_by"`
	RequesterName       string  `json:"requester_name"`
	RequesterRole       string  `json:"requester_role"`
	TargetTerritoryID   string  `json:"target_territory_id"`
	TargetTerritoryName string  `json:"target_territory_name"`
	TargetHouseholdID   *string `json:"target_household_id"`
	ResidentID          *string `json:"resident_id"`
	ResidentName        string  `json:"resident_name"`
	HolderTerritoryID   *string `json:"holder_territory_id"`
	HolderTerritoryName string  `json:"holder_territory_name"`
	Attempt             struct {
		Name           string `json:"name"`
		IDNumberMasked string `json:"id_number_masked"`
		PhoneMasked    string `json:"phone_masked"`
		Relation       string `json:"relation"`
		Row            int    `json:"row"`
	} `json:"attempt"`
	Note      string  `json:"note"`
	HandledBy *string `json:"handled_by"`
	HandledAt *string `json:"handled_at"`
	CreatedAt string  `json:"created_at"`
}

// TestConflictsAPI: a grid leader registering a number held in the other grid gets the neutral
// message (alone and inside a household with residents); the community sees the records, the
// requester and the other grid's staff do not; transfer and reject are audited and decided once.
func TestConflictsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		held := validID("510781", "19550505", 17)
		admin := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		home := f.mustHousehold(t, admin, tr.stairA, "1栋1单元101", person{Name: "张秀英", IDNumber: held, Relation: "户主"})
		leaderB := f.mustToken(t, model.RoleGridLeader, tr.gridB)
		target := f.mustHousehold(t, leaderB, tr.stairB, "2栋1单元201")

		// A new resident with the held number: 422, the neutral message, nothing written.
		before := f.mustCounts(t)
		r := f.mustDo(t, leaderB, "POST", "/api/v1/residents", person{HouseholdID: target.ID, Name: "张秀英", IDNumber: held, Relation: "户主"})
		if p := mustProblem(t, r, http.StatusUnprocessableEntity); message(p, "id_number") != model.DuplicateIDMessage {
			t.Errorf("create: %+v, want %q on id_number", p, model.DuplicateIDMessage)
		}
		r = f.mustDo(t, leaderB, "POST", "/api/v1/households", newHousehold{TerritoryID: id(tr.stairB.ID), Address: "2栋1单元202",
			Residents: []person{{Name: "张秀英", IDNumber: held, Relation: "户主"}}})
		if p := mustProblem(t, r, http.StatusUnprocessableEntity); message(p, "residents[0].id_number") != model.DuplicateIDMessage {
			t.Errorf("household with residents: %+v", p)
		}
		if after := f.mustCounts(t); after != before {
			t.Errorf("refused writes changed the data: %+v → %+v", before, after)
		}
		// In the caller's scope the precise message stays.
		r = f.mustDo(t, admin, "POST", "/api/v1/residents", person{HouseholdID: target.ID, Name: "张秀英", IDNumber: held, Relation: "户主"})
		if p := mustProblem(t, r, http.StatusUnprocessableEntity); message(p, "id_number") != model.DuplicateIDInScopeMessage {
			t.Errorf("create in scope: %+v", p)
		}

		// Who sees the records: the community (both sides), not the requester, not the other grid.
		list := mustJSON[struct {
			Items []conflictOut `json:"items"`
			Total int           `json:"total"`
		}](t, f.mustDo(t, admin, "GET", "/api/v1/conflicts?status=open", nil), http.StatusOK)
		if list.Total != 2 || len(list.Items) != 2 {
			t.Fatalf("community sees %d conflicts, want 2", list.Total)
		}
		withHousehold, without := list.Items[1], list.Items[0]
		if withHousehold.TargetHouseholdID == nil || *withHousehold.TargetHouseholdID != target.ID || withHousehold.ResidentID == nil ||
			withHousehold.ResidentName != "张秀英" || withHousehold.Attempt.IDNumberMasked != model.MaskIDNumber(held) || without.TargetHouseholdID != nil {
			t.Errorf("conflicts = %+v", list.Items)
		}
		staffA := f.mustToken(t, model.RoleCommunityStaff, tr.gridA)
		for _, tok := range []string{staffA} {
			l := mustJSON[struct {
				Items []conflictOut `json:"items"`
				Total int           `json:"total"`
			}](t, f.mustDo(t, tok, "GET", "/api/v1/conflicts", nil), http.StatusOK)
			if len(l.Items) != 0 {
				t.Errorf("grid A staff sees %d conflicts", len(l.Items))
			}
			mustProblem(t, f.mustDo(t, tok, "GET", "/api/v1/conflicts/"+withHousehold.ID, nil), http.StatusNotFound)
			mustProblem(t, f.mustDo(t, tok, "POST", "/api/v1/conflicts/"+withHousehold.ID+"/transfer", nil), http.StatusNotFound)
		}
		mustProblem(t, f.mustDo(t, leaderB, "GET", "/api/v1/conflicts", nil), http.StatusForbidden)

		// Transfer once; the second answer is 409.
		got := mustJSON[conflictOut](t, f.mustDo(t, admin, "POST", "/api/v1/conflicts/"+withHousehold.ID+"/transfer", map[string]string{"note": "已搬家"}), http.StatusOK)
		if got.Status != "transferred" {
			t.Errorf("transfer = %+v", got)
		}
		mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/conflicts/"+withHousehold.ID+"/transfer", nil), http.StatusConflict)
		moved := mustJSON[householdOut](t, f.mustDo(t, admin, "GET", "/api/v1/households/"+target.ID, nil), http.StatusOK)
		old := mustJSON[householdOut](t, f.mustDo(t, admin, "GET", "/api/v1/households/"+home.ID, nil), http.StatusOK)
		if moved.Members != 1 || moved.HeadName != "张秀英" || old.Members != 0 {
			t.Errorf("after transfer: target %d members (head %q), old %d", moved.Members, moved.HeadName, old.Members)
		}
		// The record without a household: reject it.
		got = mustJSON[conflictOut](t, f.mustDo(t, admin, "POST", "/api/v1/conflicts/"+without.ID+"/reject", map[string]string{"note": "重复"}), http.StatusOK)
		if got.Status != "rejected" {
			t.Errorf("reject = %+v", got)
		}
		mustProblem(t, f.mustDo(t, admin, "POST", "/api/v1/conflicts/"+without.ID+"/reject", nil), http.StatusConflict)
		mustProblem(t, f.mustDo(t, admin, "GET", "/api/v1/conflicts?status=bogus", nil), http.StatusBadRequest)
	})
}

// TestConflictTransferRaceAPI: 50 concurrent transfers of one record through the API: exactly
// one 200, the rest 409.
func TestConflictTransferRaceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		held := validID("510781", "19570707", 27)
		admin := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		f.mustHousehold(t, admin, tr.stairA, "1栋1单元301", person{Name: "赵德明", IDNumber: held, Relation: "户主"})
		leaderB := f.mustToken(t, model.RoleGridLeader, tr.gridB)
		target := f.mustHousehold(t, leaderB, tr.stairB, "2栋1单元301")
		r := f.mustDo(t, leaderB, "POST", "/api/v1/residents", person{HouseholdID: target.ID, Name: "赵德明", IDNumber: held, Relation: "户主"})
		mustProblem(t, r, http.StatusUnprocessableEntity)
		list := mustJSON[struct {
			Items []conflictOut `json:"items"`
			Total int           `json:"total"`
		}](t, f.mustDo(t, admin, "GET", "/api/v1/conflicts", nil), http.StatusOK)
		if len(list.Items) != 1 {
			t.Fatalf("conflicts = %d, want 1", len(list.Items))
		}
		const n = 50
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = f.mustDo(t, admin, "POST", "/api/v1/conflicts/"+list.Items[0].ID+"/transfer", nil).status
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, c := range codes {
			count[c]++
		}
		if count[http.StatusOK] != 1 || count[http.StatusConflict] != n-1 {
			t.Errorf("answers = %v, want one 200 and %d 409", count, n-1)
		}
		h := mustJSON[householdOut](t, f.mustDo(t, admin, "GET", "/api/v1/households/"+target.ID, nil), http.StatusOK)
		if h.Members != 1 {
			t.Errorf("target household has %d members, want 1", h.Members)
		}
	})
}
