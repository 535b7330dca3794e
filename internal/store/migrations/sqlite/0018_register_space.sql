-- +goose Up
-- The register of organizations (0014: organizations, organization_members) gains its history,
-- and every Party organization its online space (网缘): notices, a discussion and shared files.
--
-- organization_events: what happened to an organization of the register (created, updated,
-- reported, deactivated, reactivated, a resident joined or left), never deleted, beside the
-- audit record.
CREATE TABLE organization_events (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    action          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    actor_id        INTEGER,
    at              TIMESTAMP NOT NULL
);
CREATE INDEX organization_events_org ON organization_events (organization_id, id);
CREATE INDEX organization_members_resident ON organization_members (resident_id);
CREATE INDEX users_organization ON users (organization_id) WHERE organization_id IS NOT NULL;

-- org_notices: notices of a Party organization to its members (path/community_id follow the org).
CREATE TABLE org_notices (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES party_orgs(id),
    path         TEXT    NOT NULL,
    community_id INTEGER,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    author_id    INTEGER REFERENCES users(id),
    author_name  TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX org_notices_org ON org_notices (org_id, id);

-- org_posts: the discussion. A post with parent_id NULL opens a thread, the others reply to it
-- (one level). A post is hidden with a reason (hidden_at, hidden_by, hidden_reason), never
-- deleted; nobody replies to a hidden post or in a hidden thread.
CREATE TABLE org_posts (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES party_orgs(id),
    parent_id     INTEGER REFERENCES org_posts(id),
    path          TEXT    NOT NULL,
    community_id  INTEGER,
    title         TEXT    NOT NULL DEFAULT '',
    body          TEXT    NOT NULL,
    author_id     INTEGER REFERENCES users(id),
    author_name   TEXT    NOT NULL DEFAULT '',
    replies       INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    hidden_at     TIMESTAMP,
    hidden_by     INTEGER REFERENCES users(id),
    hidden_reason TEXT    NOT NULL DEFAULT '',
    CHECK ((hidden_at IS NULL) = (hidden_reason = ''))
);
CREATE INDEX org_posts_org ON org_posts (org_id, parent_id, id);
CREATE INDEX org_posts_parent ON org_posts (parent_id, id) WHERE parent_id IS NOT NULL;

-- org_files: shared files, checked like the imports' uploads (size, name, kind sniffed from the
-- content); the content is kept in the row. A file is withdrawn (removed_at), never deleted.
CREATE TABLE org_files (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES party_orgs(id),
    path         TEXT    NOT NULL,
    community_id INTEGER,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    author_id    INTEGER REFERENCES users(id),
    author_name  TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    removed_at   TIMESTAMP,
    removed_by   INTEGER REFERENCES users(id)
);
CREATE INDEX org_files_org ON org_files (org_id, id);

-- +goose Down
DROP TABLE org_files;
DROP TABLE org_posts;
DROP TABLE org_notices;
DROP INDEX users_organization;
DROP INDEX organization_members_resident;
DROP TABLE organization_events;
