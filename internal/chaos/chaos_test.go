package chaos

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	"github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

var long = flag.Bool("long", false, "run the full chaos storm (about a quarter of an hour) instead of CI's short form")

// plan is the shape of one run.
type plan struct {
	replicas int
	people   int
	// dueMinutes is how many consecutive minutes check-ins fall due in.
	dueMinutes int
	// stall is how long the stalled replica stays stopped: past the
	// engine's lease in the long form.
	stall time.Duration
	// rounds of faults, every so often from the first due minute: each
	// injects one Postgres cut, one Redis restart, one partition and one
	// stall, all within its first two minutes.
	rounds int
	every  time.Duration
	// settle is how long after the last due minute the run is read: long
	// enough that the last fault ended well over a minute before.
	settle time.Duration
}

var (
	shortPlan = plan{replicas: 3, people: 32, dueMinutes: 3, stall: 70 * time.Second, rounds: 1, every: 0, settle: 90 * time.Second}
	longPlan  = plan{replicas: 4, people: 60, dueMinutes: 10, stall: 150 * time.Second, rounds: 3, every: 4 * time.Minute, settle: 5 * time.Minute}
)

// zones spread the people round the world, with offsets of 30 and 45
// minutes among them.
var zones = []string{
	"UTC", "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London", "Europe/Berlin",
	"Asia/Kolkata", "Asia/Kathmandu", "Asia/Tokyo", "Australia/Adelaide", "Pacific/Auckland",
}

// TestChaos is the process-level chaos suite. It needs the real Postgres and
// Redis: without TEST_DATABASE_URL and TEST_REDIS_URL it skips (as `go test
// ./...` on a bare machine must pass); with them set but unreachable it
// fails.
func TestChaos(t *testing.T) {
	pgBase, redisBase := os.Getenv("TEST_DATABASE_URL"), os.Getenv("TEST_REDIS_URL")
	if pgBase == "" || redisBase == "" {
		t.Skip("the chaos suite runs Trellis against the real Postgres and Redis: set TEST_DATABASE_URL and TEST_REDIS_URL (see docs/testing.md)")
	}
	p := shortPlan
	if *long {
		p = longPlan
	}
	c := newCluster(t, p.replicas, pgBase, redisBase)
	ctx := context.Background()
	if err := waitSockets(ctx, c.ctl, p.replicas); err != nil {
		t.Fatalf("replicas' Socket Mode connections: %v", err)
	}

	firstSeen(t, c)
	w := seedWorkload(t, c, p)
	t.Logf("workload: %d people, %d check-ins, due from %s for %d minutes", len(w.people), w.checkins, w.first.Format(time.TimeOnly), p.dueMinutes)

	// The faults and the people answering run until the last due minute
	// plus a minute; then everything is put back and the run settles.
	last := w.first.Add(time.Duration(p.dueMinutes-1) * time.Minute)
	stormEnd := last.Add(time.Minute)
	f := &faults{c: c, plan: p}
	var answers answerer
	var wg sync.WaitGroup
	stormCtx, stopStorm := context.WithDeadline(ctx, stormEnd)
	defer stopStorm()
	wg.Go(func() { f.killStorm(stormCtx) })
	wg.Go(func() { answers.run(stormCtx, c, w) })
	f.slowSlack(ctx, t)
	f.schedule(t, w.first, stormEnd)
	<-stormCtx.Done()
	wg.Wait()
	f.heal(t)
	_ = c.ctl.ClearFaults(ctx, "")

	// Read the run once the last due minute and the last outage are both
	// well over a minute behind.
	checkAt := last.Add(p.settle)
	for _, out := range f.outages() {
		if end := out.To.Add(OpenFor + tickSlack + 15*time.Second); end.After(checkAt) {
			checkAt = end
		}
	}
	t.Logf("faults over at %s; reading the run at %s", time.Now().UTC().Format(time.TimeOnly), checkAt.Format(time.TimeOnly))
	time.Sleep(time.Until(checkAt))

	o := observe(t, c, w, answers.acks(), f.outages())
	o.CheckedAt = checkAt
	r := Check(o)
	t.Logf("faults injected: %s", f.summary())
	t.Logf("report:\n%s", r)
	if r.Failed() {
		t.Errorf("the chaos run broke Trellis's promises; see the report above")
	}
	// A run in which nothing happened would pass every check: it proves
	// nothing, so it fails.
	if err := f.allInjected(); err != nil {
		t.Errorf("the run proves nothing: %v", err)
	}
	if fg := r.Figures; fg.Occurrences == 0 || fg.Delivered == 0 || fg.Messages == 0 || fg.Acks == 0 {
		t.Errorf("the run proves nothing: %d occurrences, %d delivered, %d messages, %d acknowledged answers; each must be above 0",
			fg.Occurrences, fg.Delivered, fg.Messages, fg.Acks)
	}
}

