package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// A profile picture is kept as Slack gives it when it is an https URL of
// a sane length, follows the profile when it changes, and is dropped
// otherwise: it only ever becomes a message's icon.
func TestSyncProfileAvatar(t *testing.T) {
	modelstest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := models.NewPeople(db)
		for _, tt := range []struct{ given, want string }{
			{"https://avatars.slack-edge.com/a_72.png", "https://avatars.slack-edge.com/a_72.png"},
			{"https://avatars.slack-edge.com/b_72.png", "https://avatars.slack-edge.com/b_72.png"},
			{"", ""},
			{"http://example.com/a.png", ""},
			{"javascript:alert(1)", ""},
			{"https://example.com/a b.png", ""},
			{"https://example.com/" + strings.Repeat("a", 600), ""},
		} {
			p, err := s.SyncProfile(ctx, models.Person{WorkspaceID: "T1", UserID: "U1", Name: "Ada", AvatarURL: tt.given})
			if err != nil {
				t.Fatalf("SyncProfile(%q): %v", tt.given, err)
			}
			got, err := s.Get(ctx, "T1", "U1")
			if err != nil {
				t.Fatal(err)
			}
			if p.AvatarURL != tt.want || got.AvatarURL != tt.want {
				t.Errorf("SyncProfile(%q): avatar %q, stored %q; want %q", tt.given, p.AvatarURL, got.AvatarURL, tt.want)
			}
		}
	})
}
