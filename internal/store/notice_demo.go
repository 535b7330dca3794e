package store

import (
	"context"

	"gongzhi/internal/authz"
)

// DemoNoticeReads records that the first share (0–1) of notice id's audience households, in
// their path order, have read it, as their members' 知道了 would have (the demo has no
// accounts for them); households of keep are left unread. It returns how many it recorded.
func (s *Store) DemoNoticeReads(ctx context.Context, id int64, share float64, keep []int64) (int, error) {
	var n int
	err := s.Tx(ctx, func(tx *Tx) error {
		var path string
		var audience int
		if err := tx.queryRow(ctx, `SELECT path, audience FROM notices WHERE id = ?`, []any{id}, &path, &audience); err != nil {
			return err
		}
		want := int(share * float64(audience))
		lo, hi := authz.PathRange(path)
		skip := map[int64]bool{}
		for _, h := range keep {
			skip[h] = true
		}
		households, err := queryAll(ctx, tx.conn, `SELECT id FROM households WHERE path >= ? AND path < ? AND moved_out_at IS NULL ORDER BY path, id LIMIT ?`,
			[]any{lo, hi, want + len(keep)}, func(r rowScanner) (int64, error) {
				var h int64
				return h, r.Scan(&h)
			})
		if err != nil {
			return err
		}
		at := tx.s.now()
		for _, h := range households {
			if n == want || skip[h] {
				continue
			}
			res, err := tx.exec(ctx, `INSERT INTO notice_reads (notice_id, household_id, read_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, h, at)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		_, err = tx.exec(ctx, `UPDATE notices SET reads = (SELECT COUNT(*) FROM notice_reads WHERE notice_id = ?) WHERE id = ?`, id, id)
		return err
	})
	return n, err
}
