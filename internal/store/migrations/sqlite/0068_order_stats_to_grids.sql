-- +goose Up
-- Order statistics are kept for the nodes down to the grids only (issue 10; order_stat.go):
-- an order's every change upserted a row at each node of its path, three of the eight for a
-- compound, a building and a stairwell holding a handful of orders each, on the one writer.
-- Their statistics are counted from the orders when asked; their rows go.
DELETE FROM order_stats WHERE path <> '/' AND NOT EXISTS (
    SELECT 1 FROM territories t WHERE t.path = order_stats.path
    AND t.kind IN ('district', 'street', 'community', 'resident_group', 'grid'));

-- +goose Down
-- The rows below the grids come back with `RebuildOrderStats` on the previous binary.
SELECT 1;
