package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrSchemaTooNew means the database was migrated by a newer Trellis than
// this binary; running would risk writing rows the newer schema forbids.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// migration is one forward-only schema change. It has either SQL for each
// dialect (statements run in order) or a func for changes SQL cannot say.
type migration struct {
	version int
	name    string
	sql     map[string][]string
	fn      func(tx *gorm.DB, dialect string) error
}

// migrations is every schema change, in version order. Never edit one that
// has shipped; append a new one.
func migrations() []migration {
	return []migration{
		{version: 1, name: "initial schema", sql: map[string][]string{
			DialectPostgres: v1Postgres(),
			DialectSQLite:   v1SQLite(),
		}},
		{version: 2, name: "occurrences", sql: map[string][]string{
			DialectPostgres: v2Postgres(),
			DialectSQLite:   v2SQLite(),
		}},
		{version: 3, name: "schedules and daily budgets", sql: map[string][]string{
			DialectPostgres: v3(DialectPostgres),
			DialectSQLite:   v3(DialectSQLite),
		}},
		{version: 4, name: "check-ins", sql: map[string][]string{
			DialectPostgres: v4(DialectPostgres),
			DialectSQLite:   v4(DialectSQLite),
		}},
		{version: 5, name: "check-in rounds and answers", sql: map[string][]string{
			DialectPostgres: v5(DialectPostgres),
			DialectSQLite:   v5(DialectSQLite),
		}},
		{version: 6, name: "check-in posts", sql: map[string][]string{
			DialectPostgres: v6(DialectPostgres),
			DialectSQLite:   v6(DialectSQLite),
		}},
		{version: 7, name: "stable check-in questions and anonymous counts", sql: map[string][]string{
			DialectPostgres: v7(DialectPostgres),
			DialectSQLite:   v7(DialectSQLite),
		}},
		{version: 8, name: "one row per time-off period", sql: map[string][]string{
			DialectPostgres: v8(DialectPostgres),
			DialectSQLite:   v8(DialectSQLite),
		}},
		{version: 9, name: "profile pictures", sql: map[string][]string{
			DialectPostgres: v9(DialectPostgres),
			DialectSQLite:   v9(DialectSQLite),
		}},
		{version: 10, name: "check-in prompt updates, opened views and message locks", sql: map[string][]string{
			DialectPostgres: v10(DialectPostgres),
			DialectSQLite:   v10(DialectSQLite),
		}},
		{version: 11, name: "claims by recipient", sql: map[string][]string{
			DialectPostgres: v11(DialectPostgres),
			DialectSQLite:   v11(DialectSQLite),
		}},
	}
}

// workspaceTables lists every table holding a workspace's rows, children
// before parents, for DeleteWorkspace. A migration adding a table adds it
// here too (a test checks).
func workspaceTables() []string {
	return []string{"message_locks", "opened_views", "checkin_prompt_updates", "checkin_posts", "checkin_anonymous", "checkin_answers", "checkin_responses", "checkin_rounds", "checkin_people", "checkin_questions", "checkins", "schedule_targets", "schedules", "occurrences", "away_periods", "people", "holidays", "audit_log", "workspaces", "installations"}
}

