-- +goose Up
-- The leaders of a unit: they follow its households' orders live (store/order_prep.go,
-- orderFollowers), looked up by the unit for every order placed or changed.
CREATE INDEX users_unit ON users (unit_id) WHERE unit_id IS NOT NULL;

-- +goose Down
DROP INDEX users_unit;
