package checkins_test

import (
	"encoding/json"
	"strings"
	"testing"

	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// A feature question's answer (its kind's summary, "Updated 3 key
// results", or nothing) is the person's own: for every set of other
// answers, the answer post, a packed answer and the digest read the same
// whether the person gave it, gave another or left it empty, and none of
// them shows its prompt or text.
func TestFeatureAnswerNeverShown(t *testing.T) {
	c := checkinmodels.Checkin{ID: 1, Name: "Weekly", ChannelID: "C1", Questions: []checkinmodels.Question{
		{ID: 1, Kind: checkinmodels.KindText, Prompt: "What's new?"},
		{ID: 2, Kind: checkinmodels.KindFeature, Prompt: "Your numbers", Options: []string{"fake"}},
		{ID: 3, Kind: checkinmodels.KindBlocked, Prompt: "Blocked?"},
		{ID: 4, Kind: checkinmodels.KindScale, Prompt: "How was it?", Options: []string{"rough", "great"}},
	}}
	raw := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// surfaces renders every surface others read for one person's answers.
	surfaces := func(answers map[int]string) map[string]string {
		packed, _ := jobcheckins.PackAnswers(c, []jobcheckins.PackedAnswer{{Name: "Ada", UserID: "UADA", Answers: answers}})
		_, digest := jobcheckins.CheckinDigest(c, "Weekly · Fri 4 Dec", 1, 1, nil, 0,
			[]jobcheckins.DigestAnswer{{Name: "Ada", UserID: "UADA", Answers: answers}}, "")
		return map[string]string{
			"answer post":   raw(jobcheckins.AnswerMessage(c, "Ada", "UADA", answers, nil, false)),
			"edited answer": raw(jobcheckins.AnswerMessage(c, "Ada", "UADA", answers, nil, true)),
			"packed answer": raw(packed),
			"digest":        raw(digest),
		}
	}
	others := []map[int]string{
		{},
		{1: "Shipping the importer"},
		{1: "Shipping", 3: "yes", 4: "4"},
		{3: "no"},
		{4: "5", 1: strings.Repeat("long answer ", 400)},
	}
	summaries := []string{"Updated 3 key results", "Updated 1 key result, 1 unchanged", "   "}
	for i, other := range others {
		without := surfaces(other)
		for _, summary := range summaries {
			with := map[int]string{2: summary}
			for k, v := range other {
				with[k] = v
			}
			for where, got := range surfaces(with) {
				if got != without[where] {
					t.Errorf("answers %d with the feature's %q: the %s differs from without it:\n%s\nvs\n%s", i, summary, where, got, without[where])
				}
				for _, secret := range []string{"Your numbers", "key result", "unchanged"} {
					if strings.Contains(got, secret) {
						t.Errorf("answers %d: the %s shows %q", i, where, secret)
					}
				}
			}
		}
	}
	// The property cannot hold by showing nothing: the other answers show.
	if got := surfaces(others[1])["answer post"]; !strings.Contains(got, "Shipping the importer") {
		t.Errorf("the answer post does not show the text answer: %s", got)
	}
}
