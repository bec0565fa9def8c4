-- A SQLite database as Trellis at commit ce1c589 left it: the last commit
-- whose migrations were Go code (in models/migrate.go then) rather than
-- the files in models/migrations. A throwaway test at that commit opened a
-- fresh database file, migrated it with that commit's Migrate to its
-- latest version (11) and stored rows through that commit's stores; then
-- this file was written by `sqlite3 trellis.db .dump`, unchanged below
-- this header.
--
-- Rows to upgrade: the installations of two workspaces (T2 uninstalled,
-- its token cleared; T1's bot token "xoxb-fixture-T1" sealed with the key
-- of bytes 0x01, 0x02, ... 0x20), workspace settings and the audit log
-- they wrote, people (with a time zone override, own hours, budget, DM
-- channel, an away status), away periods, holidays, two check-ins (a
-- stand-up asking chosen people, a pulse with an anonymous question
-- asking a channel's members) with their schedules and targets, a
-- schedule of its own, occurrences in every status (one still claimed
-- under a lease), a closed round and an open one with responses in every
-- status, answers and anonymous counts, check-in posts (posted, pending,
-- claimed), prompt updates (done and claimed), opened views and a message
-- lock. The clock was frozen at 2026-11-30 08:00 UTC and moved on by hand,
-- so every time in it is a fixed one; lease tokens are random.
--
-- Never regenerate it from a later commit: it stands for what that
-- commit's code wrote, which models/migrate_upgrade_test.go upgrades.
--
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at DATETIME NOT NULL
	);
