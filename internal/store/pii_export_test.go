package store

import "context"

// MigrateTo applies the SQL migrations up to version only, without the Go data step, so tests
// can build a database as an older binary left it.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}
