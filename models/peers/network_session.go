package peers

import (
	"time"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Limits of what people type.
const (
	// MaxCommitmentLen is the longest commitment, in characters.
	MaxCommitmentLen = 500
	// MaxPromptLen is the longest custom prompt, in characters;
	// MaxThemeLen its theme's.
	MaxPromptLen = 500
	MaxThemeLen  = 80
	// MaxAskLen is the longest anonymous ask, in characters.
	MaxAskLen = 1000
)

// Session is one meeting of a circle.
type Session struct {
	ID int64
	// GroupID is the circle's group; NetworkID its network.
	GroupID   int64
	NetworkID int64
	// Number counts the circle's sessions from 1.
	Number int
	// On is the day of the session, in the network's zone.
	On          calendar.Date
	Facilitator string
	// PromptID names the prompt the session used (a built-in one's id or
	// a custom one's).
	PromptID string
	// Present are the members who came, when known.
	Present   []string
	CreatedAt time.Time
}

// Commitment is what one person committed to at a circle's session. It
// is private: only the person reads it; Shared says they chose to share
// it with their circle.
type Commitment struct {
	ID        int64
	SessionID int64
	GroupID   int64
	NetworkID int64
	User      string
	Text      string
	Shared    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CustomPrompt is a discussion prompt a workspace admin added.
type CustomPrompt struct {
	ID        int64
	Theme     string
	Text      string
	CreatedBy string
	CreatedAt time.Time
}

// Ask is an anonymous question posted in a network's channel. Nothing of
// it names its asker: only they hold the code that deletes it.
type Ask struct {
	ID        int64
	NetworkID int64
	Text      string
	// Channel and TS locate the posted message; empty until posted.
	Channel string
	TS      string
	Deleted bool
}