func v1Postgres() []string {
	return []string{
		`CREATE TABLE installations (
			workspace_id   TEXT PRIMARY KEY,
			enterprise_id  TEXT NOT NULL DEFAULT '',
			app_id         TEXT NOT NULL DEFAULT '',
			bot_user_id    TEXT NOT NULL DEFAULT '',
			bot_token_enc  BYTEA,
			installed_at   TIMESTAMPTZ NOT NULL,
			uninstalled_at TIMESTAMPTZ,
			active         BOOLEAN NOT NULL DEFAULT TRUE
		)`,
		`CREATE INDEX installations_enterprise ON installations (enterprise_id)`,
		`CREATE TABLE workspaces (
			workspace_id   TEXT PRIMARY KEY,
			name           TEXT NOT NULL DEFAULT '',
			default_days   INTEGER NOT NULL CHECK (default_days BETWEEN 1 AND 127),
			default_start  INTEGER NOT NULL CHECK (default_start BETWEEN 0 AND 1439),
			default_end    INTEGER NOT NULL CHECK (default_end BETWEEN 0 AND 1439),
			holiday_region TEXT NOT NULL DEFAULT '',
			min_group_size INTEGER NOT NULL DEFAULT 5 CHECK (min_group_size >= 3),
			created_at     TIMESTAMPTZ NOT NULL,
			updated_at     TIMESTAMPTZ NOT NULL
		)`,
		`CREATE TABLE people (
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
			status_expiration TIMESTAMPTZ,
			created_at        TIMESTAMPTZ NOT NULL,
			updated_at        TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (workspace_id, user_id),
			CHECK ((days IS NULL) = (start_min IS NULL) AND (days IS NULL) = (end_min IS NULL))
		)`,
		`CREATE TABLE away_periods (
			id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			first_day    TEXT NOT NULL,
			last_day     TEXT NOT NULL,
			note         TEXT NOT NULL DEFAULT '',
			created_at   TIMESTAMPTZ NOT NULL,
			CHECK (first_day <= last_day),
			FOREIGN KEY (workspace_id, user_id) REFERENCES people (workspace_id, user_id) ON DELETE CASCADE
		)`,
		`CREATE INDEX away_periods_person_last ON away_periods (workspace_id, user_id, last_day)`,
		`CREATE TABLE holidays (
			workspace_id TEXT NOT NULL,
			day          TEXT NOT NULL,
			name         TEXT NOT NULL,
			added_by     TEXT NOT NULL DEFAULT '',
			created_at   TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (workspace_id, day)
		)`,
		`CREATE TABLE audit_log (
			id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			workspace_id TEXT NOT NULL,
			actor_id     TEXT NOT NULL,
			action       TEXT NOT NULL,
			detail       TEXT NOT NULL DEFAULT '',
			at           TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, at)`,
	}
}

// v1SQLite is v1Postgres in SQLite's types: times are DATETIME text (which
// the driver scans back into time.Time), bytes are BLOB.
func v1SQLite() []string {
	return []string{
		`CREATE TABLE installations (
			workspace_id   TEXT PRIMARY KEY NOT NULL,
			enterprise_id  TEXT NOT NULL DEFAULT '',
			app_id         TEXT NOT NULL DEFAULT '',
			bot_user_id    TEXT NOT NULL DEFAULT '',
			bot_token_enc  BLOB,
			installed_at   DATETIME NOT NULL,
			uninstalled_at DATETIME,
			active         BOOLEAN NOT NULL DEFAULT TRUE
		)`,
		`CREATE INDEX installations_enterprise ON installations (enterprise_id)`,
		`CREATE TABLE workspaces (
			workspace_id   TEXT PRIMARY KEY NOT NULL,
			name           TEXT NOT NULL DEFAULT '',
			default_days   INTEGER NOT NULL CHECK (default_days BETWEEN 1 AND 127),
			default_start  INTEGER NOT NULL CHECK (default_start BETWEEN 0 AND 1439),
			default_end    INTEGER NOT NULL CHECK (default_end BETWEEN 0 AND 1439),
			holiday_region TEXT NOT NULL DEFAULT '',
			min_group_size INTEGER NOT NULL DEFAULT 5 CHECK (min_group_size >= 3),
			created_at     DATETIME NOT NULL,
			updated_at     DATETIME NOT NULL
		)`,
		`CREATE TABLE people (
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
		)`,
		`CREATE TABLE away_periods (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			first_day    TEXT NOT NULL,
			last_day     TEXT NOT NULL,
			note         TEXT NOT NULL DEFAULT '',
			created_at   DATETIME NOT NULL,
			CHECK (first_day <= last_day),
			FOREIGN KEY (workspace_id, user_id) REFERENCES people (workspace_id, user_id) ON DELETE CASCADE
		)`,
		`CREATE INDEX away_periods_person_last ON away_periods (workspace_id, user_id, last_day)`,
		`CREATE TABLE holidays (
			workspace_id TEXT NOT NULL,
			day          TEXT NOT NULL,
			name         TEXT NOT NULL,
			added_by     TEXT NOT NULL DEFAULT '',
			created_at   DATETIME NOT NULL,
			PRIMARY KEY (workspace_id, day)
		)`,
		`CREATE TABLE audit_log (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			workspace_id TEXT NOT NULL,
			actor_id     TEXT NOT NULL,
			action       TEXT NOT NULL,
			detail       TEXT NOT NULL DEFAULT '',
			at           DATETIME NOT NULL
		)`,
		`CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, at)`,
	}
}

