-- +goose Up
-- Unit leader elections (issue 9 item 2): one household, one vote, secret. unit_election_voters
-- says which households voted (its primary key decides a second vote: the database refuses
-- it), and the choice only adds one to a candidate's tally in the same transaction: no row
-- carries a household with its choice, a time or a sequence that could join the two. Tallies
-- are shown once the election has closed; the turnout (voted) at any time. Closing records the
-- result and the term on the unit (units.leader_*), as does an appointment, with its reason.
CREATE TABLE unit_elections (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    opens_at     TIMESTAMP NOT NULL,
    closes_at    TIMESTAMP NOT NULL,
    term_months  INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'open',
    households   INTEGER NOT NULL,
    voted        INTEGER NOT NULL DEFAULT 0,
    result       TEXT    NOT NULL DEFAULT '',
    winner_id    INTEGER,
    closed_at    TIMESTAMP,
    closed_by    INTEGER,
    created_by   INTEGER,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX unit_elections_unit ON unit_elections (unit_id, id);
CREATE INDEX unit_elections_due ON unit_elections (closes_at) WHERE status = 'open';
-- At most one open election per unit.
CREATE UNIQUE INDEX unit_elections_one_open ON unit_elections (unit_id) WHERE status = 'open';

CREATE TABLE unit_election_candidates (
    id           INTEGER PRIMARY KEY,
    election_id  INTEGER NOT NULL REFERENCES unit_elections(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    resident_id  INTEGER NOT NULL REFERENCES residents(id),
    votes        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (election_id, household_id)
);

-- Who voted, never for whom; proxy: staff cast it for a household without a smartphone.
CREATE TABLE unit_election_voters (
    election_id  INTEGER NOT NULL REFERENCES unit_elections(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    proxy        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (election_id, household_id)
);

ALTER TABLE units ADD COLUMN leader_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN leader_election_id INTEGER REFERENCES unit_elections(id);

-- +goose Down
ALTER TABLE units DROP COLUMN leader_election_id;
ALTER TABLE units DROP COLUMN leader_reason;
DROP TABLE unit_election_voters;
DROP TABLE unit_election_candidates;
DROP TABLE unit_elections;
