package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// slackAckDeadline is how long Slack waits for a slash command's ack.
const slackAckDeadline = 3 * time.Second

// BenchmarkCommandBurst sends 200 signed slash commands at once (closed
// burst: every request is on the wire before the first answer) to Trellis
// running in a process of its own over HTTP, on embedded SQLite and, when
// TEST_DATABASE_URL is set, on Postgres; Redis is TEST_REDIS_URL's. It
// reports the ack latency's p50, p99 and max over every burst and how many
// commands were acknowledged within Slack's 3 s, and fails if any was not.
//
//	go test -run '^$' -bench CommandBurst -benchtime 1x .
//
// BENCH_BURSTS sets how many measured bursts each database gets (default
// 5; one unmeasured burst comes first). BENCH_TEXT and BENCH_CPUPROFILE
// work as for BenchmarkCommandAck.
func BenchmarkCommandBurst(b *testing.B) {
	const burst = 200
	bursts := 5
	if s, err := strconv.Atoi(os.Getenv("BENCH_BURSTS")); err == nil && s > 0 {
		bursts = s
	}
	for _, dialect := range modelstest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			// SQLite runs as the default install does, on the embedded
			// Redis too; Postgres as production does, with Redis.
			h := startBot(b, harnessOpts{transport: "http", quiet: true, process: true, dialect: dialect,
				embeddedRedis: dialect == models.DialectSQLite})
			for _, u := range benchUsers {
				h.command(u, "/trellis me")
			}
			target := h.botURL + "/slack/commands"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: burst}, Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()

			run := uuid.NewString()[:8]
			sendBurst := func(round int) ([]time.Duration, []bool) {
				bodies := commandBodies(fmt.Sprintf("%s.%d", run, round), burst)
				lat, ok := make([]time.Duration, burst), make([]bool, burst)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, body := range bodies {
					wg.Go(func() {
						<-start
						lat[i], ok[i] = sendCommand(client, target, body)
					})
				}
				close(start)
				wg.Wait()
				return lat, ok
			}
			if os.Getenv("BENCH_COLD") == "" {
				sendBurst(-1) // opens connections and pools
			}
			var lat []time.Duration
			within := 0
			b.ResetTimer()
			for round := range bursts {
				l, ok := sendBurst(round)
				for i := range l {
					if ok[i] && l[i] <= slackAckDeadline {
						within++
					}
				}
				lat = append(lat, l...)
			}
			b.StopTimer()
			slices.Sort(lat)
			n := len(lat)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			p50, p99, maxLat := ms(lat[(n-1)/2]), ms(lat[(n-1)*99/100]), ms(lat[n-1])
			b.ReportMetric(p50, "p50-ms")
			b.ReportMetric(p99, "p99-ms")
			b.ReportMetric(maxLat, "max-ms")
			b.ReportMetric(float64(n-within), "over-3s")
			fmt.Printf("%s: %d bursts of %d concurrent /trellis %s: p50 %.1f ms p99 %.1f ms max %.1f ms; %d of %d acknowledged within 3 s\n",
				dialect, bursts, burst, benchText(), p50, p99, maxLat, within, n)
			if within != n {
				b.Errorf("%d of %d commands were not acknowledged with a reply within Slack's 3 s", n-within, n)
			}
		})
	}
}
