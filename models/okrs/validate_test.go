package okrs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
)

// date reads "2027-01-31" or fails the test.
func date(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fields lists the fields (and key result positions) err's problems name;
// err must be nil or a *ValidationError matching ErrInvalid.
func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *okrs.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, okrs.ErrInvalid) {
		t.Fatalf("error %v is not a *ValidationError matching ErrInvalid", err)
	}
	var out []string
	for _, p := range ve.Problems {
		if strings.TrimSpace(p.Message) == "" {
			t.Errorf("problem on %s has no message", p.Field)
		}
		f := p.Field
		if p.Item > 0 {
			f += "#" + string(rune('0'+p.Item))
		}
		out = append(out, f)
	}
	return out
}

func TestCycleValidate(t *testing.T) {
	tests := []struct {
		name, start, end string
		change           func(*okrs.Cycle)
		want             string // the fields with problems, comma-separated
		message          string // in the message, when set
	}{
		{name: "one calendar month, end inclusive", start: "2027-01-01", end: "2027-01-31"},
		{name: "one day short of a month", start: "2027-01-01", end: "2027-01-30", want: "end", message: "ends on 31 Jan 2027 or later"},
		{name: "mid-month to the day before", start: "2027-01-15", end: "2027-02-14"},
		{name: "mid-month one day short", start: "2027-01-15", end: "2027-02-13", want: "end"},
		{name: "from 31 January a month ends 27 February", start: "2027-01-31", end: "2027-02-27"},
		{name: "from 31 January, 26 February is short", start: "2027-01-31", end: "2027-02-26", want: "end"},
		{name: "leap year: from 31 January a month ends 28 February", start: "2028-01-31", end: "2028-02-28"},
		{name: "leap year: 27 February is short", start: "2028-01-31", end: "2028-02-27", want: "end"},
		{name: "four months, end inclusive", start: "2027-01-01", end: "2027-04-30"},
		{name: "a day over four months", start: "2027-01-01", end: "2027-05-01", want: "end", message: "ends on 30 Apr 2027 or earlier"},
		{name: "four months across the year", start: "2027-11-15", end: "2028-03-14"},
		{name: "over four months across the year", start: "2027-11-15", end: "2028-03-15", want: "end"},
		{name: "end before start", start: "2027-03-01", end: "2027-02-01", want: "end"},
		{name: "no dates", want: "start,end"},
		{name: "a day the calendar lacks", start: "2027-01-01", change: func(c *okrs.Cycle) { c.End = calendar.Date{Year: 2027, Month: 2, Day: 30} }, want: "end"},
		{name: "no name", start: "2027-01-01", end: "2027-03-31", change: func(c *okrs.Cycle) { c.Name = "  " }, want: "name"},
		{name: "long name", start: "2027-01-01", end: "2027-03-31", change: func(c *okrs.Cycle) { c.Name = strings.Repeat("é", okrs.MaxNameLen+1) }, want: "name"},
		{name: "longest name", start: "2027-01-01", end: "2027-03-31", change: func(c *okrs.Cycle) { c.Name = strings.Repeat("é", okrs.MaxNameLen) }},
		{name: "two-line name", start: "2027-01-01", end: "2027-03-31", change: func(c *okrs.Cycle) { c.Name = "Q1\n2027" }, want: "name"},
		{name: "negative grace", start: "2027-01-01", end: "2027-03-31", change: func(c *okrs.Cycle) { c.ReviewGraceDays = -1 }, want: "review_grace"},
		{name: "grace too long", start: "2027-01-01", end: "2027-03-31", change: func(c *okrs.Cycle) { c.ReviewGraceDays = okrs.MaxReviewGraceDays + 1 }, want: "review_grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := okrs.Cycle{Name: "Q1 2027"}
			if tt.start != "" {
				c.Start = date(t, tt.start)
			}
			if tt.end != "" {
				c.End = date(t, tt.end)
			}
			if tt.change != nil {
				tt.change(&c)
			}
			err := c.Validate()
			if got := strings.Join(fields(t, err), ","); got != tt.want {
				t.Errorf("Validate(%s..%s) problems on %q, want %q (%v)", c.Start, c.End, got, tt.want, err)
			}
			if tt.message != "" && (err == nil || !strings.Contains(err.Error(), tt.message)) {
				t.Errorf("Validate = %v, want a message with %q", err, tt.message)
			}
		})
	}
}

