-- +goose Up
-- Meeting compliance in the composition analytics (issue 8 item 10): for every org and type of
-- meeting it held or scheduled, the start of the last meeting held (begun, not cancelled) and of
-- the next one scheduled, kept by the store as meetings are written (store/analytics.go
-- refreshOrgLife) and moved on when a scheduled meeting has begun (next_at passed). The
-- analytics of a subtree reads one row per org and type instead of its meetings. Existing
-- meetings are summed by the store after this migration (Migrate), and so are the study
-- completions the member counts now carry.
CREATE TABLE party_org_life (
    org_id  BIGINT  NOT NULL,
    type    TEXT    NOT NULL,
    last_at TIMESTAMPTZ,
    next_at TIMESTAMPTZ,
    PRIMARY KEY (org_id, type)
);
CREATE INDEX party_org_life_next ON party_org_life (next_at) WHERE next_at IS NOT NULL;

-- +goose Down
DROP TABLE party_org_life;
