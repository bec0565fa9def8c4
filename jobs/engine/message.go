package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// Message is what a Composer writes for one occurrence: the notification
// text and the blocks. The engine adds the "Why did I get this?" line.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Context is what a Composer knows when it writes an occurrence's message.
type Context struct {
	Occurrence models.Occurrence
	Schedule   models.Schedule
	// OneOff is a one-off occurrence's payload (PlanOnce), decoded: a
	// value of one of the types declared for the schedule's kind
	// (AcceptOneOff); nil for the schedule's own occurrences.
	OneOff OneOff
	// Person is the recipient of a DM; nil for a channel post or a group.
	Person *models.Person
	// Members are the people of a group message (a recipient made by
	// GroupRecipient), sorted by id; nil otherwise.
	Members []models.Person
	// Location is the zone the occurrence was timed in.
	Location *time.Location
}

// Composer writes the message of one occurrence.
type Composer interface {
	Compose(ctx context.Context, c Context) (Message, error)
}

// ComposerFunc is a func that is a Composer.
type ComposerFunc func(ctx context.Context, c Context) (Message, error)

// Compose calls f.
func (f ComposerFunc) Compose(ctx context.Context, c Context) (Message, error) { return f(ctx, c) }

// SkipError is returned by a Composer when there is nothing to send (the
// check-in round was deleted, say): the occurrence is settled as skipped
// with the reason. Other errors make the engine try again later.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "nothing to send: " + e.Reason }

// Skip returns a SkipError with reason.
func Skip(reason string) error { return &SkipError{Reason: reason} }

// Block Kit limits a delivery keeps to: Slack allows 50 blocks and 4000
// characters of notification text, 3000 of a context block's text; the
// texts keep a margin.
const (
	maxBlocks      = 50
	maxText        = 3900
	maxContextText = 2900
	// maxTitle bounds a schedule's title in the why line: a check-in's
	// name and its channel.
	maxTitle = 100
)

// metadataType is the event_type of the metadata every engine message
// carries: its occurrence ids, so a send whose outcome is unknown can be
// found in the conversation instead of being sent twice.
const metadataType = "trellis_occurrence"

// part is one composed occurrence of a delivery.
type part struct {
	item item
	msg  Message
}

// outgoing is one message to send and the occurrences it delivers.
type outgoing struct {
	items  []item
	text   string
	blocks []slack.Block
}

// assemble joins the parts for one recipient into as few messages as the
// block limit allows, usually one: a person asked twice in one window
// gets one DM. Every part ends with its "Why did I get this?" line.
func assemble(parts []part, why func(item) string) []outgoing {
	var out []outgoing
	var cur outgoing
	flush := func() {
		if len(cur.items) == 0 {
			return
		}
		cur.text = truncate(cur.text, maxText)
		out = append(out, cur)
		cur = outgoing{}
	}
	for _, p := range parts {
		blocks := append([]slack.Block{}, p.msg.Blocks...)
		if len(blocks) == 0 {
			blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(p.msg.Text, maxText), false, true), nil, nil))
		}
		if len(blocks) > maxBlocks-1 {
			blocks = blocks[:maxBlocks-1]
		}
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, truncate(why(p.item), maxContextText), false, true)))
		extra := 0
		if len(cur.items) > 0 {
			extra = 1 // the divider
		}
		if len(cur.blocks)+extra+len(blocks) > maxBlocks {
			flush()
			extra = 0
		}
		if extra == 1 {
			cur.blocks = append(cur.blocks, slack.NewDividerBlock())
			cur.text += "\n"
		}
		cur.blocks = append(cur.blocks, blocks...)
		cur.text += p.msg.Text
		cur.items = append(cur.items, p.item)
	}
	flush()
	return out
}

// metadata is the message metadata naming the occurrences it delivers.
func metadata(workspace string, items []item) slack.SlackMetadata {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = strconv.FormatInt(it.claim.Occurrence.ID, 10)
	}
	return slack.SlackMetadata{
		EventType:    metadataType,
		EventPayload: map[string]any{"occurrence_ids": strings.Join(ids, ","), "workspace": workspace},
	}
}

// occurrenceIDs reads the ids from a message's metadata; nil when it is
// not an engine message.
func occurrenceIDs(m slack.SlackMetadata) []int64 {
	if m.EventType != metadataType {
		return nil
	}
	raw, _ := m.EventPayload["occurrence_ids"].(string)
	var ids []int64
	for _, s := range strings.Split(raw, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// whyLine is the small context line under every proactive message: which
// rule sent it, at what local time and why then, and how to change it.
func whyLine(it item, sentAt time.Time) string {
	o, sc := it.claim.Occurrence, it.schedule
	if isGroup(o.Recipient) {
		return groupWhyLine(it, sentAt)
	}
	if it.person == nil {
		loc := channelLocation(sc)
		return fmt.Sprintf("_Why did I get this?_ *%s* posts here %s (%s time). Ask its owner to change or pause it.",
			mrkdwn.Bound(title(sc), maxTitle), mrkdwn.Bound(sc.Cadence, models.MaxCadenceLen), loc.String())
	}
	loc := it.person.Location()
	local := sentAt.In(loc)
	when := fmt.Sprintf("It reached you at %s your time (%s), inside your working hours (%s)",
		local.Format("15:04 Mon 2 Jan"), loc.String(), it.hours.String())
	// decide leaves a note exactly when the delivery is later than the
	// cadence's time: it says why it waited.
	if it.note != "" {
		when += fmt.Sprintf("; it was due at %s and waited: %s", o.NominalAt.In(loc).Format("15:04 Mon"), mrkdwn.Bound(it.note, 400))
	}
	return fmt.Sprintf("_Why did I get this?_ You are in *%s*, which asks %s in your time zone. %s. "+
		"Change it: `/trellis hours`, `/trellis tz`, `/trellis away`, or `/trellis budget` (at most %d of these a day).",
		mrkdwn.Bound(title(sc), maxTitle), mrkdwn.Bound(sc.Cadence, models.MaxCadenceLen), when, it.budget)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isSkip(err error) (string, bool) {
	var s *SkipError
	if errors.As(err, &s) {
		return s.Reason, true
	}
	return "", false
}
