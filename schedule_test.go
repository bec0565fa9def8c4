package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trellis-bot/trellis/clock"
)

func preview(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := schedulePreview(args, clock.NewFrozen(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), &out, &errOut)
	return out.String(), err
}

func TestSchedulePreviewJSON(t *testing.T) {
	// The example: 02:30 on 2026-03-08 in New York is in the
	// spring-forward gap and fires at 03:00 EDT.
	got, err := preview(t, "--cadence", "30 2 * * *", "--tz", "America/New_York", "--from", "2026-03-07", "--to", "2026-03-09", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []previewRow
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		var r previewRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	want := []struct{ nominal, deliver string }{
		{"2026-03-07T02:30:00-05:00", "2026-03-07T07:30:00Z"},
		{"2026-03-08T03:00:00-04:00", "2026-03-08T07:00:00Z"},
		{"2026-03-09T02:30:00-04:00", "2026-03-09T06:30:00Z"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %s", len(rows), len(want), got)
	}
	for i, w := range want {
		if rows[i].Nominal != w.nominal || rows[i].DeliverAt == nil || *rows[i].DeliverAt != w.deliver || rows[i].Status != "delivered" {
			t.Errorf("row %d = %+v, want nominal %s deliver %s delivered", i, rows[i], w.nominal, w.deliver)
		}
	}

	// With working hours: Saturday's and Sunday's 08:00 are superseded
	// (deliver_at null, with a reason); weekdays are deferred to 09:00.
	got, err = preview(t, "--cadence", "every day at 08:00", "--tz", "Asia/Kathmandu", "--working-hours", "09:00-17:30",
		"--from", "2026-11-20", "--to", "2026-11-23", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], `"deliver_at":null`) || !strings.Contains(lines[1], `"status":"superseded"`) ||
		!strings.Contains(lines[3], `"deliver_at":"2026-11-23T03:15:00Z"`) || !strings.Contains(lines[3], `"status":"deferred"`) {
		t.Errorf("working-hours preview =\n%s", got)
	}
}

func TestSchedulePreviewText(t *testing.T) {
	got, err := preview(t, "--cadence", "30 9 * * 1-5", "--tz", "America/New_York", "--working-hours", "09:00-17:30")
	if err != nil {
		t.Fatal(err)
	}
	// Default range: 14 days from today in the zone (Mon 23 Nov 2026): ten weekdays.
	if !strings.Contains(got, "2026-11-23 to 2026-12-06: 10 occurrences") || !strings.Contains(got, "Mon 2026-11-23 09:30 EST") {
		t.Errorf("text preview =\n%s", got)
	}
}

func TestSchedulePreviewRejects(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--tz", "UTC"}, "--cadence is required"},
		{[]string{"--cadence", "weekdays at 09:30"}, "--tz is required"},
		{[]string{"--cadence", "weekdays at 09:30", "--tz", "Mars/Olympus"}, "not an IANA timezone"},
		{[]string{"--cadence", "fortnightly-ish", "--tz", "UTC"}, "fortnightly"},
		{[]string{"--cadence", "weekdays at 09:30", "--tz", "UTC", "--working-hours", "09:00-09:00"}, "zero length"},
		{[]string{"--cadence", "weekdays at 09:30", "--tz", "UTC", "--working-hours", "09:00-17:00", "--working-days", "funday"}, "funday"},
		{[]string{"--cadence", "weekdays at 09:30", "--tz", "UTC", "--from", "soon"}, "--from"},
		{[]string{"--cadence", "weekdays at 09:30", "--tz", "UTC", "--from", "2026-02-01", "--to", "2026-01-01"}, "before --from"},
		{[]string{"--cadence", "weekdays at 09:30", "--tz", "UTC", "--format", "xml"}, "text or json"},
	}
	for _, tt := range tests {
		_, err := preview(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("preview %v error = %v, want it to mention %q", tt.args, err, tt.want)
		}
	}
	// Reachable through run, without any environment.
	var out bytes.Buffer
	err := run(context.Background(), []string{"schedule", "preview", "--cadence", "mondays at 10:00", "--tz", "Europe/London", "--format", "json"},
		func(string) string { return "" }, &out, &bytes.Buffer{})
	if err != nil || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("run schedule preview = %q, %v; want two Mondays in 14 days", out.String(), err)
	}
}
