-- +goose Up
-- The three lists (三张清单, issue 10 item 5): needs, resources, and projects that pair a need
-- with a resource once the community approves them. Every table carries its community
-- (community_id, indexed), and a path for the territory scope.
--
-- list_needs: one open or matched need derived from the orders of one category at one node
-- (the partial unique index decides when two staff adopt the same suggestion at once).
CREATE TABLE list_needs (
    id                INTEGER PRIMARY KEY,
    community_id      INTEGER NOT NULL REFERENCES territories(id),
    territory_id      INTEGER NOT NULL REFERENCES territories(id),
    path              TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    category          TEXT    NOT NULL,
    wants             TEXT    NOT NULL DEFAULT '' CHECK (wants IN ('', 'venue', 'skill', 'funds', 'goods')),
    households        INTEGER NOT NULL DEFAULT 0 CHECK (households >= 0),
    source            TEXT    NOT NULL CHECK (source IN ('orders', 'survey', 'staff')),
    order_category_id INTEGER REFERENCES order_categories(id),
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'matched', 'closed')),
    recorded_by       INTEGER REFERENCES users(id),
    recorded_by_name  TEXT    NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    CHECK ((source = 'orders') = (order_category_id IS NOT NULL))
);
CREATE INDEX list_needs_community ON list_needs (community_id, id);
CREATE INDEX list_needs_path ON list_needs (path, id);
CREATE UNIQUE INDEX list_needs_from_orders ON list_needs (order_category_id, territory_id) WHERE source = 'orders' AND status <> 'closed';

-- list_resources: offered by an organization of the register or by a party member (exactly
-- one). Money in whole fen.
CREATE TABLE list_resources (
    id               INTEGER PRIMARY KEY,
    community_id     INTEGER NOT NULL REFERENCES territories(id),
    territory_id     INTEGER NOT NULL REFERENCES territories(id),
    path             TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('venue', 'skill', 'funds', 'goods')),
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    tags             TEXT    NOT NULL DEFAULT '',
    capacity         INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    amount_fen       INTEGER NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    availability     TEXT    NOT NULL DEFAULT '',
    organization_id  INTEGER REFERENCES organizations(id),
    member_id        INTEGER REFERENCES party_members(id),
    status           TEXT    NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'withdrawn')),
    recorded_by      INTEGER REFERENCES users(id),
    recorded_by_name TEXT    NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK ((organization_id IS NULL) <> (member_id IS NULL))
);
CREATE INDEX list_resources_community ON list_resources (community_id, id);
CREATE INDEX list_resources_path ON list_resources (path, id);

-- list_projects: a need with a resource. One live (proposed, approved, in progress) project
-- per pair: the partial unique index decides when two staff match the same pair at once.
-- Transitions are conditional UPDATEs on status (and version), so a double approval has one
-- effect.
CREATE TABLE list_projects (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES territories(id),
    territory_id  INTEGER NOT NULL REFERENCES territories(id),
    path          TEXT    NOT NULL,
    need_id       INTEGER NOT NULL REFERENCES list_needs(id),
    resource_id   INTEGER NOT NULL REFERENCES list_resources(id),
    title         TEXT    NOT NULL,
    owner         TEXT    NOT NULL,
    starts_on     DATE    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'in_progress', 'done', 'rejected', 'cancelled')),
    proposed_by   INTEGER REFERENCES users(id),
    approved_by   INTEGER REFERENCES users(id),
    approved_at   TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX list_projects_community ON list_projects (community_id, id);
CREATE INDEX list_projects_path ON list_projects (path, id);
CREATE INDEX list_projects_need ON list_projects (need_id);
CREATE INDEX list_projects_resource ON list_projects (resource_id);
CREATE UNIQUE INDEX list_projects_live_pair ON list_projects (need_id, resource_id) WHERE status IN ('proposed', 'approved', 'in_progress');

CREATE TABLE list_project_milestones (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES list_projects(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    title        TEXT    NOT NULL,
    due_on       DATE    NOT NULL,
    done_at      TIMESTAMP,
    done_by      INTEGER REFERENCES users(id),
    done_by_name TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX list_project_milestones_project ON list_project_milestones (project_id, due_on, id);
CREATE INDEX list_project_milestones_community ON list_project_milestones (community_id);

-- list_project_events: every change of a project, who, when and why.
CREATE TABLE list_project_events (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES list_projects(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    action       TEXT    NOT NULL,
    from_status  TEXT    NOT NULL DEFAULT '',
    to_status    TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    actor_id     INTEGER REFERENCES users(id),
    actor_name   TEXT    NOT NULL DEFAULT '',
    at           TIMESTAMP NOT NULL
);
CREATE INDEX list_project_events_project ON list_project_events (project_id, id);
CREATE INDEX list_project_events_community ON list_project_events (community_id);

-- +goose Down
DROP TABLE list_project_events;
DROP TABLE list_project_milestones;
DROP TABLE list_projects;
DROP TABLE list_resources;
DROP TABLE list_needs;
