-- +goose Up
-- The administrative-burden register (准入清单、减负, issue 12 item 2). burden_departments is
-- the register of government departments and vertical lines (条线) that hand tasks down;
-- burden_duties the statutory duty list of the communities. Both are kept by a street or a
-- district (owner_id, owner_path: the catalogue applies to every community below it) or by the
-- whole deployment (owner_id NULL, owner_path ''). burden_tasks: every task handed down to a
-- community, with its sender, its duty when it is on the list, and its state; transitions are
-- conditional UPDATEs on the status read. done_month (Asia/Shanghai, 2026-03) lets the burden
-- view sum a year's hours by month on both engines.
CREATE TABLE burden_departments (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER REFERENCES territories(id),
    owner_path  TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    line        TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX burden_departments_name ON burden_departments (owner_path, name);

CREATE TABLE burden_duties (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER REFERENCES territories(id),
    owner_path  TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    basis       TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX burden_duties_code ON burden_duties (owner_path, code);

CREATE TABLE burden_tasks (
    id              INTEGER PRIMARY KEY,
    community_id    INTEGER NOT NULL REFERENCES territories(id),
    path            TEXT    NOT NULL,
    department_id   INTEGER NOT NULL REFERENCES burden_departments(id),
    duty_id         INTEGER REFERENCES burden_duties(id),
    title           TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '',
    received_on     TEXT    NOT NULL,
    due_on          TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('received', 'pending', 'accepted', 'refused', 'done')),
    minutes         INTEGER NOT NULL DEFAULT 0 CHECK (minutes >= 0),
    done_month      TEXT    NOT NULL DEFAULT '',
    decision_reason TEXT    NOT NULL DEFAULT '',
    decided_by      INTEGER REFERENCES users(id),
    decided_by_name TEXT    NOT NULL DEFAULT '',
    decided_at      TIMESTAMP,
    done_at         TIMESTAMP,
    done_by         INTEGER REFERENCES users(id),
    done_by_name    TEXT    NOT NULL DEFAULT '',
    created_by      INTEGER REFERENCES users(id),
    created_by_name TEXT    NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX burden_tasks_community ON burden_tasks (community_id, status, id);
CREATE INDEX burden_tasks_path ON burden_tasks (path, id);
CREATE INDEX burden_tasks_received ON burden_tasks (path, received_on);
CREATE INDEX burden_tasks_done ON burden_tasks (path, done_month) WHERE status = 'done';
CREATE INDEX burden_tasks_department ON burden_tasks (department_id);
CREATE INDEX burden_tasks_duty ON burden_tasks (duty_id) WHERE duty_id IS NOT NULL;

-- +goose Down
DROP TABLE burden_tasks;
DROP TABLE burden_duties;
DROP TABLE burden_departments;
