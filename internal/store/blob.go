package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/model"
)

// Blobs: the bytes of uploaded photos (and of whatever the project stores as files from now on),
// kept apart from the rows that name them. The rows hold a blob id; the bytes live behind the
// Blobs interface.
//
// The default implementation is the blobs table of this database (migration 0037): every app
// instance reads what another wrote, backups hold the photos, and a blob written in a Tx
// commits or rolls back with the record that names it, so a refused upload leaves nothing.
//
// The seam for S3-compatible storage (MinIO, OSS, COS …): implement Blobs over the bucket and
// open the store with WithBlobs. The store then calls Put before the transaction that writes the
// naming row (a failed transaction leaves an unreferenced object, which a sweep of ids no row
// names may remove; never the other way round, so a row never names a missing object), Get on
// every read, Delete when a row is removed. Ids are opaque strings the store makes
// ("ua-<sha256 of the content>"): use them as object keys. docs/blobs.md says more.
type Blobs interface {
	// Put stores data under id with its content type. Putting an id again with the same
	// content is not an error.
	Put(ctx context.Context, id, contentType string, data []byte) error
	// Get returns the blob; model.ErrNotFound when there is none.
	Get(ctx context.Context, id string) (*Blob, error)
	// Delete removes the blob; deleting a missing id is not an error.
	Delete(ctx context.Context, id string) error
}

// Blob is stored bytes with their content type.
type Blob struct {
	ID          string
	ContentType string
	Size        int64
	Data        []byte
	CreatedAt   time.Time
}

// WithBlobs stores blobs in b instead of the database's blobs table.
func WithBlobs(b Blobs) Option { return func(s *Store) { s.blobs = b } }

// Blobs returns the store's blob storage: the one given by WithBlobs, or the database.
func (s *Store) Blobs() Blobs {
	if s.blobs != nil {
		return s.blobs
	}
	return dbBlobs{s}
}

// blobID is the id of content: its kind and its SHA-256, so the same photo stored twice is one blob.
func blobID(kind string, data []byte) string {
	sum := sha256.Sum256(data)
	return kind + "-" + hex.EncodeToString(sum[:])
}

// dbBlobs is the default Blobs: the blobs table.
type dbBlobs struct{ s *Store }

func (b dbBlobs) Put(ctx context.Context, id, contentType string, data []byte) error {
	return b.s.Tx(ctx, func(tx *Tx) error { return tx.putBlob(ctx, id, contentType, data) })
}

func (b dbBlobs) Get(ctx context.Context, id string) (*Blob, error) {
	return b.s.reader().blob(ctx, id)
}

func (b dbBlobs) Delete(ctx context.Context, id string) error {
	_, err := b.s.writer().exec(ctx, `DELETE FROM blobs WHERE id = ?`, id)
	return err
}

// putBlob writes a blob in tx (the database's blob storage; nothing when the id is there).
func (tx *Tx) putBlob(ctx context.Context, id, contentType string, data []byte) error {
	sum := sha256.Sum256(data)
	_, err := tx.exec(ctx, `INSERT INTO blobs (id, content_type, size, sha256, content, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, id, contentType, len(data), hex.EncodeToString(sum[:]), data, now())
	return err
}

func (c conn) blob(ctx context.Context, id string) (*Blob, error) {
	var b Blob
	err := c.queryRow(ctx, `SELECT id, content_type, size, content, created_at FROM blobs WHERE id = ?`, []any{id},
		&b.ID, &b.ContentType, &b.Size, &b.Data, &b.CreatedAt)
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// storeBlobs puts blobs in the store's blob storage: in tx when it is the database's (they commit
// with the rows naming them), else before, through the interface.
func (tx *Tx) storeBlobs(ctx context.Context, blobs []Blob) error {
	s := tx.s
	for _, b := range blobs {
		var err error
		if s.blobs == nil {
			err = tx.putBlob(ctx, b.ID, b.ContentType, b.Data)
		} else {
			err = s.blobs.Put(ctx, b.ID, b.ContentType, b.Data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkPhotos checks and re-encodes uploaded photos (model.CheckPhoto), at most
// model.PhotosPerEntry: what is wrong with them goes into v (field photos[i]); the error is one
// that is not the input's. Photos are decoded and encoded before a transaction begins: the work
// is the CPU's, and the write connection is not held meanwhile.
func checkPhotos(v *model.ValidationError, photos [][]byte) ([]*model.Photo, error) {
	if len(photos) > model.PhotosPerEntry {
		v.Add("photos", fmt.Sprintf("一条记录最多 %d 张照片，这里有 %d 张，请删去几张", model.PhotosPerEntry, len(photos)))
	}
	var checked []*model.Photo
	for i, b := range photos {
		if i >= model.PhotosPerEntry {
			break
		}
		p, err := model.CheckPhoto(fmt.Sprintf("photos[%d]", i), b)
		var pv *model.ValidationError
		switch {
		case errors.As(err, &pv):
			v.Fields = append(v.Fields, pv.Fields...)
			continue
		case err != nil:
			return nil, err
		}
		checked = append(checked, p)
	}
	return checked, nil
}
