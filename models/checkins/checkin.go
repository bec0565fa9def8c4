package checkins

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/invalid"
)

// This file holds a check-in's domain types and their validation; the
// built-in templates are in templates.go and the store in store.go and the
// files beside it.

// ParticipantMode says who is asked a check-in's questions.
type ParticipantMode string

// The participant modes.
const (
	// ParticipantsChannel asks every member of the check-in's channel, kept in
	// sync as people join and leave.
	ParticipantsChannel ParticipantMode = "channel"
	// ParticipantsChosen asks only the people in Checkin.People.
	ParticipantsChosen ParticipantMode = "chosen"
)

// Destination says where answers are shown.
type Destination string

// The destinations.
const (
	// DestinationChannel posts each answer in the channel.
	DestinationChannel Destination = "channel"
	// DestinationThread posts one message per round and the answers in its
	// thread.
	DestinationThread Destination = "thread"
	// DestinationDigest sends each reader their own digest DM at the start of
	// their day; nothing is posted in the channel.
	DestinationDigest Destination = "digest"
)

// QuestionKind is the type of answer a question takes.
type QuestionKind string

// The question kinds.
const (
	// KindText is a free-text answer.
	KindText QuestionKind = "text"
	// KindScale is a number from 1 to 5; Options holds the labels of 1 and 5.
	KindScale QuestionKind = "scale"
	// KindChoice is one of 2 to 10 Options.
	KindChoice QuestionKind = "choice"
	// KindBlocked is a yes/no "are you blocked?". The answer form always
	// offers an optional "who could help?" person picker after it; only the
	// person named there is notified.
	KindBlocked QuestionKind = "blocked"
	// KindFeature is a question another feature asks inside the answer
	// form, through its question kind (handlers.QuestionKind): Options
	// holds its one name, as a person writes it before the colon. The
	// feature stores what the person enters; the answer kept here is its
	// summary, plain text holding counts only. It is never anonymous (the
	// feature stores its records with the person) and never required (a
	// person with nothing to enter there is not held up), and a check-in
	// asks at most one.
	KindFeature QuestionKind = "feature"
)

// Limits of a check-in. Most come from Slack's Block Kit limits, so that
// whatever a person saves can always be shown.
const (
	// MaxQuestions is the most questions a check-in has.
	MaxQuestions = 10
	// MaxPromptLen is the longest question, in characters. Reports show each
	// question as a header block, Slack's strictest place for it (header
	// ≤ 150); the answer form shows it as an input label, which Slack allows
	// up to 2000.
	MaxPromptLen = 150
	// MaxOptionLen is the longest choice, in characters: Slack's option
	// text limit (≤ 75), as the answer form offers choices as options.
	MaxOptionLen = 75
	// MaxScaleLabelLen is the longest scale label. The answer form shows it
	// in an option beside its number ("1 – never"), so it leaves room for
	// the number within the 75-character option text.
	MaxScaleLabelLen = 70
	// MinChoices and MaxChoices bound the options of a choice question
	// (Slack: radio buttons ≤ 10).
	MinChoices = 2
	MaxChoices = 10
	// MaxNameLen is the longest name. A name must fit whole in an option or
	// button text (Slack: ≤ 75) with a short word or date beside it, as in
	// a list of check-ins to pick from ("Daily stand-up · Mon 2 Mar"). Modal
	// titles (≤ 24) are too short for most names, so Trellis never puts the
	// name there; headers (≤ 150) are roomier.
	MaxNameLen = 60
	// MaxRoundLength is the longest a round stays open.
	MaxRoundLength = 14 * 24 * time.Hour
	// MaxReminders is the most reminders a person gets per round.
	MaxReminders = 2
	// DefaultReminders is the number of reminders a new check-in sends.
	DefaultReminders = 1
	// DefaultRoundLength is how long a new check-in's round stays open.
	DefaultRoundLength = 8 * time.Hour
)