// v2Postgres adds occurrences, the delivery engine's durable state. The
// UNIQUE constraint is an occurrence's identity, so planning is idempotent
// across ticks and replicas. The two partial indexes serve Claim and hold
// only live rows, so a claim's cost follows what is due, not the history:
// occurrences_due for planned or deferred rows by delivery time,
// occurrences_lease for claims by lease expiry.
func v2Postgres() []string {
	return []string{
		`CREATE TABLE occurrences (
			id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
			workspace_id  TEXT NOT NULL,
			cadence_id    TEXT NOT NULL,
			recipient     TEXT NOT NULL,
			nominal_at    TIMESTAMPTZ NOT NULL,
			deliver_at    TIMESTAMPTZ,
			status        TEXT NOT NULL CHECK (status IN ('planned', 'claimed', 'delivered', 'deferred', 'superseded', 'skipped', 'missed')),
			reason        TEXT NOT NULL DEFAULT '',
			lease_token   TEXT,
			lease_until   TIMESTAMPTZ,
			attempts      INTEGER NOT NULL DEFAULT 0,
			sent_at       TIMESTAMPTZ,
			slack_channel TEXT,
			slack_ts      TEXT,
			created_at    TIMESTAMPTZ NOT NULL,
			updated_at    TIMESTAMPTZ NOT NULL,
			CONSTRAINT occurrences_identity UNIQUE (workspace_id, cadence_id, recipient, nominal_at),
			CHECK ((status = 'claimed') = (lease_token IS NOT NULL AND lease_until IS NOT NULL)),
			CHECK (status NOT IN ('planned', 'deferred') OR deliver_at IS NOT NULL)
		)`,
		`CREATE INDEX occurrences_due ON occurrences (status, deliver_at) WHERE status IN ('planned', 'deferred')`,
		`CREATE INDEX occurrences_lease ON occurrences (lease_until) WHERE status = 'claimed'`,
	}
}

// v2SQLite is v2Postgres in SQLite's types. SQLite uses a partial index
// only when the query's WHERE repeats the index's condition term for term,
// so its indexes are whole ones with status leading.
func v2SQLite() []string {
	return []string{
		`CREATE TABLE occurrences (
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
		)`,
		`CREATE INDEX occurrences_due ON occurrences (status, deliver_at)`,
		`CREATE INDEX occurrences_lease ON occurrences (status, lease_until)`,
	}
}

// v3 adds schedules — what the engine sends, to whom, on which cadence —
// and the daily budgets of proactive DMs.
//
// schedule_targets holds one row per (schedule, recipient) with next_at,
// the instant the planner must look at it again: the planner reads only
// rows whose next_at has come (schedule_targets_next), so a tick's cost
// follows what is due, not how many people or schedules exist. planned_to
// is the last nominal instant planned, so planning resumes where it
// stopped. occurrences_sent serves the budget's "how many proactive DMs
// today" count; SQLite's is a whole index (see v2SQLite).
func v3(dialect string) []string {
	id, ts := columnTypes(dialect)
	sentOnly := ` WHERE sent_at IS NOT NULL`
	if dialect == DialectSQLite {
		sentOnly = ""
	}
	return []string{
		`CREATE TABLE schedules (
			id           ` + id + `,
			workspace_id TEXT NOT NULL,
			key          TEXT NOT NULL,
			title        TEXT NOT NULL DEFAULT '',
			cadence      TEXT NOT NULL,
			anchor       TEXT NOT NULL,
			channel_tz   TEXT NOT NULL DEFAULT '',
			paused       BOOLEAN NOT NULL DEFAULT FALSE,
			created_at   ` + ts + ` NOT NULL,
			updated_at   ` + ts + ` NOT NULL,
			CONSTRAINT schedules_key UNIQUE (workspace_id, key)
		)`,
		`CREATE TABLE schedule_targets (
			schedule_id  BIGINT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			recipient    TEXT NOT NULL,
			planned_to   ` + ts + ` NOT NULL,
			next_at      ` + ts + ` NOT NULL,
			created_at   ` + ts + ` NOT NULL,
			PRIMARY KEY (schedule_id, recipient)
		)`,
		`CREATE INDEX schedule_targets_next ON schedule_targets (next_at)`,
		`CREATE INDEX schedule_targets_recipient ON schedule_targets (workspace_id, recipient)`,
		`ALTER TABLE people ADD COLUMN daily_budget INTEGER CHECK (daily_budget BETWEEN 1 AND 20)`,
		`ALTER TABLE people ADD COLUMN dm_channel TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE workspaces ADD COLUMN daily_budget INTEGER NOT NULL DEFAULT 3 CHECK (daily_budget BETWEEN 1 AND 20)`,
		`CREATE INDEX occurrences_sent ON occurrences (workspace_id, recipient, sent_at)` + sentOnly,
		`CREATE INDEX occurrences_recipient ON occurrences (workspace_id, recipient, nominal_at)`,
	}
}

