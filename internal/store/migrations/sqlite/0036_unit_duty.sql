-- +goose Up
-- The duty rotation of joint-building units (issue 9 items 3 and 4): one duty household per
-- unit and month (the unique key decides two writers), the households that joined a unit after
-- its rotation was planned (they queue after the month then last assigned), exemptions with
-- their reason, swap requests (a swap is one conditional UPDATE of both months once the other
-- household consents), each community's monthly checklist and the ticks of it, the private
-- feed tokens of the calendar feeds (hashed like API tokens), and the in-app notifications
-- (the seam later features reuse; a key per user keeps a reminder from being sent twice).
CREATE TABLE unit_duty (
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    month        TEXT   NOT NULL,
    household_id INTEGER NOT NULL REFERENCES households(id),
    community_id INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, month)
);
CREATE INDEX unit_duty_household ON unit_duty (household_id, month);
CREATE INDEX unit_duty_month ON unit_duty (month, unit_id);

CREATE TABLE unit_duty_queue (
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    queued_after TEXT   NOT NULL,
    PRIMARY KEY (unit_id, household_id)
);

CREATE TABLE duty_exemptions (
    id           INTEGER PRIMARY KEY,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    community_id INTEGER NOT NULL,
    reason       TEXT   NOT NULL,
    note         TEXT   NOT NULL DEFAULT '',
    from_month   TEXT   NOT NULL,
    until_month  TEXT   NOT NULL DEFAULT '',
    created_by   INTEGER,
    created_at   TIMESTAMP NOT NULL,
    lifted_by    INTEGER,
    lifted_at    TIMESTAMP
);
CREATE INDEX duty_exemptions_unit ON duty_exemptions (unit_id, id);
CREATE UNIQUE INDEX duty_exemptions_open ON duty_exemptions (household_id) WHERE lifted_at IS NULL;

CREATE TABLE duty_swaps (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    community_id   INTEGER NOT NULL,
    from_household INTEGER NOT NULL REFERENCES households(id),
    from_month     TEXT   NOT NULL,
    to_household   INTEGER NOT NULL REFERENCES households(id),
    to_month       TEXT   NOT NULL,
    status         TEXT   NOT NULL DEFAULT 'pending',
    note           TEXT   NOT NULL DEFAULT '',
    requested_by   INTEGER,
    decided_by     INTEGER,
    created_at     TIMESTAMP NOT NULL,
    decided_at     TIMESTAMP
);
CREATE INDEX duty_swaps_unit ON duty_swaps (unit_id, id);
CREATE INDEX duty_swaps_to ON duty_swaps (to_household, status);

CREATE TABLE duty_checklists (
    community_id INTEGER NOT NULL REFERENCES territories(id),
    position     INTEGER NOT NULL,
    item         TEXT   NOT NULL,
    updated_by   INTEGER,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, position)
);

CREATE TABLE duty_ticks (
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    month        TEXT   NOT NULL,
    item         TEXT   NOT NULL,
    household_id INTEGER REFERENCES households(id),
    community_id INTEGER NOT NULL,
    ticked_by    INTEGER,
    by_name      TEXT   NOT NULL DEFAULT '',
    ticked_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (unit_id, month, item)
);

CREATE TABLE duty_feed_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    household_id INTEGER REFERENCES households(id),
    token_hash   TEXT   NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE UNIQUE INDEX duty_feed_tokens_hash ON duty_feed_tokens (token_hash);
CREATE INDEX duty_feed_tokens_user ON duty_feed_tokens (user_id, id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT   NOT NULL,
    title      TEXT   NOT NULL,
    body       TEXT   NOT NULL DEFAULT '',
    link       TEXT   NOT NULL DEFAULT '',
    dedup_key  TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE UNIQUE INDEX notifications_dedup ON notifications (user_id, dedup_key);

-- +goose Down
DROP TABLE notifications;
DROP TABLE duty_feed_tokens;
DROP TABLE duty_ticks;
DROP TABLE duty_checklists;
DROP TABLE duty_swaps;
DROP TABLE duty_exemptions;
DROP TABLE unit_duty_queue;
DROP TABLE unit_duty;