// allInjected reports a kind of fault the run never injected.
func (f *faults) allInjected() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range []struct {
		name string
		n    int
	}{{"kills", f.kills}, {"stalls", f.stalls}, {"Postgres cuts", f.pgCuts}, {"Redis restarts", f.redis}, {"partitions", f.parts}, {"slow-Slack faults", f.slow}} {
		if k.n == 0 {
			return fmt.Errorf("no %s were injected", k.name)
		}
	}
	return nil
}

// waitSockets waits until n Socket Mode connections are open.
func waitSockets(ctx context.Context, ctl *slacksim.Control, n int) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		info, err := ctl.Info(ctx)
		if err == nil && info.SocketConnections >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d connected (%v)", info.SocketConnections, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// workload is the people and check-ins of a run.
type workload struct {
	people   map[string]Person
	dms      map[string]string // person → DM channel
	channel  string            // the check-ins' channel
	checkins int
	first    time.Time // the first due minute
}

// seedWorkload creates the people in the emulator and in Trellis's
// database, with working windows that open and close during the run and
// budgets of 2 or 3, and check-ins due in the run's minutes: several in
// one minute for some people, more than their budget for others.
func seedWorkload(t *testing.T, c *cluster, p plan) workload {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := models.Open(ctx, testlog.Logger(t), c.dbURL)
	if err != nil {
		t.Fatalf("open the run's database: %v", err)
	}
	defer db.Close()
	people, store := models.NewPeople(db), checkinmodels.NewStore(db)

	// The first due minute leaves at least 15 s to seed.
	first := time.Now().UTC().Add(15 * time.Second).Truncate(time.Minute).Add(time.Minute)
	due := func(k int) time.Time { return first.Add(time.Duration(k) * time.Minute) }
	last := due(p.dueMinutes - 1)
	w := workload{people: map[string]Person{}, dms: map[string]string{}, first: first}

	var ids []string
	for i := range p.people {
		zone := zones[i%len(zones)]
		sp, err := c.ctl.AddPerson(ctx, slacksim.NewPerson{Name: fmt.Sprintf("chaos-%02d", i), TZ: zone})
		if err != nil {
			t.Fatalf("add person %d: %v", i, err)
		}
		ids = append(ids, sp.ID)
		w.dms[sp.ID] = sp.DM
	}
	ch, err := c.ctl.CreateChannel(ctx, slacksim.NewChannel{Name: "chaos", Members: ids})
	if err != nil {
		t.Fatalf("channel: %v", err)
	}
	w.channel = ch.ID

	// Who gets what, by class (person i's class is i%4):
	//  0  window open all run, budget 3: two check-ins in the first
	//     minute (one DM), then one a minute: the budget is reached
	//  1  window opens at the second due minute, budget 2: the first
	//     minute's check-in waits for it
	//  2  window open all run, budget 2, one check-in a minute: the third
	//     waits for tomorrow's budget
	//  3  window closes at the second due minute, budget 3: what is not
	//     sent by then must wait for tomorrow, never go out late
	byCadence := map[string][]string{} // cron in a zone → people
	cronZone := map[string]string{}
	now := time.Now().UTC()
	for i, id := range ids {
		zone := zones[i%len(zones)]
		loc, _ := time.LoadLocation(zone)
		class := i % 4
		open, closeAt, budget := now.Add(-30*time.Minute).Truncate(time.Minute), last.Add(30*time.Minute), 3
		var minutes []int
		switch class {
		case 0:
			minutes = []int{0, 0}
			for k := 1; k < p.dueMinutes; k++ {
				minutes = append(minutes, k)
			}
		case 1:
			open, budget = due(1), 2
			minutes = []int{0, 1, p.dueMinutes - 1}
		case 2:
			budget = 2
			for k := range p.dueMinutes {
				minutes = append(minutes, k)
			}
		case 3:
			closeAt = due(max(p.dueMinutes-1, 1))
			for k := range p.dueMinutes {
				minutes = append(minutes, k)
			}
		}
		lo, hi := open.In(loc), closeAt.In(loc)
		hours := calendar.WorkingHours{Days: 0x7f, Start: calendar.TimeOfDay(lo.Hour()*60 + lo.Minute()), End: calendar.TimeOfDay(hi.Hour()*60 + hi.Minute())}
		if _, err := people.SyncProfile(ctx, models.Person{WorkspaceID: c.team, UserID: id, Name: fmt.Sprintf("chaos-%02d", i), SlackTZ: zone}); err != nil {
			t.Fatal(err)
		}
		if err := people.SetHours(ctx, c.team, id, &hours); err != nil {
			t.Fatalf("hours %v for %s: %v", hours, id, err)
		}
		if err := people.SetDailyBudget(ctx, c.team, id, budget); err != nil {
			t.Fatal(err)
		}
		w.people[id] = Person{ID: id, Loc: loc, Budget: budget, Windows: []Interval{{open, closeAt}}}
		// Each entry is one check-in; a repeated minute is a second
		// check-in due then.
		seen := map[int]int{}
		for _, k := range minutes {
			at := due(k).In(loc)
			cron := fmt.Sprintf("%d %d * * *", at.Minute(), at.Hour())
			key := fmt.Sprintf("%s|%s|%d", zone, cron, seen[k])
			seen[k]++
			byCadence[key] = append(byCadence[key], id)
			cronZone[key] = cron
		}
	}
	for key, who := range byCadence {
		ck := checkinmodels.NewCheckin()
		ck.WorkspaceID, ck.ChannelID, ck.OwnerID = c.team, ch.ID, who[0]
		ck.Name = "Chaos " + strconv.Itoa(w.checkins+1)
		ck.Cadence = cronZone[key]
		ck.Questions = []checkinmodels.Question{{Kind: checkinmodels.KindText, Prompt: "What moved today?", Required: true}}
		ck.Participants, ck.People = checkinmodels.ParticipantsChosen, who
		ck.Reminders = 0
		ck.RoundLength = 2 * time.Hour
		if _, err := store.Create(ctx, ck, checkins.ParseCadence); err != nil {
			t.Fatalf("check-in %q (%s) for %v: %v", ck.Name, ck.Cadence, who, err)
		}
		w.checkins++
	}
	return w
}

