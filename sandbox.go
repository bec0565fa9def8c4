package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
)

// demoScheduleKey is the sandbox's own schedule: a message each working
// morning, so the delivery engine has something to show before any
// check-in exists.
const demoScheduleKey = "demo:morning"

// seedSandbox registers the demo schedule for every demo person. It is
// idempotent: a restarted sandbox keeps the schedule and where it stands.
func seedSandbox(ctx context.Context, eng *engine.Engine, team string, now time.Time) error {
	sc, err := eng.Schedules().Put(ctx, models.Schedule{
		WorkspaceID: team,
		Key:         demoScheduleKey,
		Title:       "Sandbox demo: good morning",
		Cadence:     "weekdays at 09:30",
		Anchor:      models.DateOf(now.UTC()),
	})
	if err != nil {
		return fmt.Errorf("sandbox schedule: %w", err)
	}
	people := []string{slacksim.DemoAda, slacksim.DemoRavi, slacksim.DemoMei, slacksim.DemoCarlos, slacksim.DemoJordan, slacksim.DemoNoor}
	// Targets already there keep their place; new ones start from now.
	if _, _, err := eng.Schedules().SetTargets(ctx, team, sc.Key, people, now); err != nil {
		return fmt.Errorf("sandbox schedule: %w", err)
	}
	return nil
}

// demoComposer writes the demo schedule's message.
func demoComposer(_ context.Context, c engine.Context) (engine.Message, error) {
	local := c.Occurrence.NominalAt.In(c.Location)
	text := fmt.Sprintf("Good morning! This is the sandbox's scheduled message for %s.", local.Format("Monday 2 January"))
	return engine.Message{
		Text: text,
		Blocks: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text+
				"\nCheck-ins and their reminders reach you the same way: at their local time, inside your working hours, never while you're away.",
				false, false), nil, nil),
		},
	}, nil
}

// The data directory holds the SQLite database, the generated encryption
// key, the emulator's state and the sandbox clock: all private. Modes are
// set explicitly, since a process's umask may leave files readable by
// others.
const (
	dataDirMode  fs.FileMode = 0o700
	dataFileMode fs.FileMode = 0o600
)

// dataFiles are the files Trellis keeps in the data directory.
var dataFiles = []string{"trellis.db", "trellis.db-wal", "trellis.db-shm", "trellis.db-journal",
	"encryption.key", "sandbox.json", clockFileName}

// prepareDataDir creates the data directory readable by its owner only,
// and tightens what an older Trellis left there: the directory and
// Trellis's own files in it become owner-only. Other files are left alone:
// the directory is the operator's choice and may hold anything.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, dataDirMode); err != nil {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	if err := os.Chmod(dir, dataDirMode); err != nil {
		return fmt.Errorf("data directory %s: make it private: %w", dir, err)
	}
	for _, name := range dataFiles {
		err := os.Chmod(filepath.Join(dir, name), dataFileMode)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("data directory %s: make %s private: %w", dir, name, err)
		}
	}
	return nil
}

// createPrivateFile creates path empty and owner-only if it does not exist.
// SQLite gives its -wal and -shm files the database file's mode, so a
// database created this way stays private with them.
func createPrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, dataFileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Chmod(dataFileMode); err != nil {
		f.Close()
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// writePrivateFile replaces path with data, owner-only, atomically: a
// reader sees the old file or the new one, never a part.
func writePrivateFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(dataFileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// clockFileName is the sandbox clock's file in the data directory.
const clockFileName = "clock.json"

// savedClock is what the clock file holds: the sandbox's time and the real
// time at which it was saved.
type savedClock struct {
	Now     time.Time `json:"now"`
	SavedAt time.Time `json:"saved_at"`
}

// sandboxClock is the sandbox's movable clock, kept in the data directory so
// that a restarted sandbox goes on from where its conversations are instead
// of falling back to the real time.
type sandboxClock struct {
	*clock.Sim
	path  string
	fresh bool // no clock was saved yet
}

// loadSandboxClock resumes the clock saved in dir: the saved instant plus
// the real time that has passed since (none if the real clock went back),
// so the sandbox's time flows on as it did before the restart. Without a
// file the clock starts at the real time. A file that cannot be read stops
// the start with a message saying what to do; it is left as it is.
func loadSandboxClock(dir string, real time.Time) (*sandboxClock, error) {
	c := &sandboxClock{path: filepath.Join(dir, clockFileName)}
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		c.Sim, c.fresh = clock.NewSim(time.Time{}), true
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the sandbox clock: %w", err)
	}
	var saved savedClock
	if err := json.Unmarshal(b, &saved); err != nil || saved.Now.IsZero() {
		return nil, fmt.Errorf("the sandbox clock file %s is damaged; delete it to restart the sandbox's clock at the real time", c.path)
	}
	now := saved.Now
	if passed := real.Sub(saved.SavedAt); passed > 0 && !saved.SavedAt.IsZero() {
		now = now.Add(passed)
	}
	c.Sim = clock.NewSim(now)
	return c, nil
}

// catchUp moves a clock that was not saved forward to newest when it is
// behind it: a data directory from before the clock was kept holds
// messages from the sandbox's future. A saved clock is left where it was
// put, even behind its messages.
func (c *sandboxClock) catchUp(newest time.Time) {
	if c.fresh && newest.After(c.Now()) {
		c.Set(newest)
	}
}

// save writes the clock's instant and the real time to the clock file.
func (c *sandboxClock) save(real time.Time) error {
	b, err := json.Marshal(savedClock{Now: c.Now().UTC(), SavedAt: real.UTC()})
	if err != nil {
		return fmt.Errorf("save the sandbox clock: %w", err)
	}
	return writePrivateFile(c.path, b)
}
