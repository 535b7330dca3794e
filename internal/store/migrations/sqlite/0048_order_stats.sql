-- +goose Up
-- Order statistics, maintained (issue 10 item 7): for every node path above an order's household
-- (and "/"), per month the order was placed (Asia/Shanghai, YYYY-MM) and category name, the
-- figures of those orders as they stand now: how many were placed, are taken (taken_at set),
-- done (done_at set), cancelled; the minutes from placing to taking and to done, summed and in
-- buckets (b1 within 1 h, b2 4 h, b3 24 h, b4 72 h, b5 longer); the ratings by stars. Every
-- write of an order adjusts the rows in its transaction (store/order_stat.go: the order's
-- figures as they were taken out, as they are put back), so the statistics of any subtree are
-- the rows of one path. RebuildOrderStats recounts them from the orders (Go step after this
-- migration, after a bulk load).
CREATE TABLE order_stats (
    path           TEXT    NOT NULL,
    month          TEXT NOT NULL,
    category       TEXT NOT NULL,
    placed         INTEGER NOT NULL DEFAULT 0,
    taken          INTEGER NOT NULL DEFAULT 0,
    done           INTEGER NOT NULL DEFAULT 0,
    cancelled      INTEGER NOT NULL DEFAULT 0,
    take_minutes   INTEGER NOT NULL DEFAULT 0,
    take_b1        INTEGER NOT NULL DEFAULT 0,
    take_b2        INTEGER NOT NULL DEFAULT 0,
    take_b3        INTEGER NOT NULL DEFAULT 0,
    take_b4        INTEGER NOT NULL DEFAULT 0,
    take_b5        INTEGER NOT NULL DEFAULT 0,
    finish_minutes INTEGER NOT NULL DEFAULT 0,
    finish_b1      INTEGER NOT NULL DEFAULT 0,
    finish_b2      INTEGER NOT NULL DEFAULT 0,
    finish_b3      INTEGER NOT NULL DEFAULT 0,
    finish_b4      INTEGER NOT NULL DEFAULT 0,
    finish_b5      INTEGER NOT NULL DEFAULT 0,
    stars_1        INTEGER NOT NULL DEFAULT 0,
    stars_2        INTEGER NOT NULL DEFAULT 0,
    stars_3        INTEGER NOT NULL DEFAULT 0,
    stars_4        INTEGER NOT NULL DEFAULT 0,
    stars_5        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (path, month, category)
);

-- Renaming a category moves the figures of its orders (store/order_taker.go).
CREATE INDEX orders_category ON orders (category_id);

-- +goose Down
DROP INDEX orders_category;
DROP TABLE order_stats;
