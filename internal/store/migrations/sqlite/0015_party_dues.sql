-- +goose Up
-- Party dues (党费, issue 8 item 7). The declared monthly income stays sealed in
-- party_members.income (internal/pii, bound to that column); dues_fen is the monthly amount the
-- published rates give for it (model.MonthlyDues), kept beside it so that arrears are sums, not
-- unsealing. subsistence: the member lives on a subsistence allowance (0.2 yuan a month).
ALTER TABLE party_members ADD COLUMN dues_fen INTEGER NOT NULL DEFAULT 0 CHECK (dues_fen >= 0);
ALTER TABLE party_members ADD COLUMN subsistence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE party_members ADD COLUMN income_declared_on DATE;

-- One payment per member and month (a second one for the same month is a conflict, decided by
-- the unique index); paid_by is the name of whoever paid on the member's behalf (代缴), '' when
-- the member paid; recorded_by is the account that recorded it. path/community_id follow the
-- member's org at the time of payment, for scope.
CREATE TABLE party_dues_payments (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES party_members(id),
    org_id       INTEGER NOT NULL REFERENCES party_orgs(id),
    path         TEXT    NOT NULL,
    community_id INTEGER,
    month        TEXT    NOT NULL CHECK (length(month) = 7),
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    paid_on      DATE    NOT NULL,
    paid_by      TEXT    NOT NULL DEFAULT '',
    recorded_by  INTEGER REFERENCES users(id),
    note         TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX party_dues_payments_month ON party_dues_payments (member_id, month);
CREATE INDEX party_dues_payments_org ON party_dues_payments (org_id, month);

-- +goose Down
DROP TABLE party_dues_payments;
ALTER TABLE party_members DROP COLUMN income_declared_on;
ALTER TABLE party_members DROP COLUMN subsistence;
ALTER TABLE party_members DROP COLUMN dues_fen;
