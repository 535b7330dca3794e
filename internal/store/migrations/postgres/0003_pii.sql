-- +goose Up
-- Personal data at rest (security issue, item 5): ID numbers and phones are kept only sealed
-- (AES-256-GCM, "kid:base64", internal/pii) with an HMAC blind index for exact lookup. SQL
-- cannot encrypt, so the plaintext of an older database moves to pii_pending here, and
-- Store.Migrate's Go step seals it, drops it from pii_pending and rewrites residents with
-- VACUUM FULL so no dead tuple keeps the dropped columns.
ALTER TABLE residents
    ADD COLUMN id_number_enc TEXT NOT NULL DEFAULT '',
    ADD COLUMN id_number_idx TEXT,
    ADD COLUMN phone_enc TEXT NOT NULL DEFAULT '',
    ADD COLUMN phone_idx TEXT;

CREATE TABLE pii_pending (
    resident_id BIGINT PRIMARY KEY,
    id_number   TEXT NOT NULL,
    phone       TEXT NOT NULL
);
INSERT INTO pii_pending (resident_id, id_number, phone) SELECT id, id_number, phone FROM residents;

DROP INDEX residents_id_number;
ALTER TABLE residents DROP COLUMN id_number, DROP COLUMN phone;
CREATE UNIQUE INDEX residents_id_number_idx ON residents (id_number_idx);
CREATE INDEX residents_phone_idx ON residents (phone_idx);

-- +goose Down
-- The plaintext cannot be recovered in SQL: the columns come back empty.
DROP INDEX residents_phone_idx;
DROP INDEX residents_id_number_idx;
ALTER TABLE residents
    ADD COLUMN phone TEXT NOT NULL DEFAULT '',
    ADD COLUMN id_number TEXT NOT NULL DEFAULT '',
    DROP COLUMN phone_idx,
    DROP COLUMN phone_enc,
    DROP COLUMN id_number_idx,
    DROP COLUMN id_number_enc;
DROP TABLE pii_pending;
