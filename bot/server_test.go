package bot_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/bot/bottest"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/kv/kvtest"
)

// shortLimits keep the tests quick: the same deadlines as production,
// scaled down.
var shortLimits = bot.ServerLimits{
	ReadHeaderTimeout: 2 * time.Second,
	ReadTimeout:       3 * time.Second,
	IdleTimeout:       2 * time.Second,
	MaxHeaderBytes:    8 << 10,
}

// serveHardened serves the Slack endpoints and /healthz through NewServer
// with limits, as app/http.go does, and returns the address.
func serveHardened(t *testing.T, h bot.Handler, limits bot.ServerLimits) string {
	t.Helper()
	log := kvtest.Logger(t)
	d := bot.NewDispatcher(bot.DispatcherConfig{Logger: log, Handler: h,
		Deduper: bot.NewDeduper(bot.DeduperConfig{Store: kvtest.New(t), Logger: log})})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("/slack/", bot.NewHTTPHandler(d, testSecret, clock.System{}, log))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := bot.NewServer(mux, limits, log)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// 300 clients that send a body one byte at a time hold no handler: signed
// commands sent meanwhile are all answered, the handler only ever sees
// those, and the server drops every slow client once its read deadline
// passes.
func TestServerDropsSlowBodies(t *testing.T) {
	rec := &recorder{res: &bot.Response{Body: map[string]string{"text": "ok"}}}
	addr := serveHardened(t, rec, shortLimits)
	slow := bottest.OpenSlowClients(t, addr, "/slack/commands", "application/x-www-form-urlencoded", 300, 500*time.Millisecond)

	const normal = 20
	for i := range normal {
		form := url.Values{"command": {"/trellis"}, "text": {"help"}, "team_id": {"T1"}, "user_id": {"U1"},
			"channel_id": {"C1"}, "trigger_id": {"slow." + string(rune('a'+i))}}
		status, body, _ := post(t, "http://"+addr+"/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
		if status != http.StatusOK || !strings.Contains(string(body), "ok") {
			t.Fatalf("command %d with 300 slow clients open: %d %s", i, status, body)
		}
	}
	if open := slow.Open(); open != 300 {
		t.Fatalf("only %d of 300 slow clients were still open when the commands were answered; the test proves nothing", open)
	}
	for i, a := range slow.WaitDropped(30 * time.Second) {
		if !bottest.Refused(a) {
			t.Errorf("slow client %d was answered %q, want it dropped or refused", i, a)
		}
	}
	if n := rec.count(); n != normal {
		t.Errorf("handler ran %d times, want %d (slow bodies must never reach it)", n, normal)
	}
}

// Each limit closes the connection that breaks it: headers that trickle in,
// a keep-alive connection left idle, headers that are too large.
func TestServerLimits(t *testing.T) {
	addr := serveHardened(t, &recorder{}, shortLimits)
	cases := []struct {
		name string
		// act talks to the server on c; the server must then close c.
		act func(t *testing.T, c net.Conn)
		// status is the answer expected before the close, "" for none.
		status string
	}{
		{"slow headers", func(t *testing.T, c net.Conn) {
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\n")
			for range 100 {
				if _, err := io.WriteString(c, "X-A: b\r\n"); err != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}, ""},
		{"idle keep-alive", func(t *testing.T, c net.Conn) {
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		}, "HTTP/1.1 200 OK"},
		{"headers too large", func(t *testing.T, c net.Conn) {
			_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
		}, "HTTP/1.1 431 Request Header Fields Too Large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			closed := make(chan string, 1)
			go func() {
				r := bufio.NewReader(c)
				line, _ := r.ReadString('\n')
				_, _ = io.Copy(io.Discard, r)
				closed <- strings.TrimSpace(line)
			}()
			go tc.act(t, c)
			select {
			case line := <-closed:
				if line != tc.status {
					t.Errorf("answer %q, want %q", line, tc.status)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the server kept the connection open")
			}
		})
	}
}

// NewServer fills every limit it is not given from the defaults.
func TestNewServerDefaults(t *testing.T) {
	def := bot.DefaultServerLimits()
	srv := bot.NewServer(http.NotFoundHandler(), bot.ServerLimits{}, nil)
	if srv.ReadHeaderTimeout != def.ReadHeaderTimeout || srv.ReadTimeout != def.ReadTimeout ||
		srv.IdleTimeout != def.IdleTimeout || srv.MaxHeaderBytes != def.MaxHeaderBytes {
		t.Errorf("NewServer limits = %v %v %v %d, want %+v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout, srv.MaxHeaderBytes, def)
	}
	if def.ReadHeaderTimeout <= 0 || def.ReadTimeout <= 0 || def.IdleTimeout <= 0 || def.MaxHeaderBytes <= 0 {
		t.Errorf("DefaultServerLimits() = %+v: every limit must be set", def)
	}
}
