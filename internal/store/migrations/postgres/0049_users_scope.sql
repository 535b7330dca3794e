-- +goose Up
-- The accounts scoped to a node, by role: the dispatchers of an order, whose boards follow it
-- live (store/order_dispatch.go, orderDispatchers), are looked up by the nodes on its path.
CREATE INDEX users_scope ON users (scope_id, role);

-- +goose Down
DROP INDEX users_scope;
