-- name: check-in rounds and answers
--
-- Check-in rounds and answers. A round is one check-in on one local date:
-- each participant gets it at their own local time that day.
-- checkin_responses says who answered, skipped or snoozed; checkin_answers
-- holds identified answers; checkin_anonymous holds the answers to
-- anonymous questions with no person at all, so nobody (not an admin
-- reading the database either) can tell whose they are.

CREATE TABLE checkin_rounds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    round_date   TEXT NOT NULL,
    opened_at    DATETIME NOT NULL,
    closes_at    DATETIME NOT NULL,
    thread_ts    TEXT NOT NULL DEFAULT '',
    closed       BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT checkin_rounds_date UNIQUE (checkin_id, round_date)
);

CREATE TABLE checkin_responses (
    round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('answered', 'skipped', 'snoozed')),
    anonymous_in BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (round_id, user_id)
);

CREATE TABLE checkin_answers (
    round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id, position)
);

CREATE TABLE checkin_anonymous (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    position     INTEGER NOT NULL,
    value        TEXT NOT NULL
);

CREATE INDEX checkin_anonymous_round ON checkin_anonymous (round_id, position);
