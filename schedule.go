package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trellis-bot/trellis/clock"
	"github.com/trellis-bot/trellis/jobs/cadence"
	"github.com/trellis-bot/trellis/models/calendar"
)

// previewRow is one occurrence as `schedule preview --format json` prints it.
type previewRow struct {
	Nominal   string  `json:"nominal"`    // RFC 3339 with the local offset
	DeliverAt *string `json:"deliver_at"` // RFC 3339 UTC, null when not delivered
	Status    string  `json:"status"`
	Reason    string  `json:"reason"`
}

// schedulePreview is `trellis schedule preview`: the time rules made
// visible. It needs no Slack, database or Redis.
func schedulePreview(args []string, clk clock.Clock, out, errOut io.Writer) error {
	req, err := parsePreview(args, clk, errOut)
	if err != nil {
		return err
	}
	start := cadence.LocalInstant(req.from, 0, req.loc)
	end := cadence.LocalInstant(req.to.AddDays(1), 0, req.loc)
	occ := cadence.Between(req.cadence, start, end, req.loc, req.hours, nil)
	switch req.format {
	case "json":
		return previewJSON(out, req, occ)
	case "text":
		return previewText(out, req, occ)
	}
	return fmt.Errorf("schedule preview: --format %q must be text or json", req.format)
}

// previewRequest is what `schedule preview` was asked to show.
type previewRequest struct {
	cadence   cadence.Cadence
	tz        string // as given
	loc       *time.Location
	from, to  calendar.Date         // local dates, inclusive
	hours     calendar.WorkingHours // zero: no working-window rule
	hoursText string                // --working-hours as given
	format    string
}

// parsePreview reads `schedule preview`'s flags; the first bad one stops it
// with an error naming it.
func parsePreview(args []string, clk clock.Clock, errOut io.Writer) (previewRequest, error) {
	fs := flag.NewFlagSet("schedule preview", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var (
		cadenceText = fs.String("cadence", "", `the cadence, e.g. "weekdays at 09:30" or "30 9 * * 1-5" (required)`)
		tz          = fs.String("tz", "", "the recipient's IANA timezone, e.g. America/New_York (required)")
		hoursText   = fs.String("working-hours", "", "working hours, e.g. 09:00-17:30 (22:00-06:00 for a night shift); without it no working-window rule applies")
		daysText    = fs.String("working-days", "mon-fri", "working days with --working-hours: mon-fri, sun-thu, tue,thu,sat")
		fromText    = fs.String("from", "", "first local date, YYYY-MM-DD (default: today in --tz)")
		toText      = fs.String("to", "", "last local date, inclusive (default: 13 days after --from)")
		format      = fs.String("format", "text", "text or json (one object per line)")
	)
	fs.Usage = func() {
		fmt.Fprintln(errOut, "usage: trellis schedule preview --cadence TEXT --tz ZONE [--working-hours HH:MM-HH:MM] [--working-days DAYS] [--from DATE] [--to DATE] [--format text|json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return previewRequest{}, fmt.Errorf("schedule preview: %w", errUsage)
	}
	if fs.NArg() > 0 {
		return previewRequest{}, fmt.Errorf("schedule preview: unexpected %q", fs.Arg(0))
	}
	if *cadenceText == "" {
		return previewRequest{}, errors.New("schedule preview: --cadence is required, e.g. --cadence \"weekdays at 09:30\"")
	}
	if *tz == "" {
		return previewRequest{}, errors.New("schedule preview: --tz is required, e.g. --tz America/New_York")
	}
	req := previewRequest{tz: *tz, hoursText: *hoursText, format: *format}
	var err error
	if err = req.readRange(clk, *fromText, *toText); err != nil {
		return previewRequest{}, err
	}
	if *hoursText != "" {
		if req.hours, err = calendar.ParseWorkingHours(*daysText + " " + *hoursText); err != nil {
			return previewRequest{}, fmt.Errorf("schedule preview: --working-hours %q / --working-days %q: %w", *hoursText, *daysText, err)
		}
	}
	if req.cadence, err = cadence.Parse(*cadenceText, req.from); err != nil {
		return previewRequest{}, fmt.Errorf("schedule preview: %w", err)
	}
	return req, nil
}

// readRange reads the zone and the local dates from fromText to toText
// (defaults: today in the zone, and 13 days after from).
func (r *previewRequest) readRange(clk clock.Clock, fromText, toText string) error {
	loc, err := calendar.LoadLocation(r.tz)
	if err != nil || r.tz == "Local" {
		return fmt.Errorf("schedule preview: --tz %q is not an IANA timezone such as Europe/Berlin", r.tz)
	}
	r.loc = loc
	r.from = calendar.DateOf(clk.Now().In(loc))
	if fromText != "" {
		if r.from, err = calendar.ParseDate(fromText); err != nil {
			return fmt.Errorf("schedule preview: --from %q is not a date like 2026-01-01", fromText)
		}
	}
	r.to = r.from.AddDays(13)
	if toText != "" {
		if r.to, err = calendar.ParseDate(toText); err != nil {
			return fmt.Errorf("schedule preview: --to %q is not a date like 2026-12-31", toText)
		}
	}
	if r.to.Before(r.from) {
		return fmt.Errorf("schedule preview: --to %s is before --from %s", r.to, r.from)
	}
	if r.to.After(r.from.AddDays(3 * 366)) {
		return errors.New("schedule preview: the range is limited to three years")
	}
	return nil
}

// previewJSON prints one previewRow per occurrence.
func previewJSON(out io.Writer, req previewRequest, occ []cadence.Occurrence) error {
	enc := json.NewEncoder(out)
	for _, o := range occ {
		row := previewRow{Nominal: o.Nominal.In(req.loc).Format(time.RFC3339), Status: string(o.Status), Reason: o.Reason}
		if !o.DeliverAt.IsZero() {
			s := o.DeliverAt.UTC().Format(time.RFC3339)
			row.DeliverAt = &s
		}
		if err := enc.Encode(row); err != nil {
			return fmt.Errorf("schedule preview: %w", err)
		}
	}
	return nil
}

// previewText prints a heading and a table of the occurrences.
func previewText(out io.Writer, req previewRequest, occ []cadence.Occurrence) error {
	window := "no working-window rule"
	if req.hoursText != "" {
		window = "working hours " + req.hours.String()
	}
	fmt.Fprintf(out, "%s in %s, %s, %s to %s: %d occurrences\n\n", req.cadence, req.tz, window, req.from, req.to, len(occ))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NOMINAL (LOCAL)\tDELIVER AT (LOCAL)\tSTATUS\tREASON")
	for _, o := range occ {
		at := "—"
		if !o.DeliverAt.IsZero() {
			at = o.DeliverAt.In(req.loc).Format("Mon 2006-01-02 15:04 MST")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Nominal.In(req.loc).Format("Mon 2006-01-02 15:04 MST"), at, o.Status, strings.TrimSpace(o.Reason))
	}
	return tw.Flush()
}