// columnTypes returns a dialect's auto-increment primary key and its time
// type, for migrations whose SQL is otherwise the same on both.
func columnTypes(dialect string) (id, ts string) {
	if dialect == DialectSQLite {
		return "INTEGER PRIMARY KEY AUTOINCREMENT", "DATETIME"
	}
	return "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "TIMESTAMPTZ"
}

// v4 adds check-ins: the check-in, its questions in order (options as a
// JSON array), and the people chosen to answer it. The same SQL serves
// both databases but for the id and time types.
func v4(dialect string) []string {
	id, ts := columnTypes(dialect)
	return []string{
		`CREATE TABLE checkins (
			id            ` + id + `,
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
			created_at    ` + ts + ` NOT NULL,
			updated_at    ` + ts + ` NOT NULL
		)`,
		`CREATE INDEX checkins_channel ON checkins (workspace_id, channel_id)`,
		`CREATE TABLE checkin_questions (
			checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			position     INTEGER NOT NULL,
			kind         TEXT NOT NULL CHECK (kind IN ('text', 'scale', 'choice', 'blocked')),
			prompt       TEXT NOT NULL,
			options      TEXT NOT NULL DEFAULT '[]',
			anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
			required     BOOLEAN NOT NULL DEFAULT TRUE,
			PRIMARY KEY (checkin_id, position)
		)`,
		`CREATE TABLE checkin_people (
			checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			PRIMARY KEY (checkin_id, user_id)
		)`,
	}
}

// v5 adds check-in rounds and answers. A round is one check-in on one
// local date: each participant gets it at their own local time that day.
// checkin_responses says who answered, skipped or snoozed; checkin_answers
// holds identified answers; checkin_anonymous holds the answers to
// anonymous questions with no person at all, so nobody — not an admin
// reading the database either — can tell whose they are.
func v5(dialect string) []string {
	id, ts := columnTypes(dialect)
	return []string{
		`CREATE TABLE checkin_rounds (
			id           ` + id + `,
			checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			round_date   TEXT NOT NULL,
			opened_at    ` + ts + ` NOT NULL,
			closes_at    ` + ts + ` NOT NULL,
			thread_ts    TEXT NOT NULL DEFAULT '',
			closed       BOOLEAN NOT NULL DEFAULT FALSE,
			CONSTRAINT checkin_rounds_date UNIQUE (checkin_id, round_date)
		)`,
		`CREATE TABLE checkin_responses (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			status       TEXT NOT NULL CHECK (status IN ('answered', 'skipped', 'snoozed')),
			anonymous_in BOOLEAN NOT NULL DEFAULT FALSE,
			updated_at   ` + ts + ` NOT NULL,
			PRIMARY KEY (round_id, user_id)
		)`,
		`CREATE TABLE checkin_answers (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			position     INTEGER NOT NULL,
			value        TEXT NOT NULL,
			PRIMARY KEY (round_id, user_id, position)
		)`,
		`CREATE TABLE checkin_anonymous (
			id           ` + id + `,
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			position     INTEGER NOT NULL,
			value        TEXT NOT NULL
		)`,
		`CREATE INDEX checkin_anonymous_round ON checkin_anonymous (round_id, position)`,
	}
}

