-- name: occurrences
--
-- postgres/0002 in SQLite's types. SQLite uses a partial index only when
-- the query's WHERE repeats the index's condition term for term, so its
-- indexes are whole ones with status leading.

CREATE TABLE occurrences (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL,
    cadence_id    TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    nominal_at    DATETIME NOT NULL,
    deliver_at    DATETIME,
    status        TEXT NOT NULL CHECK (status IN ('planned', 'claimed', 'delivered', 'deferred', 'superseded', 'skipped', 'missed')),
    reason        TEXT NOT NULL DEFAULT '',
    lease_token   TEXT,
    lease_until   DATETIME,
    attempts      INTEGER NOT NULL DEFAULT 0,
    sent_at       DATETIME,
    slack_channel TEXT,
    slack_ts      TEXT,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    CONSTRAINT occurrences_identity UNIQUE (workspace_id, cadence_id, recipient, nominal_at),
    CHECK ((status = 'claimed') = (lease_token IS NOT NULL AND lease_until IS NOT NULL)),
    CHECK (status NOT IN ('planned', 'deferred') OR deliver_at IS NOT NULL)
);

CREATE INDEX occurrences_due ON occurrences (status, deliver_at);

CREATE INDEX occurrences_lease ON occurrences (status, lease_until);