INSERT INTO schema_migrations VALUES(1,'initial schema','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(2,'occurrences','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(3,'schedules and daily budgets','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(4,'check-ins','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(5,'check-in rounds and answers','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(6,'check-in posts','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(7,'stable check-in questions and anonymous counts','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(8,'one row per time-off period','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(9,'profile pictures','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(10,'check-in prompt updates, opened views and message locks','2026-11-30 08:00:00+00:00');
INSERT INTO schema_migrations VALUES(11,'claims by recipient','2026-11-30 08:00:00+00:00');
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
INSERT INTO installations VALUES('T1','E1','A1','B1',X'01888b69a17f00be1d08632334caaa7e13987b53fc4a906a52b0bfb07fa144407f6167c9e7b080cbc1717788','2026-11-30 08:00:00+00:00',NULL,1);
INSERT INTO installations VALUES('T2','','A1','B2',NULL,'2026-11-30 08:01:30+00:00','2026-11-30 08:03:00+00:00',0);
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
		, daily_budget INTEGER NOT NULL DEFAULT 3 CHECK (daily_budget BETWEEN 1 AND 20));
INSERT INTO workspaces VALUES('T1','Acme',30,480,990,'FR',3,'2026-11-30 08:03:00+00:00','2026-11-30 08:09:00+00:00',4);
INSERT INTO workspaces VALUES('T2','Gone Ltd',62,540,1050,'',5,'2026-11-30 08:03:00+00:00','2026-11-30 08:03:00+00:00',3);
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
			updated_at        DATETIME NOT NULL, daily_budget INTEGER CHECK (daily_budget BETWEEN 1 AND 20), dm_channel TEXT NOT NULL DEFAULT '', avatar_url TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (workspace_id, user_id),
			CHECK ((days IS NULL) = (start_min IS NULL) AND (days IS NULL) = (end_min IS NULL))
		);
INSERT INTO people VALUES('T1','UADMIN','Person UADMIN','Europe/Paris','',NULL,NULL,NULL,'',1,'','',NULL,'2026-11-30 08:12:00+00:00','2026-11-30 08:12:00+00:00',NULL,'','https://avatars.example.com/UADMIN_72.png');
INSERT INTO people VALUES('T1','U1','Person U1','Europe/Paris','',NULL,NULL,NULL,'',0,'','',NULL,'2026-11-30 08:12:00+00:00','2026-11-30 08:13:30+00:00',2,'D0U1','https://avatars.example.com/U1_72.png');
INSERT INTO people VALUES('T1','U2','Person U2','Europe/Paris','Asia/Tokyo',NULL,NULL,NULL,'',0,'','',NULL,'2026-11-30 08:12:00+00:00','2026-11-30 08:13:30+00:00',NULL,'D0U2','https://avatars.example.com/U2_72.png');
INSERT INTO people VALUES('T1','U3','Person U3','Europe/Paris','',NULL,NULL,NULL,'',0,'On vacation',':palm_tree:','2026-12-05 00:00:00+00:00','2026-11-30 08:12:00+00:00','2026-11-30 08:12:00+00:00',NULL,'','https://avatars.example.com/U3_72.png');
INSERT INTO people VALUES('T1','U4','Person U4','Europe/Paris','',34,600,840,'DE',0,'','',NULL,'2026-11-30 08:12:00+00:00','2026-11-30 08:13:30+00:00',NULL,'','https://avatars.example.com/U4_72.png');
INSERT INTO people VALUES('T1','U5','Person U5','','',NULL,NULL,NULL,'',0,'','',NULL,'2026-11-30 08:12:00+00:00','2026-11-30 08:12:00+00:00',NULL,'','https://avatars.example.com/U5_72.png');
INSERT INTO people VALUES('T2','V1','Vera','America/New_York','',NULL,NULL,NULL,'',0,'','',NULL,'2026-11-30 08:12:00+00:00','2026-11-30 08:12:00+00:00',NULL,'','');
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
INSERT INTO away_periods VALUES(1,'T1','U1','2026-12-21','2026-12-31','winter break','2026-11-30 08:15:00+00:00');
INSERT INTO away_periods VALUES(2,'T1','U2','2026-12-02','2026-12-02','','2026-11-30 08:15:00+00:00');
CREATE TABLE holidays (
			workspace_id TEXT NOT NULL,
			day          TEXT NOT NULL,
			name         TEXT NOT NULL,
			added_by     TEXT NOT NULL DEFAULT '',
			created_at   DATETIME NOT NULL,
			PRIMARY KEY (workspace_id, day)
		);
INSERT INTO holidays VALUES('T1','2026-12-25','Christmas','UADMIN','2026-11-30 08:10:30+00:00');
INSERT INTO holidays VALUES('T1','2027-01-01','New Year''s Day','UADMIN','2026-11-30 08:10:30+00:00');
CREATE TABLE audit_log (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			workspace_id TEXT NOT NULL,
			actor_id     TEXT NOT NULL,
			action       TEXT NOT NULL,
			detail       TEXT NOT NULL DEFAULT '',
			at           DATETIME NOT NULL
		);
INSERT INTO audit_log VALUES(1,'T1','UADMIN','set_default_hours','mon-fri 09:00-17:30 → mon-thu 08:00-16:30','2026-11-30 08:04:30+00:00');
INSERT INTO audit_log VALUES(2,'T1','UADMIN','set_holiday_region','(not set) → FR','2026-11-30 08:06:00+00:00');
INSERT INTO audit_log VALUES(3,'T1','UADMIN','set_min_group_size','5 → 3','2026-11-30 08:07:30+00:00');
INSERT INTO audit_log VALUES(4,'T1','UADMIN','set_daily_budget','3 → 4','2026-11-30 08:09:00+00:00');
INSERT INTO audit_log VALUES(5,'T1','UADMIN','add_holiday','2026-12-25 Christmas','2026-11-30 08:10:30+00:00');
INSERT INTO audit_log VALUES(6,'T1','UADMIN','add_holiday','2027-01-01 New Year''s Day','2026-11-30 08:10:30+00:00');
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
INSERT INTO occurrences VALUES(1,'T1','checkin:1','U1','2026-11-30 08:30:00+00:00','2026-11-30 08:30:00+00:00','delivered','',NULL,NULL,1,'2026-11-30 08:35:00+00:00','D0U1','1764491400.000100','2026-11-30 08:21:00+00:00','2026-11-30 08:35:00+00:00');
INSERT INTO occurrences VALUES(2,'T1','checkin:1','U1','2026-12-01 08:30:00+00:00','2026-12-01 08:30:00+00:00','planned','',NULL,NULL,0,NULL,NULL,NULL,'2026-11-30 08:21:00+00:00','2026-11-30 08:21:00+00:00');
INSERT INTO occurrences VALUES(3,'T1','checkin:1','U2','2026-11-30 08:30:00+00:00','2026-11-30 08:31:00+00:00','skipped','away',NULL,NULL,1,NULL,NULL,NULL,'2026-11-30 08:21:00+00:00','2026-11-30 08:35:00+00:00');
INSERT INTO occurrences VALUES(4,'T1','checkin:1','U3','2026-11-30 08:30:00+00:00','2026-11-30 10:30:00+00:00','deferred','rate limited',NULL,NULL,1,NULL,NULL,NULL,'2026-11-30 08:21:00+00:00','2026-11-30 08:35:00+00:00');
INSERT INTO occurrences VALUES(5,'T1','checkin:1','U4','2026-11-30 08:30:00+00:00','2026-11-30 08:33:00+00:00','claimed','','B4PL37HTK5CQ35JXEWUSAZ4SPR.5','2026-11-30 08:37:00+00:00',1,NULL,NULL,NULL,'2026-11-30 08:21:00+00:00','2026-11-30 08:35:00+00:00');
INSERT INTO occurrences VALUES(6,'T1','checkin:1','U5','2026-11-30 08:30:00+00:00','2026-11-30 08:34:00+00:00','missed','window closed',NULL,NULL,1,NULL,NULL,NULL,'2026-11-30 08:21:00+00:00','2026-11-30 08:35:00+00:00');
INSERT INTO occurrences VALUES(7,'T1','digest:weekly','C9','2026-11-30 08:30:00+00:00','2026-11-30 08:30:00+00:00','superseded','a later occurrence asks',NULL,NULL,1,NULL,NULL,NULL,'2026-11-30 08:21:00+00:00','2026-11-30 08:35:00+00:00');
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
INSERT INTO schedules VALUES(1,'T1','checkin:1','Daily stand-up','weekdays at 09:30','2026-11-30','',0,'2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00');
INSERT INTO schedules VALUES(2,'T1','checkin:2','Autonomy pulse','monthly on the first monday at 10:00','2026-11-30','',0,'2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00');
INSERT INTO schedules VALUES(3,'T1','digest:weekly','Weekly digest','every monday at 09:00','2026-11-30','Europe/Paris',0,'2026-11-30 08:19:30+00:00','2026-11-30 08:19:30+00:00');
INSERT INTO schedules VALUES(4,'T1','digest:paused','Paused digest','weekdays at 17:00','2026-11-30','',1,'2026-11-30 08:19:30+00:00','2026-11-30 08:19:30+00:00');
CREATE TABLE schedule_targets (
			schedule_id  BIGINT NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			recipient    TEXT NOT NULL,
			planned_to   DATETIME NOT NULL,
			next_at      DATETIME NOT NULL,
			created_at   DATETIME NOT NULL,
			PRIMARY KEY (schedule_id, recipient)
		);
INSERT INTO schedule_targets VALUES(1,'T1','U1','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00');
INSERT INTO schedule_targets VALUES(1,'T1','U2','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00');
INSERT INTO schedule_targets VALUES(1,'T1','U3','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00');
INSERT INTO schedule_targets VALUES(1,'T1','U4','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00');
INSERT INTO schedule_targets VALUES(1,'T1','U5','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00');
INSERT INTO schedule_targets VALUES(2,'T1','U1','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00');
INSERT INTO schedule_targets VALUES(2,'T1','U2','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00');
INSERT INTO schedule_targets VALUES(2,'T1','U4','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00');
INSERT INTO schedule_targets VALUES(2,'T1','U5','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00');
INSERT INTO schedule_targets VALUES(3,'T1','C9','2026-11-30 08:19:30+00:00','2026-11-30 08:19:30+00:00','2026-11-30 08:19:30+00:00');
INSERT INTO schedule_targets VALUES(3,'T1','U1','2026-11-30 08:19:30+00:00','2026-11-30 08:19:30+00:00','2026-11-30 08:19:30+00:00');
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
		, members_read_at DATETIME NULL);
INSERT INTO checkins VALUES(1,'T1','C1','UADMIN','Daily stand-up','weekdays at 09:30','2026-11-30','chosen','thread',480,1,0,'2026-11-30 08:16:30+00:00','2026-11-30 08:16:30+00:00',NULL);
INSERT INTO checkins VALUES(2,'T1','C2','U1','Autonomy pulse','monthly on the first monday at 10:00','2026-11-30','channel','thread',10080,1,0,'2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00','2026-11-30 08:18:00+00:00');
CREATE TABLE checkin_people (
			checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			PRIMARY KEY (checkin_id, user_id)
		);
INSERT INTO checkin_people VALUES(1,'T1','U1');
INSERT INTO checkin_people VALUES(1,'T1','U2');
INSERT INTO checkin_people VALUES(1,'T1','U3');
INSERT INTO checkin_people VALUES(1,'T1','U4');
INSERT INTO checkin_people VALUES(1,'T1','U5');
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
INSERT INTO checkin_rounds VALUES(1,1,'T1','2026-11-30','2026-11-30 08:30:00+00:00','2026-11-30 16:30:00+00:00','1764491400.000200',1);
INSERT INTO checkin_rounds VALUES(2,2,'T1','2026-11-30','2026-11-30 08:42:00+00:00','2026-12-07 08:42:00+00:00','',0);
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
INSERT INTO checkin_posts VALUES(1,'T1',1,1,'header','',1,'C1','1764491400.000200',1,1,'2026-11-30 08:30:00+00:00','',NULL,'2026-11-30 08:30:00+00:00');
INSERT INTO checkin_posts VALUES(2,'T1',1,1,'answer','U1',1,'C1','1764491500.000300,1764491500.000301',1,1,'2026-11-30 08:31:30+00:00','',NULL,'2026-11-30 08:31:30+00:00');
INSERT INTO checkin_posts VALUES(3,'T1',1,1,'answer','U2',1,'C1','',0,0,'2026-11-30 08:33:00+00:00','',NULL,'2026-11-30 08:33:00+00:00');
INSERT INTO checkin_posts VALUES(4,'T1',2,2,'answer','U1',1,'C2','',0,0,'2026-11-30 08:42:00+00:00','',NULL,'2026-11-30 08:42:00+00:00');
INSERT INTO checkin_posts VALUES(5,'T1',2,2,'answer','U2',1,'C2','',0,0,'2026-11-30 08:43:30+00:00','',NULL,'2026-11-30 08:43:30+00:00');
INSERT INTO checkin_posts VALUES(6,'T1',2,2,'answer','U4',1,'C2','',0,1,'2026-11-30 08:45:00+00:00','fixture-post-3','2026-11-30 08:47:30+00:00','2026-11-30 08:45:00+00:00');
CREATE TABLE IF NOT EXISTS "checkin_responses" (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			status       TEXT NOT NULL CHECK (status IN ('asked', 'answered', 'skipped', 'snoozed')),
			anonymous_in BOOLEAN NOT NULL DEFAULT FALSE,
			updated_at   DATETIME NOT NULL, asked_by BIGINT NOT NULL DEFAULT 0,
			PRIMARY KEY (round_id, user_id)
		);
INSERT INTO checkin_responses VALUES(1,'T1','U1','answered',0,'2026-11-30 08:31:30+00:00',1);
INSERT INTO checkin_responses VALUES(1,'T1','U2','answered',0,'2026-11-30 08:33:00+00:00',1);
INSERT INTO checkin_responses VALUES(1,'T1','U3','skipped',0,'2026-11-30 08:34:30+00:00',1);
INSERT INTO checkin_responses VALUES(1,'T1','U4','asked',0,'2026-11-30 08:30:00+00:00',1);
INSERT INTO checkin_responses VALUES(1,'T1','U5','snoozed',0,'2026-11-30 08:34:30+00:00',1);
INSERT INTO checkin_responses VALUES(2,'T1','U1','answered',1,'2026-11-30 08:42:00+00:00',0);
INSERT INTO checkin_responses VALUES(2,'T1','U2','answered',1,'2026-11-30 08:43:30+00:00',0);
INSERT INTO checkin_responses VALUES(2,'T1','U4','answered',1,'2026-11-30 08:45:00+00:00',0);
INSERT INTO checkin_responses VALUES(2,'T1','U5','snoozed',0,'2026-11-30 08:46:30+00:00',0);
CREATE TABLE IF NOT EXISTS "checkin_questions" (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			checkin_id   BIGINT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			position     INTEGER NOT NULL,
			kind         TEXT NOT NULL CHECK (kind IN ('text', 'scale', 'choice', 'blocked')),
			prompt       TEXT NOT NULL,
			options      TEXT NOT NULL DEFAULT '[]',
			anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
			required     BOOLEAN NOT NULL DEFAULT TRUE,
			retired      BOOLEAN NOT NULL DEFAULT FALSE
		);
INSERT INTO checkin_questions VALUES(1,1,'T1',1,'text','What did you get done yesterday?','[]',0,1,0);
INSERT INTO checkin_questions VALUES(2,1,'T1',2,'text','What will you work on today?','[]',0,1,0);
INSERT INTO checkin_questions VALUES(3,1,'T1',3,'blocked','Is anything blocking you?','[]',0,1,0);
INSERT INTO checkin_questions VALUES(4,2,'T1',1,'text','What outcome are you driving?','[]',0,1,0);
INSERT INTO checkin_questions VALUES(5,2,'T1',2,'text','What would help you move faster?','[]',0,1,0);
INSERT INTO checkin_questions VALUES(6,2,'T1',3,'choice','Do you have the skills, tools and people you need?','["Yes","Mostly","Not yet"]',0,1,0);
INSERT INTO checkin_questions VALUES(7,2,'T1',4,'text','Who could help you?','[]',0,0,0);
INSERT INTO checkin_questions VALUES(8,2,'T1',5,'scale','How much say did you have in how you did your work?','["none at all","all of it"]',1,1,0);
CREATE TABLE IF NOT EXISTS "checkin_answers" (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			question_id  BIGINT NOT NULL,
			value        TEXT NOT NULL,
			PRIMARY KEY (round_id, user_id, question_id)
		);
INSERT INTO checkin_answers VALUES(1,'T1','U1',1,'Shipped the exporter');
INSERT INTO checkin_answers VALUES(1,'T1','U1',2,'Reviews');
INSERT INTO checkin_answers VALUES(1,'T1','U1',3,'no');
INSERT INTO checkin_answers VALUES(1,'T1','U2',1,replace('Wrote the fixture\nwith two lines, ''quotes'' and "double"','\n',char(10)));
INSERT INTO checkin_answers VALUES(1,'T1','U2',2,'Ünïcödé ✓');
INSERT INTO checkin_answers VALUES(1,'T1','U2',3,'yes');
INSERT INTO checkin_answers VALUES(2,'T1','U1',4,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U1',5,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U1',6,'Yes');
INSERT INTO checkin_answers VALUES(2,'T1','U1',7,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U2',4,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U2',5,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U2',6,'Yes');
INSERT INTO checkin_answers VALUES(2,'T1','U2',7,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U4',4,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U4',5,'An answer');
INSERT INTO checkin_answers VALUES(2,'T1','U4',6,'Yes');
INSERT INTO checkin_answers VALUES(2,'T1','U4',7,'An answer');
CREATE TABLE IF NOT EXISTS "checkin_anonymous" (
			round_id     BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id TEXT NOT NULL,
			question_id  BIGINT NOT NULL,
			value        TEXT NOT NULL,
			n            INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
			PRIMARY KEY (round_id, question_id, value)
		);
INSERT INTO checkin_anonymous VALUES(2,'T1',8,'1',0);
INSERT INTO checkin_anonymous VALUES(2,'T1',8,'2',0);
INSERT INTO checkin_anonymous VALUES(2,'T1',8,'3',0);
INSERT INTO checkin_anonymous VALUES(2,'T1',8,'4',2);
INSERT INTO checkin_anonymous VALUES(2,'T1',8,'5',1);
CREATE TABLE checkin_prompt_updates (
			round_id        BIGINT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
			workspace_id    TEXT NOT NULL,
			user_id         TEXT NOT NULL,
			done            BOOLEAN NOT NULL DEFAULT FALSE,
			attempts        INTEGER NOT NULL DEFAULT 0,
			next_attempt_at DATETIME NOT NULL,
			claim_token     TEXT NOT NULL DEFAULT '',
			claim_until     DATETIME,
			PRIMARY KEY (round_id, user_id)
		);
INSERT INTO checkin_prompt_updates VALUES(1,'T1','U4',1,1,'2026-11-30 08:37:30+00:00','',NULL);
INSERT INTO checkin_prompt_updates VALUES(1,'T1','U5',0,1,'2026-11-30 08:37:30+00:00','fixture-prompt-2','2026-11-30 08:41:30+00:00');
CREATE TABLE opened_views (
			workspace_id TEXT NOT NULL,
			view_id      TEXT NOT NULL,
			user_id      TEXT NOT NULL,
			callback_id  TEXT NOT NULL,
			opened_at    DATETIME NOT NULL,
			PRIMARY KEY (workspace_id, view_id)
		);
INSERT INTO opened_views VALUES('T1','V0001','U1','checkin_answer','2026-11-30 08:48:00+00:00');
INSERT INTO opened_views VALUES('T1','V0002','UADMIN','checkin_edit','2026-11-30 08:49:30+00:00');
CREATE TABLE message_locks (
			channel      TEXT NOT NULL,
			ts           TEXT NOT NULL,
			workspace_id TEXT NOT NULL,
			token        TEXT NOT NULL,
			held_until   DATETIME NOT NULL,
			PRIMARY KEY (channel, ts)
		);
INSERT INTO message_locks VALUES('D0U1','1764491400.000100','T1','fixture-lock','2026-11-30 08:38:30+00:00');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('checkin_questions',8);
INSERT INTO sqlite_sequence VALUES('audit_log',6);
INSERT INTO sqlite_sequence VALUES('away_periods',2);
INSERT INTO sqlite_sequence VALUES('checkins',2);
INSERT INTO sqlite_sequence VALUES('schedules',4);
INSERT INTO sqlite_sequence VALUES('occurrences',7);
INSERT INTO sqlite_sequence VALUES('checkin_rounds',2);
INSERT INTO sqlite_sequence VALUES('checkin_posts',6);
CREATE INDEX installations_enterprise ON installations (enterprise_id);
CREATE INDEX away_periods_person_last ON away_periods (workspace_id, user_id, last_day);
CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, at);
CREATE INDEX occurrences_due ON occurrences (status, deliver_at);
CREATE INDEX occurrences_lease ON occurrences (status, lease_until);
CREATE INDEX schedule_targets_next ON schedule_targets (next_at);
CREATE INDEX schedule_targets_recipient ON schedule_targets (workspace_id, recipient);
CREATE INDEX occurrences_sent ON occurrences (workspace_id, recipient, sent_at);
CREATE INDEX occurrences_recipient ON occurrences (workspace_id, recipient, nominal_at);
CREATE INDEX checkins_channel ON checkins (workspace_id, channel_id);
CREATE INDEX checkin_posts_due ON checkin_posts (posted, next_attempt_at);
CREATE INDEX checkin_rounds_closing ON checkin_rounds (closed, closes_at);
CREATE INDEX checkin_responses_person ON checkin_responses (workspace_id, user_id, status);
CREATE INDEX checkin_questions_checkin ON checkin_questions (checkin_id, retired, position);
CREATE UNIQUE INDEX away_periods_same_days ON away_periods (workspace_id, user_id, first_day, last_day);
CREATE INDEX checkin_prompt_updates_due ON checkin_prompt_updates (done, next_attempt_at);
CREATE INDEX opened_views_age ON opened_views (opened_at);
CREATE INDEX occurrences_waiting ON occurrences (workspace_id, recipient, status);
COMMIT;
