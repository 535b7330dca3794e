-- +goose Up
-- The time bank (时间银行, issue 10 item 4): hours of service banked by the takers of done
-- orders, spent on their own household's orders or given to another household of the
-- community, which spends them on its own orders. Whole minutes, never fractions.
--
-- timebank_entries is append-only (triggers refuse UPDATE and DELETE): a correction is a new
-- entry. A holder is a taker (holder_kind 'taker', order_takers.id) or a household
-- (holder_kind 'household', households.id). minutes is signed: earn, receive and positive
-- corrections add; spend, give and negative corrections take away. One taker earns once per
-- order (the first done; a replay or a reopened order done again by the same taker banks
-- nothing more).
CREATE TABLE timebank_entries (
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
    CHECK ((kind IN ('earn', 'receive')) = (minutes > 0) OR kind = 'correction'),
    CHECK ((kind IN ('earn', 'spend')) = (order_id IS NOT NULL))
);
CREATE UNIQUE INDEX timebank_entries_earn_once ON timebank_entries (order_id, holder_kind, holder_id) WHERE kind = 'earn';
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

-- timebank_balances: each holder's balance, changed in the transaction that appends the entry.
-- A debit is one conditional UPDATE (balance >= the amount), so spends racing on one balance
-- can never overdraw it; the CHECK is the last word.
CREATE TABLE timebank_balances (
    holder_kind  TEXT    NOT NULL,
    holder_id    INTEGER NOT NULL,
    community_id INTEGER NOT NULL REFERENCES territories(id),
    balance      INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (holder_kind, holder_id)
);
CREATE INDEX timebank_balances_community ON timebank_balances (community_id);

-- +goose Down
DROP TABLE timebank_balances;
DROP TRIGGER timebank_entries_no_delete;
DROP TRIGGER timebank_entries_no_update;
DROP TABLE timebank_entries;
