-- +goose Up
-- Votes of compound affairs (issue 11 item 2). The roll (vote_roll) is fixed when a vote opens:
-- every current household of the subtree (rule household) or every resident aged 18 or over of
-- its current households (rule resident). Casting flips the voter's roll row from not voted to
-- voted (a conditional UPDATE: the database decides a second ballot) and stores the ballot in
-- vote_ballots under a random receipt code, with the choices and nothing else: no voter, no time,
-- no sequence (SQLite keeps the table in receipt order, WITHOUT ROWID). Options get their
-- tallies when the vote closes, counted from the ballots.
CREATE TABLE votes (
    id            INTEGER PRIMARY KEY,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    territory_id  INTEGER NOT NULL REFERENCES territories(id),
    community_id  INTEGER REFERENCES territories(id),
    path          TEXT    NOT NULL,
    rule          TEXT    NOT NULL CHECK (rule IN ('household', 'resident')),
    kind          TEXT    NOT NULL CHECK (kind IN ('yes_no', 'single', 'multiple')),
    max_choices   INTEGER NOT NULL DEFAULT 1,
    quorum_num    INTEGER NOT NULL DEFAULT 0,
    quorum_den    INTEGER NOT NULL DEFAULT 1,
    threshold     TEXT    NOT NULL CHECK (threshold IN ('majority', 'two_thirds')),
    opens_at      TIMESTAMP NOT NULL,
    closes_at     TIMESTAMP NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    eligible      INTEGER NOT NULL DEFAULT 0,
    voted         INTEGER NOT NULL DEFAULT 0,
    cancel_reason TEXT    NOT NULL DEFAULT '',
    closed_at     TIMESTAMP,
    closed_by     INTEGER REFERENCES users(id),
    created_by    INTEGER REFERENCES users(id),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX votes_path ON votes (path, id);
CREATE INDEX votes_community ON votes (community_id, id);
CREATE INDEX votes_due ON votes (closes_at) WHERE status = 'open';

CREATE TABLE vote_options (
    id       INTEGER PRIMARY KEY,
    vote_id  INTEGER NOT NULL REFERENCES votes(id),
    position INTEGER NOT NULL,
    label    TEXT    NOT NULL,
    abstain  BOOLEAN NOT NULL DEFAULT FALSE,
    votes    INTEGER,
    UNIQUE (vote_id, position)
);

-- The roll: voter_id is a household (rule household) or a resident (rule resident). cast_by
-- is the resident who cast a household's ballot; proxy_by the staff account that cast it for a
-- voter without a smartphone. No time: the audit record has that, without the choice.
CREATE TABLE vote_roll (
    vote_id      INTEGER NOT NULL REFERENCES votes(id),
    voter_id     INTEGER NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households(id),
    voted        BOOLEAN NOT NULL DEFAULT FALSE,
    cast_by      INTEGER REFERENCES residents(id),
    proxy_by     INTEGER REFERENCES users(id),
    PRIMARY KEY (vote_id, voter_id)
) WITHOUT ROWID;
CREATE INDEX vote_roll_household ON vote_roll (household_id, vote_id);

CREATE TABLE vote_ballots (
    vote_id INTEGER NOT NULL REFERENCES votes(id),
    receipt TEXT    NOT NULL,
    choices TEXT    NOT NULL,
    PRIMARY KEY (vote_id, receipt)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE vote_ballots;
DROP TABLE vote_roll;
DROP TABLE vote_options;
DROP TABLE votes;