func TestCycleState(t *testing.T) {
	c := okrs.Cycle{Name: "Q1", Start: date(t, "2027-01-01"), End: date(t, "2027-03-31")}
	short := c
	short.ReviewGraceDays = 3
	tests := []struct {
		cycle okrs.Cycle
		today string
		want  okrs.CycleState
	}{
		{c, "2026-12-31", okrs.CyclePlanning},
		{c, "2027-01-01", okrs.CycleActive},
		{c, "2027-02-15", okrs.CycleActive},
		{c, "2027-03-31", okrs.CycleActive},
		{c, "2027-04-01", okrs.CycleReview},
		{c, "2027-04-14", okrs.CycleReview}, // default 14 days of review
		{c, "2027-04-15", okrs.CycleClosed},
		{short, "2027-04-03", okrs.CycleReview},
		{short, "2027-04-04", okrs.CycleClosed},
	}
	for _, tt := range tests {
		if got := tt.cycle.State(date(t, tt.today)); got != tt.want {
			t.Errorf("State(%s) with %d days of review = %s, want %s", tt.today, tt.cycle.ReviewGraceDays, got, tt.want)
		}
	}
}

// validObjective is an objective with one key result of every kind but one,
// which Validate accepts.
func validObjective() okrs.Objective {
	return okrs.Objective{
		Title: "Make onboarding effortless", Owner: "U1", Team: "C1",
		KeyResults: []okrs.KeyResult{
			{Owner: "U1", Title: "Activated teams", Kind: okrs.IncreaseTo, Start: 40, Target: 60},
			{Owner: "U2", Title: "Time to first check-in", Kind: okrs.DecreaseTo, Start: 30, Target: 5, Unit: "min"},
			{Owner: "U2", Title: "Uptime", Kind: okrs.StayAtOrAbove, Start: 99, Target: 99.9, Unit: "%", Decimals: 1},
			{Owner: "U3", Title: "Ship the guide", Kind: okrs.Milestone},
		},
	}
}

