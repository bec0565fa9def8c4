package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The saved clock goes on by the real time that passed while the sandbox
// was stopped (none if the real clock went back); a data directory without
// a saved clock, whose conversations are ahead of the real time, starts at
// its newest message; a saved clock stays where it was put.
func TestLoadSandboxClock(t *testing.T) {
	saved := time.Date(2031, 5, 6, 9, 30, 0, 0, time.UTC)
	real := time.Now()
	for _, tc := range []struct {
		name    string
		savedAt time.Time
		want    time.Time
	}{
		{"stopped for two hours", real.Add(-2 * time.Hour), saved.Add(2 * time.Hour)},
		{"real clock went back", real.Add(time.Hour), saved},
	} {
		dir := t.TempDir()
		b := []byte(`{"now":"` + saved.Format(time.RFC3339Nano) + `","saved_at":"` + tc.savedAt.Format(time.RFC3339Nano) + `"}`)
		if err := os.WriteFile(filepath.Join(dir, clockFileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := loadSandboxClock(dir, real)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// The clock flows from the moment it was loaded; an hour is ample.
		if got := c.Now(); got.Before(tc.want) || got.After(tc.want.Add(time.Hour)) {
			t.Errorf("%s: clock at %s, want %s", tc.name, got, tc.want)
		}
		c.catchUp(saved.Add(30 * 24 * time.Hour))
		if got := c.Now(); got.After(tc.want.Add(time.Hour)) {
			t.Errorf("%s: a saved clock moved to the newest message: %s", tc.name, got)
		}
	}

	c, err := loadSandboxClock(t.TempDir(), real)
	if err != nil {
		t.Fatal(err)
	}
	newest := real.Add(10 * 24 * time.Hour)
	c.catchUp(newest)
	if got := c.Now(); got.Before(newest) {
		t.Errorf("without a saved clock, conversations up to %s: clock at %s, want at or after them", newest, got)
	}
}
