-- +goose Up
-- Study (先进性教育) and the development pipeline (发展党员). Glossary: shared DESIGN.md.
--
-- party_courses: a course belongs to a territory node (the community or street that owns it:
-- path/community_id for scope) and optionally to the org that runs it. A course is read by
-- staff of its subtree and of the subtrees above it, and by the members it is assigned to.
-- Its quiz is its questions; pass_mark is the share of questions answered right, in percent;
-- points are awarded once per member when the quiz is passed.
CREATE TABLE party_courses (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    summary      TEXT    NOT NULL DEFAULT '',
    territory_id INTEGER NOT NULL REFERENCES territories(id),
    org_id       INTEGER REFERENCES party_orgs(id),
    path         TEXT    NOT NULL,
    community_id INTEGER,
    pass_mark    INTEGER NOT NULL DEFAULT 60 CHECK (pass_mark BETWEEN 1 AND 100),
    points       INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    status       TEXT    NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published', 'archived')),
    created_by   INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX party_courses_path ON party_courses (path, id);

-- Lessons in order; materials (images, attachments, links) in order under each lesson.
CREATE TABLE party_lessons (
    id         INTEGER PRIMARY KEY,
    course_id  INTEGER NOT NULL REFERENCES party_courses(id),
    position   INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX party_lessons_order ON party_lessons (course_id, position);

CREATE TABLE party_lesson_materials (
    id        INTEGER PRIMARY KEY,
    lesson_id INTEGER NOT NULL REFERENCES party_lessons(id),
    position  INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('image', 'attachment', 'link')),
    title     TEXT    NOT NULL DEFAULT '',
    url       TEXT    NOT NULL
);
CREATE UNIQUE INDEX party_lesson_materials_order ON party_lesson_materials (lesson_id, position);

-- The quiz of a course: single or multiple choice questions, their options, which are correct.
CREATE TABLE party_quiz_questions (
    id        INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES party_courses(id),
    position  INTEGER NOT NULL,
    text      TEXT    NOT NULL,
    multiple  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX party_quiz_questions_order ON party_quiz_questions (course_id, position);

CREATE TABLE party_quiz_options (
    id          INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES party_quiz_questions(id),
    position    INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    correct     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX party_quiz_options_order ON party_quiz_options (question_id, position);

-- A course assigned to an org (its members, those of the orgs under it and those of a
-- functional org) or to one member, with a due date. path/community_id are the assignee's.
CREATE TABLE party_course_assignments (
    id           INTEGER PRIMARY KEY,
    course_id    INTEGER NOT NULL REFERENCES party_courses(id),
    org_id       INTEGER REFERENCES party_orgs(id),
    member_id    INTEGER REFERENCES party_members(id),
    due_on       DATE    NOT NULL,
    path         TEXT    NOT NULL,
    community_id INTEGER,
    assigned_by  INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    CHECK ((org_id IS NULL) <> (member_id IS NULL))
);
CREATE INDEX party_course_assignments_course ON party_course_assignments (course_id, id);
CREATE INDEX party_course_assignments_path ON party_course_assignments (path, id);
CREATE UNIQUE INDEX party_course_assignments_org ON party_course_assignments (course_id, org_id) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX party_course_assignments_member ON party_course_assignments (course_id, member_id) WHERE member_id IS NOT NULL;
CREATE INDEX party_course_assignments_assignee ON party_course_assignments (member_id) WHERE member_id IS NOT NULL;
CREATE INDEX party_course_assignments_org_id ON party_course_assignments (org_id) WHERE org_id IS NOT NULL;

-- A lesson read by a member, recorded once.
CREATE TABLE party_lesson_completions (
    member_id    INTEGER NOT NULL REFERENCES party_members(id),
    lesson_id    INTEGER NOT NULL REFERENCES party_lessons(id),
    course_id    INTEGER NOT NULL REFERENCES party_courses(id),
    completed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (member_id, lesson_id)
);
CREATE INDEX party_lesson_completions_course ON party_lesson_completions (course_id, member_id);

-- Every quiz attempt (score in percent of the questions answered right).
CREATE TABLE party_quiz_attempts (
    id         INTEGER PRIMARY KEY,
    course_id  INTEGER NOT NULL REFERENCES party_courses(id),
    member_id  INTEGER NOT NULL REFERENCES party_members(id),
    correct    INTEGER NOT NULL,
    questions  INTEGER NOT NULL,
    score      INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    passed     INTEGER NOT NULL,
    answers    TEXT    NOT NULL DEFAULT '',
    path       TEXT    NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX party_quiz_attempts_member ON party_quiz_attempts (member_id, course_id, id);
CREATE INDEX party_quiz_attempts_course ON party_quiz_attempts (course_id, member_id);

-- A member's result per course, maintained with each lesson read and quiz attempt, so that
-- completion per org is a count, not a scan of attempts: lessons read, best score, when the
-- quiz was first passed and when the course was completed (every lesson read and, when the
-- course has questions, the quiz passed).
CREATE TABLE party_course_results (
    course_id    INTEGER NOT NULL REFERENCES party_courses(id),
    member_id    INTEGER NOT NULL REFERENCES party_members(id),
    lessons_read INTEGER NOT NULL DEFAULT 0,
    best_score   INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    passed_at    TIMESTAMP,
    completed_at TIMESTAMP,
    PRIMARY KEY (course_id, member_id)
);
CREATE INDEX party_course_results_member ON party_course_results (member_id);

-- The development pipeline: application → activist → development target → probationary →
-- full. A candidate is a resident developed by a branch (org_id; path/community_id follow it).
-- Each stage's date is recorded; the rules (no stage skipped, a year as activist, a year of
-- probation, two sponsors who are full members, each stage's documents) are
-- model.CheckAdvance. member_id is the roster row created when the candidate is admitted as a
-- probationary member.
CREATE TABLE party_candidates (
    id              INTEGER PRIMARY KEY,
    resident_id     INTEGER NOT NULL REFERENCES residents(id),
    name            TEXT    NOT NULL,
    org_id          INTEGER NOT NULL REFERENCES party_orgs(id),
    path            TEXT    NOT NULL,
    community_id    INTEGER,
    stage           TEXT    NOT NULL CHECK (stage IN ('application', 'activist', 'development_target', 'probationary', 'full')),
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    applied_on      DATE    NOT NULL,
    activist_on     DATE,
    target_on       DATE,
    probationary_on DATE,
    full_on         DATE,
    sponsor1_id     INTEGER REFERENCES party_members(id),
    sponsor2_id     INTEGER REFERENCES party_members(id),
    member_id       INTEGER REFERENCES party_members(id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK (sponsor1_id IS NULL OR sponsor2_id IS NULL OR sponsor1_id <> sponsor2_id)
);
CREATE INDEX party_candidates_path ON party_candidates (path, id);
CREATE INDEX party_candidates_stage ON party_candidates (stage, path);
-- A resident is in the pipeline at most once while active.
CREATE UNIQUE INDEX party_candidates_resident ON party_candidates (resident_id) WHERE status = 'active' AND stage <> 'full';

-- The documents recorded for a candidate, one of each kind (model.StageDocuments).
CREATE TABLE party_candidate_documents (
    candidate_id INTEGER NOT NULL REFERENCES party_candidates(id),
    doc          TEXT    NOT NULL,
    stage        TEXT    NOT NULL,
    recorded_on  DATE    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    recorded_by  INTEGER REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (candidate_id, doc)
);

-- The candidate's history, appended with every change.
CREATE TABLE party_candidate_events (
    id           INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL REFERENCES party_candidates(id),
    action       TEXT    NOT NULL,
    from_stage   TEXT    NOT NULL DEFAULT '',
    to_stage     TEXT    NOT NULL DEFAULT '',
    on_date      DATE,
    detail       TEXT    NOT NULL DEFAULT '',
    actor_id     INTEGER,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX party_candidate_events_candidate ON party_candidate_events (candidate_id, id);

-- +goose Down
DROP TABLE party_candidate_events;
DROP TABLE party_candidate_documents;
DROP TABLE party_candidates;
DROP TABLE party_course_results;
DROP TABLE party_quiz_attempts;
DROP TABLE party_lesson_completions;
DROP TABLE party_course_assignments;
DROP TABLE party_quiz_options;
DROP TABLE party_quiz_questions;
DROP TABLE party_lesson_materials;
DROP TABLE party_lessons;
DROP TABLE party_courses;
