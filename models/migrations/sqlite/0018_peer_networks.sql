-- name: peer networks
--
-- Peer networks (models/peers): manager circles, intros (random 1:1s
-- across teams) and learning pairs. peer_networks holds each network and
-- its settings; name_key is the name trimmed and in lower case, written by
-- the store, unique per workspace (lower() in SQL folds differently on the
-- two databases). Columns that do not apply to a kind are 0 or ''. Dates
-- are TEXT YYYY-MM-DD (calendar.Date), in the network channel's zone.
--
-- peer_participants are the people in a network: chosen when added by
-- name, left when they left themselves (channel sync never re-adds them;
-- only they rejoin). peer_avoid is each person's private "don't pair me
-- with" list, read only by its owner and the matcher.
--
-- peer_rounds are intros and learning rounds ('round') and circle terms
-- ('term'): UNIQUE (network_id, kind, number) makes a round be saved once
-- whatever the number of replicas. peer_groups are a round's pairs,
-- triples, circles and learning pairs, peer_group_members their people,
-- peer_unmatched those a round left out and why. A group's outcome names
-- nobody: any member may give it. peer_sessions are a circle's meetings,
-- peer_commitments each person's private commitment at one of them,
-- peer_prompts an admin's own discussion prompts.
--
-- peer_asks are anonymous questions posted to a network's channel. They
-- have no person and no time column: nothing stored links an ask to its
-- asker, who alone holds the code whose hash is code_hash.

CREATE TABLE peer_networks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('circles', 'intros', 'learning')),
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    channel      TEXT NOT NULL,
    channel_tz   TEXT NOT NULL,
    membership   TEXT NOT NULL CHECK (membership IN ('channel', 'chosen')),
    cadence      TEXT NOT NULL CHECK (cadence IN ('weekly', 'every 2 weeks', 'every 4 weeks')),
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 5),
    anchor       TEXT NOT NULL,
    group_size   INTEGER NOT NULL DEFAULT 0 CHECK (group_size IN (0, 2, 3)),
    team_source  TEXT NOT NULL DEFAULT '',
    term_months  INTEGER NOT NULL DEFAULT 0 CHECK (term_months >= 0),
    min_size     INTEGER NOT NULL DEFAULT 0 CHECK (min_size >= 0),
    max_size     INTEGER NOT NULL DEFAULT 0,
    capacity     INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
    paused       BOOLEAN NOT NULL DEFAULT FALSE,
    owner_id     TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    CHECK (max_size >= min_size)
);

CREATE UNIQUE INDEX peer_networks_name ON peer_networks (workspace_id, name_key);

CREATE INDEX peer_networks_channel ON peer_networks (workspace_id, channel);

CREATE TABLE peer_participants (
    network_id     BIGINT NOT NULL REFERENCES peer_networks (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL,
    workspace_id   TEXT NOT NULL,
    chosen         BOOLEAN NOT NULL DEFAULT FALSE,
    is_left        BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at      DATETIME NOT NULL,
    paused_until   TEXT,
    paused         BOOLEAN NOT NULL DEFAULT FALSE,
    priority       BOOLEAN NOT NULL DEFAULT FALSE,
    ignored_rounds INTEGER NOT NULL DEFAULT 0 CHECK (ignored_rounds >= 0),
    skills         TEXT NOT NULL DEFAULT '',
    capacity       INTEGER CHECK (capacity >= 0),
    PRIMARY KEY (network_id, user_id)
);

CREATE INDEX peer_participants_user ON peer_participants (workspace_id, user_id);

CREATE TABLE peer_avoid (
    workspace_id TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    other_id     TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id, other_id),
    CHECK (user_id <> other_id)
);

CREATE TABLE peer_rounds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    network_id   BIGINT NOT NULL REFERENCES peer_networks (id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('round', 'term')),
    number       INTEGER NOT NULL CHECK (number >= 1),
    starts_on    TEXT NOT NULL,
    ends_on      TEXT NOT NULL,
    seed         BIGINT NOT NULL,
    created_at   DATETIME NOT NULL,
    CHECK (starts_on <= ends_on)
);

CREATE UNIQUE INDEX peer_rounds_number ON peer_rounds (network_id, kind, number);

CREATE TABLE peer_groups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id     BIGINT NOT NULL REFERENCES peer_rounds (id) ON DELETE CASCADE,
    network_id   BIGINT NOT NULL,
    workspace_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('pair', 'triple', 'circle', 'learning')),
    skill        TEXT NOT NULL DEFAULT '',
    shared       TEXT NOT NULL DEFAULT '[]',
    conversation TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'met', 'not_yet', 'couldnt')),
    asked        INTEGER NOT NULL DEFAULT 0 CHECK (asked >= 0),
    ended_on     TEXT,
    created_at   DATETIME NOT NULL
);

CREATE INDEX peer_groups_round ON peer_groups (round_id, id);

CREATE INDEX peer_groups_network ON peer_groups (workspace_id, network_id);

CREATE TABLE peer_group_members (
    group_id     BIGINT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    network_id   BIGINT NOT NULL,
    workspace_id TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT '' CHECK (role IN ('', 'teacher', 'learner')),
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX peer_group_members_user ON peer_group_members (workspace_id, user_id);

CREATE TABLE peer_unmatched (
    round_id     BIGINT NOT NULL REFERENCES peer_rounds (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id)
);

CREATE TABLE peer_sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id     BIGINT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    network_id   BIGINT NOT NULL,
    workspace_id TEXT NOT NULL,
    number       INTEGER NOT NULL CHECK (number >= 1),
    on_date      TEXT NOT NULL,
    facilitator  TEXT NOT NULL DEFAULT '',
    prompt_id    TEXT NOT NULL DEFAULT '',
    present      TEXT NOT NULL DEFAULT '[]',
    created_at   DATETIME NOT NULL
);

CREATE UNIQUE INDEX peer_sessions_number ON peer_sessions (group_id, number);

CREATE TABLE peer_commitments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    network_id   BIGINT NOT NULL,
    group_id     BIGINT NOT NULL,
    session_id   BIGINT NOT NULL REFERENCES peer_sessions (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    text         TEXT NOT NULL,
    shared       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);

CREATE UNIQUE INDEX peer_commitments_person ON peer_commitments (session_id, user_id);

CREATE INDEX peer_commitments_user ON peer_commitments (workspace_id, user_id, group_id);

CREATE TABLE peer_prompts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    theme        TEXT NOT NULL,
    text         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   DATETIME NOT NULL
);

CREATE INDEX peer_prompts_workspace ON peer_prompts (workspace_id, id);

CREATE TABLE peer_asks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    network_id   BIGINT NOT NULL REFERENCES peer_networks (id) ON DELETE CASCADE,
    code_hash    TEXT NOT NULL,
    text         TEXT NOT NULL,
    channel      TEXT NOT NULL DEFAULT '',
    ts           TEXT NOT NULL DEFAULT '',
    deleted      BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE UNIQUE INDEX peer_asks_code ON peer_asks (code_hash);
