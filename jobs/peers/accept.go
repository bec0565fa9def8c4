package peers

import (
	"github.com/trellis-bot/trellis/jobs/engine"
)

// oneOff is one payload type of Kind: a value of it, and how it is
// declared on an engine.
type oneOff struct {
	proto  message
	accept func(*engine.Engine, string) error
}

// oneOffs are every one-off payload of Kind, each writing its own message
// (the message interface); add a new one here.
func oneOffs() []oneOff {
	return []oneOff{
		// Intros (intros_messages.go, followup.go, counts.go).
		{IntroDM{}, engine.AcceptOneOff[IntroDM]},
		{UnmatchedDM{}, engine.AcceptOneOff[UnmatchedDM]},
		{FollowUpDM{}, engine.AcceptOneOff[FollowUpDM]},
		{CountsPost{}, engine.AcceptOneOff[CountsPost]},
		{PauseCheckDM{}, engine.AcceptOneOff[PauseCheckDM]},
		// Circles and asks (circles_compose.go, sessions.go,
		// commitments.go, asks.go).
		{circleWelcome{}, engine.AcceptOneOff[circleWelcome]},
		{circleLeft{}, engine.AcceptOneOff[circleLeft]},
		{sessionMsg{}, engine.AcceptOneOff[sessionMsg]},
		{recallMsg{}, engine.AcceptOneOff[recallMsg]},
		{commitAsk{}, engine.AcceptOneOff[commitAsk]},
		{shareMsg{}, engine.AcceptOneOff[shareMsg]},
		{askPost{}, engine.AcceptOneOff[askPost]},
		// Learning pairs (learning.go).
		{learningIntro{}, engine.AcceptOneOff[learningIntro]},
		{learningCheckin{}, engine.AcceptOneOff[learningCheckin]},
		{learningClosing{}, engine.AcceptOneOff[learningClosing]},
	}
}

// AcceptOneOffs declares every one-off payload of Kind on eng, so that
// PlanOnce takes them and the engine hands them back to the Composer. Call
// it once where the engine is built.
func AcceptOneOffs(eng *engine.Engine) error {
	for _, o := range oneOffs() {
		if err := o.accept(eng, Kind); err != nil {
			return err
		}
	}
	return nil
}
