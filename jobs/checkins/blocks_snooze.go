package checkins

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The "Snooze…" menu of a prompt DM: its options, the values they carry
// back, and the line that says when a snoozed prompt comes back.

// SnoozeTomorrow is SnoozeOption.Minutes for "Tomorrow morning": until the
// start of the person's next working window, however far that is.
const SnoozeTomorrow = -1

// Snooze lengths SnoozeOptions offers, when they end inside the window.
var snoozeLengths = []int{30, 60, 120, 240}

// SnoozeOption is one choice of the "Snooze…" menu. Minutes is
// SnoozeTomorrow for the start of the person's next working window.
type SnoozeOption struct {
	Minutes int
	Label   string
}

// errSnoozeValue is what ParseSnoozeValue wraps.
var errSnoozeValue = errors.New("snooze value")

// SnoozeValue is a snooze option's value: the minutes, a bar, and
// AnswerMetadata(roundID, checkinID), such as "30|12:7" or "-1|12:7".
func SnoozeValue(minutes int, roundID, checkinID int64) string {
	return strconv.Itoa(minutes) + "|" + AnswerMetadata(roundID, checkinID)
}

// ParseSnoozeValue reads what SnoozeValue wrote. minutes is positive, or
// SnoozeTomorrow; both ids are positive.
func ParseSnoozeValue(v string) (minutes int, roundID, checkinID int64, err error) {
	m, meta, found := strings.Cut(v, "|")
	if !found {
		return 0, 0, 0, fmt.Errorf("%w: %q is not minutes|round:checkin", errSnoozeValue, v)
	}
	minutes, err = strconv.Atoi(m)
	if err != nil || (minutes <= 0 && minutes != SnoozeTomorrow) {
		return 0, 0, 0, fmt.Errorf("%w: bad minutes in %q", errSnoozeValue, v)
	}
	roundID, checkinID, err = ParseAnswerMetadata(meta)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%w: %w", errSnoozeValue, err)
	}
	return minutes, roundID, checkinID, nil
}

// SnoozeOffered reports whether minutes is one of the snoozes
// SnoozeOptions can offer: a snooze value comes back in a payload, which
// a person can change.
func SnoozeOffered(minutes int) bool {
	return minutes == SnoozeTomorrow || slices.Contains(snoozeLengths, minutes)
}

// SnoozeOptions are the snoozes the prompt offers: 30 minutes, 1, 2 and 4
// hours, and "Tomorrow morning" (SnoozeTomorrow). The labels name no clock
// time: a prompt can be read hours after it was sent, so what a choice
// means is worked out when it is chosen, and the confirmation names the
// time then (SnoozeMoved when it is not what the label says).
func SnoozeOptions() []SnoozeOption {
	out := make([]SnoozeOption, 0, len(snoozeLengths)+1)
	for _, m := range snoozeLengths {
		out = append(out, SnoozeOption{Minutes: m, Label: snoozeLength(m)})
	}
	return append(out, SnoozeOption{Minutes: SnoozeTomorrow, Label: "Tomorrow morning"})
}

// snoozeLength is "30 minutes", "1 hour" or "2 hours".
func snoozeLength(minutes int) string {
	if minutes%60 == 0 {
		return count(minutes/60, "hour", "hours")
	}
	return count(minutes, "minute", "minutes")
}

// SnoozeMoved tells a person why their snooze of minutes (SnoozeTomorrow
// for "Tomorrow morning") lasts until until rather than what they chose:
// that would have ended outside their working hours, so the prompt comes
// back when those next start. until is shown in loc (nil means UTC).
func SnoozeMoved(minutes int, until time.Time, loc *time.Location) string {
	when := localTime(until, loc).Format("15:04 on Mon 2 Jan")
	if minutes <= 0 {
		return "I'll ask again at " + when + ", when your working hours next start."
	}
	return snoozeLength(minutes) + " from now is outside your working hours, so I'll ask again when they next start: " + when + "."
}
