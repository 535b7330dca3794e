-- +goose Up
-- Surveys of residents (issue 11 item 3). A survey is sent to a territory subtree; a resident
-- (by its linked account) whose household lies under it answers once: survey_respondents holds
-- one row per survey and resident, the database's decision. The answers go to survey_responses
-- under a random key, with the grid (or, outside grids, the community) the respondent lived in
-- and, for a perception survey, the response's perception index and dimensions; only a named
-- survey records the resident there too. Nothing else joins a respondent to a response: no
-- time, no sequence (SQLite keeps the table in key order, WITHOUT ROWID).
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    territory_id INTEGER NOT NULL REFERENCES territories(id),
    community_id INTEGER REFERENCES territories(id),
    path         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('custom', 'perception')),
    anonymous    BOOLEAN NOT NULL DEFAULT TRUE,
    opens_at     TIMESTAMP NOT NULL,
    closes_at    TIMESTAMP NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    responses    INTEGER NOT NULL DEFAULT 0,
    closed_at    TIMESTAMP,
    closed_by    INTEGER REFERENCES users(id),
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX surveys_path ON surveys (path, id);
CREATE INDEX surveys_community ON surveys (community_id, id);
CREATE INDEX surveys_due ON surveys (closes_at) WHERE status = 'open';

-- options and points are JSON arrays (points: a perception question's score per option).
CREATE TABLE survey_questions (
    id        INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys(id),
    position  INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('single', 'multiple', 'scale', 'text')),
    text      TEXT    NOT NULL,
    options   TEXT    NOT NULL DEFAULT '[]',
    scale_max INTEGER NOT NULL DEFAULT 0,
    required  BOOLEAN NOT NULL DEFAULT FALSE,
    dimension TEXT    NOT NULL DEFAULT '',
    points    TEXT    NOT NULL DEFAULT '[]',
    UNIQUE (survey_id, position)
);

CREATE TABLE survey_respondents (
    survey_id    INTEGER NOT NULL REFERENCES surveys(id),
    resident_id  INTEGER NOT NULL REFERENCES residents(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    PRIMARY KEY (survey_id, resident_id)
) WITHOUT ROWID;

-- answers: a JSON array of model.Answer. area: the respondent's grid, or its community.
CREATE TABLE survey_responses (
    survey_id    INTEGER NOT NULL REFERENCES surveys(id),
    rkey         TEXT    NOT NULL,
    community_id INTEGER REFERENCES territories(id),
    area_id      INTEGER NOT NULL REFERENCES territories(id),
    area_path    TEXT    NOT NULL,
    resident_id  INTEGER REFERENCES residents(id),
    answers      TEXT    NOT NULL,
    score        REAL,
    awareness    REAL,
    presence     REAL,
    satisfaction REAL,
    identity     REAL,
    belonging    REAL,
    PRIMARY KEY (survey_id, rkey)
) WITHOUT ROWID;
CREATE INDEX survey_responses_area ON survey_responses (area_path, survey_id);
CREATE INDEX survey_responses_community ON survey_responses (community_id, survey_id);

-- +goose Down
DROP TABLE survey_responses;
DROP TABLE survey_respondents;
DROP TABLE survey_questions;
DROP TABLE surveys;
