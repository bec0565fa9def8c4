package chaos

import (
	"strings"
	"testing"
	"time"
)

// at is minute m of the made-up runs.
func at(m int) time.Time {
	return time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC).Add(time.Duration(m) * time.Minute)
}

// cleanRun is a small run in which everything went right: two people, one
// of them over budget once (deferred, truly), one outage, answers stored.
func cleanRun() Observed {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	return Observed{
		People: map[string]Person{
			"U1": {ID: "U1", Loc: time.UTC, Windows: []Interval{{at(0), at(10)}}, Budget: 2},
			"U2": {ID: "U2", Loc: tokyo, Windows: []Interval{{at(3), at(10)}}, Budget: 3},
		},
		Messages: []Message{
			{Person: "U1", Channel: "D1", TS: "1.1", At: at(1).Add(2 * time.Second), Occurrences: []int64{1, 2}},
			{Person: "U1", Channel: "D1", TS: "1.2", At: at(2).Add(time.Second), Occurrences: []int64{3}},
			{Person: "U2", Channel: "D2", TS: "2.1", At: at(3).Add(3 * time.Second), Occurrences: []int64{5}},
		},
		Occurrences: []Occurrence{
			{ID: 1, Cadence: "checkin:1", Recipient: "U1", Nominal: at(1), Status: "delivered", SentAt: at(1).Add(2 * time.Second), TS: "1.1"},
			{ID: 2, Cadence: "checkin:2", Recipient: "U1", Nominal: at(1), Status: "delivered", SentAt: at(1).Add(2 * time.Second), TS: "1.1"},
			{ID: 3, Cadence: "checkin:3", Recipient: "U1", Nominal: at(2), Status: "delivered", SentAt: at(2).Add(time.Second), TS: "1.2"},
			{ID: 4, Cadence: "checkin:4", Recipient: "U1", Nominal: at(3), DeliverAt: at(24 * 60), Status: "deferred", Reason: "daily budget of 2 reached (2 messages on Sat 5 Dec); deferred"},
			// Due before U2's window opened; sent when it did.
			{ID: 5, Cadence: "checkin:1", Recipient: "U2", Nominal: at(1), Status: "delivered", SentAt: at(3).Add(3 * time.Second), TS: "2.1"},
			// Due in the outage, with under a minute of window after it.
			{ID: 6, Cadence: "checkin:2", Recipient: "U2", Nominal: at(8), Status: "missed", Reason: "missed: Trellis was not running"},
			// Due later than the run: waiting is fine.
			{ID: 7, Cadence: "checkin:3", Recipient: "U2", Nominal: at(30), DeliverAt: at(30), Status: "planned"},
		},
		Posts: []Post{
			{Channel: "C1", TS: "3.1", Parts: []string{"1/0"}},
			{Channel: "C1", TS: "3.2", Parts: []string{"2/0", "3/0"}},
			{Channel: "C1", TS: "3.3", Parts: []string{"4/0", "4/1"}},
		},
		Acks:      []Ack{{Person: "U1", Round: 9, At: at(2)}},
		Stored:    map[AnswerKey]bool{{"U1", 9}: true},
		Outages:   []Interval{{at(7), at(9).Add(10 * time.Second)}},
		CheckedAt: at(12),
	}
}

// TestCheckCleanRun: a run with nothing wrong passes every check, and its
// figures count what happened.
func TestCheckCleanRun(t *testing.T) {
	r := Check(cleanRun())
	if r.Failed() {
		t.Fatalf("a clean run failed:\n%s", r)
	}
	f := r.Figures
	if f.Occurrences != 7 || f.Messages != 3 || f.Delivered != 4 || f.Acks != 1 || f.ByStatus["deferred"] != 1 {
		t.Errorf("figures = %+v", f)
	}
	if f.LatenessMax != 3*time.Second || f.LatenessP50 != 2*time.Second {
		t.Errorf("lateness p50 %v max %v, want 2s and 3s (U2's wait for the window is not lateness)", f.LatenessP50, f.LatenessMax)
	}
}

