package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gongzhi/internal/store"
)

// MustOrg inserts an active party org of kind named name, anchored to territory (its path and
// community) or, for a functional group (territory 0), taking its parent's, and returns its id.
// Tests build orgs with it until the org store lands; the SQL is plain literals so that it runs
// unchanged on both engines.
func MustOrg(tb testing.TB, st *store.Store, kind, name string, territory, parent int64) int64 {
	tb.Helper()
	if strings.ContainsAny(name, `'\`) {
		tb.Fatalf("MustOrg: name %q", name)
	}
	parentSQL, affinity, level := "NULL", "", ""
	if parent != 0 {
		parentSQL = fmt.Sprint(parent)
	}
	from := fmt.Sprintf(`FROM territories WHERE id = %d`, territory)
	territorySQL := fmt.Sprint(territory)
	if kind == "functional_group" {
		affinity, level, territorySQL = "interest", "group", "NULL"
		from = fmt.Sprintf(`FROM party_orgs WHERE id = %d`, parent)
	}
	var id int64
	err := st.DB().QueryRowContext(context.Background(), fmt.Sprintf(`INSERT INTO party_orgs (parent_id, kind, level, affinity, name, territory_id, path, community_id, created_at, updated_at)
		SELECT %s, '%s', '%s', '%s', '%s', %s, path, community_id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP %s RETURNING id`,
		parentSQL, kind, level, affinity, name, territorySQL, from)).Scan(&id)
	if err != nil {
		tb.Fatalf("MustOrg %s: %v", name, err)
	}
	return id
}

// MustPost gives the account user the post (secretary, deputy_secretary, …) of org, current.
func MustPost(tb testing.TB, st *store.Store, org int64, post string, user int64) {
	tb.Helper()
	_, err := st.DB().ExecContext(context.Background(), fmt.Sprintf(`INSERT INTO party_posts (org_id, post, holder_name, user_id, starts_on, created_at)
		VALUES (%d, '%s', '书记', %d, CURRENT_DATE, CURRENT_TIMESTAMP)`, org, post, user))
	if err != nil {
		tb.Fatalf("MustPost: %v", err)
	}
}

// OrgMembers is the org's maintained count of registered members.
func OrgMembers(tb testing.TB, st *store.Store, org int64) int64 {
	tb.Helper()
	var n int64
	if err := st.DB().QueryRowContext(context.Background(), fmt.Sprintf(`SELECT members FROM party_orgs WHERE id = %d`, org)).Scan(&n); err != nil {
		tb.Fatalf("OrgMembers: %v", err)
	}
	return n
}
