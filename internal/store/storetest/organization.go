package storetest

import (
	"context"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// MustOrganization registers a volunteer team named name at the node territory (a street,
// community or lower) and returns its id: what a partner account needs to belong to.
func MustOrganization(tb testing.TB, st *store.Store, territory int64, name string) int64 {
	tb.Helper()
	o, err := st.CreateOrganization(context.Background(), authz.System(), model.OrganizationInput{Type: model.OrgVolunteerTeam, Name: name, TerritoryID: territory})
	if err != nil {
		tb.Fatalf("MustOrganization %s: %v", name, err)
	}
	return o.ID
}
