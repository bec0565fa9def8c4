package checkins

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// How a round's answers are named where Slack carries them back to us and
// in the answer maps: these strings are in messages already sent, so they
// never change.

// ValueYes and ValueNo are a blocked question's options, and the values
// checkinmodels.Store.Answer takes for it.
const (
	ValueYes = "yes"
	ValueNo  = "no"
)

// AnswerKey is the key of question q, at index i of its check-in, in the
// answer maps (checkinmodels.Submission, checkinmodels.Response) and in the answer
// form's block ids: its stable id once stored, so an answer always goes to
// the exact question it was given to, even when the check-in changed
// while the form was open; its 1-based position for a question not stored
// yet (ID 0, as in a preview).
func AnswerKey(i int, q checkinmodels.Question) int {
	if q.ID != 0 {
		return int(q.ID)
	}
	return i + 1
}

// AnswerMetadata names a round of a check-in where Slack carries it back:
// the value of a prompt's buttons and the start of the answer form's
// private_metadata. It is the round id and the check-in id in decimal,
// joined by a colon ("12:7"), far below Slack's 3000-character limit.
func AnswerMetadata(roundID, checkinID int64) string {
	return strconv.FormatInt(roundID, 10) + ":" + strconv.FormatInt(checkinID, 10)
}

// errAnswerMetadata is what ParseAnswerMetadata wraps; the handler logs it
// and shows the person a friendly message instead.
var errAnswerMetadata = errors.New("answer modal metadata")

// ParseAnswerMetadata reads what AnswerMetadata wrote. Both ids must be
// positive.
func ParseAnswerMetadata(s string) (roundID, checkinID int64, err error) {
	r, c, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, fmt.Errorf("%w: %q is not round:checkin", errAnswerMetadata, s)
	}
	roundID, err = strconv.ParseInt(r, 10, 64)
	if err != nil || roundID <= 0 {
		return 0, 0, fmt.Errorf("%w: bad round id in %q", errAnswerMetadata, s)
	}
	checkinID, err = strconv.ParseInt(c, 10, 64)
	if err != nil || checkinID <= 0 {
		return 0, 0, fmt.Errorf("%w: bad check-in id in %q", errAnswerMetadata, s)
	}
	return roundID, checkinID, nil
}
