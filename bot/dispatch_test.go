package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

func commandReq(text string) *bot.Request {
	return &bot.Request{Kind: bot.KindCommand, TeamID: "T1", UserID: "U1", ChannelID: "C1",
		Command: &slack.SlashCommand{Command: "/trellis", Text: text, TeamID: "T1", UserID: "U1"}}
}

func eventReq(id string) *bot.Request {
	return &bot.Request{Kind: bot.KindEvent, TeamID: "T1", UserID: "U1", EventID: id,
		Event: &slackevents.EventsAPIInnerEvent{Type: "app_home_opened", Data: &slackevents.AppHomeOpenedEvent{User: "U1"}}}
}

// After functions run once the ack is returned, on a context of their own
// that outlives the request, with a timeout; Shutdown waits for them.
func TestDispatchAfter(t *testing.T) {
	release := make(chan struct{})
	var ran, sawDeadline, requestCtxAlive atomic.Bool
	acked := make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		req.After(func(ctx context.Context) {
			<-acked
			_, ok := ctx.Deadline()
			sawDeadline.Store(ok)
			<-release
			requestCtxAlive.Store(ctx.Err() == nil)
			ran.Store(true)
		})
		req.After(func(ctx context.Context) { panic("after-ack bug") })
		return &bot.Response{Body: map[string]string{"text": "ok"}}, nil
	})
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: h, AfterTimeout: 5 * time.Second})

	ctx, cancel := context.WithCancel(context.Background())
	ack, err := d.Dispatch(ctx, commandReq("x"))
	cancel() // the request is over once acked
	close(acked)
	if err != nil || string(ack) != `{"text":"ok"}` {
		t.Fatalf("Dispatch = %s, %v", ack, err)
	}
	if ran.Load() {
		t.Fatalf("After ran before the ack")
	}

	shutdownDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdownDone <- d.Shutdown(ctx)
	}()
	select {
	case err := <-shutdownDone:
		t.Fatalf("Shutdown returned %v while After work was running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-shutdownDone; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !ran.Load() || !sawDeadline.Load() || !requestCtxAlive.Load() {
		t.Errorf("After: ran=%v deadline=%v alive after request ended=%v, want all true", ran.Load(), sawDeadline.Load(), requestCtxAlive.Load())
	}
}

// Shutdown gives up when its context ends, and cancels the work.
func TestDispatchShutdownTimeout(t *testing.T) {
	cancelled := make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		req.After(func(ctx context.Context) {
			<-ctx.Done()
			close(cancelled)
		})
		return nil, nil
	})
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: h})
	if _, err := d.Dispatch(context.Background(), commandReq("x")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Errorf("After context not cancelled when Shutdown gave up")
	}
}

// A handler that misses the ack deadline: the command is acked in time with
// a holding message, the event is not acked (Slack will retry), and the
// handler's late outcome settles dedupe, so the retry is a duplicate. The
// handler is held until both Dispatch calls have returned, so "in time"
// needs no clock: Dispatch answers while the handler is still running.
func TestDispatchAckDeadline(t *testing.T) {
	var runs atomic.Int32
	var afterRan atomic.Bool
	release := make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		runs.Add(1)
		<-release // ignores ctx, as a buggy handler might
		req.After(func(context.Context) { afterRan.Store(true) })
		return nil, nil
	})
	dd := bot.NewDeduper(bot.DeduperConfig{Store: kvtest.New(t), Logger: kvtest.Logger(t)})
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: h, Deduper: dd, AckTimeout: 100 * time.Millisecond})
	ctx := context.Background()

	type answer struct {
		ack []byte
		err error
	}
	// dispatch returns Dispatch's answer, given while the handler is held;
	// the minute is only a guard against hanging, not a speed goal.
	dispatch := func(req *bot.Request) answer {
		t.Helper()
		got := make(chan answer, 1)
		go func() {
			ack, err := d.Dispatch(ctx, req)
			got <- answer{ack, err}
		}()
		select {
		case a := <-got:
			return a
		case <-time.After(time.Minute):
			close(release)
			t.Fatalf("Dispatch waited for a handler past its ack deadline")
			return answer{}
		}
	}

	if a := dispatch(commandReq("slow")); a.err != nil || !strings.Contains(string(a.ack), "taking longer") {
		t.Errorf("command ack = %s, %v; want the holding message", a.ack, a.err)
	}
	if a := dispatch(eventReq("EvSlow")); !errors.Is(a.err, bot.ErrAckTimeout) {
		t.Errorf("event Dispatch err = %v, want ErrAckTimeout", a.err)
	}
	close(release)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if !afterRan.Load() {
		t.Errorf("After of a late handler did not run")
	}
	if _, err := d.Dispatch(ctx, eventReq("EvSlow")); err != nil {
		t.Errorf("retry: %v", err)
	}
	if got := runs.Load(); got != 2 {
		t.Errorf("handler ran %d times, want 2 (command, event once)", got)
	}
}

