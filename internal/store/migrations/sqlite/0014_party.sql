-- +goose Up
-- Party organizations (a second tree, linked to the territory), the register of organizations in
-- the area, and the members registered here or reporting here. Glossary: shared DESIGN.md.
--
-- party_orgs: territorial orgs (street_committee, community_committee, grid_branch,
-- building_group) are anchored to a territory node (territory_id) and their scope follows it
-- (path = that node's path); functional orgs (functional_group, with an affinity, at branch or
-- group level) belong to a parent org and take its path. Orgs are never deleted: renamed, merged
-- (merged_into_id) or dissolved, with history in party_org_events. batch_id groups the orgs one
-- generator run created, so the run can be undone as one step.
CREATE TABLE party_orgs (
    id             INTEGER PRIMARY KEY,
    parent_id      INTEGER REFERENCES party_orgs(id),
    kind           TEXT    NOT NULL CHECK (kind IN ('street_committee', 'community_committee', 'grid_branch', 'building_group', 'functional_group')),
    level          TEXT    NOT NULL DEFAULT '' CHECK (level IN ('', 'branch', 'group')),
    affinity       TEXT    NOT NULL DEFAULT '' CHECK (affinity IN ('', 'locality', 'occupation', 'interest', 'online')),
    name           TEXT    NOT NULL,
    territory_id   INTEGER REFERENCES territories(id),
    path           TEXT    NOT NULL,
    community_id   INTEGER,
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged', 'dissolved')),
    merged_into_id INTEGER REFERENCES party_orgs(id),
    batch_id       INTEGER,
    members        INTEGER NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    ended_at       TIMESTAMP,
    CHECK ((kind = 'functional_group') = (affinity <> '')),
    CHECK (kind = 'functional_group' OR territory_id IS NOT NULL)
);
CREATE INDEX party_orgs_path ON party_orgs (path, id);
CREATE INDEX party_orgs_parent ON party_orgs (parent_id, id);
CREATE INDEX party_orgs_community ON party_orgs (community_id);
CREATE INDEX party_orgs_batch ON party_orgs (batch_id) WHERE batch_id IS NOT NULL;
-- One active committee or branch per territory node ("网格+支部"): decided by the database, so
-- two generator runs at once cannot both create a grid's branch.
CREATE UNIQUE INDEX party_orgs_anchor ON party_orgs (territory_id, kind)
    WHERE status = 'active' AND kind IN ('street_committee', 'community_committee', 'grid_branch');

CREATE TABLE party_org_events (
    id       INTEGER PRIMARY KEY,
    org_id   INTEGER NOT NULL REFERENCES party_orgs(id),
    action   TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT '',
    actor_id INTEGER,
    at       TIMESTAMP NOT NULL
);
CREATE INDEX party_org_events_org ON party_org_events (org_id, id);

-- A committee's terms of office (届); a re-election (换届) ends one term and starts the next.
CREATE TABLE party_org_terms (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES party_orgs(id),
    starts_on  DATE    NOT NULL,
    ends_on    DATE    NOT NULL,
    elected_on DATE,
    note       TEXT    NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    CHECK (ends_on > starts_on)
);
CREATE INDEX party_org_terms_org ON party_org_terms (org_id, starts_on);

-- The register of organizations in the area (one register; later features use it).
CREATE TABLE organizations (
    id             INTEGER PRIMARY KEY,
    type           TEXT    NOT NULL CHECK (type IN ('co_building', 'social', 'volunteer_team', 'mass', 'economic')),
    subtype        TEXT    NOT NULL DEFAULT '',
    name           TEXT    NOT NULL,
    territory_id   INTEGER NOT NULL REFERENCES territories(id),
    path           TEXT    NOT NULL,
    community_id   INTEGER,
    contact_name   TEXT    NOT NULL DEFAULT '',
    contact_phone  TEXT    NOT NULL DEFAULT '',
    address        TEXT    NOT NULL DEFAULT '',
    offers         TEXT    NOT NULL DEFAULT '',
    party_coverage TEXT    NOT NULL DEFAULT 'none' CHECK (party_coverage IN ('own', 'joint', 'none')),
    party_org_id   INTEGER REFERENCES party_orgs(id),
    joinable       INTEGER NOT NULL DEFAULT 0,
    reported_on    DATE,
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX organizations_path ON organizations (path, id);
CREATE INDEX organizations_type ON organizations (type, path);
CREATE UNIQUE INDEX organizations_name ON organizations (territory_id, name);

-- Residents who joined a volunteer team or mutual-aid group of the register.
CREATE TABLE organization_members (
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    resident_id     INTEGER NOT NULL REFERENCES residents(id),
    joined_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, resident_id)
);

-- The account of a partner organization (role partner).
ALTER TABLE users ADD COLUMN organization_id INTEGER REFERENCES organizations(id);

