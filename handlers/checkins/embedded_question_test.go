package checkins_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/bot"
	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/handlers"
	checkinhandlers "github.com/trellis-bot/trellis/handlers/checkins"
	"github.com/trellis-bot/trellis/handlers/views"
	"github.com/trellis-bot/trellis/internal/testlog"
	jobcheckins "github.com/trellis-bot/trellis/jobs/checkins"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
	"github.com/trellis-bot/trellis/models/modelstest"
)

// fakeKind is another feature's question kind, as the check-ins see it
// through the feature contract: n inputs per person, a problem on the
// first when it reads "bad", and a Commit that counts itself, notes
// whether it ran inside the host's transaction and fails when told to.
type fakeKind struct {
	inputs     int
	commits    int
	inTx       bool
	failCommit bool
	// afters counts the after steps run; afterInTx notes whether one ran
	// inside a transaction, afterSaw whether the answer was stored by
	// then (read by answered); failAfter makes them fail.
	afters    int
	afterInTx bool
	afterSaw  bool
	answered  func(ctx context.Context) bool
	failAfter bool
}

func (k *fakeKind) Blocks(_ context.Context, q handlers.QuestionRequest) (handlers.QuestionBlocks, error) {
	var blocks []slack.Block
	for i := range min(k.inputs, q.MaxBlocks) {
		in := slack.NewPlainTextInputBlockElement(views.PlainText("Type"), "fake:value")
		in.MaxLength = 100
		blocks = append(blocks, views.Input(fmt.Sprintf("%sfake_%d", q.Prefix, i), "Fake", in, true, ""))
	}
	if len(blocks) == 0 {
		return handlers.QuestionBlocks{}, nil
	}
	return handlers.QuestionBlocks{Blocks: blocks, State: fmt.Sprintf("fake/%d", len(blocks))}, nil
}

func (k *fakeKind) Check(_ context.Context, q handlers.QuestionRequest, state string, values map[string]map[string]slack.BlockAction) (handlers.PendingAnswer, map[string]string, error) {
	var n int
	if _, err := fmt.Sscanf(state, "fake/%d", &n); err != nil {
		return nil, nil, fmt.Errorf("fake state %q: %w", state, err)
	}
	filled := 0
	for i := range n {
		block := fmt.Sprintf("%sfake_%d", q.Prefix, i)
		for _, a := range values[block] {
			switch strings.TrimSpace(a.Value) {
			case "bad":
				return nil, map[string]string{block: "That's bad."}, nil
			case "":
			default:
				filled++
			}
		}
	}
	return fakePending{k: k, filled: filled}, nil, nil
}

type fakePending struct {
	k      *fakeKind
	filled int
}

func (p fakePending) Commit(ctx context.Context) (string, func(context.Context) error, error) {
	if p.filled == 0 {
		return "", nil, nil
	}
	p.k.commits++
	p.k.inTx = models.InTransaction(ctx)
	if p.k.failCommit {
		return "", nil, errors.New("fake store down")
	}
	after := func(ctx context.Context) error {
		p.k.afters++
		p.k.afterInTx = models.InTransaction(ctx)
		p.k.afterSaw = p.k.answered != nil && p.k.answered(ctx)
		if p.k.failAfter {
			return errors.New("fake schedule down")
		}
		return nil
	}
	return fmt.Sprintf("Filled %d", p.filled), after, nil
}

// fakeFeature declares the fake question kind, as a real feature does.
func fakeFeature(k *fakeKind) handlers.Feature {
	return handlers.Feature{Name: "fakes", QuestionKinds: map[string]handlers.QuestionKind{"fake": k}}
}

// fakeJobs takes composers and steppers without running them.
type fakeJobs struct{}

func (fakeJobs) Register(string, engine.Composer) error { return nil }
func (fakeJobs) AddStepper(engine.StepperSpec) error    { return nil }