// v6 adds check-in posts: every message a check-in posts in its channel
// (a round's header and summary, each answer and each edit of it), queued
// in the transaction that decides it and then claimed, posted and marked
// under a lease, so a crash or a Slack error neither loses nor duplicates
// one. The UNIQUE constraint is a post's identity, so queueing is
// idempotent; checkin_posts_due serves the poster's search. ts holds the
// message timestamps, comma-separated in posting order (a long answer
// takes several messages).
//
// It also lets a response be "asked" (the person got the round and has not
// answered yet), indexes responses by person for their pending rounds, and
// indexes rounds by closing time for closing them. SQLite cannot change a
// CHECK constraint, so there checkin_responses is rebuilt; nothing refers
// to it.
func v6(dialect string) []string {
	id, ts := columnTypes(dialect)
	stmts := []string{
		`CREATE TABLE checkin_posts (
			id              ` + id + `,
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
			next_attempt_at ` + ts + ` NOT NULL,
			claim_token     TEXT NOT NULL DEFAULT '',
			claim_until     ` + ts + `,
			created_at      ` + ts + ` NOT NULL,
			CONSTRAINT checkin_posts_identity UNIQUE (round_id, kind, user_id, version),
			CHECK ((kind = 'answer') = (user_id <> ''))
		)`,
		`CREATE INDEX checkin_posts_due ON checkin_posts (posted, next_attempt_at)`,
		`CREATE INDEX checkin_rounds_closing ON checkin_rounds (closed, closes_at)`,
	}
	const statuses = `CHECK (status IN ('asked', 'answered', 'skipped', 'snoozed'))`
	if dialect == DialectPostgres {
		stmts = append(stmts,
			`ALTER TABLE checkin_responses DROP CONSTRAINT checkin_responses_status_check`,
			`ALTER TABLE checkin_responses ADD CONSTRAINT checkin_responses_status_check `+statuses,
		)
	} else {
		stmts = append(stmts,
			`CREATE TABLE checkin_responses_v6 (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			status       TEXT NOT NULL `+statuses+`,
			anonymous_in BOOLEAN NOT NULL DEFAULT FALSE,
			updated_at   `+ts+` NOT NULL,
			PRIMARY KEY (round_id, user_id)
		)`,
			`INSERT INTO checkin_responses_v6 (round_id, workspace_id, user_id, status, anonymous_in, updated_at)
			SELECT round_id, workspace_id, user_id, status, anonymous_in, updated_at FROM checkin_responses`,
			`DROP TABLE checkin_responses`,
			`ALTER TABLE checkin_responses_v6 RENAME TO checkin_responses`,
		)
	}
	return append(stmts, `CREATE INDEX checkin_responses_person ON checkin_responses (workspace_id, user_id, status)`,
		// The occurrence that first asked the person, so a second message
		// asking the same round stands down.
		`ALTER TABLE checkin_responses ADD COLUMN asked_by BIGINT NOT NULL DEFAULT 0`,
		// When the channel member list last applied was read from Slack, so
		// an older read finishing later never undoes a newer one.
		`ALTER TABLE checkins ADD COLUMN members_read_at `+ts+` NULL`)
}

