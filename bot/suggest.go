package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's limits on the answer to a block_suggestion: an answer over any of
// them is refused whole, and the person sees the menu fail to load. The
// Dispatcher fits every answer to them (see suggestionAck).
const (
	// MaxSuggestionOptions is the most options one answer may carry, in
	// all its groups together.
	MaxSuggestionOptions = 100
	// MaxOptionText is the longest an option's text, description or a
	// group's label may be, in characters.
	MaxOptionText = 75
	// MaxOptionValue is the longest an option's value may be.
	MaxOptionValue = 150
	// MaxSuggestionBytes is the most bytes an answer may take. Slack
	// drops a Socket Mode ack over 20 KB, envelope included: a hundred
	// options of the longest text and value take more, so the last ones
	// are left out until the answer fits, with room for the envelope.
	MaxSuggestionBytes = 20*1024 - 512
)

// noOptions is the answer to a suggestion that has none to give: the
// handler failed, was too slow, or no route serves it. Slack shows an
// empty menu rather than an error, and the person may type on.
var noOptions = []byte(`{"options":[]}`)

// errSuggestionBody is a suggestion handler's mistake: it answered with
// Body, which Slack would not read as options.
var errSuggestionBody = errors.New("bot: a block_suggestion is answered with Options or OptionGroups, not Body")

// suggestionAck writes a suggestion handler's Response as Slack's answer,
// fitted to Slack's limits: options past MaxSuggestionOptions are left
// out, text longer than MaxOptionText is cut with an ellipsis, an option
// whose value is longer than MaxOptionValue (which cutting would change
// into another value) is left out, and so are the last options of an
// answer longer than MaxSuggestionBytes. dropped counts the options left
// out. The options given are not changed.
func suggestionAck(res *Response) (ack []byte, dropped int, err error) {
	if res == nil || (len(res.Options) == 0 && len(res.OptionGroups) == 0) {
		if res != nil && res.Body != nil {
			return nil, 0, errSuggestionBody
		}
		return noOptions, 0, nil
	}
	switch {
	case res.Body != nil:
		return nil, 0, errSuggestionBody
	case len(res.Options) > 0 && len(res.OptionGroups) > 0:
		return nil, 0, errors.New("bot: a block_suggestion is answered with Options or OptionGroups, not both")
	}
	room := MaxSuggestionOptions
	if len(res.OptionGroups) == 0 {
		opts, n := fitOptions(res.Options, &room)
		for {
			if len(opts) == 0 {
				return noOptions, n, nil
			}
			if ack, err = json.Marshal(slack.OptionsResponse{Options: opts}); err != nil || len(ack) <= MaxSuggestionBytes {
				return ack, n, wrapMarshal(err)
			}
			// Rare (only long texts and values come near it): leave out
			// the last option and measure again.
			opts, n = opts[:len(opts)-1], n+1
		}
	}
	groups := make([]*slack.OptionGroupBlockObject, 0, len(res.OptionGroups))
	for _, g := range res.OptionGroups {
		if g == nil {
			continue
		}
		opts, n := fitOptions(g.Options, &room)
		dropped += n
		if len(opts) > 0 {
			groups = append(groups, &slack.OptionGroupBlockObject{Label: fitText(g.Label), Options: opts})
		}
	}
	for {
		if len(groups) == 0 {
			return noOptions, dropped, nil
		}
		if ack, err = json.Marshal(slack.OptionGroupsResponse{OptionGroups: groups}); err != nil || len(ack) <= MaxSuggestionBytes {
			return ack, dropped, wrapMarshal(err)
		}
		last := groups[len(groups)-1]
		last.Options = last.Options[:len(last.Options)-1]
		dropped++
		if len(last.Options) == 0 {
			groups = groups[:len(groups)-1]
		}
	}
}

func wrapMarshal(err error) error {
	if err != nil {
		return fmt.Errorf("marshal suggestion: %w", err)
	}
	return nil
}

// fitOptions returns the options that fit in room (counting them off it),
// each fitted to Slack's limits, and how many were left out.
func fitOptions(in []*slack.OptionBlockObject, room *int) (out []*slack.OptionBlockObject, dropped int) {
	out = make([]*slack.OptionBlockObject, 0, min(len(in), *room))
	for _, o := range in {
		if o == nil || o.Text == nil || o.Text.Text == "" || utf8.RuneCountInString(o.Value) > MaxOptionValue || *room == 0 {
			dropped++
			continue
		}
		fitted := *o
		fitted.Text, fitted.Description = fitText(o.Text), fitText(o.Description)
		out = append(out, &fitted)
		*room--
	}
	return out, dropped
}

// fitText returns t cut to MaxOptionText characters, ending in an
// ellipsis when cut; t itself is not changed.
func fitText(t *slack.TextBlockObject) *slack.TextBlockObject {
	if t == nil || utf8.RuneCountInString(t.Text) <= MaxOptionText {
		return t
	}
	cut := *t
	r := []rune(t.Text)
	cut.Text = string(r[:MaxOptionText-1]) + "…"
	return &cut
}