// TestCheckFindsEachOffender: every kind of fault, put into an otherwise
// clean run, is reported by its check and by no other, naming the
// offender.
func TestCheckFindsEachOffender(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Observed)
		list   func(Report) []string
		want   string
	}{
		{"an occurrence sent twice", func(o *Observed) {
			o.Messages = append(o.Messages, Message{Person: "U2", Channel: "D2", TS: "2.9", At: at(4), Occurrences: []int64{5}})
		}, func(r Report) []string { return r.Duplicates }, "occurrence 5 in 2 messages"},
		{"a check-in post sent twice", func(o *Observed) {
			o.Posts = append(o.Posts, Post{Channel: "C1", TS: "3.4", Parts: []string{"5/0", "3/0"}})
		}, func(r Report) []string { return r.Duplicates }, "check-in post 3/0 in 2 messages: C1/3.2, C1/3.4"},
		{"a message before the window opened", func(o *Observed) {
			o.Messages[2].At = at(2)
			o.Occurrences[4].SentAt = at(2)
		}, func(r Report) []string { return r.OutsideWindow }, "U2 got 2.1"},
		{"a message after the window closed", func(o *Observed) {
			o.Messages = append(o.Messages, Message{Person: "U2", Channel: "D2", TS: "2.2", At: at(10).Add(time.Second), Occurrences: []int64{7}})
			o.Occurrences[6].Status, o.Occurrences[6].SentAt, o.Occurrences[6].TS = "delivered", at(10).Add(time.Second), "2.2"
		}, func(r Report) []string { return r.OutsideWindow }, "U2 got 2.2"},
		{"a third message on a budget of two", func(o *Observed) {
			o.Messages = append(o.Messages, Message{Person: "U1", Channel: "D1", TS: "1.3", At: at(3), Occurrences: []int64{4}})
			o.Occurrences[3].Status, o.Occurrences[3].SentAt, o.Occurrences[3].TS, o.Occurrences[3].Reason = "delivered", at(3), "1.3", ""
		}, func(r Report) []string { return r.OverBudget }, "U1: 3 messages"},
		{"an acknowledged answer lost", func(o *Observed) {
			o.Stored = map[AnswerKey]bool{}
		}, func(r Report) []string { return r.LostAnswers }, "U1's answer to round 9"},
		{"delivered but in no DM", func(o *Observed) {
			o.Messages[1].Occurrences = nil
		}, func(r Report) []string { return r.FalseReasons }, "occurrence 3 (checkin:3 to U1"},
		{"skipped but sent", func(o *Observed) {
			o.Occurrences[2].Status, o.Occurrences[2].Reason = "skipped", "away"
		}, func(r Report) []string { return r.FalseReasons }, "occurrence 3 (checkin:3 to U1, nominal 12:02:00) is skipped"},
		{"delivered with another message's ts", func(o *Observed) {
			o.Occurrences[2].TS = "1.1"
		}, func(r Report) []string { return r.FalseReasons }, "recorded delivered as 1.1"},
		{"a lease long run out", func(o *Observed) {
			o.Occurrences[6].Status, o.Occurrences[6].LeaseUntil = "claimed", at(9)
		}, func(r Report) []string { return r.Stuck }, "occurrence 7"},
		{"due long ago, still planned", func(o *Observed) {
			o.Occurrences[6].DeliverAt, o.Occurrences[6].Nominal = at(11), at(11)
			o.CheckedAt = at(14)
			o.People["U2"] = Person{ID: "U2", Loc: o.People["U2"].Loc, Windows: []Interval{{at(3), at(10)}, {at(11), at(11).Add(30 * time.Second)}}, Budget: 3}
		}, func(r Report) []string { return r.Stuck }, "occurrence 7"},
		{"missed though the window stayed open after the outage", func(o *Observed) {
			o.Outages[0].To = at(8)
		}, func(r Report) []string { return r.Undelivered }, "occurrence 6"},
		{"delivered two minutes after it was due", func(o *Observed) {
			o.Messages[1].At = at(4)
			o.Occurrences[2].SentAt = at(4)
		}, func(r Report) []string { return r.Undelivered }, "occurrence 3 (checkin:3 to U1, nominal 12:02:00), due 12:02:00, delivered late at 12:04:00 (2m0s"},
		{"delivered right after the outage, but later than a minute after it", func(o *Observed) {
			o.Occurrences[5].Status, o.Occurrences[5].Reason, o.Occurrences[5].SentAt, o.Occurrences[5].TS = "delivered", "", at(9).Add(20*time.Second), "2.2"
			o.Messages = append(o.Messages, Message{Person: "U2", Channel: "D2", TS: "2.2", At: at(9).Add(20 * time.Second), Occurrences: []int64{6}})
			o.Outages[0].To = at(8)
		}, func(r Report) []string { return r.Undelivered }, "occurrence 6"},
		{"deferred for budget that was not spent", func(o *Observed) {
			o.People["U1"] = Person{ID: "U1", Loc: time.UTC, Windows: o.People["U1"].Windows, Budget: 3}
		}, func(r Report) []string { return r.Undelivered }, "occurrence 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := cleanRun()
			tt.mutate(&o)
			r := Check(o)
			got := tt.list(r)
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Fatalf("%s: got %q, want one offender naming %q; report:\n%s", tt.name, got, tt.want, r)
			}
			total := 0
			for _, l := range r.lists() {
				total += len(l.items)
			}
			if total != 1 {
				t.Errorf("%s: %d offenders in all, want only the one; report:\n%s", tt.name, total, r)
			}
		})
	}
}
