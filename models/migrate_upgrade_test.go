package models_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// oldSchemaMigrations is the version table as the runner that kept its
// migrations in Go (before models/migrations) created it, frozen here so
// that this test keeps building a database the old way whatever the
// runner becomes.
var oldSchemaMigrations = map[string]string{
	models.DialectPostgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL
	)`,
	models.DialectSQLite: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at DATETIME NOT NULL
	)`,
}

// oldNames are the names that runner recorded for versions 1 to 11.
var oldNames = []string{
	"initial schema", "occurrences", "schedules and daily budgets", "check-ins",
	"check-in rounds and answers", "check-in posts", "stable check-in questions and anonymous counts",
	"one row per time-off period", "profile pictures", "check-in prompt updates, opened views and message locks",
	"claims by recipient",
}

// createdSince names the tables a migration after version 11 created: the
// dump, of version 11, cannot hold them, and the upgrade creates them
// empty (the schema comparison with a fresh database checks they exist).
var createdSince = map[string]bool{
	"okr_updates": true, "okr_parents": true, "okr_key_results": true, "okr_objectives": true,
	"okr_cycles": true, "okr_settings": true, "okr_people": true, "okr_reviews": true, "okr_learned": true,
	"peer_networks": true, "peer_participants": true, "peer_avoid": true, "peer_rounds": true, "peer_groups": true,
	"peer_group_members": true, "peer_unmatched": true, "peer_sessions": true, "peer_commitments": true, "peer_prompts": true,
	"peer_asks": true,
}

// oldKey is the key that sealed the bot tokens in the ce1c589 fixtures:
// the bytes 1 to 32.
func oldKey() []byte {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	return key
}

// TestMigrateUpgradesOldDatabase: a database that Trellis at commit
// ce1c589 migrated (the runner that kept its migrations in Go, at its
// latest version, 11) and filled through its stores, dumped in
// models/testdata/upgrade_from_ce1c589.<dialect>.sql, upgrades with
// Migrate: versions 1 to 11 are not run again and keep their records,
// the later ones are applied once, no row is lost or changed, the
// columns added since hold nothing on the old rows, the schema ends the
// same as a fresh database's, and today's stores read the old rows.
func TestMigrateUpgradesOldDatabase(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			url := modelstest.EmptyDatabase(t, dialect)
			loadDump(t, url, filepath.Join("testdata", "upgrade_from_ce1c589."+dialect+".sql"))
			db := modelstest.Open(t, url)

			tables, err := modelstest.Tables(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			// The dump holds rows of every table, so every table's rows
			// are compared.
			for _, table := range tables {
				if _, rows := rawRows(t, db, "SELECT * FROM "+table); len(rows) == 0 {
					t.Errorf("%s is empty in the dump; the upgrade of its rows goes untested", table)
				}
			}
			for _, table := range models.WorkspaceTables() {
				if !slices.Contains(tables, table) && !createdSince[table] {
					t.Errorf("the dump has no table %s", table)
				}
			}
			_, oldVersions := rawRows(t, db, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
			if len(oldVersions) != len(oldNames) {
				t.Fatalf("the dump records %d versions, want %d", len(oldVersions), len(oldNames))
			}
			for i, v := range oldVersions {
				if v[0] != fmt.Sprint(i+1) || v[1] != oldNames[i] {
					t.Errorf("the dump records version %s as %q, want %d as %q", v[0], v[1], i+1, oldNames[i])
				}
			}
			before, cols := snapshot(t, db, tables, nil)

			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}

			checkUpgraded(t, db, len(oldVersions), before, cols)
			// The records of the versions the old runner applied are
			// kept as they were: none was run again.
			_, versions := rawRows(t, db, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
			if len(versions) < len(oldVersions) || !slices.EqualFunc(versions[:len(oldVersions)], oldVersions, slices.Equal) {
				t.Errorf("version records after Migrate = %v, want %v first", versions, oldVersions)
			}

			// What today's stores read back is what the old code stored.
			c, err := checkins.NewStore(db).Get(ctx, "T1", 2)
			if err != nil || c.Name != "Autonomy pulse" || len(c.Questions) != 5 || !c.Questions[4].Anonymous {
				t.Errorf("check-in 2 after the upgrade = %+v, %v; want the autonomy pulse, its last question anonymous", c, err)
			}
			cipher, err := models.NewCipher(oldKey())
			if err != nil {
				t.Fatal(err)
			}
			if token, bot, err := models.NewInstallations(db, cipher).BotToken(ctx, "T1"); err != nil || token != "xoxb-fixture-T1" || bot != "B1" {
				t.Errorf("BotToken(T1) after the upgrade = %q, %q, %v; want the token the old code sealed", token, bot, err)
			}
			if p, err := models.NewPeople(db).Get(ctx, "T1", "U2"); err != nil || p.TZOverride != "Asia/Tokyo" || p.DMChannel != "D0U2" {
				t.Errorf("person U2 after the upgrade = %+v, %v", p, err)
			}
			// The occurrence an old build still held is taken over once
			// its lease runs out, and looked for in Slack: the old build
			// left no mark saying whether it had sent it.
			occ := models.NewOccurrences(db)
			held, err := occ.Get(ctx, 5)
			if err != nil || held.Status != models.OccurrenceClaimed || held.Recipient != "U4" {
				t.Fatalf("occurrence 5 after the upgrade = %+v, %v; want U4's, claimed", held, err)
			}
			claims, err := occ.Claim(ctx, held.LeaseUntil.Add(time.Hour), time.Minute, 10)
			if err != nil || len(claims) != 1 || claims[0].Occurrence.ID != held.ID || !claims[0].LeaseExpired || !claims[0].MayBeInSlack {
				t.Errorf("Claim after the old lease = %+v, %v; want occurrence %d taken over and looked for", claims, err, held.ID)
			}
		})
	}
}

