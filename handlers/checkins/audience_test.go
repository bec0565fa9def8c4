package checkins_test

import (
	"encoding/json"
	"strings"
	"testing"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"

	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// The answer form says truthfully, for every destination, who reads an
// answer: the channel's members (now and later) for a thread or channel
// post, the participants in the channel for a digest, and that Trellis
// shows answers only to people in the channel at the time, owners and
// admins included.
func TestAnswerFormSaysWhoReads(t *testing.T) {
	want := map[checkinmodels.Destination]string{
		checkinmodels.DestinationThread:  "thread in <#C0TEAM>, read by its members now and later",
		checkinmodels.DestinationChannel: "posted in <#C0TEAM>, read by its members now and later",
		checkinmodels.DestinationDigest:  "digests of this check-in's people who are in <#C0TEAM> when each digest is written",
	}
	for _, d := range []checkinmodels.Destination{checkinmodels.DestinationThread, checkinmodels.DestinationChannel, checkinmodels.DestinationDigest} {
		c := checkinmodels.NewCheckin()
		c.ID, c.ChannelID, c.Name, c.Destination = 7, "C0TEAM", "Stand-up", d
		c.Questions = []checkinmodels.Question{{Kind: checkinmodels.KindText, Prompt: "Anything?", Required: true}}
		m := checkinhandlers.AnswerModal(c, checkinmodels.Round{ID: 3, CheckinID: 7}, "", nil, nil)
		raw, err := json.Marshal(m.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(raw))
		for _, w := range []string{want[d], "only to people in <#C0TEAM> at that moment; the check-in's owner and workspace admins are no exception"} {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the form lacks %q:\n%s", d, w, got)
			}
		}
	}
}
