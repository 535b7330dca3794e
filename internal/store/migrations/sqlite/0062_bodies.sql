-- +goose Up
-- Community bodies (issue 12 item 4): the residents' (or villagers') committee of a community,
-- beside its Party committee, by term. One term of a community may start on a given day (the
-- unique index decides two staff entering it at once). A member names the person (resident,
-- Party member); cross appointments are read from party_posts through those links.
CREATE TABLE body_terms (
    id              INTEGER PRIMARY KEY,
    community_id    INTEGER NOT NULL REFERENCES territories(id),
    path            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('residents', 'villagers')),
    starts_on       DATE    NOT NULL,
    ends_on         DATE    NOT NULL,
    elected_on      DATE    NOT NULL,
    election_result TEXT    NOT NULL DEFAULT '',
    created_by      INTEGER REFERENCES users(id),
    created_at      TIMESTAMP NOT NULL,
    CHECK (ends_on > starts_on)
);
CREATE UNIQUE INDEX body_terms_start ON body_terms (community_id, starts_on);
CREATE INDEX body_terms_path ON body_terms (path, starts_on);

CREATE TABLE body_members (
    id              INTEGER PRIMARY KEY,
    term_id         INTEGER NOT NULL REFERENCES body_terms(id),
    community_id    INTEGER NOT NULL REFERENCES territories(id),
    post            TEXT    NOT NULL CHECK (post IN ('director', 'deputy', 'member')),
    name            TEXT    NOT NULL,
    resident_id     INTEGER REFERENCES residents(id),
    party_member_id INTEGER REFERENCES party_members(id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX body_members_term ON body_members (term_id, id);
CREATE INDEX body_members_community ON body_members (community_id);

CREATE TABLE body_decisions (
    id           INTEGER PRIMARY KEY,
    term_id      INTEGER NOT NULL REFERENCES body_terms(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    kind         TEXT    NOT NULL CHECK (kind IN ('meeting', 'decision', 'task')),
    held_on      DATE    NOT NULL,
    title        TEXT    NOT NULL,
    content      TEXT    NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX body_decisions_term ON body_decisions (term_id, held_on, id);
CREATE INDEX body_decisions_community ON body_decisions (community_id, held_on);

-- +goose Down
DROP TABLE body_decisions;
DROP TABLE body_members;
DROP TABLE body_terms;