func TestObjectiveValidate(t *testing.T) {
	w := func(f float64) *float64 { return &f }
	kr := func(i int, f func(*okrs.KeyResult)) func(*okrs.Objective) {
		return func(o *okrs.Objective) { f(&o.KeyResults[i]) }
	}
	tests := []struct {
		name   string
		change func(*okrs.Objective)
		want   string
	}{
		{"valid", func(*okrs.Objective) {}, ""},
		{"team visibility with a team", func(o *okrs.Objective) { o.Visibility = okrs.VisibleTeam }, ""},
		{"team visibility without a team", func(o *okrs.Objective) { o.Visibility, o.Team = okrs.VisibleTeam, "" }, "team"},
		{"unknown visibility", func(o *okrs.Objective) { o.Visibility = "secret" }, "visibility"},
		{"empty title", func(o *okrs.Objective) { o.Title = " " }, "title"},
		{"long title", func(o *okrs.Objective) { o.Title = strings.Repeat("x", okrs.MaxTitleLen+1) }, "title"},
		{"longest title", func(o *okrs.Objective) { o.Title = strings.Repeat("x", okrs.MaxTitleLen) }, ""},
		{"no owner", func(o *okrs.Objective) { o.Owner = "" }, "owner"},
		{"three parents", func(o *okrs.Objective) {
			o.Parents = []okrs.Ref{{okrs.RefObjective, 1}, {okrs.RefObjective, 2}, {okrs.RefKeyResult, 3}}
		}, ""},
		{"four parents", func(o *okrs.Objective) {
			o.Parents = []okrs.Ref{{okrs.RefObjective, 1}, {okrs.RefObjective, 2}, {okrs.RefKeyResult, 3}, {okrs.RefKeyResult, 4}}
		}, "parents"},
		{"five key results", func(o *okrs.Objective) { o.KeyResults = append(o.KeyResults, o.KeyResults[0]) }, ""},
		{"six key results", func(o *okrs.Objective) { o.KeyResults = append(o.KeyResults, o.KeyResults[0], o.KeyResults[0]) }, "key_results"},
		{"increase with target equal to start", kr(0, func(k *okrs.KeyResult) { k.Target = k.Start }), "target#1"},
		{"increase with target below start", kr(0, func(k *okrs.KeyResult) { k.Target = 10 }), "target#1"},
		{"decrease with target equal to start", kr(1, func(k *okrs.KeyResult) { k.Target = k.Start }), "target#2"},
		{"decrease with target above start", kr(1, func(k *okrs.KeyResult) { k.Target = 31 }), "target#2"},
		{"threshold with target equal to start", kr(2, func(k *okrs.KeyResult) { k.Target = k.Start }), ""},
		{"threshold with target below start", kr(2, func(k *okrs.KeyResult) { k.Kind, k.Target = okrs.StayAtOrBelow, 98 }), ""},
		{"negative decimals", kr(2, func(k *okrs.KeyResult) { k.Decimals = -1 }), "decimals#3"},
		{"four decimals", kr(2, func(k *okrs.KeyResult) { k.Decimals = 4 }), ""},
		{"five decimals", kr(2, func(k *okrs.KeyResult) { k.Decimals = 5 }), "decimals#3"},
		{"unknown kind", kr(0, func(k *okrs.KeyResult) { k.Kind = "more" }), "kind#1"},
		{"key result without title or owner", kr(3, func(k *okrs.KeyResult) { k.Title, k.Owner = "", "" }), "title#4,owner#4"},
		{"long unit", kr(1, func(k *okrs.KeyResult) { k.Unit = strings.Repeat("u", okrs.MaxUnitLen+1) }), "unit#2"},
		{"weight zero", kr(0, func(k *okrs.KeyResult) { k.Weight = w(0) }), ""},
		{"negative weight", kr(0, func(k *okrs.KeyResult) { k.Weight = w(-1) }), "weight#1"},
		{"weight too large", kr(0, func(k *okrs.KeyResult) { k.Weight = w(okrs.MaxWeight + 1) }), "weight#1"},
		{"start not a number", kr(0, func(k *okrs.KeyResult) { k.Start = nan() }), "start#1"},
		{"every problem at once", func(o *okrs.Objective) {
			o.Title = ""
			o.KeyResults[0].Target = 0
			o.KeyResults[1].Decimals = 9
		}, "title,target#1,decimals#2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validObjective()
			tt.change(&o)
			err := o.Validate()
			if got := strings.Join(fields(t, err), ","); got != tt.want {
				t.Errorf("Validate problems on %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
}

func TestKeyResultValidateMessages(t *testing.T) {
	k := okrs.KeyResult{Owner: "U1", Title: "Churn", Kind: okrs.IncreaseTo, Start: 5.5, Target: 2, Unit: "%", Decimals: 1}
	err := k.Validate()
	if got := strings.Join(fields(t, err), ","); got != "target" {
		t.Fatalf("Validate problems on %q, want target (%v)", got, err)
	}
	if msg := err.(*okrs.ValidationError).On(okrs.FieldTarget)[0].Message; !strings.Contains(msg, "above the start (5.5)") || !strings.Contains(msg, "decrease to") {
		t.Errorf("message %q does not say the target must be above 5.5 or suggest decrease to", msg)
	}
}

func TestUpdateValidate(t *testing.T) {
	tests := []struct {
		name string
		u    okrs.Update
		want string
	}{
		{"value and confidence", okrs.Update{Value: 3.25, Confidence: okrs.AtRisk}, ""},
		{"no change needs neither", okrs.Update{NoChange: true}, ""},
		{"no confidence", okrs.Update{Value: 1}, "confidence"},
		{"value not a number", okrs.Update{Value: nan(), Confidence: okrs.OnTrack}, "value"},
		{"correction that is no change", okrs.Update{Corrects: 4, NoChange: true}, "corrects"},
		{"long note", okrs.Update{Value: 1, Confidence: okrs.OffTrack, Note: strings.Repeat("n", okrs.MaxNoteLen+1)}, "note"},
	}
	for _, tt := range tests {
		if got := strings.Join(fields(t, tt.u.Validate()), ","); got != tt.want {
			t.Errorf("%s: Validate problems on %q, want %q", tt.name, got, tt.want)
		}
	}
}
