-- +goose Up
-- Small-project budgeting (民生微实事, issue 11 item 5). A round per community and year (the
-- partial unique index decides two staff creating one at once; a cancelled round frees its
-- year); its proposals (small_projects), reviewed by staff, voted on through a vote of the
-- votes machinery (budget_rounds.vote_id, small_projects.option_id) and decided in the
-- transaction that closes that vote; the winners' milestones and photos. Every change users
-- race on is a conditional UPDATE on the status read; proposals and reviews also bump the
-- round's row (proposals, version), so they and the opening of its voting take turns.
CREATE TABLE budget_rounds (
    id            INTEGER PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES territories(id),
    path          TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    budget_fen    INTEGER NOT NULL CHECK (budget_fen > 0),
    rule          TEXT    NOT NULL CHECK (rule IN ('household', 'resident')),
    status        TEXT    NOT NULL DEFAULT 'proposing' CHECK (status IN ('proposing', 'reviewing', 'voting', 'decided', 'cancelled')),
    proposals     INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 0,
    vote_id       INTEGER REFERENCES votes(id),
    used_fen      INTEGER NOT NULL DEFAULT 0 CHECK (used_fen >= 0 AND used_fen <= budget_fen),
    decided_at    TIMESTAMP,
    cancel_reason TEXT    NOT NULL DEFAULT '',
    cancelled_at  TIMESTAMP,
    cancelled_by  INTEGER REFERENCES users(id),
    created_by    INTEGER REFERENCES users(id),
    created_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX budget_rounds_year ON budget_rounds (community_id, year) WHERE status <> 'cancelled';
CREATE INDEX budget_rounds_path ON budget_rounds (path, id);
CREATE UNIQUE INDEX budget_rounds_vote ON budget_rounds (vote_id) WHERE vote_id IS NOT NULL;

-- small_projects: a proposal. proposer_name is the proposing account's display name, read by
-- staff only; cost_fen is set by a feasible review; option_id when voting opens; approvals
-- and loss_reason when the round is decided.
CREATE TABLE small_projects (
    id               INTEGER PRIMARY KEY,
    round_id         INTEGER NOT NULL REFERENCES budget_rounds(id),
    community_id     INTEGER NOT NULL REFERENCES territories(id),
    territory_id     INTEGER NOT NULL REFERENCES territories(id),
    path             TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    proposed_by      INTEGER REFERENCES users(id),
    proposer_name    TEXT    NOT NULL DEFAULT '',
    proposer_role    TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'feasible', 'infeasible', 'won', 'lost', 'in_progress', 'done')),
    cost_fen         INTEGER NOT NULL DEFAULT 0,
    note             TEXT    NOT NULL DEFAULT '',
    reviewed_by      INTEGER REFERENCES users(id),
    reviewed_by_name TEXT    NOT NULL DEFAULT '',
    reviewed_at      TIMESTAMP,
    option_id        INTEGER REFERENCES vote_options(id),
    approvals        INTEGER,
    loss_reason      TEXT    NOT NULL DEFAULT '',
    photos           INTEGER NOT NULL DEFAULT 0,
    started_at       TIMESTAMP,
    done_at          TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX small_projects_round ON small_projects (round_id, id);
CREATE UNIQUE INDEX small_projects_title ON small_projects (round_id, title);
CREATE INDEX small_projects_community ON small_projects (community_id, status, id);
CREATE INDEX small_projects_proposer ON small_projects (round_id, proposed_by);

CREATE TABLE small_project_milestones (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES small_projects(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    title        TEXT    NOT NULL,
    due_on       DATE    NOT NULL,
    done_at      TIMESTAMP,
    done_by      INTEGER REFERENCES users(id),
    done_by_name TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX small_project_milestones_project ON small_project_milestones (project_id, due_on, id);
CREATE INDEX small_project_milestones_community ON small_project_milestones (community_id);

CREATE TABLE small_project_photos (
    project_id   INTEGER NOT NULL REFERENCES small_projects(id),
    n            INTEGER NOT NULL,
    blob_id      TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, n)
);

-- +goose Down
DROP TABLE small_project_photos;
DROP TABLE small_project_milestones;
DROP TABLE small_projects;
DROP TABLE budget_rounds;
