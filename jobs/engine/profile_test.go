package engine

import (
	"testing"

	"github.com/slack-go/slack"
)

// A person read from Slack carries their 72-pixel profile picture, which
// their check-in answers are posted under.
func TestPersonFromSlackAvatar(t *testing.T) {
	u := &slack.User{ID: "U1", RealName: "Ada", TZ: "Europe/London"}
	u.Profile.Image72 = "https://avatars.slack-edge.com/ada_72.png"
	u.Profile.Image192 = "https://avatars.slack-edge.com/ada_192.png"
	if got := PersonFromSlack("T1", u).AvatarURL; got != u.Profile.Image72 {
		t.Errorf("AvatarURL = %q, want %q", got, u.Profile.Image72)
	}
}
