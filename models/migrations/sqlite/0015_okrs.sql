-- name: OKRs
--
-- Objectives and key results (models/okrs). okr_settings holds a
-- workspace's defaults (team '') and a team channel's own (team set):
-- 0, '' and -1 mean "not set here", so a team's setting falls back to the
-- workspace's and that to the built-in default; updated_by and updated_at
-- say who set them last (the check-ins keep no audit log of their own
-- either). okr_cycles are the periods objectives live in, the
-- workspace's (team '') or a team's own;
-- dates are TEXT YYYY-MM-DD, as calendar.Date is stored everywhere, so
-- they compare as text. A team's (or the workspace's) cycles never
-- overlap: no constraint of both databases can say so, so the store checks
-- it under a lock on the workspace. Names are unique per workspace and
-- team whatever their case: name_key is the name in lower case, written
-- by the store (the same folding on both databases, which lower() in SQL
-- is not), under a unique index.
--
-- okr_objectives belong to a cycle; okr_parents are the objectives or key
-- results each aligns to (at most three, in order), with no foreign key
-- on parent_id since it names either table. okr_key_results are an
-- objective's, in order; carried_from is the key result of an earlier
-- cycle it continues, unset when that one is deleted. okr_updates are
-- each key result's check-ins, only ever appended: a correction is a new
-- row naming the one it corrects (corrects, 0 for none); deleting an
-- objective deletes its key results and their history with them.
--
-- okr_people is each person's nudge state: their own cadence ('' = the
-- team's or the workspace's), how many nudges in a row went without an
-- update, whether nudges are halved and whether they were told so.

CREATE TABLE okr_settings (
    workspace_id  TEXT NOT NULL,
    team          TEXT NOT NULL DEFAULT '',
    cycle_months  INTEGER NOT NULL DEFAULT 0 CHECK (cycle_months BETWEEN 0 AND 4),
    nudge_cadence TEXT NOT NULL DEFAULT '' CHECK (nudge_cadence IN ('', 'weekly', 'biweekly', 'off')),
    nudge_weekday INTEGER NOT NULL DEFAULT -1 CHECK (nudge_weekday BETWEEN -1 AND 6),
    updated_by    TEXT NOT NULL DEFAULT '',
    updated_at    DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, team)
);

CREATE TABLE okr_cycles (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id      TEXT NOT NULL,
    team              TEXT NOT NULL DEFAULT '',
    name              TEXT NOT NULL,
    name_key          TEXT NOT NULL,
    start_date        TEXT NOT NULL,
    end_date          TEXT NOT NULL,
    review_grace_days INTEGER NOT NULL DEFAULT 0,
    created_by        TEXT NOT NULL,
    created_at        DATETIME NOT NULL,
    CHECK (start_date <= end_date)
);

CREATE UNIQUE INDEX okr_cycles_name ON okr_cycles (workspace_id, team, name_key);

CREATE INDEX okr_cycles_dates ON okr_cycles (workspace_id, team, start_date);

CREATE TABLE okr_objectives (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    cycle_id     BIGINT NOT NULL REFERENCES okr_cycles (id),
    title        TEXT NOT NULL,
    owner_id     TEXT NOT NULL,
    team         TEXT NOT NULL DEFAULT '',
    visibility   TEXT NOT NULL CHECK (visibility IN ('workspace', 'team')),
    closed_at    DATETIME,
    created_by   TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);

CREATE INDEX okr_objectives_cycle ON okr_objectives (workspace_id, cycle_id);

CREATE INDEX okr_objectives_owner ON okr_objectives (workspace_id, owner_id);

CREATE TABLE okr_parents (
    workspace_id TEXT NOT NULL,
    objective_id BIGINT NOT NULL REFERENCES okr_objectives (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    parent_kind  TEXT NOT NULL CHECK (parent_kind IN ('objective', 'key_result')),
    parent_id    BIGINT NOT NULL,
    PRIMARY KEY (objective_id, position)
);

CREATE INDEX okr_parents_parent ON okr_parents (workspace_id, parent_kind, parent_id);

CREATE TABLE okr_key_results (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    objective_id BIGINT NOT NULL REFERENCES okr_objectives (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    owner_id     TEXT NOT NULL,
    title        TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('increase_to', 'decrease_to', 'stay_at_or_above', 'stay_at_or_below', 'milestone')),
    start_value  REAL NOT NULL DEFAULT 0,
    target_value REAL NOT NULL DEFAULT 0,
    unit         TEXT NOT NULL DEFAULT '',
    decimals     INTEGER NOT NULL DEFAULT 0,
    weight       REAL,
    carried_from BIGINT REFERENCES okr_key_results (id) ON DELETE SET NULL,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);

CREATE INDEX okr_key_results_objective ON okr_key_results (objective_id, position);

CREATE INDEX okr_key_results_owner ON okr_key_results (workspace_id, owner_id);

CREATE INDEX okr_key_results_carried ON okr_key_results (carried_from);

CREATE TABLE okr_updates (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL,
    key_result_id BIGINT NOT NULL REFERENCES okr_key_results (id) ON DELETE CASCADE,
    author_id     TEXT NOT NULL,
    at            DATETIME NOT NULL,
    value         REAL NOT NULL DEFAULT 0,
    confidence    TEXT NOT NULL DEFAULT '' CHECK (confidence IN ('', 'on_track', 'at_risk', 'off_track')),
    note          TEXT NOT NULL DEFAULT '',
    corrects      BIGINT NOT NULL DEFAULT 0,
    no_change     BOOLEAN NOT NULL DEFAULT FALSE,
    source        TEXT NOT NULL CHECK (source IN ('form', 'nudge', 'checkin', 'carry_over'))
);

CREATE INDEX okr_updates_key_result ON okr_updates (key_result_id, id);

CREATE TABLE okr_people (
    workspace_id   TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    nudge_cadence  TEXT NOT NULL DEFAULT '' CHECK (nudge_cadence IN ('', 'weekly', 'biweekly', 'off')),
    ignored_in_row INTEGER NOT NULL DEFAULT 0 CHECK (ignored_in_row >= 0),
    halved         BOOLEAN NOT NULL DEFAULT FALSE,
    told_halved    BOOLEAN NOT NULL DEFAULT FALSE,
    last_nudged_at DATETIME,
    PRIMARY KEY (workspace_id, person_id)
);
