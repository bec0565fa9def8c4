-- name: schedules and daily budgets
--
-- Schedules (what the engine sends, to whom, on which cadence) and the
-- daily budgets of proactive DMs.
--
-- schedule_targets holds one row per (schedule, recipient) with next_at,
-- the instant the planner must look at it again: the planner reads only
-- rows whose next_at has come (schedule_targets_next), so a tick's cost
-- follows what is due, not how many people or schedules exist. planned_to
-- is the last nominal instant planned, so planning resumes where it
-- stopped. occurrences_sent serves the budget's "how many proactive DMs
-- today" count; here it is a whole index (see 0002).

CREATE TABLE schedules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    key          TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    cadence      TEXT NOT NULL,
    anchor       TEXT NOT NULL,
    channel_tz   TEXT NOT NULL DEFAULT '',
    paused       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    CONSTRAINT schedules_key UNIQUE (workspace_id, key)
);

CREATE TABLE schedule_targets (
    schedule_id  BIGINT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    planned_to   DATETIME NOT NULL,
    next_at      DATETIME NOT NULL,
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (schedule_id, recipient)
);

CREATE INDEX schedule_targets_next ON schedule_targets (next_at);

CREATE INDEX schedule_targets_recipient ON schedule_targets (workspace_id, recipient);

ALTER TABLE people ADD COLUMN daily_budget INTEGER CHECK (daily_budget BETWEEN 1 AND 20);

ALTER TABLE people ADD COLUMN dm_channel TEXT NOT NULL DEFAULT '';

ALTER TABLE workspaces ADD COLUMN daily_budget INTEGER NOT NULL DEFAULT 3 CHECK (daily_budget BETWEEN 1 AND 20);

CREATE INDEX occurrences_sent ON occurrences (workspace_id, recipient, sent_at);

CREATE INDEX occurrences_recipient ON occurrences (workspace_id, recipient, nominal_at);
