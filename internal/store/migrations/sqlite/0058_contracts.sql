-- +goose Up
-- Purchased services (政府购买服务, issue 12 item 7; model/contract.go says what they are): a
-- community's contract with a social organization of the register, paid from a budget line of
-- the special funds (category and year); its milestones with their KPI and the amount each
-- releases; residents' 1–5 rating of a milestone, once each (the primary key decides). Accepting
-- a milestone is a conditional UPDATE on its status and posts the payment in the funds ledger in
-- the same transaction (fund_txns.contract_milestone_id names it).
CREATE TABLE contracts (
    id              INTEGER PRIMARY KEY,
    community_id    INTEGER NOT NULL REFERENCES territories(id),
    path            TEXT    NOT NULL,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    title           TEXT    NOT NULL,
    scope           TEXT    NOT NULL,
    amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
    paid_fen        INTEGER NOT NULL DEFAULT 0 CHECK (paid_fen >= 0 AND paid_fen <= amount_fen),
    year            INTEGER NOT NULL,
    category_id     INTEGER NOT NULL REFERENCES fund_categories(id),
    created_by      INTEGER REFERENCES users(id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX contracts_path ON contracts (path, id);
CREATE INDEX contracts_community ON contracts (community_id, id);

CREATE TABLE contract_milestones (
    id               INTEGER PRIMARY KEY,
    contract_id      INTEGER NOT NULL REFERENCES contracts(id),
    community_id     INTEGER NOT NULL REFERENCES territories(id),
    title            TEXT    NOT NULL,
    kpi              TEXT    NOT NULL,
    due_on           DATE    NOT NULL,
    amount_fen       INTEGER NOT NULL CHECK (amount_fen > 0),
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted')),
    accepted_by      INTEGER REFERENCES users(id),
    accepted_by_name TEXT    NOT NULL DEFAULT '',
    accepted_at      TIMESTAMP,
    txn_id           INTEGER REFERENCES fund_txns(id),
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX contract_milestones_contract ON contract_milestones (contract_id, due_on, id);
CREATE INDEX contract_milestones_community ON contract_milestones (community_id);

CREATE TABLE contract_ratings (
    milestone_id INTEGER NOT NULL REFERENCES contract_milestones(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    score        INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (milestone_id, user_id)
);
CREATE INDEX contract_ratings_community ON contract_ratings (community_id);

ALTER TABLE fund_txns ADD COLUMN contract_milestone_id INTEGER REFERENCES contract_milestones(id);

-- +goose Down
ALTER TABLE fund_txns DROP COLUMN contract_milestone_id;
DROP TABLE contract_ratings;
DROP TABLE contract_milestones;
DROP TABLE contracts;
