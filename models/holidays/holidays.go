// Package holidays knows the public holidays of countries and their
// regions, from github.com/rickar/cal. A region code is an ISO 3166 country
// ("US", "DE") or subdivision ("DE-BY", "AU-NSW", "GB-SCT") code.
package holidays

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"

	"github.com/trellis-bot/trellis/models/calendar"
)

// Region is a place with its own public holidays.
type Region struct {
	Code string // "DE-BY"
	Name string // "Germany — Bavaria"
}

// Calendar is the public holidays of one region.
type Calendar struct {
	region Region
	days   []*cal.Holiday
}

type entry struct {
	name string
	days []*cal.Holiday
}

// regions is the region table and its sorted list, built once on first use.
// Neither is ever modified afterwards; Regions hands out copies.
var regions = sync.OnceValues(func() (map[string]entry, []Region) {
	t := table()
	out := make([]Region, 0, len(t))
	for code, e := range t {
		out = append(out, Region{Code: code, Name: e.name})
	}
	slices.SortFunc(out, func(a, b Region) int { return strings.Compare(a.Code, b.Code) })
	return t, out
})

// table builds the region table.
func table() map[string]entry {
	t := map[string]entry{
		"AR": {"Argentina", ar.Holidays},
		"AT": {"Austria", at.Holidays},
		"BE": {"Belgium", be.Holidays},
		"BG": {"Bulgaria", bg.Holidays},
		"BR": {"Brazil", br.Holidays},
		"CA": {"Canada", ca.Holidays},
		"CH": {"Switzerland", ch.Holidays},
		"CZ": {"Czechia", cz.Holidays},
		"DE": {"Germany", de.Holidays},
		"DK": {"Denmark", dk.Holidays},
		"ES": {"Spain", es.Holidays},
		"FR": {"France", fr.Holidays},
		"GB": {"United Kingdom — England and Wales", gb.Holidays},
		"GR": {"Greece", gr.Holidays},
		"HR": {"Croatia", hr.Holidays},
		"IE": {"Ireland", ie.Holidays},
		"IT": {"Italy", it.Holidays},
		"JP": {"Japan", jp.Holidays},
		"LT": {"Lithuania", lt.Holidays},
		"LV": {"Latvia", lv.Holidays},
		"MW": {"Malawi", mw.Holidays},
		"NC": {"New Caledonia", nc.Holidays},
		"NL": {"Netherlands", nl.Holidays},
		"NO": {"Norway", no.Holidays},
		"NZ": {"New Zealand", nz.Holidays},
		"PL": {"Poland", pl.Holidays},
		"RO": {"Romania", ro.Holidays},
		"RU": {"Russia", ru.Holidays},
		"SE": {"Sweden", se.Holidays},
		"SI": {"Slovenia", si.Holidays},
		"SK": {"Slovakia", sk.Holidays},
		"UA": {"Ukraine", ua.Holidays},
		"US": {"United States", us.Holidays},
		"ZA": {"South Africa", za.Holidays},

		// rickar/cal has no national list for Australia, only the states'.
		"AU-ACT": {"Australia — Australian Capital Territory", au.HolidaysACT},
		"AU-NSW": {"Australia — New South Wales", au.HolidaysNSW},
		"AU-NT":  {"Australia — Northern Territory", au.HolidaysNT},
		"AU-QLD": {"Australia — Queensland", au.HolidaysQLD},
		"AU-SA":  {"Australia — South Australia", au.HolidaysSA},
		"AU-TAS": {"Australia — Tasmania", au.HolidaysTAS},
		"AU-VIC": {"Australia — Victoria", au.HolidaysVIC},
		"AU-WA":  {"Australia — Western Australia", au.HolidaysWA},

		"CH-AG": {"Switzerland — Aargau", ch.HolidaysAG},
		"CH-AI": {"Switzerland — Appenzell Innerrhoden", ch.HolidaysAI},
		"CH-AR": {"Switzerland — Appenzell Ausserrhoden", ch.HolidaysAR},
		"CH-BE": {"Switzerland — Bern", ch.HolidaysBE},
		"CH-BL": {"Switzerland — Basel-Landschaft", ch.HolidaysBL},
		"CH-BS": {"Switzerland — Basel-Stadt", ch.HolidaysBS},
		"CH-FR": {"Switzerland — Fribourg", ch.HolidaysFR},
		"CH-GE": {"Switzerland — Geneva", ch.HolidaysGE},
		"CH-GL": {"Switzerland — Glarus", ch.HolidaysGL},
		"CH-GR": {"Switzerland — Graubünden", ch.HolidaysGR},
		"CH-JU": {"Switzerland — Jura", ch.HolidaysJU},
		"CH-LU": {"Switzerland — Lucerne", ch.HolidaysLU},
		"CH-NE": {"Switzerland — Neuchâtel", ch.HolidaysNE},
		"CH-NW": {"Switzerland — Nidwalden", ch.HolidaysNW},
		"CH-OW": {"Switzerland — Obwalden", ch.HolidaysOW},
		"CH-SG": {"Switzerland — St. Gallen", ch.HolidaysSG},
		"CH-SH": {"Switzerland — Schaffhausen", ch.HolidaysSH},
		"CH-SO": {"Switzerland — Solothurn", ch.HolidaysSO},
		"CH-SZ": {"Switzerland — Schwyz", ch.HolidaysSZ},
		"CH-TG": {"Switzerland — Thurgau", ch.HolidaysTG},
		"CH-TI": {"Switzerland — Ticino", ch.HolidaysTI},
		"CH-UR": {"Switzerland — Uri", ch.HolidaysUR},
		"CH-VD": {"Switzerland — Vaud", ch.HolidaysVD},
		"CH-VS": {"Switzerland — Valais", ch.HolidaysVS},
		"CH-ZG": {"Switzerland — Zug", ch.HolidaysZG},
		"CH-ZH": {"Switzerland — Zürich", ch.HolidaysZH},

		"DE-BB": {"Germany — Brandenburg", de.HolidaysBB},
		"DE-BE": {"Germany — Berlin", de.HolidaysBE},
		"DE-BW": {"Germany — Baden-Württemberg", de.HolidaysBW},
		"DE-BY": {"Germany — Bavaria", de.HolidaysBY},
		"DE-HB": {"Germany — Bremen", de.HolidaysHB},
		"DE-HE": {"Germany — Hesse", de.HolidaysHE},
		"DE-HH": {"Germany — Hamburg", de.HolidaysHH},
		"DE-MV": {"Germany — Mecklenburg-Vorpommern", de.HolidaysMV},
		"DE-NI": {"Germany — Lower Saxony", de.HolidaysNI},
		"DE-NW": {"Germany — North Rhine-Westphalia", de.HolidaysNW},
		"DE-RP": {"Germany — Rhineland-Palatinate", de.HolidaysRP},
		"DE-SH": {"Germany — Schleswig-Holstein", de.HolidaysSH},
		"DE-SL": {"Germany — Saarland", de.HolidaysSL},
		"DE-SN": {"Germany — Saxony", de.HolidaysSN},
		"DE-ST": {"Germany — Saxony-Anhalt", de.HolidaysST},
		"DE-TH": {"Germany — Thuringia", de.HolidaysTH},
	}
	// Regions rickar/cal has no list for, composed from its holidays plus
	// the few it lacks.
	t["GB-SCT"] = entry{"United Kingdom — Scotland", scotland()}
	t["GB-NIR"] = entry{"United Kingdom — Northern Ireland", northernIreland()}
	t["CA-ON"] = entry{"Canada — Ontario", ontario()}
	return t
}

