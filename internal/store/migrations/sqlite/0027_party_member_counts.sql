-- +goose Up
-- Composition analytics (issue 8 item 10): counts of current members maintained as members are
-- written, in the same transaction (store/analytics.go), for every node above a member's path
-- and the root "/": the analytics of a subtree is the rows of one path, not a scan. dim is
-- total, category, mobility, gender, education, status, birth_year, joined_year (registered
-- members) or reporting_in_work (in-work members on the reporting list: reported | not_reported).
-- Existing members are counted by the store after this migration (Migrate).
CREATE TABLE party_member_counts (
    path  TEXT    NOT NULL,
    dim   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    n     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (path, dim, value)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE party_member_counts;
