package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// previewCases are the command lines whose output
// testdata/schedule_preview.golden holds, as `trellis schedule preview`
// printed them (stdout and stderr in one stream, then the exit code)
// before the code was reorganised into app/ and its layers.
var previewCases = [][]string{
	{"--cadence", "weekdays at 09:30", "--tz", "America/New_York", "--from", "2027-03-08", "--to", "2027-03-20"},
	{"--cadence", "weekdays at 08:00", "--tz", "Asia/Kolkata", "--working-hours", "09:00-17:30", "--from", "2026-12-20", "--to", "2027-01-05"},
	{"--cadence", "30 9 * * 1-5", "--tz", "Europe/London", "--working-hours", "09:00-17:00", "--from", "2027-03-25", "--to", "2027-04-05", "--format", "json"},
	{"--cadence", "every monday at 02:30", "--tz", "Europe/Berlin", "--working-hours", "22:00-06:00", "--working-days", "sun-thu", "--from", "2027-03-20", "--to", "2027-04-10"},
	{"--cadence", "daily at 23:59", "--tz", "Pacific/Auckland", "--from", "2027-04-01", "--to", "2027-04-10", "--format", "json"},
	{"--cadence", "every 2 weeks on tue at 10:00", "--tz", "America/Sao_Paulo", "--working-hours", "08:00-16:00", "--from", "2027-01-01", "--to", "2027-02-15"},
	{"--cadence", "nonsense", "--tz", "Europe/Berlin"},
	{"--cadence", "weekdays at 09:30", "--tz", "Mars/Base"},
	{"--cadence", "0 0 29 2 *", "--tz", "UTC", "--from", "2027-01-01", "--to", "2029-03-01"},
}

// TestSchedulePreviewBytes: `trellis schedule preview` prints, byte for
// byte, what it printed before the reorganisation, for DST changes, night
// shifts, deferrals, JSON, errors and a leap day.
func TestSchedulePreviewBytes(t *testing.T) {
	want, err := os.ReadFile("testdata/schedule_preview.golden")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, args := range previewCases {
		fmt.Fprintf(&got, "### %s\n", strings.Join(args, " "))
		err := run(context.Background(), append([]string{"schedule", "preview"}, args...), func(string) string { return "" }, &got, &got)
		rc := 0
		switch {
		case errors.Is(err, errUsage):
			fmt.Fprintln(&got, usage)
			rc = 2
		case err != nil:
			fmt.Fprintln(&got, "trellis:", err)
			rc = 1
		}
		fmt.Fprintf(&got, "rc=%d\n", rc)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("schedule preview's output changed:\n--- got\n%s\n--- want\n%s", got.String(), want)
	}
}
