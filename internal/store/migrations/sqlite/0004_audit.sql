-- +goose Up
-- audit_log is append-only: rows are hash-chained (hash = SHA-256 over prev_hash and the row's
-- canonical encoding, see store/audit.go), the application never updates them, and a row may be
-- deleted only once it is older than the retention period of three years.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT '',
    scope       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_ids  TEXT NOT NULL DEFAULT '',
    result      TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'failed')),
    request_id  TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_scope ON audit_log (scope, id);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
WHEN OLD.at > strftime('%Y-%m-%d %H:%M:%f', 'now', '-3 years')
BEGIN
    SELECT RAISE(ABORT, 'audit_log rows are kept for 3 years: this row is younger');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_log_retention;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
