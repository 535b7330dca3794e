package store

import (
	"context"
	"fmt"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

// The columns personal data is sealed for: the additional data of each sealed value, so a
// value copied into another column does not open.
const (
	ColumnIDNumber = "residents.id_number"
	ColumnPhone    = "residents.phone"
)

// sealedResident is a resident's ID number and phone as stored: sealed, with blind indexes
// (nil, i.e. NULL, for an absent phone).
type sealedResident struct {
	idEnc, phoneEnc string
	idIdx, phoneIdx any
}

func sealResident(kr *pii.Keyring, idNumber, phone string) (sealedResident, error) {
	var p sealedResident
	if kr == nil {
		return p, pii.ErrNoKeys
	}
	var err error
	if p.idEnc, err = kr.Seal(ColumnIDNumber, idNumber); err != nil {
		return p, err
	}
	if p.phoneEnc, err = kr.Seal(ColumnPhone, phone); err != nil {
		return p, err
	}
	if idx := kr.BlindIndex(pii.KindIDNumber, idNumber); idx != "" {
		p.idIdx = idx
	}
	if idx := kr.BlindIndex(pii.KindPhone, phone); idx != "" {
		p.phoneIdx = idx
	}
	return p, nil
}

// openResident sets r's ID number and phone from their sealed forms.
func openResident(kr *pii.Keyring, r *model.Resident, idEnc, phoneEnc string) error {
	id, err := kr.Open(ColumnIDNumber, idEnc)
	if err != nil {
		return fmt.Errorf("resident %d: %w", r.ID, err)
	}
	phone, err := kr.Open(ColumnPhone, phoneEnc)
	if err != nil {
		return fmt.Errorf("resident %d: %w", r.ID, err)
	}
	r.IDNumber, r.Phone = model.NewIDNumber(id), model.NewPhone(phone)
	return nil
}

// ActionReveal is the audit action of a read of residents' full ID numbers and phones.
const ActionReveal = "resident.reveal"

// Revealed is a resident's ID number and phone in full ("" for no phone), as RevealResidents
// hands them out: plain strings, for the one page or answer that asked to see them.
type Revealed struct {
	IDNumber string
	Phone    string
}

// RevealResidents returns the full ID numbers and phones of those of the residents ids that lie
// in sc, keyed by resident id; the others are absent, exactly like missing ones. It is the one
// way full values leave the store (model.Sensitive renders only the mask), and it first records
// who saw whose values and why (action resident.reveal, the ids, reason: short, never a personal
// value), in the transaction that reads them: if the record cannot be written, nothing is
// returned. A role not allowed authz.PersonalReveal gets model.ErrForbidden, recorded as a
// denial of personal.reveal with reason as its detail.
func (s *Store) RevealResidents(ctx context.Context, sc authz.Scope, ids []int64, reason string) (map[int64]Revealed, error) {
	if !sc.All && !authz.Allowed(sc.Role, authz.PersonalReveal) {
		if err := s.RecordDenied(ctx, sc, string(authz.PersonalReveal), reason); err != nil {
			return nil, err
		}
		return nil, model.ErrForbidden
	}
	out := make(map[int64]Revealed, len(ids))
	if len(ids) == 0 || (!sc.All && sc.Path == "") {
		return out, nil
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		if tx.keys == nil {
			return pii.ErrNoKeys
		}
		lo, hi := authz.PathRange(sc.Path)
		var found []int64
		for rest := ids; len(rest) > 0; {
			n := min(len(rest), MaxLimit)
			args := make([]any, 0, n+2)
			for _, id := range rest[:n] {
				args = append(args, id)
			}
			rest = rest[n:]
			type row struct {
				id           int64
				idEnc, phEnc string
			}
			args = append(args, lo, hi)
			unit, unitArgs := unitCond(sc, "household_id")
			if unit != "" {
				unit = " AND " + unit
				args = append(args, unitArgs...)
			}
			rows, err := queryAll(ctx, tx.conn, `SELECT id, id_number_enc, phone_enc FROM residents WHERE id IN (`+inList(n)+`) AND path >= ? AND path < ?`+unit+` ORDER BY id`,
				args, func(rs rowScanner) (row, error) {
					var r row
					return r, rs.Scan(&r.id, &r.idEnc, &r.phEnc)
				})
			if err != nil {
				return err
			}
			for _, r := range rows {
				var v Revealed
				if v.IDNumber, err = tx.keys.Open(ColumnIDNumber, r.idEnc); err != nil {
					return fmt.Errorf("resident %d: %w", r.id, err)
				}
				if v.Phone, err = tx.keys.Open(ColumnPhone, r.phEnc); err != nil {
					return fmt.Errorf("resident %d: %w", r.id, err)
				}
				out[r.id] = v
				found = append(found, r.id)
			}
		}
		if len(found) > 0 {
			tx.audit(sc, ActionReveal, "resident", found, strings.TrimSpace("fields=id_number,phone "+reason))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sealPending is the Go step of migration 0003: it seals the plaintext ID numbers and phones
// that the SQL step moved from residents to pii_pending, in batches, deletes them there, and
// then rewrites the files (SQLite VACUUM, PostgreSQL VACUUM FULL) so that no free page or dead
// tuple keeps the plaintext. It returns how many residents it sealed; without a keyring and
// with rows pending it fails with pii.ErrNoKeys.
func (s *Store) sealPending(ctx context.Context) (int, error) {
	var pending int
	if err := s.writer().queryRow(ctx, `SELECT COUNT(*) FROM pii_pending`, nil, &pending); err != nil {
		return 0, err
	}
	if pending == 0 {
		return 0, nil
	}
	if s.keys == nil {
		return 0, fmt.Errorf("migrate: %d residents wait to be encrypted: %w", pending, pii.ErrNoKeys)
	}
	done := 0
	for {
		n := 0
		err := s.Tx(ctx, func(tx *Tx) error {
			rows, err := tx.query(ctx, `SELECT resident_id, id_number, phone FROM pii_pending ORDER BY resident_id LIMIT 1000`)
			if err != nil {
				return err
			}
			type row struct {
				id              int64
				idNumber, phone string
			}
			var batch []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.idNumber, &r.phone); err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, r)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			for _, r := range batch {
				p, err := sealResident(tx.keys, r.idNumber, r.phone)
				if err != nil {
					return err
				}
				if _, err := tx.exec(ctx, `UPDATE residents SET id_number_enc = ?, id_number_idx = ?, phone_enc = ?, phone_idx = ? WHERE id = ?`,
					p.idEnc, p.idIdx, p.phoneEnc, p.phoneIdx, r.id); err != nil {
					return fmt.Errorf("seal resident %d: %w", r.id, err)
				}
				if _, err := tx.exec(ctx, `DELETE FROM pii_pending WHERE resident_id = ?`, r.id); err != nil {
					return err
				}
			}
			n = len(batch)
			return nil
		})
		if err != nil {
			return done, err
		}
		done += n
		if n == 0 {
			break
		}
	}
	vacuum := `VACUUM`
	if s.d.name == "postgres" {
		vacuum = `VACUUM FULL residents, pii_pending`
	}
	if _, err := s.writer().exec(ctx, vacuum); err != nil {
		return done, fmt.Errorf("vacuum after sealing personal data: %w", err)
	}
	if s.d.name == "sqlite" {
		// Fold the WAL, which still holds the pages written before VACUUM, into the file and empty it.
		if err := s.truncateWAL(ctx); err != nil {
			return done, err
		}
	}
	return done, nil
}

// KeyUsage counts the sealed values under each key id, for `gongzhi keys list` and to show
// that a retired key seals nothing any more.
func (s *Store) KeyUsage(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, col := range []string{"id_number_enc", "phone_enc"} {
		// The key id is everything before the first colon.
		expr := `substr(` + col + `, 1, instr(` + col + `, ':') - 1)`
		if s.d.name == "postgres" {
			expr = `split_part(` + col + `, ':', 1)`
		}
		rows, err := s.reader().query(ctx, `SELECT `+expr+`, COUNT(*) FROM residents WHERE `+col+` <> '' GROUP BY 1`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var kid string
			var n int64
			if err := rows.Scan(&kid, &n); err != nil {
				rows.Close()
				return nil, err
			}
			out[kid] += n
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	if err := s.addCorrectionKeyUsage(ctx, out); err != nil {
		return nil, err
	}
	if err := s.addConflictKeyUsage(ctx, out); err != nil {
		return nil, err
	}
	if err := s.addJobKeyUsage(ctx, out); err != nil {
		return nil, err
	}
	if err := s.addTOTPKeyUsage(ctx, out); err != nil {
		return nil, err
	}
	if err := s.addWorkerKeyUsage(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Reencrypt seals again, under the keyring's current key, every ID number and phone sealed
// under another key, in transactions of batch residents, calling progress (if not nil) after
// each with the residents done and the total. Blind indexes stay: they derive from the stable
// index key, not from the encryption key. It returns how many residents it re-sealed.
func (s *Store) Reencrypt(ctx context.Context, batch int, progress func(done, total int64)) (int64, error) {
	if s.keys == nil {
		return 0, pii.ErrNoKeys
	}
	if batch <= 0 {
		batch = 1000
	}
	cur := s.keys.Current() + ":"
	var total int64
	if err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM residents WHERE (id_number_enc <> '' AND substr(id_number_enc, 1, ?) <> ?) OR (phone_enc <> '' AND substr(phone_enc, 1, ?) <> ?)`,
		[]any{len(cur), cur, len(cur), cur}, &total); err != nil {
		return 0, err
	}
	var done, last int64
	for {
		n, before := 0, done
		err := s.Tx(ctx, func(tx *Tx) error {
			rows, err := tx.query(ctx, `SELECT id, id_number_enc, phone_enc FROM residents WHERE id > ? ORDER BY id LIMIT ?`, last, batch)
			if err != nil {
				return err
			}
			type row struct {
				id           int64
				idEnc, phEnc string
			}
			var rs []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.idEnc, &r.phEnc); err != nil {
					rows.Close()
					return err
				}
				rs = append(rs, r)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			n = len(rs)
			for _, r := range rs {
				last = r.id
				if (r.idEnc == "" || strings.HasPrefix(r.idEnc, cur)) && (r.phEnc == "" || strings.HasPrefix(r.phEnc, cur)) {
					continue
				}
				idNumber, err := s.keys.Open(ColumnIDNumber, r.idEnc)
				if err != nil {
					return fmt.Errorf("resident %d: %w", r.id, err)
				}
				phone, err := s.keys.Open(ColumnPhone, r.phEnc)
				if err != nil {
					return fmt.Errorf("resident %d: %w", r.id, err)
				}
				p, err := sealResident(s.keys, idNumber, phone)
				if err != nil {
					return err
				}
				if _, err := tx.exec(ctx, `UPDATE residents SET id_number_enc = ?, phone_enc = ? WHERE id = ?`, p.idEnc, p.phoneEnc, r.id); err != nil {
					return err
				}
				done++
			}
			if done > before {
				// Key rotation rewrites residents: one audit record per batch, with the count.
				tx.audit(authz.System(), "keys.reencrypt", "resident", nil, fmt.Sprintf("resealed=%d key=%s", done-before, s.keys.Current()))
			}
			return nil
		})
		if err != nil {
			return before, err // the failed batch was rolled back
		}
		if progress != nil && n > 0 {
			progress(done, total)
		}
		if n < batch {
			// Correction requests seal their requested value too (subject.go), ID conflicts
			// their attempt (conflict.go), and accounts their second-factor secret (account.go).
			if _, err := s.reencryptCorrections(ctx); err != nil {
				return done, err
			}
			if _, err := s.reencryptSealed(ctx, "id_conflicts", "attempt", attemptColumn); err != nil {
				return done, err
			}
			if _, err := s.reencryptTOTP(ctx); err != nil {
				return done, err
			}
			// Community workers seal their phone and ID number (worker.go).
			return done, s.reencryptWorkers(ctx)
		}
	}
}
