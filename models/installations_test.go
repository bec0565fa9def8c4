package models_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

func TestInstallations(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		c, err := models.NewCipher(newKey(t))
		if err != nil {
			t.Fatal(err)
		}
		s := models.NewInstallations(db, c)
		at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
		in := models.Installation{
			WorkspaceID: "T1", EnterpriseID: "E1", AppID: "A1", BotUserID: "UBOT",
			BotToken: "xoxb-1111-secret-token", InstalledAt: at,
		}
		if err := s.Save(ctx, in); err != nil {
			t.Fatalf("Save: %v", err)
		}
		got, err := s.Get(ctx, "T1")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := in
		want.Active = true
		if got != want {
			t.Errorf("Get = %+v, want %+v", got, want)
		}

		raw, err := models.RawBotToken(ctx, db, "T1")
		if err != nil {
			t.Fatalf("read raw column: %v", err)
		}
		if len(raw) == 0 || bytes.Contains(raw, []byte(in.BotToken)) || bytes.Contains(raw, []byte("secret")) {
			t.Errorf("bot_token_enc = %q, want ciphertext without the token", raw)
		}

		if _, err := s.Get(ctx, "T404"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
		}
		// What the Slack clients read: the token in clear and the bot's id.
		if token, botUser, err := s.BotToken(ctx, "T1"); err != nil || token != in.BotToken || botUser != "UBOT" {
			t.Errorf("BotToken = %q, %q, %v; want %q, UBOT", token, botUser, err, in.BotToken)
		}
		if _, _, err := s.BotToken(ctx, "T404"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("BotToken(unknown) = %v, want ErrNotFound", err)
		}

		in2 := models.Installation{WorkspaceID: "T2", BotToken: "xoxb-2222"}
		if err := s.Save(ctx, in2); err != nil {
			t.Fatalf("Save T2: %v", err)
		}
		list, err := s.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got, want := len(list), 2; got != want {
			t.Fatalf("List has %d, want %d", got, want)
		}
		if list[1].BotToken != "xoxb-2222" || list[1].InstalledAt.IsZero() {
			t.Errorf("List[1] = %+v, want T2 with its token and an install time", list[1])
		}

		// Uninstall: inactive, token erased, idempotent.
		for i := range 2 {
			if err := s.Deactivate(ctx, "T1"); err != nil {
				t.Fatalf("Deactivate #%d: %v", i+1, err)
			}
		}
		if err := s.Deactivate(ctx, "T404"); err != nil {
			t.Errorf("Deactivate(unknown) = %v, want nil", err)
		}
		if _, err := s.Get(ctx, "T1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Get(deactivated) = %v, want ErrNotFound", err)
		}
		if _, _, err := s.BotToken(ctx, "T1"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("BotToken(deactivated) = %v, want ErrNotFound", err)
		}
		if raw, err := models.RawBotToken(ctx, db, "T1"); err != nil || raw != nil {
			t.Errorf("bot_token_enc after Deactivate = %q, %v; want NULL", raw, err)
		}
		list, err = s.List(ctx)
		if err != nil || len(list) != 1 || list[0].WorkspaceID != "T2" {
			t.Errorf("List after Deactivate = %+v, %v; want only T2", list, err)
		}

		// Re-install reactivates with the new token.
		in.BotToken = "xoxb-new"
		in.InstalledAt = at.Add(24 * time.Hour)
		if err := s.Save(ctx, in); err != nil {
			t.Fatalf("Save again: %v", err)
		}
		got, err = s.Get(ctx, "T1")
		if err != nil || got.BotToken != "xoxb-new" || !got.Active || !got.InstalledAt.Equal(in.InstalledAt) {
			t.Errorf("Get after re-install = %+v, %v; want active with the new token", got, err)
		}

		// A wrong key cannot read the token.
		other, _ := models.NewCipher(newKey(t))
		if _, err := models.NewInstallations(db, other).Get(ctx, "T1"); !errors.Is(err, models.ErrDecrypt) {
			t.Errorf("Get with another key = %v, want ErrDecrypt", err)
		}
	})
}

func TestInstallationsSaveRejects(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		c, _ := models.NewCipher(newKey(t))
		s := models.NewInstallations(db, c)
		for _, in := range []models.Installation{{BotToken: "xoxb"}, {WorkspaceID: "T1"}} {
			if err := s.Save(context.Background(), in); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("Save(%+v) = %v, want ErrInvalid", in, err)
			}
		}
	})
}