// questionsOf parses lines as the check-in form's questions, with the
// question kinds core's features registered.
func questionsOf(t *testing.T, core *handlers.Handlers, lines string) ([]checkinmodels.Question, string) {
	t.Helper()
	values := submit(t, checkinhandlers.CheckinModal(checkinmodels.Templates()[0].Checkin, nil, ""))
	set(values, checkinhandlers.BlockCheckinQuestions, func(a *slack.BlockAction) { a.Value = lines })
	c, errs := checkinhandlers.ParseCheckinSubmissionWith(values, func(name string) bool {
		_, ok := core.QuestionKind(name)
		return ok
	})
	return c.Questions, errs[checkinhandlers.BlockCheckinQuestions]
}

// The form takes a "name:" question only for a question kind a feature
// registered, once per check-in, never anonymous nor with options; other
// lowercase words before a colon are refused, and capitalised text
// before one is still a free-text question.
func TestFeatureQuestionSyntax(t *testing.T) {
	with := handlers.New(handlers.Config{})
	if err := with.Register(bot.NewMux(), fakeJobs{}, fakeFeature(&fakeKind{})); err != nil {
		t.Fatal(err)
	}
	without := handlers.New(handlers.Config{})
	if err := without.Register(bot.NewMux(), fakeJobs{}); err != nil {
		t.Fatal(err)
	}
	feature := checkinmodels.Question{Kind: checkinmodels.KindFeature, Prompt: "Your numbers", Options: []string{"fake"}}
	text := func(p string) checkinmodels.Question {
		return checkinmodels.Question{Kind: checkinmodels.KindText, Prompt: p, Required: true}
	}
	for _, tt := range []struct {
		core    *handlers.Handlers
		lines   string
		want    []checkinmodels.Question
		problem string
	}{
		{with, "What's new?\nfake: Your numbers", []checkinmodels.Question{text("What's new?"), feature}, ""},
		{with, "optional fake: Your numbers", []checkinmodels.Question{feature}, ""},
		{with, "FAKE: Your numbers", []checkinmodels.Question{feature}, ""},
		{with, "Today: what's the plan?", []checkinmodels.Question{text("Today: what's the plan?")}, ""},
		{with, "text: note: what's left?", []checkinmodels.Question{text("note: what's left?")}, ""},
		{with, "anon fake: Your numbers", nil, "can't be anonymous"},
		{with, "fake: Your numbers\nfake: Again", nil, "at most one `fake:` question"},
		{with, "fake: Your numbers | a | b", nil, "take no options"},
		{with, "fake:", nil, "has a type but no question"},
		{with, "xyz: What?", nil, "I don't know `xyz:` questions"},
		{without, "fake: Your numbers", nil, "I don't know `fake:` questions"},
	} {
		got, problem := questionsOf(t, tt.core, tt.lines)
		switch {
		case tt.problem != "":
			if !strings.Contains(problem, tt.problem) {
				t.Errorf("%q: problem %q, want one saying %q", tt.lines, problem, tt.problem)
			}
		case problem != "":
			t.Errorf("%q: problem %q, want none", tt.lines, problem)
		case fmt.Sprint(got) != fmt.Sprint(tt.want):
			t.Errorf("%q: questions %+v, want %+v", tt.lines, got, tt.want)
		}
		if problem != "" {
			continue
		}
		// Written back into the form and read again, the questions are
		// the same.
		m := checkinhandlers.CheckinModal(checkinmodels.Checkin{Name: "x", Questions: got}, nil, "")
		var written string
		for _, a := range submit(t, m)[checkinhandlers.BlockCheckinQuestions] {
			written = a.Value
		}
		again, problem := questionsOf(t, tt.core, written)
		if problem != "" || fmt.Sprint(again) != fmt.Sprint(got) {
			t.Errorf("%q written back: %+v (%q), want %+v", tt.lines, again, problem, got)
		}
	}
}