// v7 makes answers belong to the exact question they were given to, and
// stores anonymous answers as counts only (docs/checkins.md, "Privacy").
//
// checkin_questions gets a stable id: an edit keeps a question's id only
// when nothing about its meaning changed, and a question taken out is
// retired (kept, with its last position) so that old rounds still show
// what was asked. checkin_answers refer to the question id instead of a
// position. checkin_anonymous becomes one count per (round, question,
// value), with no id, no time and no per-answer row, so nothing stored
// orders or links an anonymous answer.
//
// Existing data: questions keep their order (ids follow check-in and
// position); an identified answer goes to the non-anonymous question now
// at its position, or, when there is none, to a retired placeholder
// question with no text (shown as "Question N"), so no answer is lost; an
// anonymous answer becomes a count of the anonymous question now at its
// position, and one with no such question is dropped, as nothing can show
// it without relabelling it. The tables are rebuilt and renamed, the same
// way on both databases.
func v7(dialect string) []string {
	id, _ := columnTypes(dialect)
	return []string{
		`CREATE TABLE checkin_questions_v7 (
			id           ` + id + `,
			checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			position     INTEGER NOT NULL,
			kind         TEXT NOT NULL CHECK (kind IN ('text', 'scale', 'choice', 'blocked')),
			prompt       TEXT NOT NULL,
			options      TEXT NOT NULL DEFAULT '[]',
			anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
			required     BOOLEAN NOT NULL DEFAULT TRUE,
			retired      BOOLEAN NOT NULL DEFAULT FALSE
		)`,
		`INSERT INTO checkin_questions_v7 (checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, retired)
		SELECT checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, FALSE
		FROM checkin_questions ORDER BY checkin_id, position`,
		`INSERT INTO checkin_questions_v7 (checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, retired)
		SELECT DISTINCT r.checkin_id, r.workspace_id, a.position, 'text', '', '[]', FALSE, FALSE, TRUE
		FROM checkin_answers a JOIN checkin_rounds r ON r.id = a.round_id
		WHERE NOT EXISTS (SELECT 1 FROM checkin_questions q
		                  WHERE q.checkin_id = r.checkin_id AND q.position = a.position AND q.anonymous = FALSE)
		ORDER BY r.checkin_id, a.position`,
		`CREATE TABLE checkin_answers_v7 (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			question_id  BIGINT NOT NULL,
			value        TEXT NOT NULL,
			PRIMARY KEY (round_id, user_id, question_id)
		)`,
		`INSERT INTO checkin_answers_v7 (round_id, workspace_id, user_id, question_id, value)
		SELECT a.round_id, a.workspace_id, a.user_id, q.id, a.value
		FROM checkin_answers a JOIN checkin_rounds r ON r.id = a.round_id
		JOIN checkin_questions_v7 q ON q.checkin_id = r.checkin_id AND q.position = a.position AND q.anonymous = FALSE`,
		`CREATE TABLE checkin_anonymous_v7 (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			question_id  BIGINT NOT NULL,
			value        TEXT NOT NULL,
			n            INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
			PRIMARY KEY (round_id, question_id, value)
		)`,
		`INSERT INTO checkin_anonymous_v7 (round_id, workspace_id, question_id, value, n)
		SELECT o.round_id, o.workspace_id, q.id, o.value, COUNT(*)
		FROM checkin_anonymous o JOIN checkin_rounds r ON r.id = o.round_id
		JOIN checkin_questions_v7 q ON q.checkin_id = r.checkin_id AND q.position = o.position AND q.anonymous = TRUE AND q.retired = FALSE
		GROUP BY o.round_id, o.workspace_id, q.id, o.value
		ORDER BY o.round_id, q.id, o.value`,
		`DROP TABLE checkin_anonymous`,
		`DROP TABLE checkin_answers`,
		`DROP TABLE checkin_questions`,
		`ALTER TABLE checkin_questions_v7 RENAME TO checkin_questions`,
		`ALTER TABLE checkin_answers_v7 RENAME TO checkin_answers`,
		`ALTER TABLE checkin_anonymous_v7 RENAME TO checkin_anonymous`,
		`CREATE INDEX checkin_questions_checkin ON checkin_questions (checkin_id, retired, position)`,
	}
}

// v8 makes a person's time off unique by its days: the same period added
// twice (a double submit, a replayed command) is one row. Copies stored
// before this version are merged into the oldest, which keeps its note.
// Company holidays are already one per date (their primary key).
func v8(string) []string {
	return []string{
		`DELETE FROM away_periods WHERE id NOT IN (
			SELECT MIN(id) FROM away_periods GROUP BY workspace_id, user_id, first_day, last_day)`,
		`CREATE UNIQUE INDEX away_periods_same_days ON away_periods (workspace_id, user_id, first_day, last_day)`,
	}
}

