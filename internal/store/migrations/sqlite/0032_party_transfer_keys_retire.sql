-- +goose Up
-- Trusted keys of other deployments are add-only (issue 8 item 3): a key may be retired (no
-- longer accepted for new imports) but never overwritten, replaced in place or deleted; a
-- rotation is a new key beside the retired one. The triggers hold it whatever the caller.
ALTER TABLE party_transfer_keys ADD COLUMN retired_at TIMESTAMP;
ALTER TABLE party_transfer_keys ADD COLUMN retired_by INTEGER REFERENCES users(id);

-- +goose StatementBegin
CREATE TRIGGER party_transfer_keys_no_overwrite BEFORE UPDATE ON party_transfer_keys
WHEN NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.public_key IS NOT OLD.public_key OR NEW.own IS NOT OLD.own
  OR NEW.private_key IS NOT OLD.private_key OR NEW.added_by IS NOT OLD.added_by OR NEW.created_at IS NOT OLD.created_at
  OR OLD.retired_at IS NOT NULL OR (NEW.retired_at IS NULL AND NEW.retired_by IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'party_transfer_keys is add-only: a key is retired, never overwritten');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER party_transfer_keys_no_delete BEFORE DELETE ON party_transfer_keys
BEGIN
    SELECT RAISE(ABORT, 'party_transfer_keys is add-only: a key is retired, never deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER party_transfer_keys_no_delete;
DROP TRIGGER party_transfer_keys_no_overwrite;
ALTER TABLE party_transfer_keys DROP COLUMN retired_by;
ALTER TABLE party_transfer_keys DROP COLUMN retired_at;
