-- +goose Up
-- Hours of service from activities (issue 10 item 4: "hours of service accrue per taker from done
-- orders and, when they exist, activities"). A Party–resident activity published as volunteer
-- service (service) banks, when it is closed, its length (at most 8 hours) for every registered
-- taker checked in at it: an earn entry names its order or its activity, never both; a spend
-- names its order. One taker earns once per activity. SQLite cannot change a CHECK in place: the
-- ledger is copied into a table of the new shape, with its indexes and append-only triggers.
ALTER TABLE party_activities ADD COLUMN service BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE timebank_entries_new (
    id                INTEGER PRIMARY KEY,
    community_id      INTEGER NOT NULL REFERENCES territories(id),
    holder_kind       TEXT    NOT NULL CHECK (holder_kind IN ('taker', 'household')),
    holder_id         INTEGER NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('earn', 'spend', 'give', 'receive', 'correction')),
    minutes           INTEGER NOT NULL CHECK (minutes <> 0),
    order_id          INTEGER REFERENCES orders(id),
    counterparty_kind TEXT    NOT NULL DEFAULT '',
    counterparty_id   INTEGER NOT NULL DEFAULT 0,
    reason            TEXT    NOT NULL DEFAULT '',
    created_by        INTEGER REFERENCES users(id),
    created_at        TIMESTAMP NOT NULL,
    activity_id       INTEGER REFERENCES party_activities(id),
    CHECK ((kind IN ('earn', 'receive')) = (minutes > 0) OR kind = 'correction'),
    CHECK (CASE kind
        WHEN 'earn' THEN (order_id IS NULL) <> (activity_id IS NULL)
        WHEN 'spend' THEN order_id IS NOT NULL AND activity_id IS NULL
        ELSE order_id IS NULL AND activity_id IS NULL END)
);
INSERT INTO timebank_entries_new (id, community_id, holder_kind, holder_id, kind, minutes, order_id, counterparty_kind, counterparty_id, reason, created_by, created_at)
    SELECT id, community_id, holder_kind, holder_id, kind, minutes, order_id, counterparty_kind, counterparty_id, reason, created_by, created_at FROM timebank_entries;
DROP TABLE timebank_entries;
ALTER TABLE timebank_entries_new RENAME TO timebank_entries;
CREATE UNIQUE INDEX timebank_entries_earn_once ON timebank_entries (order_id, holder_kind, holder_id) WHERE kind = 'earn';
CREATE UNIQUE INDEX timebank_entries_earn_activity ON timebank_entries (activity_id, holder_kind, holder_id) WHERE kind = 'earn' AND activity_id IS NOT NULL;
CREATE INDEX timebank_entries_holder ON timebank_entries (holder_kind, holder_id, id);
CREATE INDEX timebank_entries_community ON timebank_entries (community_id, id);
CREATE INDEX timebank_entries_order ON timebank_entries (order_id) WHERE order_id IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER timebank_entries_no_update BEFORE UPDATE ON timebank_entries
BEGIN
    SELECT RAISE(ABORT, 'timebank_entries is append-only: corrections are new entries');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER timebank_entries_no_delete BEFORE DELETE ON timebank_entries
BEGIN
    SELECT RAISE(ABORT, 'timebank_entries is append-only: corrections are new entries');
END;
-- +goose StatementEnd

-- +goose Down
-- The ledger keeps its new shape (an activity_id column no entry uses after the index goes).
DROP INDEX timebank_entries_earn_activity;
ALTER TABLE party_activities DROP COLUMN service;
