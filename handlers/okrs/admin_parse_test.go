package okrs

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// Words split at white space; a phrase in straight or curly quotes is one
// word without them; a quote inside a word is part of it; a quote left
// open is an error.
func TestSplitAdminArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []adminToken
		err  bool
	}{
		{"", nil, false},
		{"  cycle   new  ", []adminToken{{text: "cycle"}, {text: "new"}}, false},
		{`new "Q1 2027" 2027-01-01`, []adminToken{{text: "new"}, {text: "Q1 2027", quoted: true}, {text: "2027-01-01"}}, false},
		{"new “Q1 2027” x", []adminToken{{text: "new"}, {text: "Q1 2027", quoted: true}, {text: "x"}}, false},
		{"new ”Q1 2027” x", []adminToken{{text: "new"}, {text: "Q1 2027", quoted: true}, {text: "x"}}, false},
		{"new „Q1 2027“", []adminToken{{text: "new"}, {text: "Q1 2027", quoted: true}}, false},
		{`"" x`, []adminToken{{text: "", quoted: true}, {text: "x"}}, false},
		{`Q1"27 x`, []adminToken{{text: `Q1"27`}, {text: "x"}}, false},
		{"a\tb\nc", []adminToken{{text: "a"}, {text: "b"}, {text: "c"}}, false},
		{`new "Q1 2027`, nil, true},
		{"new “Q1", nil, true},
	} {
		got, err := splitAdminArgs(tc.in)
		if (err != nil) != tc.err || (err != nil && !errors.Is(err, errUnclosedQuote)) {
			t.Errorf("splitAdminArgs(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("splitAdminArgs(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// A channel is read from Slack's mention, or from its name only where the
// command was typed; a direct message, a broken mention or an unknown
// name is refused with a message.
func TestTeamChannel(t *testing.T) {
	in := &slack.SlashCommand{ChannelID: "C0TEAM", ChannelName: "team"}
	dm := &slack.SlashCommand{ChannelID: "D0ADA", ChannelName: "directmessage"}
	for _, tc := range []struct {
		tok  string
		cmd  *slack.SlashCommand
		want string
	}{
		{"<#C123|growth>", dm, "C123"},
		{"<#C123>", dm, "C123"},
		{"<#G123|private>", dm, "G123"},
		{"#team", in, "C0TEAM"},
		{"#TEAM", in, "C0TEAM"},
		{"#team", dm, ""},
		{"#growth", in, ""},
		{"#", in, ""},
		{"<#D0ADA>", dm, ""},
		{"<#C123", dm, ""},
		{"<#nonsense>", dm, ""},
		{"#directmessage", dm, ""},
		{"#team", nil, ""},
	} {
		got, problem := teamChannel(adminToken{text: tc.tok}, tc.cmd)
		if got != tc.want || (got == "") == (problem == "") {
			t.Errorf("teamChannel(%q) = %q, %q; want %q and a problem only without one", tc.tok, got, problem, tc.want)
		}
	}
}

// A cycle's length in words counts whole calendar months from its start
// (okrs.EndAfterMonths) and the days beyond them.
func TestCycleLength(t *testing.T) {
	d := func(s string) calendar.Date {
		v, err := calendar.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ start, end, want string }{
		{"2027-01-01", "2027-01-31", "1 month"},
		{"2027-01-01", "2027-02-28", "2 months"},
		{"2027-01-01", "2027-03-01", "2 months and 1 day"},
		{"2027-01-31", "2027-02-26", "27 days"},
		{"2027-01-31", "2027-02-27", "1 month"},
		{"2027-01-31", "2027-02-28", "1 month and 1 day"},
		{"2027-01-15", "2027-05-14", "4 months"},
		{"2027-07-01", "2027-08-15", "1 month and 15 days"},
		{"2028-02-01", "2028-02-29", "1 month"},
	} {
		if got := cycleLength(okrs.Cycle{Start: d(tc.start), End: d(tc.end)}); got != tc.want {
			t.Errorf("cycleLength(%s to %s) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

// Weekdays are read by name or a prefix of three letters or more, in any
// case; months as +3m, 3, 3months.
func TestParseWeekdayAndMonths(t *testing.T) {
	for in, want := range map[string]time.Weekday{"tuesday": time.Tuesday, "TUE": time.Tuesday, "thurs": time.Thursday,
		"Sundays": time.Sunday, "sat": time.Saturday, "wednes": time.Wednesday} {
		if got, ok := parseWeekday(in); !ok || got != want {
			t.Errorf("parseWeekday(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "tu", "s", "funday", "monday2", "1"} {
		if got, ok := parseWeekday(in); ok {
			t.Errorf("parseWeekday(%q) = %v, want refused", in, got)
		}
	}
	for in, want := range map[string]int{"+3m": 3, "+3": 3, "3": 3, "2months": 2, "1month": 1, "+4mo": 4, "+0m": 0, "+12m": 12} {
		if got, ok := parseMonths(in); !ok || got != want {
			t.Errorf("parseMonths(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "+", "m", "soon", "+3w", "3.5m", "2027-03-31"} {
		if got, ok := parseMonths(in); ok {
			t.Errorf("parseMonths(%q) = %d, want refused", in, got)
		}
	}
}