// Checkin is a recurring check-in in one channel.
type Checkin struct {
	ID          int64
	WorkspaceID string
	ChannelID   string
	OwnerID     string // the creator; only they and admins change it
	Name        string
	Questions   []Question
	// Cadence is written the way the delivery engine reads it ("weekdays at
	// 09:30", or 5-field cron); each person gets it at their own local time.
	Cadence string
	// Anchor is the date an "every n weeks" cadence counts from.
	Anchor       calendar.Date
	Participants ParticipantMode
	// People are the Slack user ids asked in ParticipantsChosen mode. They
	// are ignored in ParticipantsChannel mode.
	People      []string
	Destination Destination
	// RoundLength is how long a round stays open for answers and reminders
	// after it reaches a person. Late answers are still accepted until the
	// next round starts.
	RoundLength time.Duration
	Reminders   int // per person and round, 0 to MaxReminders
	Paused      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Question is one question of a check-in.
type Question struct {
	// ID is the question's stable id once stored (0 before). Answers
	// belong to it, not to a position: editing a question's text, kind,
	// options or anonymity makes a new question with a new id.
	ID     int64
	Kind   QuestionKind
	Prompt string
	// Options are the choices of a KindChoice question, or the labels of 1
	// and 5 of a KindScale question. Other kinds have none.
	Options []string
	// Anonymous answers are stored without the person and shown only as an
	// aggregate. Only scale and choice questions can be anonymous.
	Anonymous bool
	Required  bool
}

// NewCheckin returns an empty check-in with the defaults a person starts
// from: everyone in the channel, one thread per round, a round of
// DefaultRoundLength and DefaultReminders reminders.
func NewCheckin() Checkin {
	return Checkin{
		Participants: ParticipantsChannel,
		Destination:  DestinationThread,
		RoundLength:  DefaultRoundLength,
		Reminders:    DefaultReminders,
	}
}

// The fields a Problem can be about.
const (
	FieldName         = "name"
	FieldCadence      = "cadence"
	FieldQuestions    = "questions"
	FieldParticipants = "participants"
	FieldPeople       = "people"
	FieldDestination  = "destination"
	FieldRoundLength  = "round_length"
	FieldReminders    = "reminders"
)

// Problem is one thing wrong with a check-in, in words a person can
// read, with a correct example where one helps; its Item is the 1-based
// position of the question it is about, or 0 for the check-in as a whole.
type Problem = invalid.Problem

// ValidationError lists everything wrong with a check-in, so a form can show
// every problem at once. It matches ErrInvalid with errors.Is.
type ValidationError = invalid.Error

// Validate checks what a person chooses for a check-in: name, questions,
// cadence, participants, destination, round length and reminders. The ids,
// owner and times are the caller's and are not checked. It returns nil or a
// *ValidationError listing every problem.
//
// The models layer cannot import the delivery engine's cadence parser (it
// imports models), so the caller passes it: parseCadence returns an error for a
// cadence it cannot read. With a nil parseCadence, Validate only checks that
// a cadence is given and not absurdly long, and the caller must parse it
// itself (the modal handler does, to put the parser's own message on the
// cadence field).
func (c Checkin) Validate(parseCadence func(string) error) error {
	e := ValidationError{Subject: "check-in", ItemNoun: "question"}
	add := e.Add

	name := strings.TrimSpace(c.Name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		add(FieldName, 0, "Give the check-in a name, like “Daily stand-up”.")
	case n > MaxNameLen:
		add(FieldName, 0, "That name is %d characters long; keep it to %d, like “Platform team stand-up”.", n, MaxNameLen)
	case strings.ContainsAny(name, "\r\n"):
		add(FieldName, 0, "A name fits on one line, like “Daily stand-up”.")
	}

	cadence := strings.TrimSpace(c.Cadence)
	switch {
	case cadence == "":
		add(FieldCadence, 0, "Say when the check-in runs, like “weekdays at 09:30” or “every 2 weeks on fri at 15:00”.")
	case utf8.RuneCountInString(cadence) > models.MaxCadenceLen:
		add(FieldCadence, 0, "That cadence is too long to be one I can read. Try “weekdays at 09:30” or cron like “30 9 * * 1-5”.")
	case parseCadence != nil:
		if err := parseCadence(cadence); err != nil {
			add(FieldCadence, 0, "I couldn't read that cadence (%v). Try “weekdays at 09:30” or “every 2 weeks on fri at 15:00”.", err)
		}
	}

	switch n := len(c.Questions); {
	case n == 0:
		add(FieldQuestions, 0, "Add at least one question, like “What will you work on today?”.")
	case n > MaxQuestions:
		add(FieldQuestions, 0, "There are %d questions; a check-in asks at most %d, so people answer it in a minute. Remove %d.", n, MaxQuestions, n-MaxQuestions)
	}
	features := 0
	for i, q := range c.Questions {
		for _, msg := range q.problems() {
			add(FieldQuestions, i+1, "%s", msg)
		}
		if q.Kind == KindFeature {
			if features++; features == 2 {
				add(FieldQuestions, i+1, "A check-in asks at most one `%s:` question; keep one of them.", q.Provider())
			}
		}
	}

	switch c.Participants {
	case ParticipantsChannel:
	case ParticipantsChosen:
		if len(c.People) == 0 {
			add(FieldPeople, 0, "Choose at least one person, or ask everyone in the channel.")
		}
	default:
		add(FieldParticipants, 0, "Choose who answers: everyone in the channel, or the people you pick.")
	}

	switch c.Destination {
	case DestinationChannel, DestinationThread, DestinationDigest:
	default:
		add(FieldDestination, 0, "Choose where answers go: the channel, one thread per round, or each reader's own digest.")
	}

	switch {
	case c.RoundLength <= 0:
		add(FieldRoundLength, 0, "Choose how long a round stays open, like 8 hours or 1 day.")
	case c.RoundLength > MaxRoundLength:
		add(FieldRoundLength, 0, "A round can stay open for at most %d days; choose something like 1 week.", MaxRoundLength/(24*time.Hour))
	}

	if c.Reminders < 0 || c.Reminders > MaxReminders {
		add(FieldReminders, 0, "Choose 0, 1 or 2 reminders (1 is usual).")
	}

	return e.Err()
}

// problems lists what is wrong with one question, without its position.
func (q Question) problems() []string {
	var out []string
	prompt := strings.TrimSpace(q.Prompt)
	switch n := utf8.RuneCountInString(prompt); {
	case n == 0:
		out = append(out, "This question has no text. Write it out, like “What's in your way?”.")
	case n > MaxPromptLen:
		out = append(out, fmt.Sprintf("This question is %d characters long; Slack shows at most %d in a report header, so shorten it.", n, MaxPromptLen))
	case strings.ContainsAny(prompt, "\r\n"):
		out = append(out, "A question fits on one line.")
	}

	switch q.Kind {
	case KindText, KindBlocked:
		if len(q.Options) > 0 {
			out = append(out, fmt.Sprintf("Only scale and choice questions have options; a %s question has none.", q.Kind))
		}
		if q.Anonymous {
			out = append(out, fmt.Sprintf("Only scale and choice questions can be anonymous; a %s answer could give away who wrote it.", q.Kind))
		}
	case KindScale:
		if len(q.Options) != 2 {
			out = append(out, "A 1–5 scale needs two labels, for 1 and for 5, like “How was your week? | rough | great”.")
		}
		out = append(out, optionProblems(q.Options, MaxScaleLabelLen, "label")...)
	case KindChoice:
		if n := len(q.Options); n < MinChoices || n > MaxChoices {
			out = append(out, fmt.Sprintf("A choice needs %d to %d options (it has %d), like “Where are you working? | office | home”.", MinChoices, MaxChoices, n))
		}
		out = append(out, optionProblems(q.Options, MaxOptionLen, "option")...)
	case KindFeature:
		if len(q.Options) != 1 || !validProvider(q.Options[0]) {
			out = append(out, "This question doesn't say which kind it is; write its type before the colon.")
			break
		}
		if q.Anonymous {
			out = append(out, fmt.Sprintf("`%s:` questions can't be anonymous: what you enter there is kept with your name. Remove “anon”.", q.Provider()))
		}
	default:
		out = append(out, fmt.Sprintf("%q isn't a kind of question I know; use text, scale, choice or blocked.", q.Kind))
	}
	return out
}

// Provider is the name of the question kind a KindFeature question
// asks, as a person writes it before the colon; "" for other kinds.
func (q Question) Provider() string {
	if q.Kind != KindFeature || len(q.Options) != 1 {
		return ""
	}
	return q.Options[0]
}

// Personal reports whether answers to q are for the person who gave
// them alone: a KindFeature question's, whose summary says whether and
// how they used the other feature ("Updated 3 key results", or nothing).
// Such an answer shows only to its person (their answer form and their
// own export), never in a post, a thread, a digest, an aggregate or an
// export of everyone's answers, so that nobody else can tell who used it.
func (q Question) Personal() bool {
	return q.Kind == KindFeature
}

// validProvider reports whether name can name a question kind: 2 to 20
// lowercase ASCII letters (handlers.ValidQuestionKindName says the same).
func validProvider(name string) bool {
	if len(name) < 2 || len(name) > 20 {
		return false
	}
	for _, r := range name {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

func optionProblems(opts []string, max int, what string) []string {
	var out []string
	seen := make(map[string]bool, len(opts))
	for _, o := range opts {
		o = strings.TrimSpace(o)
		key := strings.ToLower(o)
		switch n := utf8.RuneCountInString(o); {
		case n == 0:
			out = append(out, fmt.Sprintf("One %s is empty.", what))
		case n > max:
			out = append(out, fmt.Sprintf("The %s “%s…” is %d characters long; Slack shows at most %d, so shorten it.", what, truncateRunes(o, 20), n, max))
		case seen[key]:
			out = append(out, fmt.Sprintf("The %s “%s” appears twice.", what, o))
		}
		seen[key] = true
	}
	return out
}

func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
