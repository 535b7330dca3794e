-- +goose Up
-- SQLite's events lost their index on created_at and their foreign key (sqlite/0072). Here both
-- stay: PostgreSQL's instances write side by side and its ids do not follow its commits, so the
-- pruning and the catch-up find their bound by the rows' times.
SELECT 1;

-- +goose Down
SELECT 1;
