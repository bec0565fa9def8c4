package bot_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

func submissionReq(viewID string) *bot.Request {
	return &bot.Request{Kind: bot.KindViewSubmission, TeamID: "T1", UserID: "U1",
		Interaction: &slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission,
			View: slack.View{ID: viewID, Hash: "h1", CallbackID: "answer"}}}
}

// A delivery found in progress, on this replica or another, is not acked
// as done: the first may yet fail or its replica die, and an ack would
// tell Slack, and the person who submitted a form, that it was done. Once
// the first is done, a delivery of it again is acked as the duplicate it
// is, and the handler never runs twice.
func TestDispatchInProgressIsNotAckedAsDone(t *testing.T) {
	store := kvtest.New(t)
	var runs atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		runs.Add(1)
		started <- struct{}{}
		<-release
		return nil, nil
	})
	replica := func() *bot.Dispatcher {
		dd := bot.NewDeduper(bot.DeduperConfig{Store: store, Logger: kvtest.Logger(t)})
		return bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: h, Deduper: dd, AckTimeout: time.Minute})
	}
	a, b := replica(), replica()
	ctx := context.Background()

	for _, tc := range []struct {
		name string
		req  func() *bot.Request
	}{
		{"form submission", func() *bot.Request { return submissionReq("V1") }},
		{"event", func() *bot.Request { return eventReq("EvHeld") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs.Store(0)
			release = make(chan struct{})
			first := make(chan error, 1)
			go func() {
				_, err := a.Dispatch(ctx, tc.req())
				first <- err
			}()
			<-started
			for name, d := range map[string]*bot.Dispatcher{"the same replica": a, "another replica": b} {
				ack, err := d.Dispatch(ctx, tc.req())
				if !errors.Is(err, bot.ErrInProgress) || ack != nil {
					t.Errorf("a delivery on %s while the first is handled: ack %q, err %v; want no ack, ErrInProgress", name, ack, err)
				}
			}
			close(release)
			if err := <-first; err != nil {
				t.Fatalf("first delivery: %v", err)
			}
			for name, d := range map[string]*bot.Dispatcher{"the same replica": a, "another replica": b} {
				if ack, err := d.Dispatch(ctx, tc.req()); err != nil || ack != nil {
					t.Errorf("a delivery on %s once the first is done: ack %q, err %v; want an empty ack", name, ack, err)
				}
			}
			if n := runs.Load(); n != 1 {
				t.Errorf("the handler ran %d times, want once", n)
			}
		})
	}
}
