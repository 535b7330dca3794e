-- +goose Up
-- The residents' (villagers') committee's own meetings (issue 12 item 4): a meeting the committee
-- owns is a 居民委员会会议 (residents_committee), 居民代表会议 (residents_representatives) or
-- 居民会议 (residents_assembly) — in a village 村民委员会会议, 村民代表会议, 村民会议 — never one of
-- the Party's four (三会一课), and a Party meeting is never one of these. The CHECK on type
-- widens and a second CHECK ties the type to the body. The committee's demo meetings, recorded
-- as 支委会 before, become 居民委员会会议.
--
-- SQLite cannot change a CHECK in place: the table is rebuilt. Attendance and files reference
-- it, so their foreign keys are deferred to the commit, the rows are set aside, the old table
-- dropped, the new one put in its name and the rows inserted back (which settles the deferred
-- count the drop left).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE party_meetings_keep AS SELECT id, org_id, path, community_id,
    CASE WHEN body = 'committee' THEN 'residents_committee' ELSE type END AS type,
    title, starts_at, ends_at, closes_at, place, series_id, minutes, status, attendees, created_by, created_at, updated_at, body
    FROM party_meetings;
CREATE TABLE party_meetings_new (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES party_orgs(id),
    path         TEXT    NOT NULL,
    community_id INTEGER,
    type         TEXT    NOT NULL CHECK (type IN ('branch_assembly', 'committee_meeting', 'group_meeting', 'party_lecture',
                                                  'residents_committee', 'residents_representatives', 'residents_assembly')),
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
    body         TEXT    NOT NULL DEFAULT 'party' CHECK (body IN ('party', 'committee')),
    CHECK (ends_at > starts_at),
    CHECK (closes_at >= ends_at),
    CHECK ((body = 'committee') = (type IN ('residents_committee', 'residents_representatives', 'residents_assembly')))
);
DROP TABLE party_meetings;
ALTER TABLE party_meetings_new RENAME TO party_meetings;
INSERT INTO party_meetings (id, org_id, path, community_id, type, title, starts_at, ends_at, closes_at, place, series_id, minutes, status,
    attendees, created_by, created_at, updated_at, body)
    SELECT id, org_id, path, community_id, type, title, starts_at, ends_at, closes_at, place, series_id, minutes, status,
    attendees, created_by, created_at, updated_at, body FROM party_meetings_keep;
DROP TABLE party_meetings_keep;
CREATE INDEX party_meetings_org ON party_meetings (org_id, starts_at);
CREATE INDEX party_meetings_path ON party_meetings (path, starts_at);
CREATE INDEX party_meetings_community ON party_meetings (community_id);
CREATE INDEX party_meetings_body ON party_meetings (community_id, body);

-- +goose Down
-- The table keeps its new shape (SQLite would rebuild it again to narrow the CHECK).
