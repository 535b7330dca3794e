package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrationFS embed.FS

// ErrStaleSchema is returned by CheckSchema when migrations are pending.
var ErrStaleSchema = errors.New("the database schema is out of date: run `gongzhi migrate` first")

func (s *Store) migrator() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFS, "migrations/"+s.d.name)
	if err != nil {
		return nil, err
	}
	gd := goose.DialectSQLite3
	if s.d.name == "postgres" {
		gd = goose.DialectPostgres
	}
	// Out of order: features are built on parallel branches, each with its own migration number,
	// and land in any order; a database that already ran a higher number (a developer's demo, a
	// test server) gets the lower one it lacks instead of refusing to start. Migrations of
	// different features touch different tables, so their order among themselves does not matter.
	return goose.NewProvider(gd, s.write, sub, goose.WithAllowOutofOrder(true))
}

// Migrate applies every pending migration, each in its own transaction, and returns how many ran.
// After the SQL migrations it runs the Go data steps of 0003_pii and 0009_totp_sealed: plaintext
// ID numbers and phones, and second-factor secrets, of an older database are sealed with the
// store's keyring (see WithKeys; pii.ErrNoKeys when there are some and no keyring) and the old
// pages are vacuumed away; and that of 0013_audit_key: audit rows from before the keyed chain
// are covered by one keyed record (anchorAudit; pii.ErrNoAuditKey without an audit key).
func (s *Store) Migrate(ctx context.Context) (int, error) {
	p, err := s.migrator()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate: %w", err)
	}
	for _, r := range res {
		if r.Source != nil && r.Source.Version == 27 && r.Error == nil {
			// party_member_counts is new: count the members already on the rosters.
			if err := s.rebuildMemberCounts(ctx); err != nil {
				return len(res), fmt.Errorf("migrate: count the members: %w", err)
			}
		}
		if r.Source != nil && r.Source.Version == 31 && r.Error == nil {
			// party_org_life is new (0030, reshaped by 0031) and the member counts now carry
			// study completions.
			if err := s.rebuildOrgLife(ctx); err != nil {
				return len(res), fmt.Errorf("migrate: sum the meetings: %w", err)
			}
			if err := s.rebuildMemberCounts(ctx); err != nil {
				return len(res), fmt.Errorf("migrate: count the members: %w", err)
			}
		}
		if r.Source != nil && r.Source.Version == 48 && r.Error == nil {
			// order_stats is new: count the orders placed before.
			if err := s.RebuildOrderStats(ctx); err != nil {
				return len(res), fmt.Errorf("migrate: count the orders: %w", err)
			}
		}
		if r.Source != nil && r.Source.Version == 37 && r.Error == nil {
			// unit_counts is new: count the units already formed.
			if err := s.RebuildUnitCounts(ctx); err != nil {
				return len(res), fmt.Errorf("migrate: count the units: %w", err)
			}
		}
	}
	if err := s.migrateQueue(ctx); err != nil {
		return len(res), err
	}
	if _, err := s.sealPending(ctx); err != nil {
		return len(res), err
	}
	if _, err := s.sealPendingTOTP(ctx); err != nil {
		return len(res), err
	}
	if _, err := s.anchorAudit(ctx); err != nil {
		return len(res), fmt.Errorf("key the audit chain: %w", err)
	}
	return len(res), nil
}

// CheckSchema returns ErrStaleSchema when the database lacks a migration this binary has.
func (s *Store) CheckSchema(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if pending {
		return ErrStaleSchema
	}
	if ok, err := s.queueCurrent(ctx); err != nil || !ok {
		return cmp.Or(err, ErrStaleSchema) // River's tables (job.go) lag behind this binary
	}
	var plain int
	if err := s.writer().queryRow(ctx, `SELECT COUNT(*) FROM pii_pending`, nil, &plain); err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if plain > 0 {
		return ErrStaleSchema // personal data still waits to be encrypted by Migrate
	}
	if err := s.writer().queryRow(ctx, `SELECT COUNT(*) FROM totp_pending`, nil, &plain); err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if plain > 0 {
		return ErrStaleSchema // second-factor secrets still wait to be encrypted by Migrate
	}
	if unkeyed, err := s.auditUnanchored(ctx); err != nil || unkeyed {
		return cmp.Or(err, ErrStaleSchema) // the audit chain waits to be keyed by Migrate
	}
	return nil
}

// SchemaDigest names this binary's migrations: a hash of every migration file of every engine.
// Two binaries with the same digest build the same schema with Migrate (River's own tables
// aside, which Migrate brings up to date on any database), so a migrated database can stand
// for another (storetest keeps one migrated PostgreSQL database per digest and copies it).
func SchemaDigest() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrationFS, "migrations", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrationFS.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