// A failed handler's After functions do not run, and a failed button tells
// the person, after the ack, through the workspace's client.
func TestDispatchFailure(t *testing.T) {
	fake := newFakeAPI(t, nil)
	tr := bot.NewTransport(bot.TransportConfig{Logger: kvtest.Logger(t), TeamID: "T1"})
	clients := clientsFunc(func(ctx context.Context, team string) (*slack.Client, error) {
		if team != "T1" {
			return nil, errors.New("unknown workspace")
		}
		return slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(tr)), nil
	})
	var afterRan atomic.Bool
	var sawClient atomic.Bool
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		sawClient.Store(req.Slack != nil)
		req.After(func(context.Context) { afterRan.Store(true) })
		return nil, errors.New("boom")
	})
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: h, Clients: clients})
	req := &bot.Request{Kind: bot.KindBlockAction, TeamID: "T1", UserID: "U1", ChannelID: "C1",
		Interaction: &slack.InteractionCallback{Type: slack.InteractionTypeBlockActions}}
	ack, err := d.Dispatch(context.Background(), req)
	if err != nil || len(ack) != 0 {
		t.Errorf("block action ack = %q, %v; want empty 200", ack, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !sawClient.Load() {
		t.Errorf("req.Slack not set from Clients")
	}
	if afterRan.Load() {
		t.Errorf("After ran although the handler failed")
	}
	calls, _ := fake.snapshot()
	if len(calls) != 1 || calls[0].method != "chat.postEphemeral" || !strings.Contains(calls[0].text, "Something went wrong") {
		t.Errorf("calls = %+v, want one chat.postEphemeral with the friendly message", calls)
	}
}

type clientsFunc func(ctx context.Context, team string) (*slack.Client, error)

func (f clientsFunc) ClientFor(ctx context.Context, team string) (*slack.Client, error) {
	return f(ctx, team)
}

// The Logging middleware writes one line per request, without message text.
func TestLoggingMiddleware(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil))
	mux := bot.NewMux()
	mux.Use(bot.Logging(log))
	mux.Event("message", bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) { return nil, nil }))
	in := newInstance(t, kvtest.New(t), mux, bot.DispatcherConfig{})
	if status := postEvent(t, in, eventBody(t, "EvLog", messageEvent("U1", "D1", "1700000000.000900")), 0); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if strings.Count(out, "\n") != 1 {
		t.Errorf("log = %q, want one line", out)
	}
	for _, want := range []string{"kind=event", "team=T1", "user=U1", "route=message", "outcome=ok", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log line %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "secret words") {
		t.Errorf("log line %q contains the message text", out)
	}
}

// A request its handler redacted is logged without its person: the
// route, team and outcome stay, the user id goes.
func TestLoggingRedacted(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil))
	mux := bot.NewMux()
	mux.Use(bot.Logging(log))
	mux.Event("message", bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		req.Redact()
		return nil, nil
	}))
	in := newInstance(t, kvtest.New(t), mux, bot.DispatcherConfig{})
	if status := postEvent(t, in, eventBody(t, "EvRedact", messageEvent("U1SECRET", "D1", "1700000000.000901")), 0); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if strings.Contains(out, "U1SECRET") || !strings.Contains(out, "user=(redacted)") || !strings.Contains(out, "route=message") {
		t.Errorf("log = %q, want the route without the user", out)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A command that fails after its ack deadline: the person, who was told
// "still working", hears that it failed.
func TestDispatchLateCommandFailure(t *testing.T) {
	fake := newFakeAPI(t, nil)
	tr := bot.NewTransport(bot.TransportConfig{Logger: kvtest.Logger(t), TeamID: "T1"})
	clients := clientsFunc(func(ctx context.Context, team string) (*slack.Client, error) {
		return slack.New("xoxb-test", slack.OptionAPIURL(fake.url()), slack.OptionHTTPClient(tr)), nil
	})
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: h, Clients: clients, AckTimeout: 50 * time.Millisecond})
	ack, err := d.Dispatch(context.Background(), commandReq("slow"))
	if err != nil || len(ack) == 0 {
		t.Fatalf("Dispatch = %s, %v", ack, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	calls, _ := fake.snapshot()
	if len(calls) != 1 || calls[0].method != "chat.postEphemeral" || calls[0].channel != "C1" {
		t.Errorf("calls = %+v, want one chat.postEphemeral to C1", calls)
	}
}

// After work runs at most AfterWorkers functions at once, whatever the
// number of requests that scheduled some: the rest wait their turn, and all
// of it runs in the end. (Unbounded, a burst of commands each refreshing a
// Home tab took SQLite's one connection from the acks that followed.)
func TestDispatchAfterWorkersBound(t *testing.T) {
	const workers, requests = 2, 12
	var running, peak atomic.Int32
	started := make(chan struct{}, requests)
	release := make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, req *bot.Request) (*bot.Response, error) {
		req.After(func(ctx context.Context) {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			started <- struct{}{}
			<-release
			running.Add(-1)
		})
		return nil, nil
	})
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: kvtest.Logger(t), Handler: h, AfterWorkers: workers})
	for i := range requests {
		if _, err := d.Dispatch(context.Background(), commandReq(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Every function has been scheduled; let the first ones start and
	// hold them there.
	for range workers {
		<-started
	}
	for range requests {
		release <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := len(started) + workers; got != requests {
		t.Errorf("%d of %d After functions ran, want all", got, requests)
	}
	if p := peak.Load(); p > workers {
		t.Errorf("%d After functions ran at once, want at most %d", p, workers)
	}
}
