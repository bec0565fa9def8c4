package chaos

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/trellis-bot/trellis/bot/bottest"
	"github.com/trellis-bot/trellis/internal/slacksim"
)

// redisDB is the Redis database index the suite's replicas use on
// TEST_REDIS_URL's server: not the one other packages' tests use, because
// the suite flushes it to play a Redis restart.
const redisDB = 13

// The tokens the emulator and the replicas share.
const (
	botToken = "xoxb-chaos-bot"
	appToken = "xapp-chaos-app"
)

// cluster is one run's processes: the emulator, the replicas, and the
// proxies between each replica and Postgres and Redis.
type cluster struct {
	t       *testing.T
	dir     string
	bin     string
	ctl     *slacksim.Control
	emuURL  string
	team    string
	dbURL   string // the run's database, reached directly (seeding, checks)
	redis   *goredis.Client
	pgAdmin *gorm.DB

	replicas []*replica
}

// replica is one `trellis serve` process and its proxies.
type replica struct {
	n       int
	env     []string
	logPath string
	pg      *bottest.Proxy
	redis   *bottest.Proxy

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	stopped bool          // SIGSTOPped
	starts  int
}

// buildTrellis builds the real binary once per test binary run.
func buildTrellis(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "trellis")
	// The flags of CI's static build, so its compiled packages are reused.
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", bin, "github.com/trellis-bot/trellis")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// newCluster builds Trellis, creates the run's database and starts the
// emulator and n replicas, each connected through its own proxies.
func newCluster(t *testing.T, n int, pgBase, redisBase string) *cluster {
	t.Helper()
	dir := t.TempDir()
	if keep := os.Getenv("CHAOS_KEEP_DIR"); keep != "" {
		dir = keep
		_ = os.MkdirAll(dir, 0o755)
	}
	c := &cluster{t: t, dir: dir}
	c.bin = buildTrellis(t, dir)
	c.createDatabase(pgBase)
	c.connectRedis(redisBase)
	c.startEmulator()

	pgAddr, redisAddr := hostOf(t, c.dbURL), hostOf(t, redisBase)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for i := range n {
		r := &replica{n: i, logPath: filepath.Join(dir, fmt.Sprintf("replica-%d.log", i))}
		r.pg = bottest.NewProxy(t, pgAddr)
		r.redis = bottest.NewProxy(t, redisAddr)
		r.env = append(os.Environ(),
			"SLACK_BOT_TOKEN="+botToken,
			"SLACK_APP_TOKEN="+appToken,
			"SLACK_API_URL="+c.emuURL+"/api/",
			"TRELLIS_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key),
			"DATABASE_URL="+withHost(t, c.dbURL, r.pg.Addr()),
			"REDIS_URL="+fmt.Sprintf("redis://%s/%d", r.redis.Addr(), redisDB),
			"TRELLIS_REDIS_PREFIX=trellis-chaos:",
			"TRELLIS_ADDR="+freeAddr(t),
			"TRELLIS_DATA_DIR="+filepath.Join(dir, fmt.Sprintf("data-%d", i)),
			"TRELLIS_LOG_FORMAT=text",
			"TRELLIS_LOG_LEVEL=info",
		)
		c.replicas = append(c.replicas, r)
	}
	// The first replica migrates the database alone; the rest follow.
	c.replicas[0].start(t, c.bin)
	c.waitHealthy(c.replicas[0])
	for _, r := range c.replicas[1:] {
		r.start(t, c.bin)
	}
	for _, r := range c.replicas {
		c.waitHealthy(r)
	}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			r.terminate()
		}
		if t.Failed() {
			for _, r := range c.replicas {
				t.Logf("replica %d (started %d times), last lines of its log:\n%s", r.n, r.starts, tail(r.logPath, 40))
			}
		}
	})
	return c
}

