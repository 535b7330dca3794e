-- +goose Up
-- Service centres and their bookings (生活服务中心、文化活动中心, issue 12 item 6). A centre per
-- community with its week's opening hours (hours: seven entries Monday first, "08:30-17:30" or
-- "" for closed, model.WeekHours) and closed days; its rooms and service windows; bookings of
-- consecutive slots of a room. No two bookings hold one slot: every slot a booking takes is a
-- row of booking_slots, whose primary key (room, slot start in minutes since the Unix epoch)
-- refuses the second writer in the booking's own transaction; a cancellation deletes its
-- booking's rows in the transaction that cancels it (a conditional UPDATE on its status).
CREATE TABLE centres (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES territories(id),
    path         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('life', 'culture', 'other')),
    address      TEXT    NOT NULL DEFAULT '',
    hours        TEXT    NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX centres_name ON centres (community_id, name);
CREATE INDEX centres_path ON centres (path, id);

CREATE TABLE centre_closed_days (
    centre_id    INTEGER NOT NULL REFERENCES centres(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    day          DATE    NOT NULL,
    reason       TEXT    NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (centre_id, day)
);
CREATE INDEX centre_closed_days_community ON centre_closed_days (community_id);

CREATE TABLE centre_rooms (
    id           INTEGER PRIMARY KEY,
    centre_id    INTEGER NOT NULL REFERENCES centres(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('room', 'window')),
    capacity     INTEGER NOT NULL CHECK (capacity > 0),
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes IN (15, 30, 60)),
    max_slots    INTEGER NOT NULL CHECK (max_slots > 0),
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX centre_rooms_name ON centre_rooms (centre_id, name);
CREATE INDEX centre_rooms_community ON centre_rooms (community_id);

-- bookings: booker_name is the booking account's display name, read by the booker and the
-- staff who manage the centre only.
CREATE TABLE bookings (
    id           INTEGER PRIMARY KEY,
    centre_id    INTEGER NOT NULL REFERENCES centres(id),
    room_id      INTEGER NOT NULL REFERENCES centre_rooms(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    path         TEXT    NOT NULL,
    user_id      INTEGER REFERENCES users(id),
    booker_name  TEXT    NOT NULL DEFAULT '',
    purpose      TEXT    NOT NULL DEFAULT '',
    people       INTEGER NOT NULL CHECK (people > 0),
    starts_at    TIMESTAMP NOT NULL,
    ends_at      TIMESTAMP NOT NULL,
    slots        INTEGER NOT NULL CHECK (slots > 0),
    status       TEXT    NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'checked_in', 'no_show', 'cancelled')),
    checked_at   TIMESTAMP,
    checked_by   INTEGER REFERENCES users(id),
    cancelled_at TIMESTAMP,
    cancelled_by INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX bookings_centre ON bookings (centre_id, starts_at, id);
CREATE INDEX bookings_user ON bookings (user_id, starts_at, id);
CREATE INDEX bookings_community ON bookings (community_id, starts_at);

CREATE TABLE booking_slots (
    room_id      INTEGER NOT NULL REFERENCES centre_rooms(id),
    at_minute    INTEGER NOT NULL,
    booking_id   INTEGER NOT NULL REFERENCES bookings(id),
    community_id INTEGER NOT NULL REFERENCES territories(id),
    PRIMARY KEY (room_id, at_minute)
);
CREATE INDEX booking_slots_booking ON booking_slots (booking_id);

-- +goose Down
DROP TABLE booking_slots;
DROP TABLE bookings;
DROP TABLE centre_rooms;
DROP TABLE centre_closed_days;
DROP TABLE centres;
