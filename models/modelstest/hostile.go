package modelstest

import (
	"fmt"

	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models"
)

// HostileCheckin is a check-in with v in every field a person typed, each
// within its storage limit, with one question of every kind.
func HostileCheckin(v string) models.Checkin {
	opt := func(i int) string { return blockkittest.Stored(fmt.Sprintf("%d %s", i, v), models.MaxOptionLen) }
	choices := make([]string, models.MaxChoices)
	for i := range choices {
		choices[i] = opt(i)
	}
	c := models.NewCheckin()
	c.ID, c.WorkspaceID, c.ChannelID, c.OwnerID = 7, "T1", "C0TEAM", "U0OWNER"
	c.Name = blockkittest.Stored(v, models.MaxNameLen)
	c.Cadence = blockkittest.Stored(v, models.MaxCadenceLen)
	c.Reminders = 2
	c.Questions = []models.Question{
		{ID: 1, Kind: models.KindText, Prompt: blockkittest.Stored(v, models.MaxPromptLen), Required: true},
		{ID: 2, Kind: models.KindScale, Prompt: blockkittest.Stored("2 "+v, models.MaxPromptLen), Options: []string{blockkittest.Stored(v, models.MaxScaleLabelLen), blockkittest.Stored("5 "+v, models.MaxScaleLabelLen)}},
		{ID: 3, Kind: models.KindChoice, Prompt: blockkittest.Stored("3 "+v, models.MaxPromptLen), Options: choices},
		{ID: 4, Kind: models.KindBlocked, Prompt: blockkittest.Stored("4 "+v, models.MaxPromptLen)},
		{ID: 5, Kind: models.KindChoice, Prompt: blockkittest.Stored("5 "+v, models.MaxPromptLen), Options: choices[:3], Anonymous: true},
	}
	for i := 6; i <= models.MaxQuestions; i++ {
		c.Questions = append(c.Questions, models.Question{ID: int64(i), Kind: models.KindText, Prompt: blockkittest.Stored(fmt.Sprint(i, v), models.MaxPromptLen)})
	}
	return c
}
