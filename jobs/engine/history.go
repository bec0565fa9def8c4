package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// conversations reads a conversation's messages with their metadata.
type conversations interface {
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
}

// historyPages bounds how many pages of 200 messages one reconciliation
// reads.
const historyPages = 20

// scanConversation is the one reconciliation against Slack's history: it
// calls match on every message, with its metadata, of the thread under
// thread (conversations.replies) or, with no thread, of the channel
// (conversations.history), posted since oldest, page by page, until match
// reports it has found everything it looks for or the pages run out.
func scanConversation(ctx context.Context, api conversations, channel, thread string, oldest time.Time, match func(slack.Message) (done bool)) error {
	from := strconv.FormatInt(oldest.Unix(), 10) + ".000000"
	if thread != "" {
		params := &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: thread, Oldest: from, Limit: 200, IncludeAllMetadata: true}
		for range historyPages {
			msgs, more, cursor, err := api.GetConversationRepliesContext(ctx, params)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if match(m) {
					return nil
				}
			}
			if !more || cursor == "" {
				break
			}
			params.Cursor = cursor
		}
		return nil
	}
	params := &slack.GetConversationHistoryParameters{ChannelID: channel, Oldest: from, Limit: 200, IncludeAllMetadata: true}
	for range historyPages {
		resp, err := api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return err
		}
		for _, m := range resp.Messages {
			if match(m) {
				return nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	return nil
}
