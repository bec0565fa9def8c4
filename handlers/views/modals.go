package views

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
)

// Modal is a modal with a Cancel button: what every form of Trellis is,
// whichever package draws it.
func Modal(callbackID, title, submit string, blocks ...slack.Block) slack.ModalViewRequest {
	return modal(callbackID, title, submit, blocks...)
}

// Input is an input block with a label, and a hint when hint is set.
func Input(blockID, label string, el slack.BlockElement, optional bool, hint string) *slack.InputBlock {
	return input(blockID, label, el, optional, hint)
}

// Section is a section block of mrkdwn Trellis wrote, with an optional
// accessory beside it.
func Section(s string, accessory *slack.Accessory) *slack.SectionBlock { return section(s, accessory) }

// Button is a button whose click reports actionID and value.
func Button(actionID, label, value string) *slack.ButtonBlockElement {
	return button(actionID, label, value)
}

// PlainText is a plain_text text object.
func PlainText(s string) *slack.TextBlockObject { return plain(s) }

// MrkdwnText is a verbatim mrkdwn text object, for text Trellis wrote.
func MrkdwnText(s string) *slack.TextBlockObject { return text(s) }

// Clip cuts s to at most n characters, without a mark: for an input's
// initial value, which Slack refuses when longer than its max_length.
func Clip(s string, n int) string { return clip(s, n) }

// Pick returns the option with value, or nil.
func Pick(value string, opts ...*slack.OptionBlockObject) *slack.OptionBlockObject {
	return pick(value, opts...)
}

func modal(callbackID, title, submit string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: callbackID,
		Title:      plain(title),
		Submit:     plain(submit),
		Close:      plain("Cancel"),
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func input(blockID, label string, el slack.BlockElement, optional bool, hint string) *slack.InputBlock {
	b := slack.NewInputBlock(blockID, plain(label), nil, el)
	b.Optional = optional
	if hint != "" {
		b.Hint = plain(hint)
	}
	return b
}

// pick returns the option with value, or nil.
func pick(value string, opts ...*slack.OptionBlockObject) *slack.OptionBlockObject {
	for _, o := range opts {
		if o.Value == value {
			return o
		}
	}
	return nil
}

// count is "1 day" or "3 days".
func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, Plural(n, one, many)) }

var weekdayOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// HoursModal edits a person's working hours (or, for an admin, the workspace
// default when workspace is true).
//
// A person who picks exactly the workspace default follows it from then on,
// so there is no separate "use the default" switch to forget to untick.
func HoursModal(h calendar.WorkingHours, followsDefault, workspace bool, def calendar.WorkingHours) slack.ModalViewRequest {
	var opts, selected []*slack.OptionBlockObject
	for _, d := range weekdayOrder {
		o := slack.NewOptionBlockObject(d.String()[:3], plain(d.String()), nil)
		opts = append(opts, o)
		if h.Days.Has(d) {
			selected = append(selected, o)
		}
	}
	days := slack.NewCheckboxGroupsBlockElement(BlockDays, opts...)
	days.InitialOptions = selected

	start := slack.NewTimePickerBlockElement(BlockStart)
	start.InitialTime = h.Start.String()
	end := slack.NewTimePickerBlockElement(BlockEnd)
	end.InitialTime = h.End.String()

	title := "Working hours"
	intro := "I only send check-ins, their reminders and other prompts inside these hours, in your own timezone."
	if workspace {
		title = "Workspace hours"
		intro = "The default for everyone who hasn't set their own hours."
	}
	blocks := []slack.Block{
		section(intro, nil),
		input(BlockDays, "Working days", days, false, ""),
		input(BlockStart, "Start", start, false, ""),
		input(BlockEnd, "End", end, false, "An end before the start is a night shift that finishes the next morning, e.g. 22:00–06:00."),
	}
	if !workspace {
		note := "These are the workspace's default hours."
		if !followsDefault {
			note = "The workspace default is " + describeHours(def) + "."
		}
		blocks = append(blocks, slack.NewContextBlock("", text(note+" Choose exactly the default to follow it, also when an admin changes it.")))
	}
	m := modal(CallbackHours, title, "Save", blocks...)
	if workspace {
		m.PrivateMetadata = "workspace"
	}
	return m
}

// TZModal edits a person's timezone. An empty field means "follow my Slack
// profile", so there is no separate switch to forget. An empty current
// means the zone is not known yet (the Slack profile is still being read).
func TZModal(current, slackTZ string, followsSlack bool) slack.ModalViewRequest {
	in := slack.NewPlainTextInputBlockElement(plain("Europe/Berlin"), BlockTZ)
	if !followsSlack {
		in.InitialValue = clip(current, maxZone)
	}
	intro := fmt.Sprintf("Your timezone is *%s*. Every time Trellis shows you, and every message it sends you, follows it.", Mrkdwn(current, maxZone))
	if current == "" {
		intro = "I haven't read your timezone from your Slack profile yet. Every time Trellis shows you, and every message it sends you, follows it."
	}
	return modal(CallbackTZ, "Timezone", "Save",
		section(intro, nil),
		input(BlockTZ, "Timezone (IANA name)", in, true,
			fmt.Sprintf("Like America/New_York, Asia/Kolkata or Europe/London. Leave it empty to follow your Slack profile (%s).", Plain(orUnknown(slackTZ), maxZone))),
	)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// AwayModal adds a period of time off, starting on today's date by default.
func AwayModal(today calendar.Date) slack.ModalViewRequest {
	first := slack.NewDatePickerBlockElement(BlockFirst)
	first.InitialDate = today.String()
	last := slack.NewDatePickerBlockElement(BlockLast)
	last.InitialDate = today.String()
	note := slack.NewPlainTextInputBlockElement(plain("Holiday in Lisbon"), BlockNote)
	note.MaxLength = models.MaxAwayNoteLen
	return modal(CallbackAway, "Time off", "Save",
		section("While you're away, Trellis sends you nothing: check-ins and their reminders wait or are skipped, and your team sees no gap.", nil),
		input(BlockFirst, "First day off", first, false, ""),
		input(BlockLast, "Last day off", last, false, "Both days are included."),
		input(BlockNote, "Note (only you see it)", note, true, ""),
	)
}

// Region is one holiday region offered in RegionModal.
type Region struct{ Code, Name string }

// RegionModal picks the public-holiday region for a person or, when
// workspace is true, for the whole workspace.
func RegionModal(current string, regions []Region, workspace bool) slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	none := slack.NewOptionBlockObject(ValueNoRegion, plain("No public holidays"), nil)
	opts = append(opts, none)
	if current == ValueNoRegion {
		initial = none
	}
	if !workspace {
		def := slack.NewOptionBlockObject(ValueDefault, plain("The workspace's region"), nil)
		opts = append(opts, def)
		if current == "" {
			initial = def
		}
	}
	for _, r := range regions {
		if len(opts) == 100 { // Slack's static_select limit
			break
		}
		o := slack.NewOptionBlockObject(r.Code, plain(Plain(fmt.Sprintf("%s (%s)", r.Name, r.Code), 75)), nil)
		opts = append(opts, o)
		if r.Code == current {
			initial = o
		}
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick a region"), BlockRegion, opts...)
	if initial != nil {
		sel.InitialOption = initial
	}
	m := modal(CallbackRegion, "Holiday region", "Save",
		section("Trellis sends nothing on the public holidays of this region. Not listed? `/trellis holidays region CODE` accepts every code in `/trellis holidays regions`.", nil),
		input(BlockRegion, "Region", sel, false, ""),
	)
	if workspace {
		m.PrivateMetadata = "workspace"
	}
	return m
}
