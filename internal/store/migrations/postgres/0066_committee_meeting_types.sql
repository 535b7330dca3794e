-- +goose Up
-- The residents' (villagers') committee's own meetings (issue 12 item 4): a meeting the committee
-- owns is a 居民委员会会议 (residents_committee), 居民代表会议 (residents_representatives) or
-- 居民会议 (residents_assembly) — in a village 村民委员会会议, 村民代表会议, 村民会议 — never one of
-- the Party's four (三会一课), and a Party meeting is never one of these. The CHECK on type
-- widens and a second CHECK ties the type to the body. The committee's demo meetings, recorded
-- as 支委会 before, become 居民委员会会议.
ALTER TABLE party_meetings DROP CONSTRAINT party_meetings_type_check;
UPDATE party_meetings SET type = 'residents_committee' WHERE body = 'committee';
ALTER TABLE party_meetings ADD CONSTRAINT party_meetings_type_check CHECK (type IN ('branch_assembly', 'committee_meeting', 'group_meeting', 'party_lecture',
    'residents_committee', 'residents_representatives', 'residents_assembly'));
ALTER TABLE party_meetings ADD CONSTRAINT party_meetings_type_body CHECK ((body = 'committee') = (type IN ('residents_committee', 'residents_representatives', 'residents_assembly')));

-- +goose Down
ALTER TABLE party_meetings DROP CONSTRAINT party_meetings_type_body;
ALTER TABLE party_meetings DROP CONSTRAINT party_meetings_type_check;
UPDATE party_meetings SET type = 'committee_meeting' WHERE body = 'committee';
ALTER TABLE party_meetings ADD CONSTRAINT party_meetings_type_check CHECK (type IN ('branch_assembly', 'committee_meeting', 'group_meeting', 'party_lecture'));
