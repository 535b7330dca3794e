-- +goose Up
-- unit_duty is written in bulk (a district's rotations at once: about 800,000 rows for a
-- million households, issue 9's benchmark): it keeps its primary key (unit, month) and loses
-- what made each row cost several lookups more: the foreign keys (units and households are
-- never deleted, only ended or moved out, and the store writes the ids it read) and the
-- secondary indexes (every read goes by unit; the monthly reminders read one month of the
-- whole table once). Months compare byte-wise (COLLATE "C"): YYYY-MM sorts the same and the
-- key no longer goes through the locale's collation.
ALTER TABLE unit_duty DROP CONSTRAINT IF EXISTS unit_duty_unit_id_fkey;
ALTER TABLE unit_duty DROP CONSTRAINT IF EXISTS unit_duty_household_id_fkey;
DROP INDEX IF EXISTS unit_duty_household;
DROP INDEX IF EXISTS unit_duty_month;
ALTER TABLE unit_duty ALTER COLUMN month TYPE TEXT COLLATE "C";

-- +goose Down
ALTER TABLE unit_duty ALTER COLUMN month TYPE TEXT;
CREATE INDEX unit_duty_month ON unit_duty (month, unit_id);
CREATE INDEX unit_duty_household ON unit_duty (household_id, month);
ALTER TABLE unit_duty ADD CONSTRAINT unit_duty_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES units(id);
ALTER TABLE unit_duty ADD CONSTRAINT unit_duty_household_id_fkey FOREIGN KEY (household_id) REFERENCES households(id);
