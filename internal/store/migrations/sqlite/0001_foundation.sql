-- +goose Up
CREATE TABLE territories (
    id           INTEGER PRIMARY KEY,
    parent_id    INTEGER REFERENCES territories(id),
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    code         TEXT,
    path         TEXT    NOT NULL,
    community_id INTEGER,
    households   INTEGER NOT NULL DEFAULT 0,
    residents    INTEGER NOT NULL DEFAULT 0,
    archived_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX territories_path ON territories (path);
CREATE INDEX territories_parent ON territories (parent_id, id);
CREATE INDEX territories_kind_path ON territories (kind, path);
CREATE UNIQUE INDEX territories_code ON territories (code) WHERE code IS NOT NULL;

CREATE TABLE territory_events (
    id           INTEGER PRIMARY KEY,
    territory_id INTEGER NOT NULL REFERENCES territories(id),
    action       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',
    actor_id     INTEGER,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX territory_events_territory ON territory_events (territory_id, id);

CREATE TABLE households (
    id            INTEGER PRIMARY KEY,
    territory_id  INTEGER NOT NULL REFERENCES territories(id),
    community_id  INTEGER,
    path          TEXT    NOT NULL,
    address       TEXT    NOT NULL,
    head_name     TEXT    NOT NULL DEFAULT '',
    members       INTEGER NOT NULL DEFAULT 0,
    elderly_alone INTEGER NOT NULL DEFAULT 0,
    hardship      INTEGER NOT NULL DEFAULT 0,
    disability    INTEGER NOT NULL DEFAULT 0,
    mobile        INTEGER NOT NULL DEFAULT 0,
    moved_in_at   DATE,
    moved_out_at  DATE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX households_path ON households (path, id);
CREATE INDEX households_territory ON households (territory_id);

CREATE TABLE household_events (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    action       TEXT    NOT NULL,
    detail       TEXT    NOT NULL DEFAULT '',
    actor_id     INTEGER,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX household_events_household ON household_events (household_id, id);

CREATE TABLE residents (
    id               INTEGER PRIMARY KEY,
    household_id     INTEGER NOT NULL REFERENCES households(id),
    territory_id     INTEGER NOT NULL REFERENCES territories(id),
    community_id     INTEGER,
    path             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    gender           TEXT    NOT NULL,
    birth_date       DATE    NOT NULL,
    phone            TEXT    NOT NULL DEFAULT '',
    id_number        TEXT    NOT NULL,
    relation         TEXT    NOT NULL,
    political_status TEXT    NOT NULL,
    occupation       TEXT    NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX residents_path ON residents (path, id);
CREATE INDEX residents_household ON residents (household_id, id);
CREATE UNIQUE INDEX residents_id_number ON residents (id_number);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL,
    scope_id      INTEGER REFERENCES territories(id),
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE residents;
DROP TABLE household_events;
DROP TABLE households;
DROP TABLE territory_events;
DROP TABLE territories;
