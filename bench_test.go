package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
)

// BenchmarkCommandAck measures how fast a slash command is acknowledged over
// signed HTTP, with Postgres and Redis when TEST_DATABASE_URL/TEST_REDIS_URL
// are set, at a steady 200 requests per second (open loop: requests are sent
// on schedule whether or not earlier ones have answered). "floor" is a bare
// handler that only verifies the signature and answers 200.
//
// Both servers run in a process of their own (this test binary again, as
// TestBenchServer), so the load generator's goroutines and garbage never
// share a runtime with the server it measures, and both sides are measured
// the same way. Each side gets one unmeasured second of the same load first,
// so that connection pools are open.
//
//	go test -run '^$' -bench CommandAck -benchtime 1x .
//
// BENCH_SECONDS sets how long each side runs (default 10). BENCH_TEXT sets
// the subcommand (default "me", which reads the database; "help" does not,
// and so measures the transport and dispatcher alone). BENCH_CPUPROFILE=path
// and BENCH_MEMPROFILE=path make the servers write CPU and allocation
// profiles to path.floor and path.trellis.
func BenchmarkCommandAck(b *testing.B) {
	seconds := 10
	if s, err := strconv.Atoi(os.Getenv("BENCH_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	const rate = 200

	var floor, trellis *ackStats
	b.Run("floor", func(b *testing.B) {
		addr := freeAddr(b)
		srv := startServer(b, "floor", map[string]string{
			"TRELLIS_ADDR":         addr,
			"SLACK_SIGNING_SECRET": slacksim.DefaultSigningSecret,
		})
		defer srv.stop()
		floor = loadCommands(b, "http://"+addr, srv.pid, rate, seconds)
	})
	b.Run("trellis", func(b *testing.B) {
		h := startBot(b, harnessOpts{transport: "http", quiet: true, process: true})
		// Trellis reads a person's Slack profile once; after that /trellis me
		// is served from the database, as in a running workspace.
		for _, u := range benchUsers {
			h.command(u, "/trellis me")
		}
		trellis = loadCommands(b, h.botURL, h.pid, rate, seconds)
	})

	line := fmt.Sprintf("/trellis %s at %d req/s for %d s:", benchText(), rate, seconds)
	if floor != nil {
		line += fmt.Sprintf(" floor p50 %.3f ms p99 %.3f ms;", floor.p50, floor.p99)
	}
	if trellis != nil {
		line += fmt.Sprintf(" trellis p50 %.3f ms p99 %.3f ms;", trellis.p50, trellis.p99)
	}
	if floor != nil && trellis != nil && floor.p99 > 0 {
		line += fmt.Sprintf(" p99 %.1fx the floor", trellis.p99/floor.p99)
	}
	fmt.Println(line)
}

var benchUsers = []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan}

// ackStats are the latency percentiles of one run, in milliseconds.
type ackStats struct{ p50, p99, max float64 }

// loadCommands sends signed /trellis commands to base+"/slack/commands" at
// rate per second: one unmeasured second, then seconds measured. It reports
// the latency percentiles as benchmark metrics and returns them, and the
// CPU time the server process (pid) spent per request, where the system
// tells.
func loadCommands(b *testing.B, base string, pid, rate, seconds int) *ackStats {
	target := base + "/slack/commands"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()

	warm := rate
	n := rate * seconds
	// Bodies are built up front, so the generator does little while it
	// measures; only the signature is made at send time, as Slack does.
	bodies := commandBodies("bench", warm+n)
	send := func(body []byte) (time.Duration, bool) { return sendCommand(client, target, body) }
	// openLoop sends bodies on a fixed schedule, each from its own
	// goroutine, so a slow answer never delays the next request.
	openLoop := func(bodies [][]byte, lat []time.Duration, ok []bool) time.Duration {
		interval := time.Second / time.Duration(rate)
		var wg sync.WaitGroup
		start := time.Now()
		for i, body := range bodies {
			if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d)
			}
			wg.Go(func() { lat[i], ok[i] = send(body) })
		}
		wg.Wait()
		return time.Since(start)
	}

	openLoop(bodies[:warm], make([]time.Duration, warm), make([]bool, warm))
	lat, ok := make([]time.Duration, n), make([]bool, n)
	cpu0, cpuOK := processCPU(pid)
	b.ResetTimer()
	elapsed := openLoop(bodies[warm:], lat, ok)
	b.StopTimer()
	cpu1, _ := processCPU(pid)

	failures := n - countTrue(ok)
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	s := &ackStats{p50: ms(lat[(n-1)/2]), p99: ms(lat[(n-1)*99/100]), max: ms(lat[n-1])}
	b.ReportMetric(s.p50, "p50-ms")
	b.ReportMetric(s.p99, "p99-ms")
	b.ReportMetric(s.max, "max-ms")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(failures), "failures")
	if cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(n), "server-cpu-us/req")
	}
	if failures > 0 {
		b.Errorf("%d of %d commands were not answered 200 with a reply", failures, n)
	}
	return s
}

// commandBodies builds n signed-to-be /trellis command forms from the
// benchmark's people, each with its own trigger_id (prefix.i), as Slack
// gives every command.
func commandBodies(prefix string, n int) [][]byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		user := benchUsers[i%len(benchUsers)]
		bodies[i] = []byte(url.Values{
			"command": {"/trellis"}, "text": {benchText()}, "team_id": {slacksim.DefaultTeamID},
			"user_id": {user}, "channel_id": {"D" + user[1:]}, "trigger_id": {fmt.Sprintf("%s.%d", prefix, i)},
			"response_url": {"http://127.0.0.1:1/unused"},
		}.Encode())
	}
	return bodies
}

