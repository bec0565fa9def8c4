-- name: check-in posts
--
-- Check-in posts: every message a check-in posts in its channel (a round's
-- header and summary, each answer and each edit of it), queued in the
-- transaction that decides it and then claimed, posted and marked under a
-- lease, so a crash or a Slack error neither loses nor duplicates one. The
-- UNIQUE constraint is a post's identity, so queueing is idempotent;
-- checkin_posts_due serves the poster's search. ts holds the message
-- timestamps, comma-separated in posting order (a long answer takes
-- several messages).
--
-- It also lets a response be "asked" (the person got the round and has not
-- answered yet), indexes responses by person for their pending rounds, and
-- indexes rounds by closing time for closing them. asked_by is the
-- occurrence that first asked the person, so a second message asking the
-- same round stands down; members_read_at is when the channel member list
-- last applied was read from Slack, so an older read finishing later never
-- undoes a newer one.
--
-- SQLite cannot change a CHECK constraint, so here checkin_responses is
-- rebuilt; nothing refers to it.

CREATE TABLE checkin_posts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    TEXT NOT NULL,
    round_id        BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    checkin_id      BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('header', 'answer', 'summary')),
    user_id         TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL CHECK (version >= 1),
    channel         TEXT NOT NULL DEFAULT '',
    ts              TEXT NOT NULL DEFAULT '',
    posted          BOOLEAN NOT NULL DEFAULT FALSE,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    claim_token     TEXT NOT NULL DEFAULT '',
    claim_until     DATETIME,
    created_at      DATETIME NOT NULL,
    CONSTRAINT checkin_posts_identity UNIQUE (round_id, kind, user_id, version),
    CHECK ((kind = 'answer') = (user_id <> ''))
);

CREATE INDEX checkin_posts_due ON checkin_posts (posted, next_attempt_at);

CREATE INDEX checkin_rounds_closing ON checkin_rounds (closed, closes_at);

CREATE TABLE checkin_responses_v6 (
    round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('asked', 'answered', 'skipped', 'snoozed')),
    anonymous_in BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (round_id, user_id)
);

INSERT INTO checkin_responses_v6 (round_id, workspace_id, user_id, status, anonymous_in, updated_at)
    SELECT round_id, workspace_id, user_id, status, anonymous_in, updated_at FROM checkin_responses;

DROP TABLE checkin_responses;

ALTER TABLE checkin_responses_v6 RENAME TO checkin_responses;

CREATE INDEX checkin_responses_person ON checkin_responses (workspace_id, user_id, status);

ALTER TABLE checkin_responses ADD COLUMN asked_by BIGINT NOT NULL DEFAULT 0;

ALTER TABLE checkins ADD COLUMN members_read_at DATETIME NULL;
