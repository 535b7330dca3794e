-- +goose Up
-- A keyed audit chain (issue 6, item 5): every record appended from now on is signed with
-- HMAC-SHA256 under an audit key kept outside the database (the key file's audit1, audit2, …),
-- and records the id of that key. Rows from before keep key_id '' and their plain SHA-256 hashes;
-- Store.Migrate's Go step then appends one keyed record whose prev_hash is their head, so none
-- of them can be rewritten without breaking a record only the key holder can compute. The rows
-- themselves are never rewritten: the table stays append-only.
ALTER TABLE audit_log ADD COLUMN key_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_log DROP COLUMN key_id;
