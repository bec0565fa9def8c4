package models_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// TestSQLLogHasNoValues: the SQL log (slow queries) shows statements with
// placeholders, never the values bound to them (tokens, names).
func TestSQLLogHasNoValues(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			var buf testlog.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			db, err := models.Open(ctx, log, modelstest.URL(t, dialect))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			models.SetSlowQuery(db, 0) // log every statement as slow

			c, _ := models.NewCipher(newKey(t))
			if err := models.NewInstallations(db, c).Save(ctx, models.Installation{WorkspaceID: "T1", BotToken: "xoxb-do-not-log"}); err != nil {
				t.Fatal(err)
			}
			if _, err := models.NewPeople(db).SyncProfile(ctx, models.Person{WorkspaceID: "T1", UserID: "U1", Name: "Private Name", Status: calendar.Status{Text: "at the doctor"}}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.Contains(out, "slow query") || !strings.Contains(out, "INSERT INTO") {
				t.Fatalf("log lacks the statements:\n%s", out)
			}
			for _, secret := range []string{"xoxb", "do-not-log", "Private Name", "at the doctor"} {
				if strings.Contains(out, secret) {
					t.Errorf("log contains %q:\n%s", secret, out)
				}
			}
		})
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	ctx := context.Background()
	_, err := models.Open(ctx, modelstest.Logger(t), "postgres://trellis:sup3rs3cret@127.0.0.1:1/trellis?connect_timeout=2")
	if err == nil {
		t.Fatal("Open(unreachable) = nil error, want one")
	}
	if strings.Contains(err.Error(), "sup3rs3cret") {
		t.Errorf("error shows the password: %v", err)
	}
	_, err = models.Open(ctx, modelstest.Logger(t), "postgres://trellis:sup3rs3cret@127.0.0.1:notaport/trellis")
	if err == nil || strings.Contains(err.Error(), "sup3rs3cret") {
		t.Errorf("Open(bad url) = %v; want an error without the password", err)
	}
}