// v10 adds two tables for trusting nothing a person can change in a
// payload. checkin_prompt_updates queues, in the transaction that closes a
// round, the change of each asked person's DM prompts to say it closed;
// it is claimed under a lease and marked done, so a change lost to a
// crash is made later (chat.update is idempotent). opened_views records
// the modals Trellis opened and for whom, so a view id in a payload is
// used only by the person it was opened for. message_locks lets one
// writer at a time read, change and write back a message that several
// rounds share (a merged DM prompt), so no change is written over.
func v10(dialect string) []string {
	_, ts := columnTypes(dialect)
	return []string{
		`CREATE TABLE checkin_prompt_updates (
			round_id        BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id    TEXT NOT NULL,
			user_id         TEXT NOT NULL,
			done            BOOLEAN NOT NULL DEFAULT FALSE,
			attempts        INTEGER NOT NULL DEFAULT 0,
			next_attempt_at ` + ts + ` NOT NULL,
			claim_token     TEXT NOT NULL DEFAULT '',
			claim_until     ` + ts + `,
			PRIMARY KEY (round_id, user_id)
		)`,
		`CREATE INDEX checkin_prompt_updates_due ON checkin_prompt_updates (done, next_attempt_at)`,
		`CREATE TABLE opened_views (
			workspace_id TEXT NOT NULL,
			view_id      TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			callback_id  TEXT NOT NULL,
			opened_at    ` + ts + ` NOT NULL,
			PRIMARY KEY (workspace_id, view_id)
		)`,
		`CREATE INDEX opened_views_age ON opened_views (opened_at)`,
		`CREATE TABLE message_locks (
			channel      TEXT NOT NULL,
			ts           TEXT NOT NULL,
			workspace_id TEXT NOT NULL,
			token        TEXT NOT NULL,
			held_until   ` + ts + ` NOT NULL,
			PRIMARY KEY (channel, ts)
		)`,
	}
}

