package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/bot/slacksim"
	"github.com/trellis-bot/trellis/clock"
)

// BenchmarkCommandAck measures how fast a slash command is acknowledged over
// signed HTTP, with Postgres and Redis when TEST_DATABASE_URL/TEST_REDIS_URL
// are set, at a steady 200 requests per second (open loop: requests are sent
// on schedule whether or not earlier ones have answered). "floor" is a bare
// handler that only verifies the signature and answers 200.
//
//	go test -run '^$' -bench CommandAck -benchtime 1x .
//
// BENCH_SECONDS sets how long each side runs (default 10). BENCH_TEXT sets
// the subcommand (default "me", which reads the database; "help" does not,
// and so measures the transport and dispatcher alone).
func BenchmarkCommandAck(b *testing.B) {
	seconds := 10
	if s, err := strconv.Atoi(os.Getenv("BENCH_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	const rate = 200

	b.Run("floor", func(b *testing.B) {
		verified := bot.VerifySignature(slacksim.DefaultSigningSecret, clock.System{}, 1<<20,
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
		srv := httptest.NewServer(verified)
		defer srv.Close()
		loadCommands(b, srv.URL+"/slack/commands", rate, seconds)
	})
	b.Run("trellis", func(b *testing.B) {
		h := startBot(b, harnessOpts{transport: "http", quiet: true})
		// Trellis reads a person's Slack profile once; after that /trellis me
		// is served from the database, as in a running workspace.
		for _, u := range benchUsers {
			h.command(u, "/trellis me")
		}
		loadCommands(b, h.botURL+"/slack/commands", rate, seconds)
	})
}

var benchUsers = []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan}

// loadCommands sends signed "/trellis me" commands at rate per second for
// seconds, then reports the latency percentiles.
func loadCommands(b *testing.B, target string, rate, seconds int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 5 * time.Second}
	n := rate * seconds
	latencies := make([]time.Duration, n)
	failures := 0
	var mu sync.Mutex
	var wg sync.WaitGroup

	b.ResetTimer()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start := time.Now()
	for i := 0; i < n; i++ {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			user := benchUsers[i%len(benchUsers)]
			form := url.Values{
				"command": {"/trellis"}, "text": {benchText()}, "team_id": {slacksim.DefaultTeamID},
				"user_id": {user}, "channel_id": {"D" + user[1:]}, "trigger_id": {fmt.Sprintf("bench.%d", i)},
				"response_url": {"http://127.0.0.1:1/unused"},
			}
			body := form.Encode()
			req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", bot.Sign(slacksim.DefaultSigningSecret, ts, []byte(body)))
			t0 := time.Now()
			resp, err := client.Do(req)
			d := time.Since(t0)
			ok := err == nil && resp.StatusCode == http.StatusOK
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			latencies[i] = d
			if !ok {
				failures++
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(n-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(latencies[n-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(failures), "failures")
	if failures > 0 {
		b.Errorf("%d of %d commands were not answered 200", failures, n)
	}
}

// benchText is the /trellis subcommand the benchmark sends.
func benchText() string {
	if s := os.Getenv("BENCH_TEXT"); s != "" {
		return s
	}
	return "me"
}
