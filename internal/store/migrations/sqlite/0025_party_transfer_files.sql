-- +goose Up
-- Transfers between deployments (issue 8 item 3). A transfer in has no member until it is
-- accepted, so member_id becomes nullable (SQLite: the table is rebuilt; it held no rows any code
-- wrote). payload is the signed file of a transfer out (written on acceptance) or the verified
-- member data of a transfer in; origin is "<sender key>:<sender's transfer id>" of a transfer in,
-- unique, so one file is imported once; signer names the trusted key it was signed with.
CREATE TABLE party_transfers_new (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER REFERENCES party_members(id),
    from_org_id  INTEGER REFERENCES party_orgs(id),
    to_org_id    INTEGER REFERENCES party_orgs(id),
    direction    TEXT    NOT NULL CHECK (direction IN ('internal', 'out', 'in')),
    destination  TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'accepted', 'rejected')),
    requested_by INTEGER REFERENCES users(id),
    handled_by   INTEGER REFERENCES users(id),
    handled_at   TIMESTAMP,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    payload      TEXT    NOT NULL DEFAULT '',
    origin       TEXT    NOT NULL DEFAULT '',
    signer       TEXT    NOT NULL DEFAULT '',
    CHECK (direction = 'in' OR member_id IS NOT NULL),
    CHECK (direction <> 'internal' OR (from_org_id IS NOT NULL AND to_org_id IS NOT NULL AND from_org_id <> to_org_id))
);
INSERT INTO party_transfers_new (id, member_id, from_org_id, to_org_id, direction, destination, reason, status, requested_by, handled_by,
    handled_at, note, created_at)
    SELECT id, member_id, from_org_id, to_org_id, direction, destination, reason, status, requested_by, handled_by, handled_at, note, created_at
    FROM party_transfers;
DROP TABLE party_transfers;
ALTER TABLE party_transfers_new RENAME TO party_transfers;
CREATE INDEX party_transfers_member ON party_transfers (member_id, id);
CREATE INDEX party_transfers_to ON party_transfers (to_org_id, status);
CREATE INDEX party_transfers_from ON party_transfers (from_org_id, status);
-- At most one open transfer per member: a member is never on its way to two orgs at once.
CREATE UNIQUE INDEX party_transfers_open ON party_transfers (member_id) WHERE status = 'requested';
CREATE UNIQUE INDEX party_transfers_origin ON party_transfers (origin) WHERE origin <> '';

-- The deployment's own signing key (own = 1, at most one; the private key sealed like personal
-- data) and the public keys of the deployments it trusts transfer files from.
CREATE TABLE party_transfer_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    public_key  TEXT    NOT NULL UNIQUE,
    own         INTEGER NOT NULL DEFAULT 0,
    private_key TEXT    NOT NULL DEFAULT '',
    added_by    INTEGER REFERENCES users(id),
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX party_transfer_keys_own ON party_transfer_keys (own) WHERE own = 1;

-- +goose Down
DROP TABLE party_transfer_keys;
DROP INDEX party_transfers_origin;
DROP INDEX party_transfers_from;