// weekendToMonday moves a Saturday or Sunday holiday to the next Monday.
func weekendToMonday() []cal.AltDay {
	return []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 1}}
}

// scotland is Scotland's bank holidays: 2 January and St Andrew's Day, the
// first Monday of August instead of the last, and no Easter Monday.
func scotland() []*cal.Holiday {
	secondJanuary := &cal.Holiday{
		Name: "2nd January", Type: cal.ObservanceBank, Month: time.January, Day: 2, Func: cal.CalcDayOfMonth,
		// After New Year's Day takes the first free weekday, as Boxing Day
		// does after Christmas.
		Observed: []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 2}, {Day: time.Monday, Offset: 1}},
	}
	stAndrews := &cal.Holiday{
		Name: "St Andrew's Day", Type: cal.ObservanceBank, Month: time.November, Day: 30, Func: cal.CalcDayOfMonth,
		Observed: weekendToMonday(),
	}
	return []*cal.Holiday{
		gb.NewYear, secondJanuary, gb.GoodFriday, gb.EarlyMay, gb.VEDay, gb.CoronationDay,
		gb.SpringHoliday, gb.SpringHoliday2022, gb.PlatinumJubilee, gb.SummerHolidayScotland,
		stAndrews, gb.ChristmasDay, gb.BoxingDay,
	}
}