// loadDump runs the SQL dump at path in the empty database at url, on a
// handle of its own: a dump changes its session's settings (the search
// path, SQLite's foreign keys). Lines starting with a backslash are
// psql's commands, not SQL, and are left out.
func loadDump(t *testing.T, url, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sql strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(line, `\`) {
			sql.WriteString(line)
		}
	}
	ctx := context.Background()
	// No log: the statement, the whole dump, would be logged as slow.
	db, err := models.Open(ctx, nil, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := modelstest.Exec(ctx, db, sql.String()); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
}

// TestMigrateUpgradesEarlierVersion: a database at an earlier version of
// the migration files, with its versions recorded in schema_migrations
// as the runner that kept its migrations in Go recorded them and rows
// stored, upgrades with Migrate without re-running a migration or losing
// or changing a row; versions it lacks are applied, and its schema ends
// the same as a fresh database's. (Its schema is built from the files;
// TestMigrateUpgradesOldDatabase starts from what that runner built.)
func TestMigrateUpgradesEarlierVersion(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		for _, at := range []int{9, 11} {
			t.Run(fmt.Sprintf("%s/at version %d", dialect, at), func(t *testing.T) {
				ctx := context.Background()
				db := modelstest.Open(t, modelstest.URL(t, dialect))
				exec := func(sql string, args ...any) {
					t.Helper()
					if err := modelstest.Exec(ctx, db, sql, args...); err != nil {
						t.Fatalf("%s: %v", sql, err)
					}
				}
				files, err := models.MigrationFiles(dialect)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range files[:at] {
					if f.Name != oldNames[f.Version-1] {
						t.Errorf("version %d is named %q, the old runner named it %q", f.Version, f.Name, oldNames[f.Version-1])
					}
					for _, s := range f.Statements {
						exec(s)
					}
				}
				exec(oldSchemaMigrations[dialect])
				applied := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
				for v := 1; v <= at; v++ {
					exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
						v, oldNames[v-1], applied.Add(time.Duration(v)*time.Second))
				}
				storeOldRows(t, exec)
				tables, err := modelstest.Tables(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				before, cols := snapshot(t, db, tables, nil)
				if !strings.Contains(before, "Shipped it") {
					t.Fatalf("snapshot before Migrate holds no answer:\n%s", before)
				}

				if err := db.Migrate(ctx); err != nil {
					t.Fatalf("Migrate: %v", err)
				}

				checkUpgraded(t, db, at, before, cols)
				status, err := db.MigrationStatus(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range status {
					if s.Version > at {
						continue
					}
					if want := applied.Add(time.Duration(s.Version) * time.Second); !s.AppliedAt.Equal(want) || s.Name != oldNames[s.Version-1] {
						t.Errorf("version %d: applied %v as %q, want %v as %q (the old record kept, not re-run)",
							s.Version, s.AppliedAt, s.Name, want, oldNames[s.Version-1])
					}
				}
				// What the stores read back is the data stored the old way.
				c, err := checkins.NewStore(db).Get(ctx, "T1", 1)
				if err != nil || len(c.Questions) != 2 || c.Questions[1].Prompt != "How much say?" {
					t.Errorf("check-in after the upgrade = %+v, %v; want Pulse with its 2 questions", c, err)
				}
			})
		}
	}
}

// checkUpgraded checks a database that Migrate upgraded from version at,
// whose rows were before (the columns cols of each table) before it: the
// columns there before hold what they held, a column a later version
// added holds nothing on the old rows, every version is applied once and
// known (those after at applied now), and the schema is the golden one
// of a fresh database.
func checkUpgraded(t *testing.T, db *models.DB, at int, before string, cols map[string][]string) {
	t.Helper()
	ctx := context.Background()
	tables := slices.Collect(maps.Keys(cols))
	if after, _ := snapshot(t, db, tables, cols); after != before {
		t.Errorf("rows after Migrate differ from before:\n%s", lineDiff(before, after))
	}
	// (Read as table.*, not *: the Postgres driver caches a statement's
	// plan by its text, and the plan of the SELECT * read before Migrate
	// added a column cannot be used again.)
	for table, before := range cols {
		names, rows := rawRows(t, db, "SELECT "+table+".* FROM "+table)
		for i, col := range names {
			if slices.Contains(before, col) {
				continue
			}
			for _, r := range rows {
				if r[i] != "" {
					t.Errorf("%s.%s, added by the upgrade, holds %q on a row stored before it", table, col, r[i])
				}
			}
		}
	}
	files, err := models.MigrationFiles(db.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	counts, err := models.CountMigrations(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(status) != len(files) || len(counts) != len(files) {
		t.Errorf("status lists %d versions, schema_migrations %d, want %d", len(status), len(counts), len(files))
	}
	for _, s := range status {
		if !s.Applied || s.Unknown || counts[s.Version] != 1 {
			t.Errorf("version %d: %+v recorded %d times, want applied once and known", s.Version, s, counts[s.Version])
		}
		if s.Version > at && s.AppliedAt.IsZero() {
			t.Errorf("version %d: no time applied", s.Version)
		}
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "schema."+db.Dialect()+".golden"))
	if err != nil {
		t.Fatal(err)
	}
	if got := dumpSchema(t, db); got != string(golden) {
		t.Errorf("schema after the upgrade differs from a fresh database's:\n%s", lineDiff(string(golden), got))
	}
}

// storeOldRows stores a workspace's rows in the schema of version 9, which
// later versions keep.
func storeOldRows(t *testing.T, exec func(string, ...any)) {
	t.Helper()
	at := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	exec(`INSERT INTO installations (workspace_id, bot_user_id, bot_token_enc, installed_at) VALUES ('T1', 'B1', ?, ?)`, []byte{1, 2, 3}, at)
	exec(`INSERT INTO workspaces (workspace_id, name, default_days, default_start, default_end, created_at, updated_at) VALUES ('T1', 'Acme', 31, 540, 1020, ?, ?)`, at, at)
	for _, u := range []string{"U1", "U2"} {
		exec(`INSERT INTO people (workspace_id, user_id, name, slack_tz, avatar_url, daily_budget, created_at, updated_at) VALUES ('T1', ?, ?, 'Europe/Paris', ?, 2, ?, ?)`,
			u, "Person "+u, "https://example.com/"+u+".png", at, at)
	}
	exec(`INSERT INTO away_periods (workspace_id, user_id, first_day, last_day, note, created_at) VALUES ('T1', 'U1', '2026-12-20', '2026-12-31', 'winter', ?)`, at)
	exec(`INSERT INTO holidays (workspace_id, day, name, created_at) VALUES ('T1', '2026-12-25', 'Christmas', ?)`, at)
	exec(`INSERT INTO audit_log (workspace_id, actor_id, action, detail, at) VALUES ('T1', 'U1', 'settings', 'hours', ?)`, at)
	exec(`INSERT INTO occurrences (workspace_id, cadence_id, recipient, nominal_at, deliver_at, status, sent_at, created_at, updated_at)
		VALUES ('T1', 'checkin:1', 'U1', ?, ?, 'delivered', ?, ?, ?)`, at, at, at, at, at)
	exec(`INSERT INTO checkins (id, workspace_id, channel_id, owner_id, name, cadence, anchor, participants, destination, round_minutes, reminders, paused, created_at, updated_at)
		VALUES (1, 'T1', 'C1', 'U1', 'Pulse', 'weekdays at 09:30', '2026-11-30', 'channel', 'thread', 480, 1, FALSE, ?, ?)`, at, at)
	exec(`INSERT INTO checkin_questions (id, checkin_id, workspace_id, position, kind, prompt, options, anonymous, required, retired)
		VALUES (1, 1, 'T1', 1, 'text', 'What did you do?', '[]', FALSE, TRUE, FALSE), (2, 1, 'T1', 2, 'scale', 'How much say?', '["none","all"]', TRUE, TRUE, FALSE)`)
	exec(`INSERT INTO checkin_rounds (id, checkin_id, workspace_id, round_date, opened_at, closes_at, thread_ts, closed) VALUES (1, 1, 'T1', '2026-11-30', ?, ?, '1.2', TRUE)`, at, at.Add(8*time.Hour))
	exec(`INSERT INTO checkin_responses (round_id, workspace_id, user_id, status, anonymous_in, updated_at, asked_by) VALUES (1, 'T1', 'U1', 'answered', TRUE, ?, 1), (1, 'T1', 'U2', 'asked', FALSE, ?, 1)`, at, at)
	exec(`INSERT INTO checkin_answers (round_id, workspace_id, user_id, question_id, value) VALUES (1, 'T1', 'U1', 1, 'Shipped it')`)
	exec(`INSERT INTO checkin_anonymous (round_id, workspace_id, question_id, value, n) VALUES (1, 'T1', 2, '4', 1)`)
	exec(`INSERT INTO checkin_posts (workspace_id, round_id, checkin_id, kind, user_id, version, channel, ts, posted, next_attempt_at, created_at)
		VALUES ('T1', 1, 1, 'answer', 'U1', 1, 'C1', '1.3', TRUE, ?, ?)`, at, at)
}

// snapshot lists every row of the tables but the version table, sorted,
// as text, and the columns it read of each table: all of them, or those
// only names for a table.
func snapshot(t *testing.T, db *models.DB, tables []string, only map[string][]string) (string, map[string][]string) {
	t.Helper()
	var b strings.Builder
	read := map[string][]string{}
	for _, table := range slices.Sorted(slices.Values(tables)) {
		if bookkeeping[table] {
			continue
		}
		query := "SELECT * FROM " + table
		if c := only[table]; c != nil {
			query = "SELECT " + strings.Join(c, ", ") + " FROM " + table
		}
		cols, rows := rawRows(t, db, query)
		read[table] = cols
		lines := make([]string, len(rows))
		for i, r := range rows {
			lines[i] = table + " " + fmt.Sprint(cols) + " " + fmt.Sprint(r)
		}
		slices.Sort(lines)
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	return b.String(), read
}
