package peers_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	peerhandlers "github.com/trellis-bot/trellis/handlers/peers"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	jobpeers "github.com/trellis-bot/trellis/jobs/peers"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/modelstest"
	"github.com/trellis-bot/trellis/models/peers"
)

// today is the harness's first day, in the networks' zone.
var today = calendar.Date{Year: 2027, Month: 2, Day: 10}

// round stores the next round of network n with groups, each a list of
// members (for a learning pair: the teacher first, then its learners,
// about skill), and returns the stored groups in the same order.
func (e *env) round(n peers.Network, skill string, groups ...[]string) []peers.RoundGroup {
	e.t.Helper()
	kind := peers.RoundKindOf(n.Kind)
	number := 1
	if last, ok, err := e.store.LatestRound(e.ctx, team, n.ID, kind); err != nil {
		e.t.Fatal(err)
	} else if ok {
		number = last.Number + 1
	}
	var gs []peers.RoundGroup
	for _, users := range groups {
		g := peers.RoundGroup{}
		switch {
		case n.Kind == peers.KindCircles:
			g.Kind = peers.GroupCircle
		case n.Kind == peers.KindLearning:
			g.Kind, g.Skill = peers.GroupLearning, skill
		case len(users) == 3:
			g.Kind = peers.GroupTriple
		default:
			g.Kind = peers.GroupPair
		}
		for i, u := range users {
			m := peers.GroupMember{User: u}
			if n.Kind == peers.KindLearning {
				m.Role = peers.RoleLearner
				if i == 0 {
					m.Role = peers.RoleTeacher
				}
			}
			g.Members = append(g.Members, m)
		}
		gs = append(gs, g)
	}
	r, _, err := e.store.SaveRound(e.ctx, team, peers.Round{NetworkID: n.ID, Kind: kind, Number: number, StartsOn: today, EndsOn: today.AddDays(60)}, gs, nil)
	if err != nil {
		e.t.Fatalf("save round: %v", err)
	}
	stored, err := e.store.Groups(e.ctx, team, r.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]peers.RoundGroup, len(groups))
	for i, users := range groups {
		j := slices.IndexFunc(stored, func(g peers.RoundGroup) bool { return g.Has(users[0]) })
		if j < 0 {
			e.t.Fatalf("group of %v not stored", users)
		}
		out[i] = stored[j]
	}
	return out
}

