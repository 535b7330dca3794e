package storetest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Exec runs q (with ? placeholders) on st's write pool and, when q ends in RETURNING id,
// returns the id. For fixtures the store has no method for yet.
func Exec(tb testing.TB, st *store.Store, q string, args ...any) int64 {
	tb.Helper()
	if st.Engine() == "postgres" {
		var b strings.Builder
		n := 0
		for _, c := range q {
			if c == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(c)
		}
		q = b.String()
	}
	ctx := context.Background()
	if strings.HasSuffix(strings.TrimSpace(q), "RETURNING id") {
		var id int64
		if err := st.DB().QueryRowContext(ctx, q, args...).Scan(&id); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		return id
	}
	if _, err := st.DB().ExecContext(ctx, q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return 0
}

// RawUser inserts an account without a usable password (for tests that act through a Scope,
// where hashing hundreds of passwords would only cost time).
func RawUser(tb testing.TB, st *store.Store, username string, role model.Role, scope *model.Territory) *model.User {
	tb.Helper()
	id := Exec(tb, st, `INSERT INTO users (username, display_name, role, scope_id, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', ?) RETURNING id`,
		username, username, string(role), scope.ID, time.Now().UTC())
	return &model.User{ID: id, Username: username, Role: role, ScopeID: scope.ID, ScopePath: scope.Path}
}

// PartyOrg inserts an active party org anchored at node (path and community follow it) under
// parent (0: none). Until the org part's store methods exist, tests build orgs with it.
func PartyOrg(tb testing.TB, st *store.Store, kind, level, name string, node *model.Territory, parent int64) int64 {
	tb.Helper()
	var par any
	if parent != 0 {
		par = parent
	}
	affinity := ""
	if kind == "functional_group" {
		affinity = "interest"
	}
	return Exec(tb, st, `INSERT INTO party_orgs (parent_id, kind, level, affinity, name, territory_id, path, community_id, status, created_at, updated_at)
		SELECT ?, ?, ?, ?, ?, id, path, community_id, 'active', ?, ? FROM territories WHERE id = ? RETURNING id`,
		par, kind, level, affinity, name, time.Now().UTC(), time.Now().UTC(), node.ID)
}

// PartyMember inserts a full, registered member of org (path and community follow the org),
// linked to account user (0: none).
func PartyMember(tb testing.TB, st *store.Store, name string, org int64, user int64) int64 {
	tb.Helper()
	var u any
	if user != 0 {
		u = user
	}
	return Exec(tb, st, `INSERT INTO party_members (list, name, org_id, path, community_id, status, category, user_id, created_at, updated_at)
		SELECT 'registered', ?, id, path, community_id, 'full', 'retired', ?, ?, ? FROM party_orgs WHERE id = ? RETURNING id`,
		name, u, time.Now().UTC(), time.Now().UTC(), org)
}

// PartyPost gives member a current post on org.
func PartyPost(tb testing.TB, st *store.Store, org, member int64, post string) {
	tb.Helper()
	Exec(tb, st, `INSERT INTO party_posts (org_id, post, member_id, starts_on, created_at) VALUES (?, ?, ?, ?, ?)`,
		org, post, member, time.Now().UTC().Format("2006-01-02"), time.Now().UTC())
}
