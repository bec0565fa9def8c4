// Package views builds the Block Kit surfaces Trellis shows for people's
// boundaries: the help text, the /trellis me summary, the App Home tab's
// frame (features fill in their sections) and the modals that edit
// settings, and the builders features' own surfaces share (Modal, Input,
// Section, Button, ...).
// Handlers never assemble Block Kit themselves.
package views

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// Callback ids of the modals, and the action ids of the buttons that open
// them. Handlers route on these.
const (
	CallbackHours  = "hours"
	CallbackTZ     = "tz"
	CallbackAway   = "away"
	CallbackRegion = "region"

	ActionEditHours  = "home:hours"
	ActionEditTZ     = "home:tz"
	ActionAddAway    = "home:away"
	ActionEditRegion = "home:region"
	ActionRemoveAway = "home:away-remove"
	ActionBack       = "home:back"
)

// Block and action ids inside the modals, read back on submission.
const (
	BlockDays     = "days"
	BlockStart    = "start"
	BlockEnd      = "end"
	BlockTZ       = "tz"
	BlockFirst    = "first"
	BlockLast     = "last"
	BlockNote     = "note"
	BlockRegion   = "region"
	ValueDefault  = "default"
	ValueNoRegion = "none"
)

// Summary is everything Trellis knows of one person's boundaries, ready to show.
type Summary struct {
	UserID      string
	TimeZone    string
	TZFromSlack bool
	// TZPending says the person's Slack profile has not been read yet:
	// TimeZone is only the stand-in Trellis uses until it is.
	TZPending      bool
	LocalNow       time.Time
	Hours          calendar.WorkingHours
	HoursDefault   bool
	Away           []models.AwayPeriod
	StatusAway     bool
	StatusUntil    time.Time
	StatusText     string
	Region         string
	RegionName     string
	RegionOwn      bool
	Holidays       []models.Holiday
	IsAdmin        bool
	WorkspaceHours calendar.WorkingHours
	// Budget is the most proactive DMs a day the person gets; BudgetOwn
	// says they lowered it themselves.
	Budget    int
	BudgetOwn bool
	// BudgetLimit is the workspace's daily limit: the most a person may
	// choose on the Home tab.
	BudgetLimit int
	// Upcoming are the next proactive messages, as the rules stand now.
	Upcoming []Upcoming
}

// Upcoming is one forecast proactive message.
type Upcoming struct {
	Title, Cadence     string
	Nominal, DeliverAt time.Time
	// Status is "on time", "deferred", "superseded", "skipped" or "paused".
	Status, Reason string
}

func section(s string, accessory *slack.Accessory) *slack.SectionBlock {
	return slack.NewSectionBlock(text(s), nil, accessory)
}

func button(actionID, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(label))
}

// Help lists what Trellis does and every command: the core's, then
// features (the lines each feature gives, in order), then help itself;
// and the admin commands, the core's then the features' (admin).
func Help(features, admin []string) []slack.Block {
	lines := []string{
		"`/trellis me` — your timezone, working hours, time off and holidays",
		"`/trellis hours mon-fri 09:00-17:30` — set your working hours (`/trellis hours` opens a form; `22:00-06:00` works for night shifts; `/trellis hours default` follows the workspace)",
		"`/trellis tz Europe/Berlin` — set your timezone; `/trellis tz auto` follows your Slack profile",
		"`/trellis away until 2026-12-24` — time off (also `away 3d`, `away tomorrow`, `away 2026-12-20 to 2026-12-31`); `/trellis away` lists it",
		"`/trellis back` — end the time off that covers today",
		"`/trellis budget 2` — at most 2 proactive messages a day (you can lower the workspace's limit; `/trellis budget default` follows it)",
		"`/trellis holidays` — upcoming public holidays for you; `/trellis holidays region DE-BY` picks your region; `/trellis holidays regions` lists them",
	}
	lines = append(lines, features...)
	lines = append(lines, "`/trellis help` — this message")
	return []slack.Block{
		section("*Trellis* runs light-touch check-ins by DM — "+
			"and never messages you outside your working hours, on a holiday or while you're away.", nil),
		section(strings.Join(lines, "\n"), nil),
		section("*Admins*\n"+strings.Join(append([]string{
			"`/trellis admin hours mon-fri 09:00-17:30` — workspace default working hours",
			"`/trellis admin holidays region GB` — the workspace's public-holiday region",
			"`/trellis admin holidays add 2026-12-24 Office closed` / `remove 2026-12-24` — company days off",
			"`/trellis admin budget 3` — the workspace's daily limit of proactive messages per person (1–20)",
			"`/trellis admin min-group 5` — the fewest answers an anonymous question needs before its total is shown (3 or more)",
			"`/trellis admin audit` — recent admin changes",
		}, admin...), "\n"), nil),
		slack.NewContextBlock("", text("Open the Trellis *Home* tab to see and change the same settings with buttons.")),
	}
}