// group is group id as stored now.
func (e *env) group(id int64) peers.RoundGroup {
	e.t.Helper()
	g, err := e.store.Group(e.ctx, team, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// post sends msg as Trellis to the DM of users (one person: their own
// DM; more: their group DM), as the engine delivers the runtime's
// messages, and returns it as the emulator keeps it.
func (e *env) post(msg engine.Message, users ...string) slacksim.Message {
	e.t.Helper()
	ch, _, _, err := e.api.OpenConversationContext(e.ctx, &slack.OpenConversationParameters{Users: users})
	if err != nil {
		e.t.Fatalf("open %v: %v", users, err)
	}
	_, ts, err := e.api.PostMessageContext(e.ctx, ch.ID, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...))
	if err != nil {
		e.t.Fatalf("post: %v", err)
	}
	return e.message(ch.ID, ts)
}

// message is the message ts of channel as the emulator keeps it now.
func (e *env) message(channel, ts string) slacksim.Message {
	e.t.Helper()
	msgs, err := e.tenv.Slack.Control.Messages(e.ctx, channel, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range msgs {
		if m.TS == ts {
			return m
		}
	}
	e.t.Fatalf("no message %s in %s", ts, channel)
	return slacksim.Message{}
}

// click presses the button actionID of m as user, with its value
// replaced by value unless it is "", and waits for the ack.
func (e *env) click(user string, m slacksim.Message, actionID, value string) {
	e.t.Helper()
	res, err := e.tenv.Slack.Control.Action(e.ctx, slacksim.ActionRequest{User: user, Channel: m.Channel, MessageTS: m.TS, ActionID: actionID, Value: value})
	if err != nil || !res.OK {
		e.t.Fatalf("%s clicks %s: %+v, %v", user, actionID, res, err)
	}
}

// shown is a message's blocks as JSON, with "<", ">" and "&" as they
// are.
func shown(t *testing.T, m slacksim.Message) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(m.Blocks, &v); err != nil {
		t.Fatalf("blocks %s: %v", m.Blocks, err)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// told counts the ephemeral messages to user in channel holding want.
func (e *env) told(channel, user, want string) int {
	e.t.Helper()
	msgs, err := e.tenv.Slack.Control.Messages(e.ctx, channel, user)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Ephemeral && m.VisibleTo == user && strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// otherPart is another message the engine merged into the same Slack
// message as a peer network's (it merges one recipient's messages that
// fall due together), with a button of its own.
var otherPart = engine.Message{Text: "Another question", Blocks: []slack.Block{
	slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Another part* of this message", false, false), nil, nil),
	slack.NewActionBlock("other", slack.NewButtonBlockElement("other_action", "1", label("Other button")))}}

// merged is msgs merged into one message, as the engine sends them.
func merged(msgs ...engine.Message) engine.Message {
	var out engine.Message
	for _, m := range msgs {
		out.Text = strings.TrimSpace(out.Text + "\n" + m.Text)
		out.Blocks = append(out.Blocks, m.Blocks...)
	}
	return out
}

// confirmed waits until user was told want privately in channel, n
// times, and checks that the message m is still as it was sent (the
// other parts and every button kept).
func (e *env) confirmed(m slacksim.Message, user, want string, n int) {
	e.t.Helper()
	waitFor(e.t, "a private confirmation to "+user, func() bool { return e.told(m.Channel, user, want) >= n })
	if now := shown(e.t, e.message(m.Channel, m.TS)); now != shown(e.t, m) {
		e.t.Errorf("the click changed the message:\n%s\nwas\n%s", now, shown(e.t, m))
	}
}

// toldText is the first ephemeral message to user in channel holding
// want.
func (e *env) toldText(channel, user, want string) string {
	e.t.Helper()
	msgs, err := e.tenv.Slack.Control.Messages(e.ctx, channel, user)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Ephemeral && m.VisibleTo == user && strings.Contains(m.Text, want) {
			return m.Text
		}
	}
	return ""
}

// unchanged runs each of clicks (each returns who clicked and where)
// and checks that each clicker was told want privately, that no peer
// table nor the engine's occurrences changed, and that the runtime
// stored nothing.
func (e *env) unchanged(what, want string, clicks ...func() (user, channel string)) {
	e.t.Helper()
	before := e.state()
	seen := map[string]int{}
	for _, c := range clicks {
		user, ch := c()
		seen[user+" "+ch]++
		n := seen[user+" "+ch]
		waitFor(e.t, "a private refusal to "+user, func() bool { return e.told(ch, user, want) >= n })
	}
	if after := e.state(); after != before {
		e.t.Errorf("%s changed what is stored:\n%s\nwas:\n%s", what, after, before)
	}
	if calls := e.rt.take(); len(calls) > 0 {
		e.t.Errorf("%s: the runtime stored %v", what, calls)
	}
}

// The follow-up's buttons: a member's click records the outcome for the
// group and tells the clicker alone, naming nobody; the group's message
// stays as it was (it may hold other messages merged with it), so
// another member changes the answer with the same buttons. A click from
// someone not in the group (a payload naming another group) and a forged
// id (no such group, not a number, a group of a learning network) are
// refused privately with one wording, and nothing is stored.
func TestFollowUpButtons(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.live()
	n := e.create(e.owner, e.channel, goodForm("Intros <!channel>"))
	learn := e.create(e.owner, e.channel, goodForm("Learn").set(peerhandlers.BlockKind, choice("learning")))
	gs := e.round(n, "", []string{e.kai, e.lena}, []string{e.omar, e.ravi, e.sven})
	lg := e.round(learn, "go", []string{e.omar, e.kai})
	e.rt.take()

	ours := e.post(merged(jobpeers.FollowUpMessage(n.Name, gs[0].ID, false), otherPart), e.kai, e.lena)
	theirs := e.post(jobpeers.FollowUpMessage(n.Name, gs[1].ID, false), e.omar, e.ravi, e.sven)
	blocks := shown(t, ours)
	for _, id := range []string{jobpeers.ActionMet, jobpeers.ActionNotYet, jobpeers.ActionCouldnt, "other_action"} {
		if !strings.Contains(blocks, `"action_id":"`+id+`"`) {
			t.Fatalf("the merged message has no button %s: %s", id, blocks)
		}
	}

	e.click(e.kai, ours, jobpeers.ActionMet, "")
	e.confirmed(ours, e.kai, "Noted: *you met*. Anyone in this group can change it with the buttons above", 1)
	if g := e.group(gs[0].ID); g.Outcome != peers.OutcomeMet {
		t.Errorf("outcome = %q, want met", g.Outcome)
	}
	if got := e.rt.take(); !slices.Equal(got, []string{"outcome " + itoa(gs[0].ID) + " met"}) {
		t.Errorf("runtime calls = %v", got)
	}
	if e.told(ours.Channel, e.lena, "Noted") != 0 {
		t.Error("the other member was told of kai's answer")
	}

	// Lena changes it with the same buttons.
	e.click(e.lena, ours, jobpeers.ActionCouldnt, "")
	e.confirmed(ours, e.lena, "Noted: *you couldn't meet*", 1)
	if g := e.group(gs[0].ID); g.Outcome != peers.OutcomeCouldnt {
		t.Errorf("outcome = %q, want couldn't", g.Outcome)
	}
	for _, u := range []string{e.kai, e.lena} {
		if p, err := e.store.Participant(e.ctx, team, n.ID, u); err != nil || !p.Priority {
			t.Errorf("%s after couldn't: %+v, %v; want priority next round", u, p, err)
		}
	}
	e.rt.take()

	// Omar, in the other group, clicks his own message's buttons with a
	// payload naming Kai and Lena's group; then forged ids.
	forged := func(value string) func() (string, string) {
		return func() (string, string) {
			e.click(e.omar, theirs, jobpeers.ActionMet, value)
			return e.omar, theirs.Channel
		}
	}
	e.unchanged("a click for another group", "belongs to another intro", forged(itoa(gs[0].ID)), forged("987654"),
		forged("not a number"), forged("-3"), forged(itoa(lg[0].ID)))
	if g := e.group(gs[1].ID); g.Outcome != peers.OutcomeNone {
		t.Errorf("the other group's outcome = %q, want none", g.Outcome)
	}
	if now := shown(t, e.message(theirs.Channel, theirs.TS)); now != shown(t, theirs) {
		t.Errorf("a refused click changed the message: %s", now)
	}
}

// The pause check's buttons: "pause me" pauses the person's intros until
// they resume (and tells the runtime), "keep me in" keeps them in; both
// start the streak of ignored follow-ups again and tell the person alone
// what was done, leaving their DM (and what else it holds) as it was.
// Someone not in the network, or a forged id, is refused and nothing
// changes.
func TestPauseCheckButtons(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.live()
	n := e.create(e.owner, e.channel, goodForm("Intros"))
	if err := e.store.IncIgnored(e.ctx, team, n.ID, []string{e.kai, e.lena}); err != nil {
		t.Fatal(err)
	}
	e.rt.take()

	kai := e.post(merged(jobpeers.PauseCheckMessage(n.Name, n.ID, 3), otherPart), e.kai)
	e.click(e.kai, kai, jobpeers.ActionPauseMe, "")
	e.confirmed(kai, e.kai, "are paused until you resume them", 1)
	p, err := e.store.Participant(e.ctx, team, n.ID, e.kai)
	if err != nil || !p.Paused || p.IgnoredRounds != 0 {
		t.Errorf("kai after pause me: %+v, %v", p, err)
	}
	waitFor(t, "the runtime to be told", func() bool {
		return slices.Contains(e.rt.seen(), "changed "+itoa(n.ID))
	})
	e.rt.take()

	lena := e.post(jobpeers.PauseCheckMessage(n.Name, n.ID, 3), e.lena)
	e.click(e.lena, lena, jobpeers.ActionKeepMe, "")
	e.confirmed(lena, e.lena, "Glad to keep you in", 1)
	p, err = e.store.Participant(e.ctx, team, n.ID, e.lena)
	if err != nil || p.Paused || p.IgnoredRounds != 0 {
		t.Errorf("lena after keep me: %+v, %v", p, err)
	}
	if got := e.rt.take(); !slices.Equal(got, []string{"pause check " + itoa(n.ID) + " " + e.lena + " false"}) {
		t.Errorf("runtime calls = %v", got)
	}

	// Grace is not in the network (she is not in its channel); Lena
	// forges ids in a fresh pause check of her own.
	grace := e.post(jobpeers.PauseCheckMessage(n.Name, n.ID, 3), e.admin)
	lena = e.post(jobpeers.PauseCheckMessage(n.Name, n.ID, 3), e.lena)
	click := func(user string, m slacksim.Message, value string) func() (string, string) {
		return func() (string, string) {
			e.click(user, m, jobpeers.ActionPauseMe, value)
			return user, m.Channel
		}
	}
	e.unchanged("a pause check for someone not in the network", "isn't about a network you take part in",
		click(e.admin, grace, ""), click(e.lena, lena, "424242"), click(e.lena, lena, "x"))
}

// A learning pair's check-in: each answer is recorded for the pair and
// confirmed to the person alone, their DM left as it was (another pair's
// check-in may be merged into it, and its buttons stay); "end" ends the
// pair (its button asks Slack
// to confirm first). Someone not in the pair and forged ids are refused
// and nothing changes.
func TestLearningButtons(t *testing.T) {
	e := newEnv(t, modelstest.Dialects()[0])
	e.live()
	learn := e.create(e.owner, e.channel, goodForm("Learn").set(peerhandlers.BlockKind, choice("learning")))
	intros := e.create(e.owner, e.channel, goodForm("Intros"))
	gs := e.round(learn, "<!here> sql", []string{e.kai, e.lena}, []string{e.omar, e.ravi})
	ig := e.round(intros, "", []string{e.sven, e.owner})
	e.rt.take()

	checkin := func(user string, groupID int64) slacksim.Message {
		id := itoa(groupID)
		return e.post(merged(engine.Message{Text: "How is your learning pair going?", Blocks: []slack.Block{slack.NewActionBlock("",
			slack.NewButtonBlockElement(jobpeers.ActionLearningWell, id, label("Going well")),
			slack.NewButtonBlockElement(jobpeers.ActionLearningNotMet, id, label("We haven't met")),
			slack.NewButtonBlockElement(jobpeers.ActionLearningEnd, id, label("End the pair")))}}, otherPart), user)
	}
	kai := checkin(e.kai, gs[0].ID)
	e.click(e.kai, kai, jobpeers.ActionLearningWell, "")
	e.confirmed(kai, e.kai, "glad your learning pair is going well", 1)
	if g := e.group(gs[0].ID); g.Outcome != peers.OutcomeMet {
		t.Errorf("outcome after going well = %q", g.Outcome)
	}
	lena := checkin(e.lena, gs[0].ID)
	e.click(e.lena, lena, jobpeers.ActionLearningNotMet, "")
	e.confirmed(lena, e.lena, "you haven't met yet", 1)
	if g := e.group(gs[0].ID); g.Outcome != peers.OutcomeNotYet {
		t.Errorf("outcome after not met = %q", g.Outcome)
	}
	lena = checkin(e.lena, gs[0].ID)
	e.click(e.lena, lena, jobpeers.ActionLearningEnd, "")
	e.confirmed(lena, e.lena, "is ended", 1)
	ended := e.toldText(lena.Channel, e.lena, "is ended")
	if g := e.group(gs[0].ID); g.EndedOn != today {
		t.Errorf("ended on %v, want %v", g.EndedOn, today)
	}
	if strings.Contains(ended, "<!here>") || !strings.Contains(ended, "&lt;!here&gt; sql") {
		t.Errorf("the skill is not shown escaped: %s", ended)
	}
	if got := e.rt.take(); len(got) != 3 {
		t.Errorf("runtime calls = %v, want the three answers", got)
	}

	// Omar, of the other pair, with a payload naming Kai and Lena's
	// pair; an intro group's id; no such group.
	omar := checkin(e.omar, gs[1].ID)
	click := func(action, value string) func() (string, string) {
		return func() (string, string) {
			e.click(e.omar, omar, action, value)
			return e.omar, omar.Channel
		}
	}
	e.unchanged("a check-in for another pair", "isn't about a learning pair of yours",
		click(jobpeers.ActionLearningWell, itoa(gs[0].ID)), click(jobpeers.ActionLearningEnd, itoa(gs[0].ID)),
		click(jobpeers.ActionLearningEnd, itoa(ig[0].ID)), click(jobpeers.ActionLearningNotMet, "31337"), click(jobpeers.ActionLearningWell, "x"))
	if g := e.group(gs[1].ID); g.Outcome != peers.OutcomeNone || !g.EndedOn.IsZero() {
		t.Errorf("omar's own pair changed: %+v", g)
	}
}

// label is a button's label.
func label(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// raw is v as JSON.
func raw(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