// faults injects the run's faults and remembers when each happened.
type faults struct {
	c    *cluster
	plan plan

	mu     sync.Mutex
	kills  int
	stalls int
	pgCuts int
	redis  int
	parts  int
	slow   int
	cuts   []Interval   // outages, for the checks
	exempt map[int]bool // replicas the kill storm leaves alone
}

func (f *faults) outage(from, to time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cuts = append(f.cuts, Interval{from, to})
}

// outages are the spans in which the faults kept some occurrences from
// any replica.
func (f *faults) outages() []Interval {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Interval(nil), f.cuts...)
}

func (f *faults) summary() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("%d kills, %d stalls, %d Postgres cuts, %d Redis restarts, %d partitions, %d slow-Slack faults",
		f.kills, f.stalls, f.pgCuts, f.redis, f.parts, f.slow)
}

// killStorm kills a random replica every 2–5 s with SIGKILL and starts it
// again a second later, until ctx ends. Like an orchestrator, it also
// restarts a replica that exited on its own.
func (f *faults) killStorm(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2*time.Second + rand.N(3*time.Second)):
		}
		for _, r := range f.c.replicas {
			if r.exited() {
				r.start(f.c.t, f.c.bin)
			}
		}
		f.mu.Lock()
		var pick []*replica
		for _, r := range f.c.replicas {
			if !f.exempt[r.n] && !r.frozen() {
				pick = append(pick, r)
			}
		}
		f.mu.Unlock()
		if len(pick) == 0 {
			continue
		}
		r := pick[rand.N(len(pick))]
		r.kill()
		f.mu.Lock()
		f.kills++
		f.mu.Unlock()
		time.Sleep(time.Second)
		r.start(f.c.t, f.c.bin)
	}
}

// slowSlack makes Slack slow and ambiguous for the whole storm: every
// seventh chat.postMessage is answered 3 s late, and two are accepted and
// then never answered before the client gives up.
func (f *faults) slowSlack(ctx context.Context, t *testing.T) {
	for _, fault := range []slacksim.Fault{
		{Method: "chat.postMessage", Every: 7, Hold: "3s"},
		{Method: "chat.postMessage", Next: 2, Hold: "45s"},
		{Method: "conversations.history", Every: 5, Hold: "2s"},
	} {
		if _, err := f.c.ctl.AddFault(ctx, fault); err != nil {
			t.Fatalf("fault %+v: %v", fault, err)
		}
		f.slow++
	}
}

