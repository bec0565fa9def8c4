package cadence

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse: any text either fails with a *ParseError or gives a cadence
// whose canonical text parses back to itself and that has a next occurrence.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"weekdays at 09:30", "every day at 08:00", "mondays at 10:00", "tue,thu at 16:00",
		"every 2 weeks on tue at 10:00", "monthly on the first monday at 09:00",
		"monthly on day 15 at 11:00", "last friday of the month at 15:00", "30 9 * * 1-5",
		"@every 1h", "CRON_TZ=UTC 0 9 * * *", "every  at ", "monthly on the", "0 0 31 2 *",
	} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		f.Fatal(err)
	}
	after := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text, anchor)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v is not a *ParseError", text, err)
			}
			return
		}
		again, err := Parse(c.String(), anchor)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", text, c.String(), err)
		}
		if again.String() != c.String() {
			t.Fatalf("Parse(%q) round trip: %q, then %q", text, c.String(), again.String())
		}
		if n := c.Next(after, loc); !n.After(after) {
			t.Fatalf("Parse(%q).Next(%v) = %v, want a later instant", text, after, n)
		}
	})
}
