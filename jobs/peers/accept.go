package peers

import (
	"github.com/trellis-bot/trellis/jobs/engine"
)

// AcceptOneOffs declares every one-off payload of Kind on eng, so that
// PlanOnce takes them and the engine hands them back to the Composer. Call
// it once where the engine is built. Each payload writes its own message
// (the message interface); add a new one to the list below.
func AcceptOneOffs(eng *engine.Engine) error {
	for _, accept := range []func(*engine.Engine, string) error{
		// Intros (intros_messages.go, followup.go, counts.go).
		engine.AcceptOneOff[IntroDM],
		engine.AcceptOneOff[UnmatchedDM],
		engine.AcceptOneOff[FollowUpDM],
		engine.AcceptOneOff[CountsPost],
		engine.AcceptOneOff[PauseCheckDM],
	} {
		if err := accept(eng, Kind); err != nil {
			return err
		}
	}
	// Circles, asks and learning pairs (circles.go, learning.go).
	if err := acceptCircles(eng); err != nil {
		return err
	}
	return acceptLearning(eng)
}

// Every one-off of Kind writes its own message.
var (
	_ message = IntroDM{}
	_ message = UnmatchedDM{}
	_ message = FollowUpDM{}
	_ message = CountsPost{}
	_ message = PauseCheckDM{}
)
