-- +goose Up
-- A unit's history links the other unit a change involved (issue 9): a merge names the unit
-- merged into or out of, a split the unit formed from the households that left and, on that
-- unit, the unit it split from. A split ends nothing: the unit keeps its id, leader, rotation
-- and history with the households that stay.
ALTER TABLE unit_events ADD COLUMN related_unit_id BIGINT REFERENCES units(id);

-- +goose Down
ALTER TABLE unit_events DROP COLUMN related_unit_id;
