-- +goose Up
-- A notification's key (dedup_key) keeps a reminder from being sent twice; most notifications
-- have none (an order's messages), and their rows no longer go into the unique index that
-- decides it: one B-tree fewer a message on the one writer (issue 10, thirteenth pass). The
-- upserts name the index's condition (ON CONFLICT (user_id, dedup_key) WHERE dedup_key IS NOT
-- NULL).
DROP INDEX notifications_dedup;
CREATE UNIQUE INDEX notifications_dedup ON notifications (user_id, dedup_key) WHERE dedup_key IS NOT NULL;

-- +goose Down
DROP INDEX notifications_dedup;
CREATE UNIQUE INDEX notifications_dedup ON notifications (user_id, dedup_key);
