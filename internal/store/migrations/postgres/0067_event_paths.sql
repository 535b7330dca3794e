-- +goose Up
-- Live updates of a territory's orders fanned out when read, not when written (issue 10). An
-- order's change was written once for every account dispatching its territory (staff scoped to
-- a node above it, secretaries of the branches and committees there): found by a query and
-- inserted row by row, for every placement and transition. Now such an event is one row
-- carrying the order's path; whoever follows a subtree (the dispatchers, as they open the
-- stream) reads the rows under its prefixes. A row names either an account (user_id) or a path,
-- never both.
ALTER TABLE events ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE events ADD COLUMN path TEXT COLLATE "C";
ALTER TABLE events ADD CONSTRAINT events_one_recipient CHECK ((user_id IS NULL) <> (path IS NULL));
DROP INDEX events_user;
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;

-- +goose Down
DELETE FROM events WHERE user_id IS NULL;
DROP INDEX events_user;
CREATE INDEX events_user ON events (user_id, id);
ALTER TABLE events DROP CONSTRAINT events_one_recipient;
ALTER TABLE events DROP COLUMN path;
ALTER TABLE events ALTER COLUMN user_id SET NOT NULL;
