package store

import "testing"

// TestTokenWrite: the statements that may change what a token resolves to are told from the
// rest by the table they write, and anything not plainly a read or a write of another table
// counts as one.
func TestTokenWrite(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT id FROM users WHERE id = ?`:                            false,
		`  select * from sessions`:                                     false,
		`INSERT INTO notifications (user_id) SELECT u.id FROM users u`: false,
		`UPDATE orders SET status = ? WHERE id = ?`:                    false,
		`DELETE FROM events WHERE user_id = ?`:                         false,
		`INSERT OR IGNORE INTO order_stats (path) VALUES (?)`:          false,
		`INSERT INTO users (username) VALUES (?)`:                      true,
		`insert into users(username) values (?)`:                       true,
		`UPDATE users SET disabled = ? WHERE id = ?`:                   true,
		`UPDATE OR ROLLBACK sessions SET expires_at = ?`:               true,
		`DELETE FROM sessions WHERE token_hash = ?`:                    true,
		"DELETE FROM \"api_tokens\" WHERE id = ?":                      true,
		`UPDATE main.territories SET path = ?`:                         true,
		`REPLACE INTO users (id) VALUES (?)`:                           true,
		`WITH x AS (SELECT 1) UPDATE orders SET status = ?`:            true,
		`ALTER TABLE orders ADD COLUMN x INTEGER`:                      true,
		`UPDATE`:       true,
		`DELETE users`: true,
		`INSERT INTO territories (name, path) VALUES (?, ?) RETURNING id`:       true,
		`INSERT INTO order_events (order_id) VALUES (?) ON CONFLICT DO NOTHING`: false,
		`UPDATE order_takers SET open_orders = open_orders + 1 WHERE id = ?`:    false,
		`INSERT INTO audit_log (id, actor_name) VALUES (?, ?)`:                  false,
		`UPDATE sessions_archive SET x = 1`:                                     false,
		`UPDATE users_x SET x = 1`:                                              false,
		`SELECT pg_notify(?, ?)`:                                                false,
		``:                                                                      false,
	} {
		if got := tokenWrite(q); got != want {
			t.Errorf("tokenWrite(%q) = %v, want %v", q, got, want)
		}
	}
}

// BenchmarkTokenWrite is the check every statement of a transaction makes, on a long INSERT.
func BenchmarkTokenWrite(b *testing.B) {
	q := `INSERT INTO orders (community_id, territory_id, path, household_id, category_id, description, preferred_time, contact, status, level,
			placed_by, placed_by_name, on_behalf, idem_key, idem_fingerprint, photos, placed_at, due_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'grid', ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	for b.Loop() {
		if tokenWrite(q) {
			b.Fatal("orders is no token table")
		}
	}
}
