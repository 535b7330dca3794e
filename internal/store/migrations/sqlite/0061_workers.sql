-- +goose Up
-- Community workers and their visits (社区工作者, issue 12 item 3). A worker belongs to a
-- community (path: the community's); the phone and ID number are sealed (phone_enc,
-- id_number_enc, the additional data naming these columns) with a blind index for an exact
-- search on the phone; one account is one worker at most. Trainings and recruitment steps are
-- the worker's records; worker_grids the grids assigned (many to many).
CREATE TABLE community_workers (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES territories(id),
    path          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    position      TEXT    NOT NULL,
    qualification TEXT    NOT NULL DEFAULT 'none' CHECK (qualification IN ('none', 'assistant', 'worker', 'senior')),
    phone_enc     TEXT    NOT NULL DEFAULT '',
    phone_idx     TEXT,
    id_number_enc TEXT    NOT NULL DEFAULT '',
    hired_on      DATE,
    left_on       DATE,
    user_id       INTEGER REFERENCES users(id),
    training_min  INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX community_workers_community ON community_workers (community_id, name, id);
CREATE INDEX community_workers_path ON community_workers (path, name, id);
CREATE UNIQUE INDEX community_workers_user ON community_workers (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX community_workers_phone ON community_workers (phone_idx) WHERE phone_idx IS NOT NULL;

CREATE TABLE worker_trainings (
    id           INTEGER PRIMARY KEY,
    worker_id    INTEGER NOT NULL REFERENCES community_workers(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    held_on      DATE    NOT NULL,
    title        TEXT    NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes > 0),
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX worker_trainings_worker ON worker_trainings (worker_id, held_on, id);
CREATE INDEX worker_trainings_community ON worker_trainings (community_id);

CREATE TABLE worker_recruitments (
    id           INTEGER PRIMARY KEY,
    worker_id    INTEGER NOT NULL REFERENCES community_workers(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    stage        TEXT    NOT NULL CHECK (stage IN ('exam', 'interview', 'appointment')),
    held_on      DATE    NOT NULL,
    result       TEXT    NOT NULL CHECK (result IN ('passed', 'failed')),
    score        TEXT    NOT NULL DEFAULT '',
    note         TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX worker_recruitments_worker ON worker_recruitments (worker_id, held_on, id);
CREATE INDEX worker_recruitments_community ON worker_recruitments (community_id);

CREATE TABLE worker_grids (
    worker_id    INTEGER NOT NULL REFERENCES community_workers(id),
    grid_id      INTEGER NOT NULL REFERENCES territories(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    PRIMARY KEY (worker_id, grid_id)
);
CREATE INDEX worker_grids_grid ON worker_grids (grid_id);
CREATE INDEX worker_grids_community ON worker_grids (community_id);

-- visits: a visit to a node below the community or a household. compound_id and building_id
-- are the compound and building above (or at) the place, set when the visit is logged, so
-- that the places nobody visited lately are an index probe each (visits_compound,
-- visits_building: the latest visit of a place is the last entry of its range).
CREATE TABLE visits (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES territories(id),
    territory_id   INTEGER NOT NULL REFERENCES territories(id),
    household_id   INTEGER REFERENCES households(id),
    compound_id    INTEGER REFERENCES territories(id),
    building_id    INTEGER REFERENCES territories(id),
    path           TEXT    NOT NULL,
    visitor_id     INTEGER REFERENCES users(id),
    visitor_name   TEXT    NOT NULL DEFAULT '',
    worker_id      INTEGER REFERENCES community_workers(id),
    visited_at     TIMESTAMP NOT NULL,
    minutes        INTEGER NOT NULL CHECK (minutes > 0),
    findings       TEXT    NOT NULL,
    follow_up      TEXT    NOT NULL DEFAULT '',
    follow_status  TEXT    NOT NULL DEFAULT 'none' CHECK (follow_status IN ('none', 'open', 'done')),
    follow_done_at TIMESTAMP,
    follow_done_by TEXT    NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX visits_path ON visits (path, visited_at);
CREATE INDEX visits_community ON visits (community_id, visited_at);
CREATE INDEX visits_compound ON visits (compound_id, visited_at) WHERE compound_id IS NOT NULL;
CREATE INDEX visits_building ON visits (building_id, visited_at) WHERE building_id IS NOT NULL;
CREATE INDEX visits_household ON visits (household_id, visited_at) WHERE household_id IS NOT NULL;
CREATE INDEX visits_worker ON visits (worker_id, visited_at) WHERE worker_id IS NOT NULL;
CREATE INDEX visits_open ON visits (community_id, id) WHERE follow_status = 'open';

-- +goose Down
DROP TABLE visits;
DROP TABLE worker_grids;
DROP TABLE worker_recruitments;
DROP TABLE worker_trainings;
DROP TABLE community_workers;
