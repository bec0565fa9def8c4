package checkinstest

import (
	"fmt"
	"testing"

	"github.com/trellis-bot/trellis/models/checkins"
)

// AtPositions rekeys a submission written by question position (1-based)
// to c's question ids, as the store takes it. A position c does not have
// becomes an id no question has.
func AtPositions(c checkins.Checkin, sub checkins.Submission) checkins.Submission {
	rekey := func(m map[int]string) map[int]string {
		if m == nil {
			return nil
		}
		out := make(map[int]string, len(m))
		for pos, v := range m {
			id := pos + 1000000 // no such question
			if pos >= 1 && pos <= len(c.Questions) {
				id = int(c.Questions[pos-1].ID)
			}
			out[id] = v
		}
		return out
	}
	return checkins.Submission{Answers: rekey(sub.Answers), Anonymous: rekey(sub.Anonymous)}
}

// PulseAnswers are answers to the autonomy pulse template by position,
// with say as the anonymous 1–5 answer; the question ids are the
// positions for the first check-in stored (else see AtPositions).
func PulseAnswers(say string) checkins.Submission {
	return checkins.Submission{
		Answers:   map[int]string{1: "Ship the billing rewrite", 2: "Fewer meetings", 3: "Mostly"},
		Anonymous: map[int]string{5: say},
	}
}

// FindAggregate returns the aggregate that is, or fails the test naming
// what.
func FindAggregate(tb testing.TB, aggs []checkins.Aggregate, what string, is func(checkins.Aggregate) bool) checkins.Aggregate {
	tb.Helper()
	for _, a := range aggs {
		if is(a) {
			return a
		}
	}
	tb.Fatalf("no aggregate for %s in %+v", what, aggs)
	return checkins.Aggregate{}
}

// AggregateOf returns the aggregate of the question with id questionID, or
// fails the test.
func AggregateOf(tb testing.TB, aggs []checkins.Aggregate, questionID int64) checkins.Aggregate {
	tb.Helper()
	return FindAggregate(tb, aggs, fmt.Sprintf("question id %d", questionID), func(a checkins.Aggregate) bool { return a.QuestionID == questionID })
}
