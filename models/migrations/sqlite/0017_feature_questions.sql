-- name: feature questions
--
-- A check-in question may be of kind 'feature': another feature's
-- question kind, asked inside the answer form (models/checkins'
-- KindFeature). Its options hold the kind's name; its answers are the
-- feature's summary, stored like a text answer. SQLite cannot alter a
-- CHECK constraint, so the table is rebuilt with its ids, and renamed.

CREATE TABLE checkin_questions_v17 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('text', 'scale', 'choice', 'blocked', 'feature')),
    prompt       TEXT NOT NULL,
    options      TEXT NOT NULL DEFAULT '[]',
    anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
    required     BOOLEAN NOT NULL DEFAULT TRUE,
    retired      BOOLEAN NOT NULL DEFAULT FALSE
);

INSERT INTO checkin_questions_v17 (id, checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, retired)
SELECT id, checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, retired
FROM checkin_questions ORDER BY id;

DROP TABLE checkin_questions;

ALTER TABLE checkin_questions_v17 RENAME TO checkin_questions;

CREATE INDEX checkin_questions_checkin ON checkin_questions (checkin_id, retired, position);
