package checkins

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trellis-bot/trellis/internal/slacksim"
	"github.com/trellis-bot/trellis/internal/testlog"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// The anonymous options carry a marker no other text has, so any place
// showing an anonymous value or total is found by looking for it.
const anonMarker = "zq7"

var anonOptions = []string{"calm" + anonMarker, "busy" + anonMarker}

// The minimum group size holds on every surface: a round answered by the
// workspace's minimum group (5) shows the anonymous choice's totals in
// the thread summary, the channel summary and the digest; one answered
// by 4 shows only "not enough answers" there. The export, the logs
// (every record, at debug) and the metrics (a scrape of the Prometheus
// registry) never show an anonymous value or total, at either size. The
// Home tab's row of this table is TestMinimumGroupOnTheHomeTab in
// handlers/anon_home_test.go: it reads the tab the handlers publish,
// which this package cannot build.
func TestMinimumGroupOnEverySurface(t *testing.T) {
	t.Parallel()
	const minGroup = 5 // the workspace default

	forDialects(t, func(t *testing.T, dialect string) {
		for _, dest := range []checkinmodels.Destination{checkinmodels.DestinationThread, checkinmodels.DestinationChannel, checkinmodels.DestinationDigest} {
			for _, n := range []int{minGroup - 1, minGroup} {
				t.Run(fmt.Sprintf("%s/%d answers", dest, n), func(t *testing.T) {
					t.Parallel()
					minGroupSurfaces(t, dialect, dest, n, minGroup)
				})
			}
		}
	})
}

// minGroupSurfaces is one case of TestMinimumGroupOnEverySurface: n
// people answer a round of a check-in posting to dest.
func minGroupSurfaces(t *testing.T, dialect string, dest checkinmodels.Destination, n, minGroup int) {
	var logs testlog.Buffer
	reg := prometheus.NewRegistry()
	h := newHarness(t, harnessOpts{dialect: dialect, logs: &logs, metrics: reg})
	var people []string
	for i := range n {
		people = append(people, h.person(fmt.Sprintf("p%d", i), "Europe/London", ""))
	}
	ch := h.channel("team", people...)
	c := checkinFor(ch, people...)
	c.OwnerID, c.Destination, c.Reminders = people[0], dest, 0
	c.Questions = []checkinmodels.Question{
		{Kind: checkinmodels.KindText, Prompt: "What did you do?", Required: true},
		{Kind: checkinmodels.KindChoice, Prompt: "How was the week?", Options: anonOptions, Anonymous: true, Required: true},
	}
	c = h.create(c)
	h.run(monday.Add(9*time.Hour + 31*time.Minute))
	for i, u := range people {
		sub := checkinmodels.Submission{
			Answers:   map[int]string{int(c.Questions[0].ID): "Text of " + u},
			Anonymous: map[int]string{int(c.Questions[1].ID): anonOptions[i%2]},
		}
		h.answer(h.svcs[0], c, h.roundOf(u), u, sub)
	}
	// Past the close (17:30 UTC) and the digests at 09:00
	// London on Tuesday.
	h.run(monday.Add(2 * 24 * time.Hour))

	shown := func(surface, s string) {
		t.Helper()
		switch {
		case n >= minGroup && !strings.Contains(s, anonOptions[0]):
			t.Errorf("%s with %d answers lacks the anonymous totals:\n%s", surface, n, s)
		case n < minGroup && strings.Contains(s, anonMarker):
			t.Errorf("%s with %d answers shows an anonymous value:\n%s", surface, n, s)
		case n < minGroup && !strings.Contains(s, "Not enough answers"):
			t.Errorf("%s with %d answers does not say there are not enough answers:\n%s", surface, n, s)
		}
	}
	never := func(surface, s string) {
		t.Helper()
		if strings.Contains(s, anonMarker) {
			t.Errorf("%s shows an anonymous value or total:\n%s", surface, s)
		}
	}

	top, replies := h.channelMsgs(ch, people[0])
	var summaries []string
	for _, m := range append(top, flatten(replies)...) {
		if strings.Contains(msgText(m), "Mon 23 Nov: summary") {
			summaries = append(summaries, msgText(m))
		} else {
			never("a channel message", msgText(m))
		}
	}
	switch dest {
	case checkinmodels.DestinationThread, checkinmodels.DestinationChannel:
		if len(summaries) != 1 {
			t.Fatalf("%d summaries in the channel, want 1: %q", len(summaries), summaries)
		}
		shown(string(dest)+" summary", summaries[0])
	case checkinmodels.DestinationDigest:
		if len(summaries) != 0 {
			t.Errorf("a digest check-in posted a summary in the channel: %q", summaries)
		}
		for _, u := range people {
			ds := h.digests(u)
			if len(ds) != 1 {
				t.Fatalf("%s got %d digests, want 1", u, len(ds))
			}
			shown(u+"'s digest", msgText(ds[0]))
		}
	}

	// Export, as the owner gets it: everyone's answers.
	rows, err := h.store.Export(h.ctx, team, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	csv, err := ExportCSV(h.ctx, h.svcs[0], c, rows)
	if err != nil {
		t.Fatal(err)
	}
	never("the export", string(csv))
	if strings.Contains(string(csv), "How was the week?") {
		t.Errorf("the export names the anonymous question:\n%s", csv)
	}

	// Logs: no anonymous value, and no record says of a person
	// that they gave an anonymous answer.
	never("the logs", logs.String())
	for _, line := range strings.Split(logs.String(), "\n") {
		for _, u := range people {
			if strings.Contains(line, u) && strings.Contains(strings.ToLower(line), "anonym") {
				t.Errorf("a log record ties %s to an anonymous answer: %s", u, line)
			}
		}
	}

	// Metrics: nothing per answer or per value.
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) == 0 {
		t.Fatal("the registry holds no metrics: the scrape proves nothing")
	}
	var scrape strings.Builder
	for _, f := range families {
		fmt.Fprintln(&scrape, f.String())
	}
	never("the metrics", scrape.String())
	for _, u := range people {
		if strings.Contains(scrape.String(), u) {
			t.Errorf("a metric names %s", u)
		}
	}
}

func flatten(m map[string][]slacksim.Message) []slacksim.Message {
	var out []slacksim.Message
	for _, ms := range m {
		out = append(out, ms...)
	}
	return out
}