// Notice is a one-paragraph ephemeral reply, optionally with a hint below.
func Notice(msg, hint string) []slack.Block {
	blocks := []slack.Block{section(msg, nil)}
	if hint != "" {
		blocks = append(blocks, slack.NewContextBlock("", text(hint)))
	}
	return blocks
}

// Me is the /trellis me reply.
func Me(s Summary) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(plain("Your Trellis settings"))}
	blocks = append(blocks, summaryBlocks(s, false)...)
	blocks = append(blocks, slack.NewContextBlock("", text("Change them with `/trellis hours`, `/trellis tz`, `/trellis away`, or on the Trellis Home tab.")))
	return blocks
}

// homeMaxBlocks is the most blocks Slack allows on the App Home tab.
const homeMaxBlocks = 100

// HomeRoom is what is left of the Home tab for a feature's section: its
// blocks, and the characters of text it may carry.
type HomeRoom struct {
	Blocks, Text int
}

// HomeSectionFunc builds a feature's section of the Home tab to fit room.
type HomeSectionFunc func(room HomeRoom) []slack.Block

// Home is the App Home tab: the person's settings, then each feature's
// section in order, each given the room the ones before it left.
func Home(s Summary, sections ...HomeSectionFunc) slack.HomeTabViewRequest {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Trellis")),
		slack.NewContextBlock("", text("Structure without surveillance: I only message you inside your working hours, never on holidays or while you're away.")),
		slack.NewDividerBlock(),
	}
	blocks = append(blocks, summaryBlocks(s, true)...)
	blocks = append(blocks, slack.NewDividerBlock())
	used := 0
	for _, b := range blocks {
		used += mrkdwn.TextLen(b)
	}
	// The features take what is left of Home's 100 blocks, keeping two for
	// the end, and of the text a message may carry.
	room := HomeRoom{Blocks: homeMaxBlocks - len(blocks) - 2, Text: mrkdwn.MessageTextBudget - used - 100}
	for _, section := range sections {
		got := section(room)
		for _, b := range got {
			room.Text -= mrkdwn.TextLen(b)
		}
		room.Blocks -= len(got)
		blocks = append(blocks, got...)
	}
	blocks = append(blocks, slack.NewDividerBlock(),
		slack.NewContextBlock("", text("Type `/trellis help` anywhere for every command.")))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

