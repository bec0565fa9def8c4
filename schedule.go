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
	"github.com/trellis-bot/trellis/models"
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
		return fmt.Errorf("schedule preview: %w", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("schedule preview: unexpected %q", fs.Arg(0))
	}
	if *cadenceText == "" {
		return errors.New("schedule preview: --cadence is required, e.g. --cadence \"weekdays at 09:30\"")
	}
	if *tz == "" {
		return errors.New("schedule preview: --tz is required, e.g. --tz America/New_York")
	}
	loc, err := models.LoadLocation(*tz)
	if err != nil || *tz == "Local" {
		return fmt.Errorf("schedule preview: --tz %q is not an IANA timezone such as Europe/Berlin", *tz)
	}
	from := models.DateOf(clk.Now().In(loc))
	if *fromText != "" {
		if from, err = models.ParseDate(*fromText); err != nil {
			return fmt.Errorf("schedule preview: --from %q is not a date like 2026-01-01", *fromText)
		}
	}
	to := from.AddDays(13)
	if *toText != "" {
		if to, err = models.ParseDate(*toText); err != nil {
			return fmt.Errorf("schedule preview: --to %q is not a date like 2026-12-31", *toText)
		}
	}
	if to.Before(from) {
		return fmt.Errorf("schedule preview: --to %s is before --from %s", to, from)
	}
	if to.After(from.AddDays(3 * 366)) {
		return errors.New("schedule preview: the range is limited to three years")
	}
	var hours models.WorkingHours // zero: no working-window rule
	if *hoursText != "" {
		if hours, err = models.ParseWorkingHours(*daysText + " " + *hoursText); err != nil {
			return fmt.Errorf("schedule preview: --working-hours %q / --working-days %q: %w", *hoursText, *daysText, err)
		}
	}
	c, err := cadence.Parse(*cadenceText, from)
	if err != nil {
		return fmt.Errorf("schedule preview: %w", err)
	}

	start := cadence.LocalInstant(from, 0, loc)
	end := cadence.LocalInstant(to.AddDays(1), 0, loc)
	occ := cadence.Between(c, start, end, loc, hours, nil)

	switch *format {
	case "json":
		enc := json.NewEncoder(out)
		for _, o := range occ {
			row := previewRow{Nominal: o.Nominal.In(loc).Format(time.RFC3339), Status: string(o.Status), Reason: o.Reason}
			if !o.DeliverAt.IsZero() {
				s := o.DeliverAt.UTC().Format(time.RFC3339)
				row.DeliverAt = &s
			}
			if err := enc.Encode(row); err != nil {
				return fmt.Errorf("schedule preview: %w", err)
			}
		}
		return nil
	case "text":
		window := "no working-window rule"
		if *hoursText != "" {
			window = "working hours " + hours.String()
		}
		fmt.Fprintf(out, "%s in %s, %s, %s to %s: %d occurrences\n\n", c, *tz, window, from, to, len(occ))
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NOMINAL (LOCAL)\tDELIVER AT (LOCAL)\tSTATUS\tREASON")
		for _, o := range occ {
			at := "—"
			if !o.DeliverAt.IsZero() {
				at = o.DeliverAt.In(loc).Format("Mon 2006-01-02 15:04 MST")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Nominal.In(loc).Format("Mon 2006-01-02 15:04 MST"), at, o.Status, strings.TrimSpace(o.Reason))
		}
		return tw.Flush()
	}
	return fmt.Errorf("schedule preview: --format %q must be text or json", *format)
}