// sendCommand signs body now, as Slack does, posts it to target and
// returns how long the answer took and whether it was a 200 with a reply.
func sendCommand(client *http.Client, target string, body []byte) (time.Duration, bool) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, false
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", bot.Sign(slacksim.DefaultSigningSecret, ts, body))
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return time.Since(t0), false
	}
	ack, err := io.ReadAll(resp.Body)
	d := time.Since(t0)
	resp.Body.Close()
	return d, err == nil && resp.StatusCode == http.StatusOK && !failedAck(ack)
}

// failedAck reports whether an ack is the apology the dispatcher sends when
// a command failed or missed its deadline: fast, but not an answer.
func failedAck(ack []byte) bool {
	return bytes.Contains(ack, []byte("Something went wrong on my side")) ||
		bytes.Contains(ack, []byte("taking longer than it should"))
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// processCPU is the user and system CPU time process pid has used, read
// from /proc (in clock ticks, 10 ms on Linux); false elsewhere.
func processCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is the first; utime and stime the 12th and 13th.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on every Linux port
	return time.Duration(utime+stime) * tick, true
}

// benchText is the /trellis subcommand the benchmark sends.
func benchText() string {
	if s := os.Getenv("BENCH_TEXT"); s != "" {
		return s
	}
	return "me"
}

// benchServerEnv names the server TestBenchServer runs: "floor" or
// "trellis". Only startServer sets it.
const benchServerEnv = "TRELLIS_BENCH_SERVER"

// benchServerPassEnv are the variables a server process inherits from the
// benchmark, besides its own config: the Go runtime's tuning knobs.
var benchServerPassEnv = []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG", "GOTRACEBACK"}

// serverProcess is a server started by startServer.
type serverProcess struct {
	pid int
	// stop ends the server gracefully and reports how it ended; it runs at
	// the end of the test in any case.
	stop func()
}

// startServer runs TestBenchServer in a new process of this test binary,
// serving mode with exactly env as its environment (plus the Go runtime's
// knobs), and waits until its /healthz answers. Its output goes to a file
// whose end is logged if it fails. Closing its stdin is its signal to stop,
// so it also ends if the benchmark dies.
func startServer(tb testing.TB, mode string, env map[string]string) *serverProcess {
	tb.Helper()
	logPath := filepath.Join(tb.TempDir(), mode+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServer$", "-test.timeout=0")
	cmd.Env = []string{benchServerEnv + "=" + mode}
	for _, k := range benchServerPassEnv {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for _, k := range []string{"BENCH_CPUPROFILE", "BENCH_MEMPROFILE"} {
		if p := os.Getenv(k); p != "" {
			p, err := filepath.Abs(p + "." + mode)
			if err != nil {
				tb.Fatal(err)
			}
			cmd.Env = append(cmd.Env, k+"="+p)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s server: %v", mode, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = stdin.Close()
			var err error
			select {
			case err = <-exited:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				err = fmt.Errorf("did not stop within 30s: %w", <-exited)
			}
			_ = logFile.Close()
			if err != nil {
				tb.Errorf("%s server: %v\n%s", mode, err, logTail(logPath))
			}
		})
	}
	tb.Cleanup(stop)

	healthz := "http://" + env["TRELLIS_ADDR"] + "/healthz"
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(healthz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &serverProcess{pid: cmd.Process.Pid, stop: stop}
			}
		}
		select {
		case err := <-exited:
			exited <- err // for stop
			tb.Fatalf("%s server exited before it was ready (%v)\n%s", mode, err, logTail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s server was not ready within 20s\n%s", mode, logTail(logPath))
		}
	}
}

// logTail returns the last few kilobytes of a server's output.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4<<10 {
		b = b[len(b)-4<<10:]
	}
	return string(b)
}

// TestBenchServer is the server side of BenchmarkCommandAck, which runs it
// in a process of its own; on its own it does nothing. It serves until its
// stdin closes: Trellis itself, exactly as "trellis serve" with the
// environment it was given, or the floor, a bare handler that verifies the
// signature and answers 200.
func TestBenchServer(t *testing.T) {
	mode := os.Getenv(benchServerEnv)
	if mode == "" {
		t.Skip("the server side of BenchmarkCommandAck; only the benchmark runs it")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	if path := os.Getenv("BENCH_MEMPROFILE"); path != "" {
		runtime.MemProfileRate = 4 << 10
		defer func() {
			f, err := os.Create(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				t.Error(err)
			}
		}()
	}

	var err error
	switch mode {
	case "floor":
		err = serveFloor(ctx, os.Getenv("TRELLIS_ADDR"), os.Getenv("SLACK_SIGNING_SECRET"))
	case "trellis":
		err = run(ctx, []string{"serve"}, os.Getenv, io.Discard, os.Stderr)
	default:
		t.Fatalf("%s=%q: want floor or trellis", benchServerEnv, mode)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// serveFloor serves the benchmark's floor on addr until ctx ends: the same
// signature check and HTTP server settings as Trellis, and nothing else.
func serveFloor(ctx context.Context, addr, secret string) error {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", bot.VerifySignature(secret, clock.System{}, 64<<10,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	srv := bot.NewServer(mux, bot.ServerLimits{}, nil)
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
}
