package peers_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/blockkit"
	"github.com/trellis-bot/trellis/internal/blockkit/blockkittest"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

// allowedMentions are the mentions the surfaces build on purpose, from
// the ids of a network's channel and owner.
var allowedMentions = []string{"#C0CHAN", "@U0OWNER"}

// items are n networks with v in every field a person typed (names,
// zones, the team field), bounded as stored, in every state of one's
// own.
func items(n int, v string) []peerhandlers.Item {
	var out []peerhandlers.Item
	for i := range n {
		net := peers.DefaultNetwork(peers.Kinds()[i%3])
		net.ID, net.Name, net.Channel, net.Owner = int64(i+1), blockkittest.Stored(fmt.Sprint(v, i), peers.MaxNameLen), "C0CHAN", "U0OWNER"
		net.ChannelTZ, net.Anchor, net.Paused = blockkittest.Stored(v, 64), calendar.Date{Year: 2027, Month: 2, Day: 15}, i%4 == 3
		p := peers.Participant{User: "U0ME", Left: i%4 == 1, Paused: i%4 == 2, PausedUntil: calendar.Date{Year: 2027, Month: 3, Day: i%2 + 1}}
		out = append(out, peerhandlers.Item{Network: net, People: i, Next: net.Anchor, Mine: &p})
	}
	return out
}

// surfaces builds every peer surface with v in every field a person
// typed.
func surfaces(v string) []blockkittest.Surface {
	its := items(60, v)
	edit := its[0].Network
	edit.TeamSource = "field:" + blockkittest.Stored(v, peers.MaxNameLen)
	var prompts []peers.CustomPrompt
	for i := range 60 {
		prompts = append(prompts, peers.CustomPrompt{ID: int64(i + 1), Theme: blockkittest.Stored(v, peers.MaxThemeLen), Text: blockkittest.Stored(v, peers.MaxPromptLen)})
	}
	home := views.Home(views.Summary{UserID: "U0ME", LocalNow: time.Date(2027, 2, 10, 10, 0, 0, 0, time.UTC), Budget: 3},
		func(room views.HomeRoom) []slack.Block { return peerhandlers.HomeSection(its, room) })
	return []blockkittest.Surface{
		{Name: "NewModal", Kind: blockkit.Modal, V: peerhandlers.NetworkModal(peerhandlers.NetworkForm{Channel: "C0CHAN", ChannelName: v, TZ: v})},
		{Name: "EditModal", Kind: blockkit.Modal, V: peerhandlers.NetworkModal(peerhandlers.NetworkForm{Channel: "C0CHAN", TZ: v, Editing: &edit})},
		{Name: "NetworkList", Kind: blockkit.Message, V: peerhandlers.NetworkList(its, v)},
		{Name: "PromptList", Kind: blockkit.Message, V: peerhandlers.PromptList(prompts)},
		{Name: "Home", Kind: blockkit.Home, V: home},
		{Name: "CommitModal", Kind: blockkit.Modal, V: peerhandlers.CommitModal(peerhandlers.CommitForm{SessionID: 1, Text: blockkittest.Stored(v, peers.MaxCommitmentLen)})},
		{Name: "CommitModalShared", Kind: blockkit.Modal, V: peerhandlers.CommitModal(peerhandlers.CommitForm{SessionID: 1 << 60, Text: blockkittest.Stored(v, peers.MaxCommitmentLen), Shared: true})},
	}
}

// TestHostileTextOnEverySurface: whatever a person typed into a
// network's name, its zone, its team field or a prompt, every surface
// shows it as text (no live broadcast, mention or link but the channel
// and owner built from ids) and keeps every Block Kit limit.
func TestHostileTextOnEverySurface(t *testing.T) {
	blockkittest.CheckHostileText(t, surfaces, allowedMentions...)
	blockkittest.CheckTextShown(t, surfaces("<!channel>"))
	for kind, v := range blockkittest.Hostile {
		for _, s := range surfaces(v) {
			if m, ok := s.V.(slack.ModalViewRequest); ok {
				t.Run(kind+"/"+s.Name, func(t *testing.T) { blockkittest.CheckModalLimits(t, m) })
			}
		}
	}
}

// hostileName is a network name meaning harm, within the name's limit.
const hostileName = "<!channel> *boss* <@U123> <http://evil.example|x>"

// Every reply that shows a network's name, a question or a prompt shows
// it escaped: no broadcast, mention or link comes of what was typed.
func TestHostileTextInReplies(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	n := e.create(e.owner, e.channel, goodForm(hostileName).set(peerhandlers.BlockKind, choice("learning")))
	e.create(e.owner, e.channel, goodForm("Second"))
	id := itoa(n.ID)
	var replies []string
	for _, c := range []struct{ user, channel, cmd string }{
		{e.kai, e.channel, "network list"}, {e.kai, "", "network list"}, {e.kai, e.channel, "network leave"},
		{e.kai, e.channel, "network pause me " + id + " until 2027-03-01"}, {e.kai, e.channel, "network resume me " + id},
		{e.kai, e.channel, "network pause " + id}, {e.owner, e.channel, "network pause " + id}, {e.owner, e.channel, "network resume " + id},
		{e.owner, e.channel, "network delete " + id}, {e.kai, e.channel, "network leave " + id}, {e.kai, e.channel, "network join " + id},
		{e.kai, e.channel, "network skills " + id + " teach: <!here> *x*"}, {e.kai, e.channel, "network skills " + id},
		{e.kai, e.channel, "network capacity " + id + " 1"}, {e.kai, e.channel, "network capacity " + id},
		{e.kai, e.channel, "network ask " + id + " <!channel> what about <@U123>?"}, {e.kai, e.channel, "network <!channel>"},
		{e.kai, e.channel, "network leave <!channel>"}, {e.admin, "", "admin network prompt add <!here> | <!channel> *hi* <http://x.example|y>"},
		{e.admin, "", "admin network prompts"}, {e.admin, "", "admin network <!channel>"},
	} {
		replies = append(replies, e.do(c.user, c.channel, c.cmd))
	}
	for _, r := range replies {
		for _, bad := range []string{"<!channel>", "<!here>", "<@U123>", "<http"} {
			if strings.Contains(r, bad) {
				t.Errorf("a reply shows %s live:\n%s", bad, r)
			}
		}
	}
	if !strings.Contains(strings.Join(replies, "\n"), "&lt;!channel&gt; *boss*") {
		t.Error("the name is not shown, escaped")
	}
}

// TestStableIDs: the ids Slack echoes back keep their values, so a form
// opened before an upgrade still reaches its handler, and every
// interactive element of the handlers' own surfaces is namespaced
// "network:" (the runtime's buttons are jobs/peers', "peers:").
func TestStableIDs(t *testing.T) {
	if peerhandlers.CallbackNetwork != "network_form" || peerhandlers.BlockName != "network_name" || peerhandlers.BlockPeople != "network_people" {
		t.Error("the form's ids changed")
	}
	if peerhandlers.CallbackCommit != "network_commit" || peerhandlers.BlockCommitText != "network_commit_text" ||
		peerhandlers.BlockCommitShare != "network_commit_share" || peerhandlers.ValueShare != "share" {
		t.Error("the commitment form's ids changed")
	}
	for _, s := range surfaces("x") {
		b, err := json.Marshal(s.V)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range strings.Split(string(b), `"action_id":"`)[1:] {
			id := part[:strings.IndexByte(part, '"')]
			if !strings.HasPrefix(id, "network:") && !strings.HasPrefix(id, "home:") {
				t.Errorf("%s: action id %q is not namespaced network:", s.Name, id)
			}
		}
	}
}
