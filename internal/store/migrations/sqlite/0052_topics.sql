-- +goose Up
-- Topics of compound affairs (议题, issue 11 item 1). A topic is raised over a territory (a
-- street, community, grid, compound, building or stairwell) by a resident, member, unit leader,
-- grid leader or staff; replies are one level under it. Moderation hides a topic or a reply with a
-- stated reason (hidden_at, hidden_by, hidden_reason) and never deletes it. Authors are shown
-- by the display name their account chose (author_name, copied when written). Following is one
-- row per account (the primary key decides a double follow); followers and replies are counters
-- moved in the same transaction. Staff turn a topic into a vote: vote_id is set once, by a
-- conditional UPDATE, and is unique, so a topic goes to one vote and a vote names one topic.
CREATE TABLE topics (
    id            INTEGER PRIMARY KEY,
    territory_id  INTEGER NOT NULL REFERENCES territories(id),
    community_id  INTEGER REFERENCES territories(id),
    path          TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    author_id     INTEGER REFERENCES users(id),
    author_name   TEXT    NOT NULL DEFAULT '',
    author_role   TEXT    NOT NULL DEFAULT '',
    replies       INTEGER NOT NULL DEFAULT 0,
    followers     INTEGER NOT NULL DEFAULT 0,
    vote_id       INTEGER UNIQUE REFERENCES votes(id),
    proposed_at   TIMESTAMP,
    proposed_by   INTEGER REFERENCES users(id),
    created_at    TIMESTAMP NOT NULL,
    last_reply_at TIMESTAMP,
    hidden_at     TIMESTAMP,
    hidden_by     INTEGER REFERENCES users(id),
    hidden_reason TEXT    NOT NULL DEFAULT '',
    CHECK ((hidden_at IS NULL) = (hidden_reason = ''))
);
CREATE INDEX topics_path ON topics (path, id);
CREATE INDEX topics_community ON topics (community_id, id);

CREATE TABLE topic_replies (
    id            INTEGER PRIMARY KEY,
    topic_id      INTEGER NOT NULL REFERENCES topics(id),
    community_id  INTEGER REFERENCES territories(id),
    body          TEXT    NOT NULL,
    author_id     INTEGER REFERENCES users(id),
    author_name   TEXT    NOT NULL DEFAULT '',
    author_role   TEXT    NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    hidden_at     TIMESTAMP,
    hidden_by     INTEGER REFERENCES users(id),
    hidden_reason TEXT    NOT NULL DEFAULT '',
    CHECK ((hidden_at IS NULL) = (hidden_reason = ''))
);
CREATE INDEX topic_replies_topic ON topic_replies (topic_id, id);

CREATE TABLE topic_follows (
    topic_id   INTEGER NOT NULL REFERENCES topics(id),
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (topic_id, user_id)
) WITHOUT ROWID;
CREATE INDEX topic_follows_user ON topic_follows (user_id, topic_id);

-- +goose Down
DROP TABLE topic_follows;
DROP TABLE topic_replies;
DROP TABLE topics;
