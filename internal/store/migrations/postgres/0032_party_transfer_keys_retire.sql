-- +goose Up
-- Trusted keys of other deployments are add-only (issue 8 item 3): a key may be retired (no
-- longer accepted for new imports) but never overwritten, replaced in place or deleted; a
-- rotation is a new key beside the retired one. The triggers hold it whatever the caller.
ALTER TABLE party_transfer_keys ADD COLUMN retired_at TIMESTAMPTZ;
ALTER TABLE party_transfer_keys ADD COLUMN retired_by BIGINT REFERENCES users(id);

-- +goose StatementBegin
CREATE FUNCTION party_transfer_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.name = OLD.name AND NEW.public_key = OLD.public_key AND NEW.own = OLD.own
        AND NEW.private_key = OLD.private_key AND NEW.added_by IS NOT DISTINCT FROM OLD.added_by AND NEW.created_at = OLD.created_at
        AND OLD.retired_at IS NULL AND (NEW.retired_at IS NOT NULL OR NEW.retired_by IS NULL) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'party_transfer_keys is add-only: a key is retired, never overwritten or deleted';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER party_transfer_keys_no_overwrite BEFORE UPDATE OR DELETE ON party_transfer_keys
    FOR EACH ROW EXECUTE FUNCTION party_transfer_keys_guard();
CREATE TRIGGER party_transfer_keys_no_truncate BEFORE TRUNCATE ON party_transfer_keys
    FOR EACH STATEMENT EXECUTE FUNCTION party_transfer_keys_guard();

-- +goose Down
DROP TRIGGER party_transfer_keys_no_truncate ON party_transfer_keys;
DROP TRIGGER party_transfer_keys_no_overwrite ON party_transfer_keys;
DROP FUNCTION party_transfer_keys_guard();
ALTER TABLE party_transfer_keys DROP COLUMN retired_by;
ALTER TABLE party_transfer_keys DROP COLUMN retired_at;