func summaryBlocks(s Summary, buttons bool) []slack.Block {
	acc := func(actionID, label string) *slack.Accessory {
		if !buttons {
			return nil
		}
		return slack.NewAccessory(button(actionID, label, ""))
	}
	var blocks []slack.Block

	tzSource := "set by you"
	if s.TZFromSlack {
		tzSource = "from your Slack profile"
	}
	tz := fmt.Sprintf(":earth_africa: *Timezone:* %s (%s)\nIt's %s for you now.",
		Mrkdwn(s.TimeZone, maxZone), tzSource, s.LocalNow.Format("Mon 2 Jan, 15:04 MST"))
	if s.TZPending {
		tz = fmt.Sprintf(":earth_africa: *Timezone:* not known yet: I'm reading it from your Slack profile, and it shows here in a moment. Until then I use %s.",
			Mrkdwn(s.TimeZone, maxZone))
	}
	blocks = append(blocks, section(tz, acc(ActionEditTZ, "Change timezone")))

	hours := describeHours(s.Hours)
	if s.HoursDefault {
		hours += " _(workspace default)_"
	}
	blocks = append(blocks, section(":clock9: *Working hours:* "+hours, acc(ActionEditHours, "Change hours")))

	var away []string
	if s.StatusAway {
		until := "until you change your status"
		if !s.StatusUntil.IsZero() {
			until = "until " + s.StatusUntil.In(s.LocalNow.Location()).Format("Mon 2 Jan 15:04")
		}
		away = append(away, fmt.Sprintf("• Your Slack status says you're away (“%s”), %s", Mrkdwn(s.StatusText, maxStatus), until))
	}
	for i, a := range s.Away {
		if i == maxListed {
			away = append(away, fmt.Sprintf("…and %d more: `/trellis away` lists them all.", len(s.Away)-i))
			break
		}
		away = append(away, "• "+DescribeAway(a))
	}
	awayText := ":palm_tree: *Time off:* none planned"
	if len(away) > 0 {
		awayText = ":palm_tree: *Time off:*\n" + strings.Join(away, "\n")
	}
	blocks = append(blocks, section(awayText, acc(ActionAddAway, "Add time off")))
	if buttons && len(s.Away) > 0 {
		var els []slack.BlockElement
		for i, a := range s.Away {
			if i == 5 {
				break
			}
			els = append(els, button(ActionRemoveAway+":"+fmt.Sprint(a.ID), "Remove "+shortPeriod(a), fmt.Sprint(a.ID)))
		}
		blocks = append(blocks, slack.NewActionBlock("away_actions", els...))
	}

	region := "no public holidays"
	if s.Region != "" && s.Region != ValueNoRegion {
		region = fmt.Sprintf("%s (%s)", s.RegionName, s.Region)
	}
	if s.RegionOwn {
		region += ", chosen by you"
	} else {
		region += ", the workspace's"
	}
	hol := fmt.Sprintf(":calendar: *Holidays:* %s", region)
	if len(s.Holidays) == 0 {
		hol += "\nNo holidays in the next 90 days."
	} else {
		var lines []string
		for i, h := range s.Holidays {
			if i == maxListed {
				lines = append(lines, fmt.Sprintf("…and %d more: `/trellis holidays` lists them all.", len(s.Holidays)-i))
				break
			}
			lines = append(lines, "• "+DescribeHoliday(h))
		}
		hol += "\n" + strings.Join(lines, "\n")
	}
	blocks = append(blocks, section(hol, acc(ActionEditRegion, "Change region")))

	budget := fmt.Sprintf(":mailbox_with_mail: *Daily limit:* at most %d proactive %s a day", s.Budget, Plural(s.Budget, "message", "messages"))
	switch {
	case buttons && s.BudgetLimit > 0:
		// The menu beside it changes the limit, as /trellis budget does.
		own := 0
		if s.BudgetOwn {
			budget += ", chosen by you"
			own = s.Budget
		} else {
			budget += " (the workspace's; you can choose fewer)"
		}
		b := section(budget, slack.NewAccessory(homeBudgetMenu(s.BudgetLimit, own)))
		b.BlockID = BlockHomeBudget
		blocks = append(blocks, b)
	case s.BudgetOwn:
		blocks = append(blocks, section(budget+", chosen by you (`/trellis budget default` follows the workspace)", nil))
	default:
		blocks = append(blocks, section(budget+" (the workspace's; lower it with `/trellis budget 1`)", nil))
	}
	if s.TZPending {
		blocks = append(blocks, section(":soon: *Coming up:* I'll list your next messages from Trellis, in your own time, once I know your timezone.", nil))
		return blocks
	}
	blocks = append(blocks, section(upcomingText(s.Upcoming), nil))
	return blocks
}

