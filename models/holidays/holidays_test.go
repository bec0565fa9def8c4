package holidays_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/holidays"
)

func d(t *testing.T, s string) calendar.Date {
	t.Helper()
	x, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestOn(t *testing.T) {
	tests := []struct {
		region, day string
		want        string // "" means not a holiday
	}{
		{"GB", "2026-12-25", "Christmas Day"},
		{"GB", "2026-12-26", ""}, // a Saturday: observed on Monday
		{"GB", "2026-12-28", "Boxing Day (observed)"},
		{"gb", "2026-08-31", "Summer Bank Holiday"},
		{"US", "2026-07-03", "Independence Day (observed)"},
		{"US", "2026-07-04", ""},
		{"US", "2026-11-26", "Thanksgiving Day"},
		{"US", "2021-12-31", "New Year's Day (observed)"}, // 2022-01-01 was a Saturday
		{"DE-BY", "2026-01-06", "Heilige Drei Könige"},
		{"DE", "2026-01-06", ""},
		{"DE", "2026-10-03", "Tag der Deutschen Einheit"},
		{"GB-SCT", "2026-01-02", "2nd January"},
		{"GB-SCT", "2026-11-30", "St Andrew's Day"},
		{"GB-SCT", "2026-08-03", "Summer Bank Holiday"},
		{"GB-SCT", "2026-08-31", ""},
		{"GB-SCT", "2026-04-06", ""}, // no Easter Monday in Scotland
		{"GB-SCT", "2022-01-04", "2nd January (observed)"},
		{"GB-NIR", "2026-03-17", "St Patrick's Day"},
		{"GB-NIR", "2026-07-13", "Battle of the Boyne (Orangemen's Day) (observed)"},
		{"CA-ON", "2026-02-16", "Family Day"},
		{"AU-NSW", "2026-01-26", "Australia Day"},
		{"JP", "2026-05-05", "Children's Day"},
	}
	for _, tt := range tests {
		c, ok := holidays.Lookup(tt.region)
		if !ok {
			t.Fatalf("Lookup(%q) = false, want a calendar", tt.region)
		}
		name, ok := c.On(d(t, tt.day))
		if ok != (tt.want != "") || name != tt.want {
			t.Errorf("%s On(%s) = %q, %v; want %q", tt.region, tt.day, name, ok, tt.want)
		}
	}
}

func TestBetween(t *testing.T) {
	c, ok := holidays.Lookup("GB")
	if !ok {
		t.Fatal("no GB")
	}
	got := c.Between(d(t, "2026-12-20"), d(t, "2027-01-05"))
	var s []string
	for _, h := range got {
		s = append(s, h.Date.String()+" "+h.Name)
	}
	want := []string{
		"2026-12-25 Christmas Day",
		"2026-12-28 Boxing Day (observed)",
		"2027-01-01 New Year's Day",
	}
	if !slices.Equal(s, want) {
		t.Errorf("GB Between = %q, want %q", s, want)
	}
	if got := c.Between(d(t, "2026-12-28"), d(t, "2026-12-27")); len(got) != 0 {
		t.Errorf("Between(to before from) = %v, want none", got)
	}
	year := c.Between(d(t, "2026-01-01"), d(t, "2026-12-31"))
	if got, want := len(year), 8; got != want {
		t.Errorf("GB 2026 has %d bank holidays, want %d: %v", got, want, year)
	}
	for i := 1; i < len(year); i++ {
		if year[i].Date.Before(year[i-1].Date) {
			t.Errorf("Between not sorted: %v before %v", year[i-1], year[i])
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, code := range []string{"", "XX", "DE-XX", "none", "GB-"} {
		if c, ok := holidays.Lookup(code); ok || c != nil {
			t.Errorf("Lookup(%q) = %v, %v; want nil, false", code, c, ok)
		}
	}
	c, ok := holidays.Lookup("  de-by ")
	if !ok || c.Region().Code != "DE-BY" {
		t.Errorf("Lookup(\"  de-by \") = %v, %v; want DE-BY", c, ok)
	}
}

func TestRegions(t *testing.T) {
	rs := holidays.Regions()
	if !slices.IsSortedFunc(rs, func(a, b holidays.Region) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("Regions() not sorted by code")
	}
	codes := map[string]bool{}
	for _, r := range rs {
		if r.Name == "" || r.Code != strings.ToUpper(r.Code) {
			t.Errorf("region %+v: want an upper-case code and a name", r)
		}
		c, ok := holidays.Lookup(r.Code)
		if !ok {
			t.Errorf("Lookup(%q) from Regions() = false", r.Code)
			continue
		}
		// Every region has public holidays in a year.
		if hs := c.Between(d(t, "2026-01-01"), d(t, "2026-12-31")); len(hs) < 3 {
			t.Errorf("%s has %d holidays in 2026, want several", r.Code, len(hs))
		}
		codes[r.Code] = true
	}
	for _, want := range []string{"US", "GB", "GB-SCT", "GB-NIR", "DE", "DE-BY", "AU-NSW", "CA", "CA-ON", "CH-ZH", "FR", "JP", "NZ", "ZA"} {
		if !codes[want] {
			t.Errorf("Regions() lacks %s", want)
		}
	}
	// A fresh value each call: changing one does not change the next.
	rs[0].Name = "changed"
	if holidays.Regions()[0].Name == "changed" {
		t.Error("Regions() shares its slice between calls")
	}
}