// northernIreland is England and Wales's bank holidays plus St Patrick's
// Day and the Battle of the Boyne.
func northernIreland() []*cal.Holiday {
	stPatricks := &cal.Holiday{
		Name: "St Patrick's Day", Type: cal.ObservanceBank, Month: time.March, Day: 17, Func: cal.CalcDayOfMonth,
		Observed: weekendToMonday(),
	}
	boyne := &cal.Holiday{
		Name: "Battle of the Boyne (Orangemen's Day)", Type: cal.ObservanceBank, Month: time.July, Day: 12, Func: cal.CalcDayOfMonth,
		Observed: weekendToMonday(),
	}
	return append(slices.Clone(gb.Holidays), stPatricks, boyne)
}

// ontario is Ontario's statutory holidays (with Family Day, without Easter
// Monday and Remembrance Day) plus the Civic Holiday most employers give.
func ontario() []*cal.Holiday {
	familyDay := &cal.Holiday{
		Name: "Family Day", Type: cal.ObservancePublic, Month: time.February, Weekday: time.Monday, Offset: 3,
		Func: cal.CalcWeekdayOffset, StartYear: 2008,
	}
	return []*cal.Holiday{
		ca.NewYear, familyDay, ca.GoodFriday, ca.VictoriaDay, ca.CanadaDay, ca.CivicDay,
		ca.LabourDay, ca.ThanksgivingDay, ca.ChristmasDay, ca.BoxingDay,
	}
}

// Regions lists every region, sorted by code.
func Regions() []Region {
	_, sorted := regions()
	return slices.Clone(sorted)
}

// Lookup returns the calendar of a region code, in any case.
func Lookup(code string) (*Calendar, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	t, _ := regions()
	e, ok := t[code]
	if !ok {
		return nil, false
	}
	return &Calendar{region: Region{Code: code, Name: e.name}, days: e.days}, true
}

// Region is the calendar's region.
func (c *Calendar) Region() Region { return c.region }

// Between returns the holidays observed from from to to, both inclusive,
// ordered by date. A holiday moved off a weekend is returned on the day it
// is observed, named "... (observed)".
func (c *Calendar) Between(from, to calendar.Date) []calendar.Holiday {
	if to.Before(from) {
		return nil
	}
	var out []calendar.Holiday
	// A holiday can be observed in the year before or after its own
	// (New Year's Day on a Saturday is observed on 31 December in the US).
	for year := from.Year - 1; year <= to.Year+1; year++ {
		for _, h := range c.days {
			actual, observed := h.Calc(year)
			if observed.IsZero() {
				continue
			}
			d := calendar.DateOf(observed)
			if d.Before(from) || d.After(to) {
				continue
			}
			name := h.Name
			if calendar.DateOf(actual) != d {
				name += " (observed)"
			}
			out = append(out, calendar.Holiday{Date: d, Name: name})
		}
	}
	slices.SortFunc(out, func(a, b calendar.Holiday) int {
		switch {
		case a.Date.Before(b.Date):
			return -1
		case a.Date.After(b.Date):
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return slices.Compact(out)
}

// On reports whether d is an observed holiday, and its name (names joined
// with " / " when two fall on the same day).
func (c *Calendar) On(d calendar.Date) (name string, ok bool) {
	hs := c.Between(d, d)
	if len(hs) == 0 {
		return "", false
	}
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Name
	}
	return strings.Join(names, " / "), true
}