// schemaMigrationsDDL creates the version table; the time type differs.
func schemaMigrationsDDL(dialect string) string {
	ts := "TIMESTAMPTZ"
	if dialect == DialectSQLite {
		ts = "DATETIME"
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at ` + ts + ` NOT NULL
	)`
}

type schemaMigrationRow struct {
	Version   int       `gorm:"column:version;primaryKey;autoIncrement:false"`
	Name      string    `gorm:"column:name"`
	AppliedAt time.Time `gorm:"column:applied_at"`
}

func (schemaMigrationRow) TableName() string { return "schema_migrations" }

// MigrationState is one schema version: known to this binary, applied to
// the database, or both.
type MigrationState struct {
	Version int
	Name    string
	// Applied reports whether the migration has run, and AppliedAt when
	// (zero while pending).
	Applied   bool
	AppliedAt time.Time
	// Unknown is true for a version the database has but this binary does
	// not know: a newer Trellis migrated it.
	Unknown bool
}

// Migrate applies the migrations the database lacks, in order, each in its
// own transaction. Replicas starting together are safe: on Postgres the run
// holds an advisory lock; on SQLite each migration runs in a write
// (IMMEDIATE) transaction that first checks whether it is still missing.
// Migrate fails with ErrSchemaTooNew if the database is ahead of the binary.
func (db *DB) Migrate(ctx context.Context) error {
	if db.dialect == DialectPostgres {
		return db.withMigrationLock(ctx, db.migrate)
	}
	return db.migrate(ctx, db.gorm.WithContext(ctx))
}

func (db *DB) migrate(ctx context.Context, g *gorm.DB) error {
	if err := g.Exec(schemaMigrationsDDL(db.dialect)).Error; err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []schemaMigrationRow
	if err := g.Order("version").Find(&applied).Error; err != nil {
		return fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	ms := migrations()
	if err := checkNotNewer(applied, ms); err != nil {
		return err
	}
	done := make(map[int]bool, len(applied))
	for _, a := range applied {
		done[a.Version] = true
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		var ran bool
		err := g.Transaction(func(tx *gorm.DB) error {
			// Another process may have applied it since we looked.
			var n int64
			if err := tx.Model(&schemaMigrationRow{}).Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.apply(tx, db.dialect); err != nil {
				return err
			}
			ran = true
			return tx.Create(&schemaMigrationRow{Version: m.version, Name: m.name, AppliedAt: db.now()}).Error
		})
		if err != nil {
			return fmt.Errorf("migrate: version %d (%s): %w", m.version, m.name, err)
		}
		if ran {
			db.log.InfoContext(ctx, "applied migration", "version", m.version, "name", m.name)
		}
	}
	return nil
}

func (m migration) apply(tx *gorm.DB, dialect string) error {
	if m.fn != nil {
		return m.fn(tx, dialect)
	}
	stmts, ok := m.sql[dialect]
	if !ok {
		return fmt.Errorf("no SQL for %s", dialect)
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return err
		}
	}
	return nil
}

func checkNotNewer(applied []schemaMigrationRow, known []migration) error {
	latest := 0
	for _, m := range known {
		latest = max(latest, m.version)
	}
	for _, a := range applied {
		if a.Version > latest {
			return fmt.Errorf("%w: the database is at version %d (%s) but this binary knows versions up to %d; run a newer Trellis",
				ErrSchemaTooNew, a.Version, a.Name, latest)
		}
	}
	return nil
}

// withMigrationLock runs fn on one dedicated Postgres connection holding a
// session advisory lock for the current schema, so that one replica
// migrates while the others wait and then find nothing to do.
func (db *DB) withMigrationLock(ctx context.Context, fn func(ctx context.Context, g *gorm.DB) error) (err error) {
	const lockKey = `hashtext('trellis.migrate:' || current_schema())`
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: get connection: %w", err)
	}
	defer func() {
		// Unlock even if ctx is done. If that fails, throw the connection
		// away rather than return it to the pool still holding the lock.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.ExecContext(uctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); uerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("migrate: release lock: %w", uerr)
			}
		}
		_ = conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	g := db.gorm.Session(&gorm.Session{NewDB: true, Context: ctx})
	g.Statement.ConnPool = conn
	return fn(ctx, g)
}

// MigrationStatus lists every known migration, applied or pending, plus any
// version in the database this binary does not know, in version order.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	g := db.gorm.WithContext(ctx)
	var applied []schemaMigrationRow
	has := g.Migrator().HasTable("schema_migrations")
	if has {
		if err := g.Order("version").Find(&applied).Error; err != nil {
			return nil, fmt.Errorf("migration status: %w", err)
		}
	}
	at := make(map[int]schemaMigrationRow, len(applied))
	for _, a := range applied {
		at[a.Version] = a
	}
	var out []MigrationState
	for _, m := range migrations() {
		s := MigrationState{Version: m.version, Name: m.name}
		if a, ok := at[m.version]; ok {
			s.Applied, s.AppliedAt = true, a.AppliedAt.UTC()
			delete(at, m.version)
		}
		out = append(out, s)
	}
	for _, a := range applied {
		if _, unknown := at[a.Version]; unknown {
			out = append(out, MigrationState{Version: a.Version, Name: a.Name, Applied: true, AppliedAt: a.AppliedAt.UTC(), Unknown: true})
		}
	}
	return out, nil
}

// v9 keeps each person's Slack profile picture (its 72-pixel URL), so
// their check-in answers can be posted under their name and picture.
func v9(dialect string) []string {
	_ = dialect // the same statement on both
	return []string{`ALTER TABLE people ADD COLUMN avatar_url TEXT NOT NULL DEFAULT ''`}
}

// v11 serves claims by recipient: Claim takes all of one recipient's
// waiting occurrences together, and none while another claim on that
// recipient is live, so it looks a recipient's unsettled rows up by
// (workspace, recipient). On Postgres the index holds only unsettled rows,
// so its size follows what is waiting, not the history; SQLite uses a
// partial index only for a WHERE that repeats its condition, so it gets a
// whole one with status in it.
func v11(dialect string) []string {
	if dialect == DialectSQLite {
		return []string{`CREATE INDEX occurrences_waiting ON occurrences (workspace_id, recipient, status)`}
	}
	return []string{`CREATE INDEX occurrences_waiting ON occurrences (workspace_id, recipient) WHERE status IN ('planned', 'deferred', 'claimed')`}
}
