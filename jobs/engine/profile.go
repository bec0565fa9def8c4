package engine

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// PersonFromSlack is what a Slack profile says about a person: name, zone,
// admin rights, status and picture, for People.SyncProfile. A zone the tz
// database does not know is left empty. The engine learns profiles of the
// recipients it meets, the handlers those of the people who act.
func PersonFromSlack(teamID string, u *slack.User) models.Person {
	p := models.Person{
		WorkspaceID: teamID,
		UserID:      u.ID,
		Name:        u.RealName,
		SlackTZ:     u.TZ,
		IsAdmin:     u.IsAdmin || u.IsOwner || u.IsPrimaryOwner,
		AvatarURL:   u.Profile.Image72,
		Status: calendar.Status{
			Text:  u.Profile.StatusText,
			Emoji: u.Profile.StatusEmoji,
		},
	}
	if p.Name == "" {
		p.Name = u.Name
	}
	if u.Profile.StatusExpiration > 0 {
		p.Status.Expiration = time.Unix(int64(u.Profile.StatusExpiration), 0).UTC()
	}
	if _, err := calendar.LoadLocation(p.SlackTZ); err != nil {
		p.SlackTZ = ""
	}
	return p
}
