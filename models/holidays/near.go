package holidays

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// countryZones is one representative IANA zone per country the table
// covers, for suggesting regions near a person's zone.
var countryZones = map[string]string{
	"AR": "America/Argentina/Buenos_Aires", "AT": "Europe/Vienna", "AU": "Australia/Sydney",
	"BE": "Europe/Brussels", "BG": "Europe/Sofia", "BR": "America/Sao_Paulo",
	"CA": "America/Toronto", "CH": "Europe/Zurich", "CZ": "Europe/Prague",
	"DE": "Europe/Berlin", "DK": "Europe/Copenhagen", "ES": "Europe/Madrid",
	"FR": "Europe/Paris", "GB": "Europe/London", "GR": "Europe/Athens",
	"HR": "Europe/Zagreb", "IE": "Europe/Dublin", "IT": "Europe/Rome",
	"JP": "Asia/Tokyo", "LT": "Europe/Vilnius", "LV": "Europe/Riga",
	"MW": "Africa/Blantyre", "NC": "Pacific/Noumea", "NL": "Europe/Amsterdam",
	"NO": "Europe/Oslo", "NZ": "Pacific/Auckland", "PL": "Europe/Warsaw",
	"RO": "Europe/Bucharest", "RU": "Europe/Moscow", "SE": "Europe/Stockholm",
	"SI": "Europe/Ljubljana", "SK": "Europe/Bratislava", "UA": "Europe/Kyiv",
	"US": "America/New_York", "ZA": "Africa/Johannesburg",
}

// offsetAt is the instant zones' offsets are compared at, fixed so that a
// suggestion does not change with the season or the clock.
var offsetAt = time.Date(2026, time.January, 15, 12, 0, 0, 0, time.UTC)

// Country is a country the holidays table covers and the region codes to
// offer for it: the national code when its list covers the whole country
// ("DE"), else each list there is ("GB", "GB-NIR", "GB-SCT"; "AU-ACT", ...).
type Country struct {
	Code    string // "AU"
	Name    string // "Australia"
	Regions []string
}

// Countries lists every country covered, sorted by code.
func Countries() []Country {
	var out []Country
	whole := map[string]bool{}
	for _, r := range Regions() { // sorted: "AU-ACT" after "AT", "DE" before "DE-BW"
		code, _, _ := strings.Cut(r.Code, "-")
		name, _, _ := strings.Cut(r.Name, " — ")
		if len(out) == 0 || out[len(out)-1].Code != code {
			out = append(out, Country{Code: code, Name: name})
		}
		c := &out[len(out)-1]
		if !whole[code] {
			c.Regions = append(c.Regions, r.Code)
		}
		// A national list stands for its subdivisions, unless it is
		// itself only a part ("United Kingdom — England and Wales").
		if r.Code == code && !strings.Contains(r.Name, " — ") {
			whole[code] = true
		}
	}
	return out
}

// Near returns up to n covered countries nearest to zone: first those in
// the same part of the world (the zone's first element, "Europe" of
// "Europe/Berlin"), then any other, each group by how far apart the UTC
// offsets are. An unknown zone gives the countries closest to UTC.
func Near(zone string, n int) []Country {
	area, _, _ := strings.Cut(zone, "/")
	_, offset := offsetAt.In(location(zone)).Zone()
	type scored struct {
		c        Country
		sameArea bool
		distance int
	}
	var all []scored
	for _, c := range Countries() {
		z := countryZones[c.Code]
		_, o := offsetAt.In(location(z)).Zone()
		cArea, _, _ := strings.Cut(z, "/")
		all = append(all, scored{c: c, sameArea: cArea == area, distance: abs(o - offset)})
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		if a.sameArea != b.sameArea {
			if a.sameArea {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.distance, b.distance)
	})
	out := make([]Country, 0, n)
	for _, s := range all[:min(n, len(all))] {
		out = append(out, s.c)
	}
	return out
}

func location(zone string) *time.Location {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		return time.UTC
	}
	return loc
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