-- Members. list = registered (在册, counted in totals, belongs to exactly one branch or group:
-- org_id) or reporting (registered elsewhere, living or working here: 双报到 in-work members and
-- inflowing mobile members; never counted in registered totals; org_id is the org they serve
-- in). path/community_id follow org_id for scope. Personal fields (income) are sealed like ID
-- numbers (internal/pii, bound to party_members.income).
CREATE TABLE party_members (
    id            INTEGER PRIMARY KEY,
    list          TEXT    NOT NULL DEFAULT 'registered' CHECK (list IN ('registered', 'reporting')),
    resident_id   INTEGER REFERENCES residents(id),
    name          TEXT    NOT NULL,
    gender        TEXT    NOT NULL DEFAULT '',
    birth_date    DATE,
    education     TEXT    NOT NULL DEFAULT '',
    org_id        INTEGER NOT NULL REFERENCES party_orgs(id),
    path          TEXT    NOT NULL,
    community_id  INTEGER,
    status        TEXT    NOT NULL CHECK (status IN ('probationary', 'full')),
    joined_on     DATE,
    full_on       DATE,
    category      TEXT    NOT NULL CHECK (category IN ('in_work', 'retired', 'unemployed', 'student', 'other')),
    mobility      TEXT    NOT NULL DEFAULT 'none' CHECK (mobility IN ('none', 'outflow')),
    reporting_kind TEXT   NOT NULL DEFAULT '' CHECK (reporting_kind IN ('', 'in_work', 'inflow')),
    home_org      TEXT    NOT NULL DEFAULT '',
    workplace     TEXT    NOT NULL DEFAULT '',
    service_post  TEXT    NOT NULL DEFAULT '',
    reported_on   DATE,
    income        TEXT    NOT NULL DEFAULT '',
    user_id       INTEGER REFERENCES users(id),
    left_on       DATE,
    left_reason   TEXT    NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK ((list = 'reporting') = (reporting_kind <> ''))
);
CREATE INDEX party_members_path ON party_members (path, id);
CREATE INDEX party_members_org ON party_members (org_id, id);
CREATE INDEX party_members_community ON party_members (community_id);
CREATE INDEX party_members_user ON party_members (user_id) WHERE user_id IS NOT NULL;
-- A resident is on the roster at most once while current (a member is in one branch at a time).
CREATE UNIQUE INDEX party_members_resident ON party_members (resident_id) WHERE resident_id IS NOT NULL AND left_on IS NULL;

-- A post on a committee or branch, held by a member, or by someone outside the roster (usually
-- the leader of a co-building unit: organization_id), for a term.
CREATE TABLE party_posts (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES party_orgs(id),
    post            TEXT    NOT NULL CHECK (post IN ('secretary', 'deputy_secretary', 'organizer', 'propaganda', 'discipline', 'part_time')),
    member_id       INTEGER REFERENCES party_members(id),
    holder_name     TEXT    NOT NULL DEFAULT '',
    organization_id INTEGER REFERENCES organizations(id),
    user_id         INTEGER REFERENCES users(id),
    starts_on       DATE    NOT NULL,
    ends_on         DATE,
    ended_at        TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    CHECK (member_id IS NOT NULL OR holder_name <> '')
);
CREATE INDEX party_posts_org ON party_posts (org_id, id);
CREATE INDEX party_posts_member ON party_posts (member_id);
CREATE INDEX party_posts_user ON party_posts (user_id) WHERE user_id IS NOT NULL;
-- One current secretary per org.
CREATE UNIQUE INDEX party_posts_secretary ON party_posts (org_id) WHERE post = 'secretary' AND ended_at IS NULL;

CREATE TABLE party_member_events (
    id        INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES party_members(id),
    action    TEXT    NOT NULL,
    detail    TEXT    NOT NULL DEFAULT '',
    actor_id  INTEGER,
    at        TIMESTAMP NOT NULL
);
CREATE INDEX party_member_events_member ON party_member_events (member_id, id);

-- Functional organizations gather members from anywhere under their parent, in addition to the
-- member's one branch or group.
CREATE TABLE party_org_members (
    org_id    INTEGER NOT NULL REFERENCES party_orgs(id),
    member_id INTEGER NOT NULL REFERENCES party_members(id),
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, member_id)
);
CREATE INDEX party_org_members_member ON party_org_members (member_id);

-- Transfers of organizational relations (组织关系转接): request → accepted | rejected, never an
-- overwrite. to_org_id is NULL for a transfer out of the deployment (signed file), from_org_id
-- NULL for one in.
CREATE TABLE party_transfers (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES party_members(id),
    from_org_id  INTEGER REFERENCES party_orgs(id),
    to_org_id    INTEGER REFERENCES party_orgs(id),
    direction    TEXT    NOT NULL CHECK (direction IN ('internal', 'out', 'in')),
    destination  TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'accepted', 'rejected')),
    requested_by INTEGER REFERENCES users(id),
    handled_by   INTEGER REFERENCES users(id),
    handled_at   TIMESTAMP,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX party_transfers_member ON party_transfers (member_id, id);
CREATE INDEX party_transfers_to ON party_transfers (to_org_id, status);
-- At most one open transfer per member.
CREATE UNIQUE INDEX party_transfers_open ON party_transfers (member_id) WHERE status = 'requested';

-- +goose Down
DROP TABLE party_transfers;
DROP TABLE party_org_members;
DROP TABLE party_member_events;
DROP TABLE party_posts;
DROP TABLE party_members;
ALTER TABLE users DROP COLUMN organization_id;
DROP TABLE organization_members;
DROP TABLE organizations;
DROP TABLE party_org_terms;
DROP TABLE party_org_events;
DROP TABLE party_orgs;
