package holidays

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCountriesCoverEveryRegion: every region belongs to one listed
// country (directly, or through its national list), and every country has
// a zone that loads, so Near can place it.
func TestCountriesCoverEveryRegion(t *testing.T) {
	countries := Countries()
	byCode := map[string]Country{}
	for _, c := range countries {
		if _, dup := byCode[c.Code]; dup {
			t.Errorf("country %s listed twice", c.Code)
		}
		byCode[c.Code] = c
		z, ok := countryZones[c.Code]
		if !ok {
			t.Errorf("country %s (%s) has no zone in countryZones", c.Code, c.Name)
		} else if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("country %s: zone %q: %v", c.Code, z, err)
		}
		if c.Name == "" || strings.Contains(c.Name, "—") || len(c.Regions) == 0 {
			t.Errorf("country %+v: want a plain name and regions", c)
		}
		for _, r := range c.Regions {
			if _, ok := Lookup(r); !ok {
				t.Errorf("country %s offers unknown region %s", c.Code, r)
			}
		}
	}
	for _, r := range Regions() {
		country, _, _ := strings.Cut(r.Code, "-")
		c, ok := byCode[country]
		if !ok || !slices.Contains(c.Regions, r.Code) && !slices.Contains(c.Regions, country) {
			t.Errorf("region %s is reachable from no country (%+v)", r.Code, c)
		}
	}
	if au := byCode["AU"]; len(au.Regions) != 8 {
		t.Errorf("AU regions = %v, want its 8 states and territories (no national list)", au.Regions)
	}
	if de := byCode["DE"]; !slices.Equal(de.Regions, []string{"DE"}) {
		t.Errorf("DE regions = %v, want the national list only", de.Regions)
	}
	if gb := byCode["GB"]; !slices.Equal(gb.Regions, []string{"GB", "GB-NIR", "GB-SCT"}) {
		t.Errorf("GB regions = %v, want England and Wales, Northern Ireland and Scotland", gb.Regions)
	}
}

// TestNear: an uncovered zone gets covered countries from its own part of
// the world first, then the closest in UTC offset; never twice, never more
// than asked.
func TestNear(t *testing.T) {
	tests := []struct {
		zone      string
		wantFirst []string // in any order
	}{
		{"Asia/Kolkata", []string{"JP"}},
		{"Asia/Singapore", []string{"JP"}},
		{"Africa/Lagos", []string{"MW", "ZA"}},
		{"America/Sao_Paulo", []string{"AR", "BR"}},
		{"America/Mexico_City", []string{"US", "CA"}},
		{"Pacific/Fiji", []string{"NZ", "NC"}},
		{"Mars/Olympus_Mons", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got := Near(tt.zone, 5)
		var codes []string
		for _, c := range got {
			codes = append(codes, c.Code)
		}
		if len(codes) != 5 || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 5 {
			t.Errorf("Near(%q, 5) = %v, want 5 different countries", tt.zone, codes)
			continue
		}
		first := slices.Sorted(slices.Values(codes[:len(tt.wantFirst)]))
		if want := slices.Sorted(slices.Values(tt.wantFirst)); !slices.Equal(first, want) {
			t.Errorf("Near(%q) = %v, want it to start with %v", tt.zone, codes, tt.wantFirst)
		}
	}
	// After the zone's own part of the world, the nearest offsets: India
	// (+5:30) hears of Russia (+3) before the United States (-5).
	all := Near("Asia/Kolkata", len(Countries()))
	at := func(code string) int {
		return slices.IndexFunc(all, func(c Country) bool { return c.Code == code })
	}
	if at("RU") > at("US") {
		t.Errorf("Near(Asia/Kolkata): RU at %d, US at %d; want RU first", at("RU"), at("US"))
	}
}

// TestCoverageDocumented: docs/holidays.md lists every covered country with
// the codes offered for it, so the documented coverage stays true.
func TestCoverageDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/holidays.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Countries() {
		row := fmt.Sprintf("| %s | %s | %s |", c.Code, c.Name, strings.Join(c.Regions, ", "))
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/holidays.md lacks the row %q", row)
		}
	}
	if want := fmt.Sprintf("These %d countries are covered, in %d regions", len(Countries()), len(Regions())); !strings.Contains(string(doc), want) {
		t.Errorf("docs/holidays.md does not say %q", want)
	}
}
