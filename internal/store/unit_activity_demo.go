package store

import (
	"context"
	"slices"
	"time"

	"gongzhi/internal/model"
)

// LoadActivity is one activity record the demo city loads (LoadUnitActivities): written as it
// is, without the checks of RecordUnitActivity (the demo builds them valid), photos already
// through model.CheckPhoto.
type LoadActivity struct {
	UnitID, CommunityID int64
	Path                string
	Category            model.ActivityCategory
	Date                string // YYYY-MM-DD
	Description         string
	Households          []int64
	CaseHouseholdID     int64
	CaseStatus          model.CaseStatus // the case's status when CaseHouseholdID is set
	CaseNotes           []model.CaseNote // its way there (From, To, Note, At)
	Photos              []*model.Photo
	At                  time.Time
}

// LoadUnitActivities writes the demo's activity records in batches (multi-row INSERTs, the ids
// numbered here, a transaction per 1000 records), then sets every unit's last activity month
// in one statement and recounts the counters once (RebuildUnitCounts): set-based, so that the
// 66,000 units of the 1M-household city load in seconds. Not for live data (no audit).
func (s *Store) LoadUnitActivities(ctx context.Context, as []LoadActivity) error {
	for chunk := range slices.Chunk(as, 1000) {
		if err := s.Tx(ctx, func(tx *Tx) error { return tx.loadActivities(ctx, chunk) }); err != nil {
			return err
		}
	}
	err := s.Tx(ctx, func(tx *Tx) error {
		if tx.d.name == "postgres" {
			if _, err := tx.exec(ctx, `SELECT setval(pg_get_serial_sequence('unit_activities', 'id'), COALESCE((SELECT MAX(id) FROM unit_activities), 0) + 1, false)`); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, `UPDATE units SET last_activity_month = (SELECT MAX(a.month) FROM unit_activities a WHERE a.unit_id = units.id)
			WHERE id IN (SELECT unit_id FROM unit_activities)`)
		return err
	})
	if err != nil {
		return err
	}
	return s.RebuildUnitCounts(ctx)
}

func (tx *Tx) loadActivities(ctx context.Context, as []LoadActivity) error {
	if tx.d.name == "postgres" {
		if _, err := tx.exec(ctx, `LOCK TABLE unit_activities IN EXCLUSIVE MODE`); err != nil {
			return err
		}
	}
	var next int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM unit_activities`, nil, &next); err != nil {
		return err
	}
	var acts, hhs, photos, notes [][]any
	var blobs []Blob
	seen := map[string]bool{}
	for _, a := range as {
		id := next
		next++
		var caseHH, caseAt any
		status := ""
		if a.CaseHouseholdID != 0 {
			caseHH, status, caseAt = a.CaseHouseholdID, string(a.CaseStatus), a.At
		}
		acts = append(acts, []any{id, a.UnitID, a.CommunityID, a.Path, string(a.Category), a.Date, model.MonthOf(a.Date), a.Description,
			len(a.Households), len(a.Photos), caseHH, status, caseAt, nil, "联建单元组长", a.At})
		for _, h := range a.Households {
			hhs = append(hhs, []any{id, h})
		}
		for i, p := range a.Photos {
			bid := blobID("ua", p.Data)
			photos = append(photos, []any{id, i + 1, bid, p.ContentType, len(p.Data), p.Width, p.Height})
			if !seen[bid] {
				seen[bid] = true
				blobs = append(blobs, Blob{ID: bid, ContentType: p.ContentType, Data: p.Data})
			}
		}
		for _, n := range a.CaseNotes {
			notes = append(notes, []any{id, string(n.From), string(n.To), n.Note, nil, n.At})
		}
	}
	if err := tx.storeBlobs(ctx, blobs); err != nil {
		return err
	}
	for _, t := range []struct {
		table, cols string
		n           int
		rows        [][]any
	}{
		{"unit_activities", `id, unit_id, community_id, path, category, on_date, month, description, households, photos, case_household_id, case_status, case_updated_at, created_by, created_by_name, created_at`, 16, acts},
		{"unit_activity_households", `activity_id, household_id`, 2, hhs},
		{"unit_activity_photos", `activity_id, n, blob_id, content_type, size, width, height`, 7, photos},
		{"unit_activity_case_notes", `activity_id, from_status, to_status, note, actor_id, at`, 6, notes},
	} {
		per := 900 / t.n // bound parameters a statement on SQLite's and PostgreSQL's limits
		for chunk := range slices.Chunk(t.rows, per) {
			args := make([]any, 0, len(chunk)*t.n)
			for _, r := range chunk {
				args = append(args, r...)
			}
			if _, err := tx.exec(ctx, `INSERT INTO `+t.table+` (`+t.cols+`) VALUES `+valuesList(len(chunk), t.n), args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadUnit is an active unit with its current households, as the demo's activities need it.
type LoadUnit struct {
	ID, CommunityID int64
	Path            string
	Households      []int64
}

// UnitsWithoutActivities returns every active unit that has recorded no activity yet, with its
// current households, in id order: two reads, whatever the number of units (the demo builds
// the activity records from it).
func (s *Store) UnitsWithoutActivities(ctx context.Context) ([]*LoadUnit, error) {
	c := s.reader()
	us, err := queryAll(ctx, c, `SELECT id, community_id, path FROM units WHERE status = 'active' AND last_activity_month = '' ORDER BY id`, nil, func(r rowScanner) (*LoadUnit, error) {
		u := &LoadUnit{}
		return u, r.Scan(&u.ID, &u.CommunityID, &u.Path)
	})
	if err != nil || len(us) == 0 {
		return us, err
	}
	byID := make(map[int64]*LoadUnit, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	rows, err := c.query(ctx, `SELECT unit_id, id FROM households WHERE unit_id IS NOT NULL AND moved_out_at IS NULL ORDER BY unit_id, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u, h int64
		if err := rows.Scan(&u, &h); err != nil {
			return nil, err
		}
		if x := byID[u]; x != nil {
			x.Households = append(x.Households, h)
		}
	}
	return us, rows.Err()
}
