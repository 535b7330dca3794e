-- +goose Up
-- Proposals of units (联建单元, issue 9): the partition the store proposed for a community or a
-- node below it, which staff adjust (move, merge, split, rename) before confirming it into
-- units. drafts and quality are JSON (model.ProposedUnit, model.PartitionQuality); version
-- decides racing adjustments (a conditional UPDATE on it: a stale version is a conflict).
CREATE TABLE unit_proposals (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES territories(id),
    territory_id INTEGER NOT NULL REFERENCES territories(id),
    path         TEXT    NOT NULL,
    options      TEXT    NOT NULL DEFAULT '{}',
    drafts       TEXT    NOT NULL DEFAULT '[]',
    quality      TEXT    NOT NULL DEFAULT '{}',
    version      INTEGER NOT NULL DEFAULT 1,
    status       TEXT    NOT NULL DEFAULT 'draft',
    created_by   INTEGER,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX unit_proposals_path ON unit_proposals (path, id);
CREATE INDEX unit_proposals_community ON unit_proposals (community_id, status, id);

-- +goose Down
DROP TABLE unit_proposals;
