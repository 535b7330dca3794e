-- +goose Up
-- Meeting compliance read from an index (issue 8 item 10: analytics p99 ≤ 20 ms for any
-- subtree). party_org_life (0030) now holds, for every active org that has held or scheduled a
-- meeting, one row per type of meeting expected of it and one row for the org as a whole (type
-- ''), each with the org's path and due_at: when the next meeting of the type falls due by the
-- community's frequency (model.MeetingDue of the last one held), and for the org the earliest
-- of its types (NULL when a type was never held: overdue now). A subtree's compliance is then
-- counted on the index (path, type, due_at) without touching the orgs' rows, and the orgs
-- expected to meet on the index of party_orgs below. The rows are summed again by the store
-- after this migration (Migrate).
DROP TABLE party_org_life;
CREATE TABLE party_org_life (
    org_id  BIGINT NOT NULL,
    type    TEXT    NOT NULL,
    path    TEXT COLLATE "C" NOT NULL,
    last_at TIMESTAMPTZ,
    next_at TIMESTAMPTZ,
    due_at  TIMESTAMPTZ,
    PRIMARY KEY (org_id, type)
);
CREATE INDEX party_org_life_due ON party_org_life (path, type, due_at);
CREATE INDEX party_org_life_next ON party_org_life (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX party_orgs_life ON party_orgs (path, status, kind, level);

-- +goose Down
DROP INDEX party_orgs_life;
DROP TABLE party_org_life;
CREATE TABLE party_org_life (
    org_id  BIGINT NOT NULL,
    type    TEXT    NOT NULL,
    last_at TIMESTAMPTZ,
    next_at TIMESTAMPTZ,
    PRIMARY KEY (org_id, type)
);
CREATE INDEX party_org_life_next ON party_org_life (next_at) WHERE next_at IS NOT NULL;
