-- +goose Up
-- The duty rotation keeps each month as planned beside the household serving it (issue 9 item
-- 3): a swap consented by both households changes who serves and leaves the plan, which is the
-- only history the rule reads (model.PlanRotation), alone; NULL means the month is served as
-- planned. A lifted exemption keeps the last month it still covers (the last month already
-- assigned when it was lifted: the household serves again after it, like a household moving
-- in); NULL on exemptions lifted before this migration, which the rule ignores as it did.
ALTER TABLE unit_duty ADD COLUMN planned_household_id BIGINT;
ALTER TABLE duty_exemptions ADD COLUMN lifted_until TEXT;

-- +goose Down
ALTER TABLE duty_exemptions DROP COLUMN lifted_until;
ALTER TABLE unit_duty DROP COLUMN planned_household_id;
