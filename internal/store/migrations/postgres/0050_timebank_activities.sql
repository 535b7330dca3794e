-- +goose Up
-- Hours of service from activities (issue 10 item 4: "hours of service accrue per taker from done
-- orders and, when they exist, activities"). A Party–resident activity published as volunteer
-- service (service) banks, when it is closed, its length (at most 8 hours) for every registered
-- taker checked in at it: an earn entry names its order or its activity, never both; a spend
-- names its order. One taker earns once per activity.
ALTER TABLE party_activities ADD COLUMN service BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE timebank_entries ADD COLUMN activity_id BIGINT REFERENCES party_activities(id);
ALTER TABLE timebank_entries DROP CONSTRAINT timebank_entries_check1;
ALTER TABLE timebank_entries ADD CONSTRAINT timebank_entries_source CHECK (CASE kind
    WHEN 'earn' THEN (order_id IS NULL) <> (activity_id IS NULL)
    WHEN 'spend' THEN order_id IS NOT NULL AND activity_id IS NULL
    ELSE order_id IS NULL AND activity_id IS NULL END);
CREATE UNIQUE INDEX timebank_entries_earn_activity ON timebank_entries (activity_id, holder_kind, holder_id) WHERE kind = 'earn' AND activity_id IS NOT NULL;

-- +goose Down
DROP INDEX timebank_entries_earn_activity;
ALTER TABLE timebank_entries DROP CONSTRAINT timebank_entries_source;
ALTER TABLE timebank_entries ADD CONSTRAINT timebank_entries_check1 CHECK ((kind IN ('earn', 'spend')) = (order_id IS NOT NULL));
ALTER TABLE timebank_entries DROP COLUMN activity_id;
ALTER TABLE party_activities DROP COLUMN service;
