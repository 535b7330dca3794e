-- +goose Up
-- Which community body owns a Party meeting or a handed-down task (issue 12 item 4): the Party
-- organization ('party', 党组织) or the residents'/villagers' committee ('committee', 居委会/村委会),
-- so the community can show the committee acting for residents in its own right. Existing
-- meetings are the Party organization's; existing tasks landed on the committee.
ALTER TABLE party_meetings ADD COLUMN body TEXT NOT NULL DEFAULT 'party' CHECK (body IN ('party', 'committee'));
ALTER TABLE burden_tasks ADD COLUMN body TEXT NOT NULL DEFAULT 'committee' CHECK (body IN ('party', 'committee'));
CREATE INDEX party_meetings_body ON party_meetings (community_id, body);
CREATE INDEX burden_tasks_body ON burden_tasks (community_id, body);

-- +goose Down
DROP INDEX burden_tasks_body;
DROP INDEX party_meetings_body;
ALTER TABLE burden_tasks DROP COLUMN body;
ALTER TABLE party_meetings DROP COLUMN body;
