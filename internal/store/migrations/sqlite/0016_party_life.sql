-- +goose Up
-- Organizational life (三会一课), Party–resident activities (党群活动) and the points ledger (积分).
--
-- party_meetings: one meeting of an org (series_id groups the meetings one schedule generated).
-- path/community_id are the org's, copied when the meeting is scheduled, so scope is one range.
-- A member checks in while status = 'scheduled' and the clock is before closes_at.
CREATE TABLE party_meetings (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES party_orgs(id),
    path         TEXT    NOT NULL,
    community_id INTEGER,
    type         TEXT    NOT NULL CHECK (type IN ('branch_assembly', 'committee_meeting', 'group_meeting', 'party_lecture')),
    title        TEXT    NOT NULL,
    starts_at    TIMESTAMP NOT NULL,
    ends_at      TIMESTAMP NOT NULL,
    closes_at    TIMESTAMP NOT NULL,
    place        TEXT    NOT NULL DEFAULT '',
    series_id    INTEGER,
    minutes      TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'closed', 'cancelled')),
    attendees    INTEGER NOT NULL DEFAULT 0,
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (closes_at >= ends_at)
);
CREATE INDEX party_meetings_org ON party_meetings (org_id, starts_at);
CREATE INDEX party_meetings_path ON party_meetings (path, starts_at);
CREATE INDEX party_meetings_community ON party_meetings (community_id);

-- How often each type of meeting is expected in a community (no row: model.DefaultMeetingMonths).
CREATE TABLE party_meeting_rules (
    community_id INTEGER NOT NULL,
    type         TEXT    NOT NULL CHECK (type IN ('branch_assembly', 'committee_meeting', 'group_meeting', 'party_lecture')),
    months       INTEGER NOT NULL CHECK (months BETWEEN 1 AND 12),
    updated_by   INTEGER REFERENCES users(id),
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, type)
);

-- Attachments of a meeting (minutes scans, slides): small files kept in the database.
CREATE TABLE party_meeting_files (
    id           INTEGER PRIMARY KEY,
    meeting_id   INTEGER NOT NULL REFERENCES party_meetings(id),
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX party_meeting_files_meeting ON party_meeting_files (meeting_id, id);

-- One row per member present: the primary key decides that a check-in is recorded once, however
-- many arrive at the same moment.
CREATE TABLE party_meeting_attendance (
    meeting_id    INTEGER NOT NULL REFERENCES party_meetings(id),
    member_id     INTEGER NOT NULL REFERENCES party_members(id),
    community_id  INTEGER,
    method        TEXT    NOT NULL CHECK (method IN ('qr', 'staff')),
    recorded_by   INTEGER REFERENCES users(id),
    checked_in_at TIMESTAMP NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX party_meeting_attendance_member ON party_meeting_attendance (member_id, meeting_id);

-- Party–resident activities, published to a territory subtree (path = that node's path).
-- signups counts the rows of party_activity_signups; the conditional UPDATE on it decides the
-- limit (signup_limit 0: no limit).
CREATE TABLE party_activities (
    id           INTEGER PRIMARY KEY,
    territory_id INTEGER NOT NULL REFERENCES territories(id),
    path         TEXT    NOT NULL,
    community_id INTEGER,
    org_id       INTEGER REFERENCES party_orgs(id),
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    place        TEXT    NOT NULL DEFAULT '',
    starts_at    TIMESTAMP NOT NULL,
    ends_at      TIMESTAMP NOT NULL,
    closes_at    TIMESTAMP NOT NULL,
    signup_limit INTEGER NOT NULL DEFAULT 0 CHECK (signup_limit >= 0),
    signups      INTEGER NOT NULL DEFAULT 0,
    status       TEXT    NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'closed', 'cancelled')),
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (closes_at >= ends_at),
    CHECK (signup_limit = 0 OR signups <= signup_limit)
);
CREATE INDEX party_activities_path ON party_activities (path, starts_at);
CREATE INDEX party_activities_community ON party_activities (community_id);

CREATE TABLE party_activity_signups (
    activity_id   INTEGER NOT NULL REFERENCES party_activities(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    member_id     INTEGER REFERENCES party_members(id),
    community_id  INTEGER,
    signed_at     TIMESTAMP NOT NULL,
    checked_in_at TIMESTAMP,
    PRIMARY KEY (activity_id, user_id)
);
CREATE INDEX party_activity_signups_user ON party_activity_signups (user_id, activity_id);

-- Points per source, per community (no row: the built-in default of model.PointsSource).
CREATE TABLE party_points_rules (
    community_id INTEGER NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('meeting', 'activity', 'course', 'order', 'duty')),
    points       INTEGER NOT NULL CHECK (points >= 0 AND points <= 1000),
    updated_by   INTEGER REFERENCES users(id),
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (community_id, source)
);

-- The ledger: append-only. One event awards once (unique member + source + source id);
-- corrections are new 'correction' entries pointing at what they correct (corrects_id).
CREATE TABLE party_points_entries (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES party_members(id),
    community_id INTEGER,
    path         TEXT    NOT NULL,
    points       INTEGER NOT NULL CHECK (points <> 0),
    reason       TEXT    NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('meeting', 'activity', 'course', 'order', 'duty', 'correction')),
    source_id    INTEGER,
    corrects_id  INTEGER REFERENCES party_points_entries(id),
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    CHECK ((source = 'correction') = (source_id IS NULL))
);
CREATE UNIQUE INDEX party_points_entries_once ON party_points_entries (member_id, source, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX party_points_entries_member ON party_points_entries (member_id, id);
CREATE INDEX party_points_entries_community ON party_points_entries (community_id, member_id);

-- +goose StatementBegin
CREATE TRIGGER party_points_entries_no_update BEFORE UPDATE ON party_points_entries
BEGIN
    SELECT RAISE(ABORT, 'party_points_entries is append-only: corrections are new entries');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER party_points_entries_no_delete BEFORE DELETE ON party_points_entries
BEGIN
    SELECT RAISE(ABORT, 'party_points_entries is append-only: corrections are new entries');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER party_points_entries_no_delete;
DROP TRIGGER party_points_entries_no_update;
DROP TABLE party_points_entries;
DROP TABLE party_points_rules;
DROP TABLE party_activity_signups;
DROP TABLE party_activities;
DROP TABLE party_meeting_attendance;
DROP TABLE party_meeting_files;
DROP TABLE party_meeting_rules;
DROP TABLE party_meetings;
