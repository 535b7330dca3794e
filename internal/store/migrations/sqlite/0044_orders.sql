-- +goose Up
-- Volunteer service by orders (志愿服务订单式操作, issue 10): the categories a community offers,
-- the takers (party members, registered volunteers, co-building organizations, each acting
-- through an account), the orders and their history. An order's status changes only by a
-- conditional UPDATE on the status and version it was read in (store/order.go), so fifty
-- takers claiming one order at once have exactly one effect.

-- order_categories: a community's kinds of service and their time limits (hours).
CREATE TABLE order_categories (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER  NOT NULL REFERENCES territories(id),
    name                TEXT    NOT NULL,
    open_on_place       BOOLEAN NOT NULL DEFAULT TRUE,
    take_within_hours   INTEGER NOT NULL DEFAULT 24,
    finish_within_hours INTEGER NOT NULL DEFAULT 72,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          TIMESTAMP NOT NULL,
    UNIQUE (community_id, name)
);

-- order_takers: who may claim and be dispatched orders. open_orders and minutes are
-- maintained with each order's transitions (the current load the suggestions rank by, the
-- hours of service done).
CREATE TABLE order_takers (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER REFERENCES users(id),
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    member_id       INTEGER REFERENCES party_members(id),
    organization_id INTEGER REFERENCES organizations(id),
    community_id    INTEGER  NOT NULL REFERENCES territories(id),
    territory_id    INTEGER  NOT NULL REFERENCES territories(id),
    path            TEXT NOT NULL,
    skills          TEXT    NOT NULL DEFAULT '',
    availability    TEXT    NOT NULL DEFAULT '',
    open_orders     INTEGER NOT NULL DEFAULT 0,
    minutes         INTEGER  NOT NULL DEFAULT 0,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX order_takers_user ON order_takers (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX order_takers_path ON order_takers (path, id);
CREATE INDEX order_takers_community ON order_takers (community_id, id);

-- orders: at the household's path (territory scope works on it as on the household). due_at
-- is the time limit running now (to be taken, to be done); the sweep escalates or reminds.
-- (placed_by, idem_key) makes a create safe to resend.
CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER  NOT NULL REFERENCES territories(id),
    territory_id     INTEGER  NOT NULL REFERENCES territories(id),
    path             TEXT NOT NULL,
    household_id     INTEGER  NOT NULL REFERENCES households(id),
    category_id      INTEGER  NOT NULL REFERENCES order_categories(id),
    description      TEXT    NOT NULL,
    preferred_time   TEXT    NOT NULL DEFAULT '',
    contact          TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL,
    level            TEXT    NOT NULL DEFAULT 'grid',
    taker_id         INTEGER REFERENCES order_takers(id),
    placed_by        INTEGER REFERENCES users(id),
    placed_by_name   TEXT    NOT NULL DEFAULT '',
    on_behalf        BOOLEAN NOT NULL DEFAULT FALSE,
    idem_key         TEXT    NOT NULL DEFAULT '',
    idem_fingerprint TEXT    NOT NULL DEFAULT '',
    stars            INTEGER NOT NULL DEFAULT 0,
    comment          TEXT    NOT NULL DEFAULT '',
    minutes          INTEGER NOT NULL DEFAULT 0,
    photos           INTEGER NOT NULL DEFAULT 0,
    placed_at        TIMESTAMP NOT NULL,
    taken_at         TIMESTAMP,
    done_at          TIMESTAMP,
    due_at           TIMESTAMP,
    reminded_at      TIMESTAMP,
    updated_at       TIMESTAMP NOT NULL,
    version          INTEGER  NOT NULL DEFAULT 1
);
CREATE INDEX orders_path ON orders (path, id);
CREATE INDEX orders_status ON orders (community_id, status, id);
CREATE INDEX orders_household ON orders (household_id, id);
CREATE INDEX orders_taker ON orders (taker_id, status, id) WHERE taker_id IS NOT NULL;
CREATE INDEX orders_due ON orders (due_at) WHERE due_at IS NOT NULL;
CREATE UNIQUE INDEX orders_idem ON orders (placed_by, idem_key) WHERE idem_key <> '';

-- order_events: every transition, who, when and why (actor_id NULL: the time limits).
CREATE TABLE order_events (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders(id),
    action      TEXT   NOT NULL,
    from_status TEXT   NOT NULL DEFAULT '',
    to_status   TEXT   NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor_name  TEXT   NOT NULL DEFAULT '',
    reason      TEXT   NOT NULL DEFAULT '',
    at          TIMESTAMP NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- order_photos: the photos of an order, numbered from 1, content in blobs.
CREATE TABLE order_photos (
    order_id     INTEGER  NOT NULL REFERENCES orders(id),
    n            INTEGER NOT NULL,
    blob_id      TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER  NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    PRIMARY KEY (order_id, n)
);

-- +goose Down
DROP TABLE order_photos;
DROP TABLE order_events;
DROP TABLE orders;
DROP TABLE order_takers;
DROP TABLE order_categories;
