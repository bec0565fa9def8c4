package checkins

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
)

// The one-off messages check-ins plan with the engine (engine.PlanOnce),
// each a payload type the engine stores with the occurrence and hands back
// to compose. A type's kind and key are the occurrence's identity after
// the schedule key ("checkin:42#reminder:17:2"), written as the tags
// before payloads were, so planning one again stays a no-op across the
// upgrade. Version 0 of each is its old tag (the part after the kind),
// for occurrences planned before payloads; each reads it with one
// fmt.Sscanf, and the engine checks the result writes the same tag back.

// runNow is the owner's "run now": the round is asked at once.
type runNow struct {
	At time.Time `json:"at"`
}

func (runNow) OneOffKind() string  { return "run" }
func (runNow) OneOffVersion() int  { return 1 }
func (r runNow) OneOffKey() string { return strconv.FormatInt(r.At.Unix(), 10) }
func (r *runNow) DecodeOneOff(_ int, tag []byte) error { // "<unix>"
	var unix int64
	if _, err := fmt.Sscanf(string(tag), "%d", &unix); err != nil {
		return err
	}
	r.At = time.Unix(unix, 0).UTC()
	return nil
}

// reminder is reminder number N of a round.
type reminder struct {
	Round int64 `json:"round"`
	N     int   `json:"n"`
}

func (reminder) OneOffKind() string  { return "reminder" }
func (reminder) OneOffVersion() int  { return 1 }
func (r reminder) OneOffKey() string { return fmt.Sprintf("%d:%d", r.Round, r.N) }
func (r *reminder) DecodeOneOff(_ int, tag []byte) error { // "<round>:<n>"
	_, err := fmt.Sscanf(string(tag), "%d:%d", &r.Round, &r.N)
	return err
}

// snoozed brings a round's prompt back when a snooze ends, at Until.
type snoozed struct {
	Round int64     `json:"round"`
	Until time.Time `json:"until"`
}

func (snoozed) OneOffKind() string  { return "snooze" }
func (snoozed) OneOffVersion() int  { return 1 }
func (s snoozed) OneOffKey() string { return fmt.Sprintf("%d:%d", s.Round, s.Until.Unix()) }
func (s *snoozed) DecodeOneOff(_ int, tag []byte) error { // "<round>:<unix>"
	var unix int64
	if _, err := fmt.Sscanf(string(tag), "%d:%d", &s.Round, &unix); err != nil {
		return err
	}
	s.Until = time.Unix(unix, 0).UTC()
	return nil
}

// sameRound is the start of the CadenceID of every snooze of s's round of
// the check-in key: a later snooze of the round makes this one stale.
func (s snoozed) sameRound(key string) string {
	return strings.TrimSuffix(engine.OneOffID(key, s), strconv.FormatInt(s.Until.Unix(), 10))
}

// digest is one reader's digest of a closed round.
type digest struct {
	Round int64 `json:"round"`
}

func (digest) OneOffKind() string  { return "digest" }
func (digest) OneOffVersion() int  { return 1 }
func (d digest) OneOffKey() string { return strconv.FormatInt(d.Round, 10) }
func (d *digest) DecodeOneOff(_ int, tag []byte) error { // "<round>"
	_, err := fmt.Sscanf(string(tag), "%d", &d.Round)
	return err
}

// helperNotice tells someone Asker named as able to help with the blocker
// they reported in a round. Question is the blocked question's answer key
// (AnswerKey): its id, or, for notices planned before questions had ids
// (migration 7), its 1-based position among the check-in's questions.
type helperNotice struct {
	Round    int64  `json:"round"`
	Asker    string `json:"asker"`
	Question int    `json:"question"`
}

func (helperNotice) OneOffKind() string { return "helper" }
func (helperNotice) OneOffVersion() int { return 1 }
func (h helperNotice) OneOffKey() string {
	return fmt.Sprintf("%d:%s:%d", h.Round, h.Asker, h.Question)
}
func (h *helperNotice) DecodeOneOff(_ int, tag []byte) error { // "<round>:<asker>:<question>"
	// A Slack user id has no ':' or space, so spaces in place of the
	// colons let %s stop at the end of it.
	_, err := fmt.Sscanf(strings.ReplaceAll(string(tag), ":", " "), "%d %s %d", &h.Round, &h.Asker, &h.Question)
	return err
}

// acceptOneOffs declares the check-ins' one-off types to the engine.
func acceptOneOffs(e *engine.Engine) error {
	for _, accept := range []func(*engine.Engine, string) error{
		engine.AcceptOneOff[runNow],
		engine.AcceptOneOff[reminder],
		engine.AcceptOneOff[snoozed],
		engine.AcceptOneOff[digest],
		engine.AcceptOneOff[helperNotice],
	} {
		if err := accept(e, Kind); err != nil {
			return err
		}
	}
	return nil
}
