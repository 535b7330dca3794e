-- +goose Up
-- Bounded audit growth (issue 6, item 4): a request refused to a caller without an account, and
-- a login refused without counting a failure (unknown username, disabled or locked account), are
-- counted here per minute, client address, route and outcome. The first of each minute also
-- writes one ordinary audit record; the rest only count (store/audit_denial.go). The counter is
-- decided by the database (INSERT … ON CONFLICT DO UPDATE), so concurrent instances agree on
-- which request was first.
CREATE TABLE audit_denials (
    minute  TIMESTAMP NOT NULL,
    source  TEXT NOT NULL,
    route   TEXT NOT NULL,
    outcome TEXT NOT NULL,
    action  TEXT NOT NULL DEFAULT '',
    count   INTEGER NOT NULL,
    PRIMARY KEY (minute, source, route, outcome)
);

-- +goose Down
DROP TABLE audit_denials;
