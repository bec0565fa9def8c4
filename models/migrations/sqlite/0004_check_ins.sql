-- name: check-ins
--
-- Check-ins: the check-in, its questions in order (options as a JSON
-- array), and the people chosen to answer it.

CREATE TABLE checkins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL,
    channel_id    TEXT NOT NULL,
    owner_id      TEXT NOT NULL,
    name          TEXT NOT NULL,
    cadence       TEXT NOT NULL,
    anchor        TEXT NOT NULL,
    participants  TEXT NOT NULL CHECK (participants IN ('channel', 'chosen')),
    destination   TEXT NOT NULL CHECK (destination IN ('channel', 'thread', 'digest')),
    round_minutes INTEGER NOT NULL CHECK (round_minutes > 0),
    reminders     INTEGER NOT NULL CHECK (reminders BETWEEN 0 AND 2),
    paused        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

CREATE INDEX checkins_channel ON checkins (workspace_id, channel_id);

CREATE TABLE checkin_questions (
    checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('text', 'scale', 'choice', 'blocked')),
    prompt       TEXT NOT NULL,
    options      TEXT NOT NULL DEFAULT '[]',
    anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
    required     BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (checkin_id, position)
);

CREATE TABLE checkin_people (
    checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    PRIMARY KEY (checkin_id, user_id)
);
