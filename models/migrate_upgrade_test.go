package models_test

import (
	"context"
	"fmt"
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

// TestMigrateUpgradesOldDatabase: a database migrated by the runner that
// kept its migrations in Go (its schema built, its versions recorded in
// schema_migrations, rows stored) upgrades with Migrate without re-running
// a migration or losing or changing a row; versions it lacks are applied,
// and its schema ends the same as a fresh database's.
func TestMigrateUpgradesOldDatabase(t *testing.T) {
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

				// The columns there before hold what they held; a column a
				// later version added holds nothing on the old rows.
				if after, _ := snapshot(t, db, tables, cols); after != before {
					t.Errorf("rows after Migrate differ from before:\n%s", lineDiff(before, after))
				}
				// (Read as table.*, not *: the Postgres driver caches a
				// statement's plan by its text, and the plan of the SELECT *
				// read before Migrate added a column cannot be used again.)
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
				counts, err := models.CountMigrations(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				status, err := db.MigrationStatus(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(status) != len(files) {
					t.Errorf("status lists %d versions, want %d", len(status), len(files))
				}
				for _, s := range status {
					if !s.Applied || s.Unknown || counts[s.Version] != 1 {
						t.Errorf("version %d: %+v recorded %d times, want applied once and known", s.Version, s, counts[s.Version])
					}
					if s.Version <= at {
						if want := applied.Add(time.Duration(s.Version) * time.Second); !s.AppliedAt.Equal(want) || s.Name != oldNames[s.Version-1] {
							t.Errorf("version %d: applied %v as %q, want %v as %q (the old record kept, not re-run)",
								s.Version, s.AppliedAt, s.Name, want, oldNames[s.Version-1])
						}
					} else if s.AppliedAt.IsZero() {
						t.Errorf("version %d: no time applied", s.Version)
					}
				}
				golden, err := os.ReadFile(filepath.Join("testdata", "schema."+dialect+".golden"))
				if err != nil {
					t.Fatal(err)
				}
				if got := dumpSchema(t, db); got != string(golden) {
					t.Errorf("schema after the upgrade differs from a fresh database's:\n%s", lineDiff(string(golden), got))
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