// A question kind registered twice, or under a name people cannot type,
// is refused, naming the owners.
func TestQuestionKindRegistration(t *testing.T) {
	k := &fakeKind{}
	for _, tt := range []struct {
		features []handlers.Feature
		want     string
	}{
		{[]handlers.Feature{fakeFeature(k), {Name: "other", QuestionKinds: map[string]handlers.QuestionKind{"fake": k}}}, `question kind "fake" of other is already registered by fakes`},
		{[]handlers.Feature{{Name: "odd", QuestionKinds: map[string]handlers.QuestionKind{"Fake": k}}}, `question kind "Fake" needs a name`},
		{[]handlers.Feature{{Name: "odd", QuestionKinds: map[string]handlers.QuestionKind{"fake": nil}}}, `question kind "fake" needs a name`},
	} {
		err := handlers.New(handlers.Config{}).Register(bot.NewMux(), fakeJobs{}, tt.features...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Register = %v, want an error saying %s", err, tt.want)
		}
	}
}

// embedCheckin is a check-in of every kind of question, the most a
// check-in asks, one of them the fake kind's.
func embedCheckin() checkinmodels.Checkin {
	c := checkinmodels.Checkin{ID: 9, Name: "Weekly", ChannelID: "C1", Destination: checkinmodels.DestinationDigest}
	for i := range checkinmodels.MaxQuestions - 1 {
		kinds := []checkinmodels.Question{
			{Kind: checkinmodels.KindText, Prompt: "Text?", Required: true},
			{Kind: checkinmodels.KindBlocked, Prompt: "Blocked?", Required: true},
			{Kind: checkinmodels.KindScale, Prompt: "Scale?", Options: []string{"low", "high"}},
		}
		q := kinds[i%len(kinds)]
		q.ID = int64(i + 1)
		c.Questions = append(c.Questions, q)
	}
	c.Questions = append(c.Questions, checkinmodels.Question{ID: 50, Kind: checkinmodels.KindFeature, Prompt: "Your numbers", Options: []string{"fake"}})
	return c
}

// The answer form gives the embedded question what is left of Slack's
// bounds, and with it filled to the brim stays within them; without
// blocks it says there is nothing to fill in. The state rides in the
// private_metadata without spoiling the round's ids.
func TestAnswerModalEmbeds(t *testing.T) {
	c := embedCheckin()
	round := checkinmodels.Round{ID: 4, CheckinID: c.ID}
	last := map[int]string{1: "same as ever"}
	for _, previous := range []map[int]string{nil, {50: "Filled 2"}} {
		maxBlocks, maxState := checkinhandlers.AnswerEmbedRoom(c, round, "", previous, last)
		if maxBlocks <= 0 || maxState <= 0 {
			t.Fatalf("AnswerEmbedRoom = %d, %d", maxBlocks, maxState)
		}
		k := &fakeKind{inputs: 1000}
		qb, err := k.Blocks(context.Background(), handlers.QuestionRequest{Prefix: checkinhandlers.AnswerEmbedPrefix(50), MaxBlocks: maxBlocks, MaxState: maxState})
		if err != nil {
			t.Fatal(err)
		}
		state := qb.State + strings.Repeat("x", maxState-len(qb.State))
		m := checkinhandlers.AnswerModalWith(c, round, "", previous, last, checkinhandlers.EmbeddedQuestion{Blocks: qb.Blocks, State: state})
		if n := len(m.Blocks.BlockSet); n != 100 {
			t.Errorf("answer form filled to the brim has %d blocks, want 100", n)
		}
		if n := len(m.PrivateMetadata); n != 3000 {
			t.Errorf("answer form filled to the brim has %d bytes of metadata, want 3000", n)
		}
		checkModalLimits(t, m)
		if got, shown := checkinhandlers.AnswerFormState(m.PrivateMetadata); got != state || !shown {
			t.Errorf("AnswerFormState = %.20q…, %v; want the state given", got, shown)
		}
		if r, ck, err := checkinhandlers.ParseAnswerForm(m.PrivateMetadata); err != nil || r != round.ID || ck != c.ID {
			t.Errorf("ParseAnswerForm = %d, %d, %v; want %d, %d", r, ck, err, round.ID, c.ID)
		}
		if previous != nil && !strings.Contains(string(mustJSON(t, m.Blocks)), "Filled 2") {
			t.Errorf("editing, the form does not say what was sent before")
		}

		empty := checkinhandlers.AnswerModalWith(c, round, "", previous, last, checkinhandlers.EmbeddedQuestion{})
		if !strings.Contains(string(mustJSON(t, empty.Blocks)), "Nothing to fill in here") {
			t.Errorf("with nothing embedded, the form does not say there is nothing to fill in")
		}
		if got, shown := checkinhandlers.AnswerFormState(empty.PrivateMetadata); got != "" || shown {
			t.Errorf("with nothing embedded, AnswerFormState = %q, %v; want nothing shown", got, shown)
		}
	}
}

