-- +goose Up
-- Special funds (专项经费, issue 12 item 1; model/fund.go says what they are). The category
-- catalogue and the approval chain are configurable (fund_categories, fund_chain_steps; a
-- request copies the chain onto its own steps when it is made). The ledger is double-entry:
-- fund_txns are its transactions, fund_entries their entries (debit positive, credit
-- negative, each transaction summing to zero), fund_accounts the accounts of each budget line
-- (community, year, category; source, budget and expense) with their balance maintained in
-- the transaction that posts an entry (it is always the sum of the account's entries), so a
-- community's or a street's balance reads a few account rows, never the entries. A payment's
-- credit to a budget account is a conditional UPDATE that refuses a negative balance unless
-- the override was given: the database decides.
CREATE TABLE fund_categories (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    sort       INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX fund_categories_name ON fund_categories (name);
INSERT INTO fund_categories (name, sort, created_at) VALUES ('党建活动经费', 1, CURRENT_TIMESTAMP), ('服务群众专项经费', 2, CURRENT_TIMESTAMP), ('办公经费', 3, CURRENT_TIMESTAMP);

CREATE TABLE fund_chain_steps (
    step  INTEGER PRIMARY KEY,
    role  TEXT    NOT NULL,
    label TEXT    NOT NULL
);
INSERT INTO fund_chain_steps (step, role, label) VALUES (1, 'community_admin', '社区书记审批'), (2, 'street_admin', '街道审批');

CREATE TABLE fund_accounts (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES territories(id),
    path         TEXT    NOT NULL,
    year         INTEGER NOT NULL,
    category_id  INTEGER NOT NULL REFERENCES fund_categories(id),
    kind         TEXT    NOT NULL CHECK (kind IN ('source', 'budget', 'expense')),
    balance_fen  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX fund_accounts_line ON fund_accounts (community_id, year, category_id, kind);
CREATE INDEX fund_accounts_path ON fund_accounts (kind, year, path);

CREATE TABLE fund_txns (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES territories(id),
    path         TEXT    NOT NULL,
    year         INTEGER NOT NULL,
    category_id  INTEGER NOT NULL REFERENCES fund_categories(id),
    kind         TEXT    NOT NULL CHECK (kind IN ('allocation', 'payment')),
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    memo         TEXT    NOT NULL DEFAULT '',
    request_id   INTEGER,
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX fund_txns_community ON fund_txns (community_id, created_at);
CREATE INDEX fund_txns_path ON fund_txns (path, created_at);

CREATE TABLE fund_entries (
    id           INTEGER PRIMARY KEY,
    txn_id       INTEGER NOT NULL REFERENCES fund_txns(id),
    account_id   INTEGER NOT NULL REFERENCES fund_accounts(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    amount_fen   INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX fund_entries_account ON fund_entries (account_id, created_at);
CREATE INDEX fund_entries_txn ON fund_entries (txn_id);
CREATE INDEX fund_entries_community ON fund_entries (community_id);

CREATE TABLE fund_requests (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER NOT NULL REFERENCES territories(id),
    path             TEXT    NOT NULL,
    year             INTEGER NOT NULL,
    category_id      INTEGER NOT NULL REFERENCES fund_categories(id),
    purpose          TEXT    NOT NULL,
    amount_fen       INTEGER NOT NULL CHECK (amount_fen > 0),
    payee            TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'rejected')),
    step             INTEGER NOT NULL DEFAULT 1,
    steps            INTEGER NOT NULL,
    receipts         INTEGER NOT NULL DEFAULT 0,
    requested_by     INTEGER REFERENCES users(id),
    requester_name   TEXT    NOT NULL DEFAULT '',
    reject_reason    TEXT    NOT NULL DEFAULT '',
    override_reason  TEXT    NOT NULL DEFAULT '',
    override_by      INTEGER REFERENCES users(id),
    override_by_name TEXT    NOT NULL DEFAULT '',
    txn_id           INTEGER REFERENCES fund_txns(id),
    decided_at       TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX fund_requests_path ON fund_requests (path, id);
CREATE INDEX fund_requests_community ON fund_requests (community_id, status, id);

CREATE TABLE fund_request_steps (
    request_id   INTEGER NOT NULL REFERENCES fund_requests(id),
    step         INTEGER NOT NULL,
    role         TEXT    NOT NULL,
    label        TEXT    NOT NULL,
    decision     TEXT    NOT NULL DEFAULT '' CHECK (decision IN ('', 'approved', 'rejected')),
    reason       TEXT    NOT NULL DEFAULT '',
    decided_by   INTEGER REFERENCES users(id),
    decider_name TEXT    NOT NULL DEFAULT '',
    decided_at   TIMESTAMP,
    PRIMARY KEY (request_id, step)
);

CREATE TABLE fund_receipts (
    request_id   INTEGER NOT NULL REFERENCES fund_requests(id),
    n            INTEGER NOT NULL,
    blob_id      TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, n)
);

-- +goose Down
DROP TABLE fund_receipts;
DROP TABLE fund_request_steps;
DROP TABLE fund_requests;
DROP TABLE fund_entries;
DROP TABLE fund_txns;
DROP TABLE fund_accounts;
DROP TABLE fund_chain_steps;
DROP TABLE fund_categories;