// createDatabase makes a fresh database for the run on the test Postgres,
// dropped when the test ends.
func (c *cluster) createDatabase(base string) {
	t := c.t
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL is set but Postgres is unreachable: %v", err)
	}
	sqlDB, _ := admin.DB()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		t.Fatalf("TEST_DATABASE_URL is set but Postgres is unreachable: %v", err)
	}
	name := "trellis_chaos_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("create the run's database: %v", err)
	}
	c.pgAdmin = admin
	t.Cleanup(func() {
		if err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
		_ = sqlDB.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	c.dbURL = u.String()
}

// connectRedis opens the suite's own Redis database and empties it.
func (c *cluster) connectRedis(base string) {
	t := c.t
	opts, err := goredis.ParseURL(base)
	if err != nil {
		t.Fatalf("TEST_REDIS_URL: %v", err)
	}
	opts.DB = redisDB
	c.redis = goredis.NewClient(opts)
	t.Cleanup(func() { _ = c.redis.Close() })
	c.flushRedis()
}

// flushRedis empties the suite's Redis database, as a Redis restarted
// without persistence has lost everything.
func (c *cluster) flushRedis() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.redis.FlushDB(ctx).Err(); err != nil {
		c.t.Fatalf("TEST_REDIS_URL is set but Redis is unreachable: %v", err)
	}
}

// startEmulator runs `trellis emulator` and reads the URLs it prints.
func (c *cluster) startEmulator() {
	t := c.t
	logf, err := os.Create(filepath.Join(c.dir, "emulator.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(c.bin, "emulator", "-team", "T0CHAOS", "-bot-token", botToken, "-app-token", appToken, "-log-level", "warn")
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the emulator: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		_ = logf.Close()
	})
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		t.Fatalf("the emulator printed no ready line: %v\n%s", err, tail(logf.Name(), 20))
	}
	var ready struct {
		URL    string `json:"url"`
		TeamID string `json:"team_id"`
	}
	if err := json.Unmarshal(line, &ready); err != nil || ready.URL == "" {
		t.Fatalf("the emulator's ready line %q: %v", line, err)
	}
	c.emuURL, c.team = ready.URL, ready.TeamID
	c.ctl = slacksim.NewControl(ready.URL)
}

// start runs the replica's process, its log appended to its file.
func (r *replica) start(t *testing.T, bin string) {
	logf, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Errorf("replica %d log: %v", r.n, err)
		return
	}
	fmt.Fprintf(logf, "==== start at %s\n", time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, "serve")
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		t.Errorf("start replica %d: %v", r.n, err)
		return
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done, r.stopped = cmd, done, false
	r.starts++
	r.mu.Unlock()
}

// kill ends the replica with SIGKILL: no shutdown, leases left held.
func (r *replica) kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		_ = r.cmd.Process.Kill()
		r.cmd = nil
	}
}

// stop and cont freeze and thaw the replica's process (SIGSTOP, SIGCONT).
func (r *replica) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		_ = r.cmd.Process.Signal(syscall.SIGSTOP)
		r.stopped = true
	}
}

func (r *replica) cont() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
	}
	r.stopped = false
}

// exited reports whether the replica's process ended on its own (it gave
// up at start with Postgres unreachable, say), as an orchestrator would
// notice and restart it.
func (r *replica) exited() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return false
	}
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// frozen reports whether the replica is SIGSTOPped.
func (r *replica) frozen() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

// terminate stops the replica as an operator would (SIGTERM).
func (r *replica) terminate() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		_ = cmd.Process.Kill()
	}
}

// addr is the replica's ops address.
func (r *replica) addr() string {
	for _, kv := range r.env {
		if v, ok := strings.CutPrefix(kv, "TRELLIS_ADDR="); ok {
			return v
		}
	}
	return ""
}

// waitHealthy waits for the replica's /healthz.
func (c *cluster) waitHealthy(r *replica) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", r.addr(), time.Second)
		if err == nil {
			_ = conn.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("replica %d did not listen within 60s:\n%s", r.n, tail(r.logPath, 40))
}

// hostOf returns the host:port of a URL.
func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	if u.Port() == "" {
		port := "5432"
		if u.Scheme == "redis" || u.Scheme == "rediss" {
			port = "6379"
		}
		return net.JoinHostPort(u.Hostname(), port)
	}
	return u.Host
}

// withHost returns raw with its host:port replaced.
func withHost(t *testing.T, raw, host string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	u.Host = host
	return u.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