// schedule runs the timed faults, in the test's goroutine (the proxies
// report through t). Each round, from its start: every replica cut from
// Postgres at +10 s for 15 s, Redis restarted at +30 s, one replica cut
// from Postgres (a partition: its queries hang) at +40 s for 20 s, and at
// the next due minute (+60.5 s,
// while the replicas deliver) one replica stalled.
func (f *faults) schedule(t *testing.T, first, end time.Time) {
	at := func(d time.Time) bool {
		if time.Until(d) < 0 || d.After(end) {
			return false
		}
		time.Sleep(time.Until(d))
		return true
	}
	for round := range f.plan.rounds {
		base := first.Add(time.Duration(round) * f.plan.every)
		// Postgres "restarts": every connection dropped, refused for 15 s.
		if at(base.Add(10 * time.Second)) {
			from := time.Now()
			for _, r := range f.c.replicas {
				r.pg.Stop()
			}
			time.Sleep(15 * time.Second)
			for _, r := range f.c.replicas {
				r.pg.Start()
			}
			f.outage(from, time.Now())
			f.mu.Lock()
			f.pgCuts++
			f.mu.Unlock()
		}
		// Redis killed and restarted empty.
		if at(base.Add(30 * time.Second)) {
			for _, r := range f.c.replicas {
				r.redis.Stop()
			}
			f.c.flushRedis()
			time.Sleep(3 * time.Second)
			for _, r := range f.c.replicas {
				r.redis.Start()
			}
			f.mu.Lock()
			f.redis++
			f.mu.Unlock()
		}
		// One replica partitioned from Postgres for 20 s: its queries
		// hang, then go through.
		if at(base.Add(40 * time.Second)) {
			r := f.c.replicas[round%len(f.c.replicas)]
			from := time.Now()
			r.pg.Freeze()
			time.Sleep(20 * time.Second)
			r.pg.Thaw()
			f.outage(from, time.Now())
			f.mu.Lock()
			f.parts++
			f.mu.Unlock()
		}
		// A replica stopped while it delivers, then let go.
		if at(base.Add(time.Minute + 500*time.Millisecond)) {
			r := f.c.replicas[(round+1)%len(f.c.replicas)]
			f.mu.Lock()
			if f.exempt == nil {
				f.exempt = map[int]bool{}
			}
			f.exempt[r.n] = true
			f.mu.Unlock()
			from := time.Now()
			r.stop()
			time.Sleep(f.plan.stall)
			r.cont()
			f.outage(from, time.Now())
			f.mu.Lock()
			delete(f.exempt, r.n)
			f.stalls++
			f.mu.Unlock()
		}
	}
}

// heal thaws a stalled replica and restarts one that exited, so the run
// settles with every replica up.
func (f *faults) heal(t *testing.T) {
	for _, r := range f.c.replicas {
		if r.frozen() {
			r.cont()
		}
		if r.exited() {
			r.start(t, f.c.bin)
		}
	}
}

// answerer plays the people answering their prompts while replicas die.
type answerer struct {
	mu   sync.Mutex
	done []Ack
	seen map[AnswerKey]bool
}

func (a *answerer) acks() []Ack {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Ack(nil), a.done...)
}

