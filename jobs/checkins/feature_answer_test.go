package checkins_test

import (
	"encoding/json"
	"strings"
	"testing"

	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// A feature question's answer is its kind's summary, shown where a text
// answer shows, under its prompt: in the answer post, and in the digest.
func TestFeatureAnswerShownAsText(t *testing.T) {
	c := checkinmodels.Checkin{ID: 1, Name: "Weekly", ChannelID: "C1", Questions: []checkinmodels.Question{
		{ID: 1, Kind: checkinmodels.KindText, Prompt: "What's new?", Required: true},
		{ID: 2, Kind: checkinmodels.KindFeature, Prompt: "Your numbers", Options: []string{"fake"}},
	}}
	answers := map[int]string{1: "Shipping", 2: "Filled 3"}
	raw := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	_, digest := jobcheckins.CheckinDigest(c, "Weekly · Fri 4 Dec", 1, 1, nil, 0,
		[]jobcheckins.DigestAnswer{{Name: "Ada", UserID: "UADA", Answers: answers}}, "")
	for where, text := range map[string]string{
		"answer post": raw(jobcheckins.AnswerMessage(c, "Ada", "UADA", answers, nil, false)),
		"digest":      raw(digest),
	} {
		p, a := strings.Index(text, "Your numbers"), strings.Index(text, "Filled 3")
		if p < 0 || a < p {
			t.Errorf("%s does not show the summary under its prompt:\n%s", where, text)
		}
	}
}