// Plural is one when n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Bounds of what the summary shows, so that every line fits its section
// (3000 characters) whatever was typed.
const (
	// maxReason bounds one reason in the forecast, so five fit a section.
	maxReason = 300
	// maxTitle bounds a schedule's title in the forecast: a check-in's
	// name and its channel.
	maxTitle = 100
	// maxCadence bounds a cadence in the forecast.
	maxCadence = 60
	// maxZone bounds a timezone name (the longest IANA name is 32).
	maxZone = 40
	// maxStatus is Slack's limit on a status text.
	maxStatus = 100
	// maxListed is the most time-off periods or holidays listed.
	maxListed = 10
)

// upcomingText lists the next proactive messages and why each comes when
// it does.
func upcomingText(list []Upcoming) string {
	if len(list) == 0 {
		return ":soon: *Coming up:* nothing scheduled for you. Check-ins you join, and their reminders, will show here, in your time."
	}
	lines := []string{":soon: *Coming up* (as your settings stand now):"}
	used := utf8.RuneCountInString(lines[0])
	for i, u := range list {
		when := u.Nominal.Format("Mon 2 Jan 15:04")
		u.Title, u.Cadence = Mrkdwn(u.Title, maxTitle), Mrkdwn(u.Cadence, maxCadence)
		var line string
		switch u.Status {
		case "on time":
			line = fmt.Sprintf("• %s — *%s* (%s)", when, u.Title, u.Cadence)
		case "deferred":
			line = fmt.Sprintf("• %s — *%s* (%s): will wait until %s", when, u.Title, u.Cadence, u.DeliverAt.Format("Mon 2 Jan 15:04"))
		default:
			line = fmt.Sprintf("• %s — *%s* (%s): %s", when, u.Title, u.Cadence, map[string]string{
				"superseded": "not sent, the next one asks instead",
				"skipped":    "not sent",
				"paused":     "paused",
			}[u.Status])
		}
		if u.Reason != "" && u.Status != "paused" {
			line += "\n    _Why: " + Mrkdwn(u.Reason, maxReason) + "_"
		}
		// Keep the section within Slack's 3000 characters, with room for
		// the line counting the rest.
		w := utf8.RuneCountInString(line) + 1
		if used+w > mrkdwn.MaxSectionText-40 {
			lines = append(lines, fmt.Sprintf("…and %d more.", len(list)-i))
			break
		}
		used += w
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// describeHours says "Mon–Fri, 09:00–17:30" and spells out a night shift.
func describeHours(h calendar.WorkingHours) string {
	s := fmt.Sprintf("%s, %s–%s", h.Days, h.Start, h.End)
	if h.Overnight() {
		s += " (overnight: each shift ends the next morning)"
	}
	return s
}

// DescribeHours is describeHours for handlers' confirmations.
func DescribeHours(h calendar.WorkingHours) string { return describeHours(h) }

// DescribeAway says "Mon 21 Dec – Thu 24 Dec 2026 (4 days) — note", as
// mrkdwn: the note is escaped.
func DescribeAway(a models.AwayPeriod) string {
	days := int(a.Last.In(time.UTC).Sub(a.First.In(time.UTC)).Hours()/24) + 1
	s := a.First.Format("Mon 2 Jan 2006")
	if a.Last != a.First {
		s += " – " + a.Last.Format("Mon 2 Jan 2006")
	}
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	s += fmt.Sprintf(" (%d %s)", days, unit)
	if a.Note != "" {
		s += " — " + Mrkdwn(a.Note, models.MaxAwayNoteLen)
	}
	return s
}

// DescribeHoliday says "Thu 24 Dec 2026 — Office closed", as mrkdwn.
func DescribeHoliday(h models.Holiday) string {
	return h.Date.Format("Mon 2 Jan 2006") + " — " + Mrkdwn(h.Name, models.MaxHolidayNameLen)
}

func shortPeriod(a models.AwayPeriod) string {
	s := a.First.Format("2 Jan")
	if a.Last != a.First {
		s += "–" + a.Last.Format("2 Jan")
	}
	return s
}