// run answers open prompts, a few people at a time, until ctx ends.
func (a *answerer) run(ctx context.Context, c *cluster, w workload) {
	a.seen = map[AnswerKey]bool{}
	ids := make([]string, 0, len(w.dms))
	for id := range w.dms {
		ids = append(ids, id)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				user := ids[rand.N(len(ids))]
				a.answerOne(ctx, c.ctl, user, w.dms[user])
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// answerOne answers the person's newest unanswered prompt, if any, and
// records the answer when the bot acknowledged it.
func (a *answerer) answerOne(ctx context.Context, ctl *slacksim.Control, user, dm string) {
	msgs, err := ctl.Messages(ctx, dm, user)
	if err != nil {
		return
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.BotID == "" || m.Ephemeral {
			continue
		}
		for _, round := range promptRounds(m.Blocks) {
			key := AnswerKey{user, round}
			a.mu.Lock()
			taken := a.seen[key]
			a.mu.Unlock()
			if taken {
				continue
			}
			res, err := ctl.Action(ctx, slacksim.ActionRequest{User: user, Channel: m.Channel, MessageTS: m.TS,
				ActionID: checkins.ActionCheckinAnswer, BlockID: checkins.PromptActionsBlockID(round)})
			if err != nil || !res.OK {
				return
			}
			var top slacksim.View
			for range 20 {
				stack, err := ctl.Views(ctx, user)
				if err == nil && len(stack) > 0 && stack[len(stack)-1].CallbackID == checkinhandlers.CallbackAnswer {
					top = stack[len(stack)-1]
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if top.ID == "" {
				return
			}
			values, err := slacksim.FormState(top.Blocks, textAnswers(top.Blocks))
			if err != nil {
				return
			}
			sub, err := ctl.SubmitView(ctx, top.ID, slacksim.SubmitRequest{User: user, Values: values})
			if err != nil || !sub.OK || sub.ResponseAction == "errors" {
				return
			}
			a.mu.Lock()
			a.seen[key] = true
			a.done = append(a.done, Ack{Person: user, Round: round, At: time.Now()})
			a.mu.Unlock()
			return
		}
	}
}

// promptRounds lists the check-in rounds a message asks about.
func promptRounds(blocks json.RawMessage) []int64 {
	var bs []struct {
		BlockID string `json:"block_id"`
	}
	if json.Unmarshal(blocks, &bs) != nil {
		return nil
	}
	var out []int64
	for _, b := range bs {
		if rest, ok := strings.CutPrefix(b.BlockID, "checkin_prompt_"); ok {
			if id, err := strconv.ParseInt(rest, 10, 64); err == nil {
				out = append(out, id)
			}
		}
	}
	return out
}

// textAnswers fills every text input of an answer form.
func textAnswers(blocks json.RawMessage) map[string]any {
	var bs []struct {
		Type    string `json:"type"`
		BlockID string `json:"block_id"`
		Element struct {
			Type string `json:"type"`
		} `json:"element"`
	}
	_ = json.Unmarshal(blocks, &bs)
	out := map[string]any{}
	for _, b := range bs {
		if b.Type == "input" && b.Element.Type == "plain_text_input" {
			out[b.BlockID] = "shipped it during the storm"
		}
	}
	return out
}

// observe reads the run: every proactive DM from the emulator, every
// occurrence and every acknowledged answer from the database.
func observe(t *testing.T, c *cluster, w workload, acks []Ack, outages []Interval) Observed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o := Observed{People: w.people, Acks: acks, Outages: outages, Stored: map[AnswerKey]bool{}}
	for user, dm := range w.dms {
		msgs, err := c.ctl.Messages(ctx, dm, user)
		if err != nil {
			t.Fatalf("messages of %s: %v", user, err)
		}
		for _, m := range msgs {
			if m.BotID == "" || m.Ephemeral || m.Metadata == nil || m.Metadata.EventType != "trellis_occurrence" {
				continue
			}
			var payload struct {
				IDs string `json:"occurrence_ids"`
			}
			_ = json.Unmarshal(m.Metadata.EventPayload, &payload)
			msg := Message{Person: user, Channel: m.Channel, TS: m.TS, At: tsTime(m.TS)}
			for _, s := range strings.Split(payload.IDs, ",") {
				if id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
					msg.Occurrences = append(msg.Occurrences, id)
				}
			}
			o.Messages = append(o.Messages, msg)
		}
	}

	posts, err := c.ctl.Messages(ctx, w.channel, "")
	if err != nil {
		t.Fatalf("messages of the check-ins' channel: %v", err)
	}
	for _, m := range posts {
		if m.BotID == "" || m.Metadata == nil || m.Metadata.EventType != "trellis_checkin_post" {
			continue
		}
		var payload struct {
			PostID string `json:"post_id"`
			Part   string `json:"part"`
			IDs    string `json:"post_ids"`
		}
		_ = json.Unmarshal(m.Metadata.EventPayload, &payload)
		p := Post{Channel: m.Channel, TS: m.TS}
		if payload.PostID != "" {
			p.Parts = append(p.Parts, payload.PostID+"/"+payload.Part)
		}
		for _, id := range strings.Split(payload.IDs, ",") {
			if id = strings.TrimSpace(id); id != "" {
				p.Parts = append(p.Parts, id+"/0")
			}
		}
		o.Posts = append(o.Posts, p)
	}

	db, err := gorm.Open(postgres.Open(c.dbURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open the run's database: %v", err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	var rows []struct {
		ID         int64
		CadenceID  string
		Recipient  string
		NominalAt  time.Time
		DeliverAt  *time.Time
		Status     string
		Reason     string
		LeaseUntil *time.Time
		SentAt     *time.Time
		SlackTS    *string
	}
	if err := db.WithContext(ctx).Raw(`SELECT id, cadence_id, recipient, nominal_at, deliver_at, status, reason,
		lease_until, sent_at, slack_ts FROM occurrences ORDER BY id`).Scan(&rows).Error; err != nil {
		t.Fatalf("read occurrences: %v", err)
	}
	for _, r := range rows {
		oc := Occurrence{ID: r.ID, Cadence: r.CadenceID, Recipient: r.Recipient, Nominal: r.NominalAt, Status: r.Status, Reason: r.Reason}
		if r.DeliverAt != nil {
			oc.DeliverAt = *r.DeliverAt
		}
		if r.LeaseUntil != nil {
			oc.LeaseUntil = *r.LeaseUntil
		}
		if r.SentAt != nil {
			oc.SentAt = *r.SentAt
		}
		if r.SlackTS != nil {
			oc.TS = *r.SlackTS
		}
		o.Occurrences = append(o.Occurrences, oc)
	}
	var stored []struct {
		RoundID int64
		UserID  string
	}
	if err := db.WithContext(ctx).Raw(`SELECT DISTINCT r.round_id, r.user_id FROM checkin_responses r
		JOIN checkin_answers a ON a.round_id = r.round_id AND a.user_id = r.user_id
		WHERE r.status = ?`, checkinmodels.ResponseAnswered).Scan(&stored).Error; err != nil {
		t.Fatalf("read answers: %v", err)
	}
	for _, s := range stored {
		o.Stored[AnswerKey{s.UserID, s.RoundID}] = true
	}
	return o
}

// tsTime is the instant a Slack ts names (its seconds; the emulator counts
// messages after the dot).
func tsTime(ts string) time.Time {
	secs, _, _ := strings.Cut(ts, ".")
	n, _ := strconv.ParseInt(secs, 10, 64)
	return time.Unix(n, 0).UTC()
}

// firstSeen: people Trellis has never read from Slack run /trellis me
// while users.info hangs. Each command is acknowledged within Slack's 3 s
// (the emulator gives up on an ack after that, as Slack does) by whichever
// replica takes it, and says the zone is still being read rather than
// claiming one. Once users.info answers again, their profile is read and a
// later /trellis me shows their zone.
func firstSeen(t *testing.T, c *cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := c.ctl.AddFault(ctx, slacksim.Fault{Method: "users.info", Hang: true}); err != nil {
		t.Fatalf("hang users.info: %v", err)
	}
	var ids []string
	for i := range 3 {
		sp, err := c.ctl.AddPerson(ctx, slacksim.NewPerson{Name: fmt.Sprintf("newcomer-%d", i), TZ: "Asia/Tokyo"})
		if err != nil {
			t.Fatalf("add a newcomer: %v", err)
		}
		ids = append(ids, sp.ID)
		res, err := c.ctl.Command(ctx, slacksim.CommandRequest{User: sp.ID, Text: "/trellis me"})
		switch {
		case err != nil:
			t.Errorf("newcomer %s: /trellis me: %v", sp.ID, err)
		case !res.OK || res.Response == nil:
			t.Errorf("newcomer %s: /trellis me not acknowledged in Slack's time while users.info hangs: %+v", sp.ID, res)
		case !strings.Contains(res.Response.Text+string(res.Response.Blocks), "not known yet"):
			t.Errorf("newcomer %s: /trellis me while the profile is unread claims a zone: %q", sp.ID, res.Response.Text)
		}
	}
	if err := c.ctl.ClearFaults(ctx, "users.info"); err != nil {
		t.Fatalf("clear the users.info fault: %v", err)
	}
	for _, id := range ids {
		for {
			res, err := c.ctl.Command(ctx, slacksim.CommandRequest{User: id, Text: "/trellis me"})
			if err == nil && res.OK && res.Response != nil && strings.Contains(res.Response.Text+string(res.Response.Blocks), "Asia/Tokyo") {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("newcomer %s: the profile was never read after users.info answered again (last: %+v, %v)", id, res, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}
