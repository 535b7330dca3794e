package securitytest_test

import (
	"context"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// conflict returns a recorded ID conflict whose both sides lie in relation rel's stairwell, so
// that exactly the roles whose scope reaches rel see it: the standing one, or (fresh) a new one
// naming a new resident and a new target household, which a transfer may move without
// changing the standing fixture.
func (w *world) conflict(rel relation, fresh bool) int64 {
	w.tb.Helper()
	if !fresh {
		// The standing one is made once, whichever parallel case asks first.
		w.conflictMu.Lock()
		defer w.conflictMu.Unlock()
		w.mu.Lock()
		id, ok := w.conflicts[rel]
		w.mu.Unlock()
		if ok {
			return id
		}
	}
	t := w.targets[rel]
	holder, target := t.resident, t.household
	if fresh {
		holder, target = w.resident(t.household), w.household(t.node)
	}
	ids, err := w.st.RecordIDConflicts(context.Background(), authz.System(), []store.IDConflictAttempt{{
		Source: model.ConflictFromCreate, TargetTerritoryID: t.node.ID, TargetHouseholdID: target.ID,
		Collision: store.IDCollision{ResidentID: holder.ID, HolderPath: t.node.Path},
		Attempt:   model.IDAttempt{Name: holder.Name, IDNumber: holder.IDNumber.Plain(), Relation: "其他"}}})
	if err != nil {
		w.tb.Fatalf("conflict for %s: %v", rel, err)
	}
	if !fresh {
		w.mu.Lock()
		if w.conflicts == nil {
			w.conflicts = map[relation]int64{}
		}
		w.conflicts[rel] = ids[0]
		w.mu.Unlock()
	}
	return ids[0]
}
