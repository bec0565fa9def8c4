-- name: initial schema
--
-- postgres/0001 in SQLite's types: times are DATETIME text (which the
-- driver scans back into time.Time), bytes are BLOB, and ids are INTEGER
-- PRIMARY KEY AUTOINCREMENT.

CREATE TABLE installations (
    workspace_id   TEXT PRIMARY KEY NOT NULL,
    enterprise_id  TEXT NOT NULL DEFAULT '',
    app_id         TEXT NOT NULL DEFAULT '',
    bot_user_id    TEXT NOT NULL DEFAULT '',
    bot_token_enc  BLOB,
    installed_at   DATETIME NOT NULL,
    uninstalled_at DATETIME,
    active         BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE INDEX installations_enterprise ON installations (enterprise_id);

CREATE TABLE workspaces (
    workspace_id   TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    default_days   INTEGER NOT NULL CHECK (default_days BETWEEN 1 AND 127),
    default_start  INTEGER NOT NULL CHECK (default_start BETWEEN 0 AND 1439),
    default_end    INTEGER NOT NULL CHECK (default_end BETWEEN 0 AND 1439),
    holiday_region TEXT NOT NULL DEFAULT '',
    min_group_size INTEGER NOT NULL DEFAULT 5 CHECK (min_group_size >= 3),
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);

CREATE TABLE people (
    workspace_id      TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    slack_tz          TEXT NOT NULL DEFAULT '',
    tz_override       TEXT NOT NULL DEFAULT '',
    days              INTEGER CHECK (days BETWEEN 1 AND 127),
    start_min         INTEGER CHECK (start_min BETWEEN 0 AND 1439),
    end_min           INTEGER CHECK (end_min BETWEEN 0 AND 1439),
    holiday_region    TEXT NOT NULL DEFAULT '',
    is_admin          BOOLEAN NOT NULL DEFAULT FALSE,
    status_text       TEXT NOT NULL DEFAULT '',
    status_emoji      TEXT NOT NULL DEFAULT '',
    status_expiration DATETIME,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, user_id),
    CHECK ((days IS NULL) = (start_min IS NULL) AND (days IS NULL) = (end_min IS NULL))
);

CREATE TABLE away_periods (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    first_day    TEXT NOT NULL,
    last_day     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    CHECK (first_day <= last_day),
    FOREIGN KEY (workspace_id, user_id) REFERENCES people (workspace_id, user_id) ON DELETE CASCADE
);

CREATE INDEX away_periods_person_last ON away_periods (workspace_id, user_id, last_day);

CREATE TABLE holidays (
    workspace_id TEXT NOT NULL,
    day          TEXT NOT NULL,
    name         TEXT NOT NULL,
    added_by     TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, day)
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    action       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    at           DATETIME NOT NULL
);

CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, at);
