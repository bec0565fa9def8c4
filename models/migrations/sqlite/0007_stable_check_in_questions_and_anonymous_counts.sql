-- name: stable check-in questions and anonymous counts
--
-- Answers belong to the exact question they were given to, and anonymous
-- answers are stored as counts only (docs/checkins.md, "Privacy").
--
-- checkin_questions gets a stable id: an edit keeps a question's id only
-- when nothing about its meaning changed, and a question taken out is
-- retired (kept, with its last position) so that old rounds still show
-- what was asked. checkin_answers refer to the question id instead of a
-- position. checkin_anonymous becomes one count per (round, question,
-- value), with no id, no time and no per-answer row, so nothing stored
-- orders or links an anonymous answer.
--
-- Existing data: questions keep their order (ids follow check-in and
-- position); an identified answer goes to the non-anonymous question now
-- at its position, or, when there is none, to a retired placeholder
-- question with no text (shown as "Question N"), so no answer is lost; an
-- anonymous answer becomes a count of the anonymous question now at its
-- position, and one with no such question is dropped, as nothing can show
-- it without relabelling it. The tables are rebuilt and renamed, the same
-- way on both databases.

CREATE TABLE checkin_questions_v7 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('text', 'scale', 'choice', 'blocked')),
    prompt       TEXT NOT NULL,
    options      TEXT NOT NULL DEFAULT '[]',
    anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
    required     BOOLEAN NOT NULL DEFAULT TRUE,
    retired      BOOLEAN NOT NULL DEFAULT FALSE
);

INSERT INTO checkin_questions_v7 (checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, retired)
SELECT checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, FALSE
FROM checkin_questions ORDER BY checkin_id, position;

INSERT INTO checkin_questions_v7 (checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, retired)
SELECT DISTINCT r.checkin_id, r.workspace_id, a.position, 'text', '', '[]', FALSE, FALSE, TRUE
FROM checkin_answers a JOIN checkin_rounds r ON r.id = a.round_id
WHERE NOT EXISTS (SELECT 1 FROM checkin_questions q
                  WHERE q.checkin_id = r.checkin_id AND q.position = a.position AND q.anonymous = FALSE)
ORDER BY r.checkin_id, a.position;

CREATE TABLE checkin_answers_v7 (
    round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    question_id  BIGINT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id, question_id)
);

INSERT INTO checkin_answers_v7 (round_id, workspace_id, user_id, question_id, value)
SELECT a.round_id, a.workspace_id, a.user_id, q.id, a.value
FROM checkin_answers a JOIN checkin_rounds r ON r.id = a.round_id
JOIN checkin_questions_v7 q ON q.checkin_id = r.checkin_id AND q.position = a.position AND q.anonymous = FALSE;

CREATE TABLE checkin_anonymous_v7 (
    round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    question_id  BIGINT NOT NULL,
    value        TEXT NOT NULL,
    n            INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (round_id, question_id, value)
);

INSERT INTO checkin_anonymous_v7 (round_id, workspace_id, question_id, value, n)
SELECT o.round_id, o.workspace_id, q.id, o.value, COUNT(*)
FROM checkin_anonymous o JOIN checkin_rounds r ON r.id = o.round_id
JOIN checkin_questions_v7 q ON q.checkin_id = r.checkin_id AND q.position = o.position AND q.anonymous = TRUE AND q.retired = FALSE
GROUP BY o.round_id, o.workspace_id, q.id, o.value
ORDER BY o.round_id, q.id, o.value;

DROP TABLE checkin_anonymous;

DROP TABLE checkin_answers;

DROP TABLE checkin_questions;

ALTER TABLE checkin_questions_v7 RENAME TO checkin_questions;

ALTER TABLE checkin_answers_v7 RENAME TO checkin_answers;

ALTER TABLE checkin_anonymous_v7 RENAME TO checkin_anonymous;

CREATE INDEX checkin_questions_checkin ON checkin_questions (checkin_id, retired, position);
