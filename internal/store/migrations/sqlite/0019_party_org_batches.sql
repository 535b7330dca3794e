-- +goose Up
-- One row per generator run that wrote orgs ("one branch per grid", "2–3 groups per branch"):
-- party_orgs.batch_id points here, and undoing the run marks undone_at (the orgs are dissolved,
-- never deleted).
CREATE TABLE party_org_batches (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES territories(id),
    generator    TEXT    NOT NULL CHECK (generator IN ('branches', 'groups_building', 'groups_compound')),
    orgs         INTEGER NOT NULL DEFAULT 0,
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    undone_at    TIMESTAMP
);
CREATE INDEX party_org_batches_community ON party_org_batches (community_id, id);

-- +goose Down
DROP TABLE party_org_batches;