// mustJSON is v as JSON.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// answerEnv is the check-in handlers and the fake question kind plugged
// in through the feature contract, over a real database: Ada is asked a
// round of embedCheckin.
type answerEnv struct {
	mux   *bot.Mux
	store *checkinmodels.Store
	kind  *fakeKind
	c     checkinmodels.Checkin
	round checkinmodels.Round
}

func newAnswerEnv(t *testing.T, dialect string) answerEnv {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clk := clock.NewFrozen(start)
	log := testlog.Logger(t)
	db, err := models.Open(ctx, log, modelstest.URL(t, dialect), models.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	noSlack := errors.New("no Slack in this test")
	eng, err := engine.New(engine.Config{DB: db, Clock: clk, Logger: log, Clients: func(context.Context, string) (engine.Slack, error) { return nil, noSlack }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobcheckins.New(jobcheckins.Config{DB: db, Engine: eng, Clock: clk, Logger: log,
		Clients: func(context.Context, string) (jobcheckins.Slack, error) { return nil, noSlack }})
	if err != nil {
		t.Fatal(err)
	}
	core := handlers.New(handlers.Config{Logger: log, Clock: clk, People: models.NewPeople(db), Workspaces: models.NewWorkspaces(db), Views: models.NewOpenedViews(db)})
	e := answerEnv{mux: bot.NewMux(), store: checkinmodels.NewStore(db), kind: &fakeKind{inputs: 2}}
	if err := core.Register(e.mux, eng, checkinhandlers.New(core, svc).Feature(), fakeFeature(e.kind)); err != nil {
		t.Fatal(err)
	}
	c := embedCheckin()
	c.ID, c.WorkspaceID, c.OwnerID, c.Cadence, c.Participants, c.People = 0, "T1", "UADA", "weekdays at 09:30", checkinmodels.ParticipantsChosen, []string{"UADA"}
	c.RoundLength = 8 * time.Hour
	for i := range c.Questions {
		c.Questions[i].ID = 0
	}
	if e.c, err = e.store.Create(ctx, c, jobcheckins.ParseCadence); err != nil {
		t.Fatal(err)
	}
	if e.round, err = e.store.OpenRound(ctx, "T1", e.c.ID, calendar.DateOf(start), start, start.Add(8*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.MarkAsked(ctx, "T1", e.round.ID, "UADA", 0); err != nil {
		t.Fatal(err)
	}
	return e
}

// submit sends Ada's answer form, with every question of the check-in
// answered and the fake kind's inputs given, and returns the response.
func (e answerEnv) submit(t *testing.T, fake ...string) *bot.Response {
	t.Helper()
	resp, err := e.send(t, fake...)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return resp
}

// send is submit, returning the handler's error.
func (e answerEnv) send(t *testing.T, fake ...string) (*bot.Response, error) {
	t.Helper()
	ctx := context.Background()
	key := 0
	for i, q := range e.c.Questions {
		if q.Kind == checkinmodels.KindFeature {
			key = jobcheckins.AnswerKey(i, q)
		}
	}
	qb, err := e.kind.Blocks(ctx, handlers.QuestionRequest{Prefix: checkinhandlers.AnswerEmbedPrefix(key), MaxBlocks: 10, MaxState: 100})
	if err != nil {
		t.Fatal(err)
	}
	m := checkinhandlers.AnswerModalWith(e.c, e.round, "", nil, nil, checkinhandlers.EmbeddedQuestion{Blocks: qb.Blocks, State: qb.State})
	values := submit(t, m)
	for i, q := range e.c.Questions {
		block := checkinhandlers.AnswerBlockID(jobcheckins.AnswerKey(i, q))
		switch q.Kind {
		case checkinmodels.KindText:
			answer(t, m, values, block, "Shipping")
		case checkinmodels.KindBlocked:
			answer(t, m, values, block, jobcheckins.ValueNo)
		}
	}
	for i, v := range fake {
		block := fmt.Sprintf("%sfake_%d", checkinhandlers.AnswerEmbedPrefix(key), i)
		set(values, block, func(a *slack.BlockAction) { a.Value = v })
	}
	in := &slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "UADA"},
		View: slack.View{ID: "V1", CallbackID: checkinhandlers.CallbackAnswer, PrivateMetadata: m.PrivateMetadata, State: &slack.ViewState{Values: values}}}
	req := &bot.Request{Kind: bot.KindViewSubmission, TeamID: "T1", UserID: "UADA", Interaction: in}
	resp, err := e.mux.ServeSlack(ctx, req)
	// What the handler left for after the ack runs now, as a transport
	// runs it once Slack has its answer.
	for _, fn := range req.TakeAfter() {
		fn(ctx)
	}
	return resp, err
}

// answers are Ada's stored answers, by question id.
func (e answerEnv) answers(t *testing.T) (bool, map[int]string) {
	t.Helper()
	r, err := e.store.MyResponse(context.Background(), "T1", e.round.ID, "UADA")
	if err != nil {
		t.Fatal(err)
	}
	return r.Status == checkinmodels.ResponseAnswered, r.Answers
}

// A problem in the embedded question is shown on its input and stores
// nothing on either side; so does a problem of the check-in's own, and a
// Commit that fails. A good answer commits once, inside the answer's
// transaction, and the answer keeps the question kind's summary; an edit
// with nothing new keeps it, and so does a form that showed none of the
// kind's inputs, which is not checked at all.
func TestEmbeddedQuestionSubmission(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			e := newAnswerEnv(t, dialect)
			fakeKey := 0
			for i, q := range e.c.Questions {
				if q.Kind == checkinmodels.KindFeature {
					fakeKey = jobcheckins.AnswerKey(i, q)
				}
			}
			errorsOf := func(resp *bot.Response) map[string]string {
				if resp == nil {
					return nil
				}
				if r, ok := resp.Body.(*slack.ViewSubmissionResponse); ok {
					return r.Errors
				}
				return nil
			}

			resp := e.submit(t, "fine", "bad")
			if errs := errorsOf(resp); errs[fmt.Sprintf("%sfake_1", checkinhandlers.AnswerEmbedPrefix(fakeKey))] == "" {
				t.Errorf("a bad embedded input: errors %v, want one on its block", errs)
			}
			if answered, _ := e.answers(t); answered || e.kind.commits != 0 {
				t.Errorf("a bad embedded input stored the answer (%v) or committed %d times", answered, e.kind.commits)
			}

			e.kind.failCommit = true
			if _, err := e.send(t, "fine"); err == nil {
				t.Errorf("a failing commit: no error")
			}
			if answered, _ := e.answers(t); answered {
				t.Errorf("a failing commit stored the answer")
			}
			e.kind.failCommit, e.kind.commits = false, 0

			resp = e.submit(t, "fine", "also")
			if errs := errorsOf(resp); len(errs) > 0 {
				t.Fatalf("a good answer: errors %v", errs)
			}
			answered, got := e.answers(t)
			if !answered || got[fakeKey] != "Filled 2" || got[1] != "Shipping" {
				t.Errorf("a good answer stored %v (answered %v), want the summary %q beside the others", got, answered, "Filled 2")
			}
			if e.kind.commits != 1 || !e.kind.inTx {
				t.Errorf("a good answer committed %d times, in the answer's transaction: %v; want once, in it", e.kind.commits, e.kind.inTx)
			}

			// An edit with nothing entered in the embedded question keeps
			// what it sent before, and commits nothing.
			if errs := errorsOf(e.submit(t)); len(errs) > 0 {
				t.Fatalf("an edit: errors %v", errs)
			}
			if _, got := e.answers(t); got[fakeKey] != "Filled 2" || e.kind.commits != 1 {
				t.Errorf("an edit with nothing new: answer %q, %d commits; want %q kept and 1 commit", got[fakeKey], e.kind.commits, "Filled 2")
			}

			// A form that showed none of the kind's inputs (the person had
			// nothing to enter there) is not checked, and keeps it too.
			e.kind.inputs = 0
			if errs := errorsOf(e.submit(t)); len(errs) > 0 {
				t.Fatalf("a form without the kind's inputs: errors %v", errs)
			}
			if _, got := e.answers(t); got[fakeKey] != "Filled 2" || e.kind.commits != 1 {
				t.Errorf("a form without the kind's inputs: answer %q, %d commits; want %q kept and 1 commit", got[fakeKey], e.kind.commits, "Filled 2")
			}
		})
	}
}

