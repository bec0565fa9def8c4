// Package checkinstest holds check-ins for tests of every layer to work
// with.
package checkinstest

import (
	"fmt"

	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/checkins"
)

// HostileCheckin is a check-in with v in every field a person typed, each
// within its storage limit, with one question of every kind.
func HostileCheckin(v string) checkins.Checkin {
	opt := func(i int) string { return blockkittest.Stored(fmt.Sprintf("%d %s", i, v), checkins.MaxOptionLen) }
	choices := make([]string, checkins.MaxChoices)
	for i := range choices {
		choices[i] = opt(i)
	}
	c := checkins.NewCheckin()
	c.ID, c.WorkspaceID, c.ChannelID, c.OwnerID = 7, "T1", "C0TEAM", "U0OWNER"
	c.Name = blockkittest.Stored(v, checkins.MaxNameLen)
	c.Cadence = blockkittest.Stored(v, models.MaxCadenceLen)
	c.Reminders = 2
	c.Questions = []checkins.Question{
		{ID: 1, Kind: checkins.KindText, Prompt: blockkittest.Stored(v, checkins.MaxPromptLen), Required: true},
		{ID: 2, Kind: checkins.KindScale, Prompt: blockkittest.Stored("2 "+v, checkins.MaxPromptLen), Options: []string{blockkittest.Stored(v, checkins.MaxScaleLabelLen), blockkittest.Stored("5 "+v, checkins.MaxScaleLabelLen)}},
		{ID: 3, Kind: checkins.KindChoice, Prompt: blockkittest.Stored("3 "+v, checkins.MaxPromptLen), Options: choices},
		{ID: 4, Kind: checkins.KindBlocked, Prompt: blockkittest.Stored("4 "+v, checkins.MaxPromptLen)},
		{ID: 5, Kind: checkins.KindChoice, Prompt: blockkittest.Stored("5 "+v, checkins.MaxPromptLen), Options: choices[:3], Anonymous: true},
	}
	for i := 6; i <= checkins.MaxQuestions; i++ {
		c.Questions = append(c.Questions, checkins.Question{ID: int64(i), Kind: checkins.KindText, Prompt: blockkittest.Stored(fmt.Sprint(i, v), checkins.MaxPromptLen)})
	}
	return c
}
