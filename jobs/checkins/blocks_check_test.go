package checkins_test

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// viaSlack gives blocks back the way a block_actions payload carries them.
func viaSlack(t *testing.T, blocks []slack.Block) []slack.Block {
	t.Helper()
	raw, err := json.Marshal(slack.Blocks{BlockSet: blocks})
	if err != nil {
		t.Fatal(err)
	}
	var out slack.Blocks
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.BlockSet
}
