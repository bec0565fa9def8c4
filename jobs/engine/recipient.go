package engine

import (
	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// RecipientView is the attention policy's view of a person, built from what
// is stored: their profile and boundaries, their workspace's defaults, their
// time off and the workspace's own holidays. It is the one place where the
// person's choices meet the workspace's: the person's zone, hours, holiday
// region and lower daily budget win, the workspace's fill in the rest.
//
// The view says nothing of how many messages the person got today:
// callers that count (delivery, forecasts) set SentToday themselves.
func RecipientView(p models.Person, ws models.Workspace, away []models.AwayPeriod, hols []models.Holiday) attention.Recipient {
	r := attention.Recipient{
		Location:      p.Location(),
		Hours:         p.WorkingHoursIn(ws),
		HolidayRegion: p.HolidayRegionIn(ws),
		Status:        p.Status,
		DailyBudget:   p.DailyBudgetIn(ws),
	}
	if len(away) > 0 {
		r.Away = make([]attention.TimeOff, len(away))
		for i, a := range away {
			r.Away[i] = attention.TimeOff{First: a.First, Last: a.Last}
		}
	}
	if len(hols) > 0 {
		r.CompanyHolidays = make([]calendar.Holiday, len(hols))
		for i, h := range hols {
			r.CompanyHolidays[i] = calendar.Holiday{Date: h.Date, Name: h.Name}
		}
	}
	return r
}
