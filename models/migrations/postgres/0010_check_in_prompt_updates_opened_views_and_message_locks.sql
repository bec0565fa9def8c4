-- name: check-in prompt updates, opened views and message locks
--
-- Two tables for trusting nothing a person can change in a payload, and
-- one for shared messages. checkin_prompt_updates queues, in the
-- transaction that closes a round, the change of each asked person's DM
-- prompts to say it closed; it is claimed under a lease and marked done,
-- so a change lost to a crash is made later (chat.update is idempotent).
-- opened_views records the modals Trellis opened and for whom, so a view
-- id in a payload is used only by the person it was opened for.
-- message_locks lets one writer at a time read, change and write back a
-- message that several rounds share (a merged DM prompt), so no change is
-- written over.

CREATE TABLE checkin_prompt_updates (
    round_id        BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    done            BOOLEAN NOT NULL DEFAULT FALSE,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claim_token     TEXT NOT NULL DEFAULT '',
    claim_until     TIMESTAMPTZ,
    PRIMARY KEY (round_id, user_id)
);

CREATE INDEX checkin_prompt_updates_due ON checkin_prompt_updates (done, next_attempt_at);

CREATE TABLE opened_views (
    workspace_id TEXT NOT NULL,
    view_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    callback_id  TEXT NOT NULL,
    opened_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, view_id)
);

CREATE INDEX opened_views_age ON opened_views (opened_at);

CREATE TABLE message_locks (
    channel      TEXT NOT NULL,
    ts           TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    token        TEXT NOT NULL,
    held_until   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, ts)
);