// A question kind's after step runs once per committed answer, after
// the answer's transaction (never inside it, the answer already stored
// when it runs), and not at all when nothing was committed; one that
// fails is logged and loses nothing: the answer and the kind's summary
// stay stored, and the person is told nothing went wrong.
func TestEmbeddedQuestionAfterCommit(t *testing.T) {
	for _, dialect := range modelstest.Dialects() {
		for _, tt := range []struct {
			name      string
			fake      []string // the embedded inputs
			failAfter bool
			afters    int
		}{
			{"updates", []string{"fine", "also"}, false, 1},
			{"updates, after fails", []string{"fine", "also"}, true, 1},
			{"nothing entered", nil, false, 0},
			{"nothing entered, after would fail", nil, true, 0},
		} {
			t.Run(dialect+"/"+tt.name, func(t *testing.T) {
				e := newAnswerEnv(t, dialect)
				e.kind.failAfter = tt.failAfter
				e.kind.answered = func(ctx context.Context) bool {
					r, err := e.store.MyResponse(ctx, "T1", e.round.ID, "UADA")
					return err == nil && r.Status == checkinmodels.ResponseAnswered
				}
				resp, err := e.send(t, tt.fake...)
				if err != nil {
					t.Fatalf("send: %v", err)
				}
				if resp != nil {
					if r, ok := resp.Body.(*slack.ViewSubmissionResponse); ok && len(r.Errors) > 0 {
						t.Fatalf("send: errors %v", r.Errors)
					}
				}
				answered, got := e.answers(t)
				if !answered || got[1] != "Shipping" {
					t.Errorf("answer stored %v (answered %v), want it kept", got, answered)
				}
				if e.kind.afters != tt.afters {
					t.Errorf("after ran %d times, want %d", e.kind.afters, tt.afters)
				}
				if tt.afters > 0 && (e.kind.afterInTx || !e.kind.afterSaw) {
					t.Errorf("after ran inside a transaction: %v; with the answer stored: %v; want outside, stored", e.kind.afterInTx, e.kind.afterSaw)
				}
			})
		}
	}
}
