-- +goose Up
-- Second-factor secrets at rest (issue 7, item 8): TOTP secrets are kept only sealed with the
-- personal-data keyring, like ID numbers ("kid:base64", column name as additional data). SQL
-- cannot encrypt, so the plaintext secrets of an older database move to totp_pending here, and
-- Store.Migrate's Go step seals them into users.totp_secret_enc, empties totp_pending and
-- rewrites the tables with VACUUM FULL so no dead tuple keeps them. Pending enrolments (login
-- challenges, which live five minutes) are simply dropped: those users log in again. A row with
-- user_id 0 tells the Go step that only such challenges held plaintext, so that it vacuums all
-- the same.
CREATE TABLE totp_pending (
    user_id BIGINT PRIMARY KEY,
    secret  TEXT NOT NULL
);
INSERT INTO totp_pending (user_id, secret) SELECT id, totp_secret FROM users WHERE totp_secret <> '';
INSERT INTO totp_pending (user_id, secret) SELECT 0, '' WHERE EXISTS (SELECT 1 FROM login_challenges WHERE secret <> '');

-- Overwrite before dropping: DROP COLUMN only hides the column, and the new row versions written
-- here hold '' instead (VACUUM FULL then removes the old ones).
UPDATE users SET totp_secret = '' WHERE totp_secret <> '';
ALTER TABLE users DROP COLUMN totp_secret, ADD COLUMN totp_secret_enc TEXT NOT NULL DEFAULT '';

DELETE FROM login_challenges;
ALTER TABLE login_challenges DROP COLUMN secret, ADD COLUMN secret_enc TEXT NOT NULL DEFAULT '';

-- +goose Down
-- The plaintext cannot be recovered in SQL: the accounts enrol again at their next login.
ALTER TABLE login_challenges DROP COLUMN secret_enc, ADD COLUMN secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users DROP COLUMN totp_secret_enc, ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
UPDATE users SET totp_enrolled_at = NULL, totp_last_step = 0;
DROP TABLE totp_pending;
