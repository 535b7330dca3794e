-- +goose Up
-- Notices (issue 11 item 4): published by staff to a territory subtree (path), pinned or not,
-- public or not (the community's disclosure page shows the public ones). audience is the
-- number of current households under the territory at publication; notice_reads holds each
-- household's first reading (its primary key makes a second one nothing) and reads counts
-- them. Never deleted: withdrawn with a reason.
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    territory_id    INTEGER NOT NULL REFERENCES territories(id),
    community_id    INTEGER REFERENCES territories(id),
    path            TEXT    NOT NULL,
    pinned          BOOLEAN NOT NULL DEFAULT FALSE,
    public          BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT    NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'withdrawn')),
    audience        INTEGER NOT NULL DEFAULT 0,
    reads           INTEGER NOT NULL DEFAULT 0,
    published_at    TIMESTAMP NOT NULL,
    published_by    INTEGER REFERENCES users(id),
    withdrawn_at    TIMESTAMP,
    withdrawn_by    INTEGER REFERENCES users(id),
    withdraw_reason TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX notices_path ON notices (path, id);
CREATE INDEX notices_public ON notices (community_id, id) WHERE public AND status = 'published';

CREATE TABLE notice_reads (
    notice_id    INTEGER NOT NULL REFERENCES notices(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    read_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (notice_id, household_id)
) WITHOUT ROWID;
CREATE INDEX notice_reads_household ON notice_reads (household_id, notice_id);

-- +goose Down
DROP TABLE notice_reads;
DROP TABLE notices;
