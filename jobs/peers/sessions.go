package peers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/trellis-bot/trellis/jobs/attention"
	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/peers"
)

// commitHour is the local hour of the "What will you try?" DM, on the
// person's next working day after the session.
const commitHour = 10

// openSessions opens the session on day of every circle of term that has
// not ended and has no session on day yet: a circle's sessions are known
// by their days, each numbered one after the circle's last.
func (s *Service) openSessions(ctx context.Context, ws string, n peers.Network, term peers.Round, day calendar.Date, now time.Time) error {
	if day.Before(term.StartsOn) || day.After(term.EndsOn) {
		return nil
	}
	circles, err := s.store.Groups(ctx, ws, term.ID)
	if err != nil {
		return err
	}
	var pending []peers.RoundGroup
	numbers := map[int64]int{}
	for _, g := range circles {
		if !g.EndedOn.IsZero() && !g.EndedOn.After(day) {
			continue
		}
		ss, err := s.store.Sessions(ctx, ws, g.ID)
		if err != nil {
			return err
		}
		if len(ss) > 0 && !ss[len(ss)-1].On.Before(day) {
			continue // opened already (or a later one, should the clock go back)
		}
		numbers[g.ID] = len(ss) + 1
		if len(ss) > 0 {
			numbers[g.ID] = ss[len(ss)-1].Number + 1
		}
		pending = append(pending, g)
	}
	if len(pending) == 0 {
		return nil
	}
	att, err := s.attendance(ctx, ws, n, day, now)
	if err != nil {
		return err
	}
	joiners, err := s.placeJoiners(ctx, ws, n, term, circles, day, att, now)
	if err != nil {
		return err
	}
	custom, err := s.store.Prompts(ctx, ws)
	if err != nil {
		return err
	}
	library := peers.BuiltinPrompts()
	for _, p := range custom {
		library = append(library, p.Prompt())
	}
	var errs []error
	for _, g := range pending {
		if err := s.openSession(ctx, ws, n, g, numbers[g.ID], day, joiners[g.ID], att, library, now); err != nil {
			errs = append(errs, fmt.Errorf("circle %d: %w", g.ID, err))
		}
	}
	return errors.Join(errs...)
}

// attendance is what a session day knows of the network's people.
type attendance struct {
	participants map[string]peers.Participant
	people       map[string]models.Person
	recs         map[string]attention.Recipient
	// from and to bound the session day in the network's zone.
	from, to time.Time
}

// attendance reads the network's participants and their delivery views
// for day.
func (s *Service) attendance(ctx context.Context, ws string, n peers.Network, day calendar.Date, now time.Time) (attendance, error) {
	parts, err := s.store.Participants(ctx, ws, n.ID)
	if err != nil {
		return attendance{}, err
	}
	a := attendance{participants: map[string]peers.Participant{}, recs: map[string]attention.Recipient{},
		from: dayStart(n, day), to: dayStart(n, day.AddDays(1))}
	var users []string
	for _, p := range parts {
		a.participants[p.User] = p
		users = append(users, p.User)
	}
	if len(users) == 0 {
		return a, nil
	}
	workspace, err := s.wss.Get(ctx, ws)
	if err != nil {
		return attendance{}, err
	}
	people, away, err := s.ppl.GetMany(ctx, ws, users, day.AddDays(-1))
	if err != nil {
		return attendance{}, err
	}
	hols, err := s.wss.Holidays(ctx, ws, day.AddDays(-1), day.AddDays(14))
	if err != nil {
		return attendance{}, err
	}
	a.people = people
	for u, p := range people {
		a.recs[u] = engine.RecipientView(p, workspace, away[u], hols)
	}
	return a, nil
}

// present reports whether user comes to a session on day: in the
// network, not paused, known to Trellis, and not away that whole day in
// their own zone (time off, a holiday).
func (a attendance) present(user string, day calendar.Date, now time.Time) bool {
	p, ok := a.participants[user]
	if !ok || !p.Active(day) {
		return false
	}
	rec, ok := a.recs[user]
	if !ok {
		return false
	}
	off, _ := attention.Off(rec, now)(day)
	return !off
}

// errLostRace rolls back a session's transaction that found the session
// opened by another replica, with the people it would have added.
var errLostRace = errors.New("the session was opened by another replica")

// openSession stores session number of circle g on day and plans its
// messages, in one transaction: the people joining the circle now
// (joined) added to it, the group DM to the members present (none when
// fewer than two are: the session is stored as not held) saying who
// joins, to each of them who committed to something at their last
// session a DM recalling it, and the next working day a DM asking what
// they will try.
func (s *Service) openSession(ctx context.Context, ws string, n peers.Network, g peers.RoundGroup, number int, day calendar.Date,
	joined []string, att attendance, library []peers.Prompt, now time.Time) error {
	members := append(g.Users(), joined...)
	away := map[string]bool{}
	var present []string
	for _, u := range members {
		if att.present(u, day, now) {
			present = append(present, u)
		} else {
			away[u] = true
		}
	}
	past, err := s.store.Sessions(ctx, ws, g.ID)
	if err != nil {
		return err
	}
	ss := peers.Session{GroupID: g.ID, NetworkID: n.ID, Number: number, On: day, Present: present}
	if len(present) >= engine.MinGroup {
		last, err := s.store.LastFacilitated(ctx, ws, g.ID)
		if err != nil {
			return err
		}
		ss.Facilitator, _ = peers.NextFacilitator(members, last, away)
		used, err := s.store.UsedPrompts(ctx, ws, g.ID)
		if err != nil {
			return err
		}
		if p, ok := peers.NextPrompt(library, used, g.ID*1_000_003+int64(number)); ok {
			ss.PromptID = p.ID
		}
	}
	var windows [][]peers.Interval
	for _, u := range present {
		windows = append(windows, WorkingWindows(att.recs[u], att.from, att.to, now))
	}
	at := firstShared(peers.SharedSpans(peers.DefaultCircleMinOverlap, windows...), att.from, now)
	err = s.db.Tx(ctx, func(ctx context.Context) error {
		for _, u := range joined {
			if err := s.store.AddToCircle(ctx, ws, g.ID, u); err != nil {
				return err
			}
		}
		saved, created, err := s.store.SaveSession(ctx, ws, ss)
		if err != nil {
			return err
		}
		if !created {
			return errLostRace
		}
		if len(present) < engine.MinGroup {
			s.log.InfoContext(ctx, "peers: session not held, fewer than two present", "network", n.ID, "circle", g.ID, "session", number)
			return nil
		}
		key := ScheduleKey(n.ID)
		to, err := engine.GroupRecipient(present...)
		if err != nil {
			return err
		}
		if _, err := s.eng.PlanOnce(ctx, ws, key, sessionMsg{SessionID: saved.ID, Joined: joined}, to, at); err != nil {
			return err
		}
		for _, u := range present {
			if prev, ok := lastAttended(past, u, number); ok {
				if _, had, err := s.store.Commitment(ctx, ws, prev.ID, u); err != nil {
					return err
				} else if had {
					if _, err := s.eng.PlanOnce(ctx, ws, key, recallMsg{SessionID: saved.ID, PrevID: prev.ID}, u, at); err != nil {
						return err
					}
				}
			}
			loc := att.people[u].Location()
			ask := localAt(nextWorkingDay(att.recs[u], day, now), commitHour, loc)
			if _, err := s.eng.PlanOnce(ctx, ws, key, commitAsk{SessionID: saved.ID}, u, ask); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errLostRace) {
		return nil
	}
	return err
}

// lastAttended is the latest session before number that user was present at.
func lastAttended(past []peers.Session, user string, number int) (peers.Session, bool) {
	for i := len(past) - 1; i >= 0; i-- {
		if past[i].Number < number && slices.Contains(past[i].Present, user) {
			return past[i], true
		}
	}
	return peers.Session{}, false
}

// nextWorkingDay is the first day after day that is one of the person's
// working days and not a day off, within three weeks; day+1 when none.
func nextWorkingDay(rec attention.Recipient, day calendar.Date, now time.Time) calendar.Date {
	off := attention.Off(rec, now)
	hours := rec.WorkingHours()
	for d := day.AddDays(1); d.Before(day.AddDays(22)); d = d.AddDays(1) {
		if isOff, _ := off(d); !isOff && (hours.Days == 0 || hours.Days.Has(d.Weekday())) {
			return d
		}
	}
	return day.AddDays(1)
}

// sessionMsg is a circle session's group DM to the members present;
// Joined are those who joined the circle at this session.
type sessionMsg struct {
	SessionID int64    `json:"session"`
	Joined    []string `json:"joined,omitempty"`
}

func (sessionMsg) OneOffKind() string  { return "circle_session" }
func (sessionMsg) OneOffVersion() int  { return 1 }
func (m sessionMsg) OneOffKey() string { return strconv.FormatInt(m.SessionID, 10) }
func (m sessionMsg) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	st, err := s.sessionState(ctx, c.Occurrence.WorkspaceID, m.SessionID)
	if err != nil {
		return engine.Message{}, err
	}
	prompt := peers.Prompt{}
	for _, p := range peers.BuiltinPrompts() {
		if p.ID == st.session.PromptID {
			prompt = p
		}
	}
	if prompt.ID == "" && st.session.PromptID != "" {
		custom, err := s.store.Prompts(ctx, c.Occurrence.WorkspaceID)
		if err != nil {
			return engine.Message{}, err
		}
		for _, p := range custom {
			if p.Prompt().ID == st.session.PromptID {
				prompt = p.Prompt()
			}
		}
	}
	return sessionMessage(st.network, st.session, prompt, m.Joined), nil
}

// sessionState is a session with its circle and network, as a composer
// reads them.
type sessionState struct {
	network peers.Network
	circle  peers.RoundGroup
	session peers.Session
}

// sessionState reads a session for a composer, skipping it with a
// readable reason when it is stale: the network deleted or paused, the
// circle ended, or a later session of the circle already opened.
func (s *Service) sessionState(ctx context.Context, ws string, id int64) (sessionState, error) {
	ss, err := s.store.Session(ctx, ws, id)
	if errors.Is(err, models.ErrNotFound) {
		return sessionState{}, engine.Skip("removed: the circle's session no longer exists")
	}
	if err != nil {
		return sessionState{}, err
	}
	n, g, err := s.circleState(ctx, ws, ss.GroupID)
	if err != nil {
		return sessionState{}, err
	}
	if !g.EndedOn.IsZero() && !g.EndedOn.After(ss.On) {
		return sessionState{}, engine.Skip("the circle ended")
	}
	all, err := s.store.Sessions(ctx, ws, g.ID)
	if err != nil {
		return sessionState{}, err
	}
	if len(all) > 0 && all[len(all)-1].Number > ss.Number {
		return sessionState{}, engine.Skip("superseded: the circle's next session has begun")
	}
	return sessionState{network: n, circle: g, session: ss}, nil
}

// circleState reads a group and its network for a composer, skipping
// when the network was deleted or paused.
func (s *Service) circleState(ctx context.Context, ws string, groupID int64) (peers.Network, peers.RoundGroup, error) {
	g, err := s.store.Group(ctx, ws, groupID)
	if errors.Is(err, models.ErrNotFound) {
		return peers.Network{}, peers.RoundGroup{}, engine.Skip("removed: the peer network was deleted")
	}
	if err != nil {
		return peers.Network{}, peers.RoundGroup{}, err
	}
	n, err := s.store.Network(ctx, ws, g.NetworkID)
	if errors.Is(err, models.ErrNotFound) {
		return peers.Network{}, peers.RoundGroup{}, engine.Skip("removed: the peer network was deleted")
	}
	if err != nil {
		return peers.Network{}, peers.RoundGroup{}, err
	}
	if n.Paused {
		return peers.Network{}, peers.RoundGroup{}, engine.Skip("paused: the peer network is paused")
	}
	return n, g, nil
}

// stillMember skips a personal message to user when they left the
// network.
func (s *Service) stillMember(ctx context.Context, ws string, n peers.Network, user string) error {
	p, err := s.store.Participant(ctx, ws, n.ID, user)
	if errors.Is(err, models.ErrNotFound) || err == nil && p.Left {
		return engine.Skip("you left the peer network")
	}
	return err
}

// recipientOf is the person a personal message goes to.
func recipientOf(c engine.Context) string {
	if c.Person != nil {
		return c.Person.UserID
	}
	return c.Occurrence.Recipient
}

// recallMsg is the personal DM, sent with a session, recalling what the
// person said at their last session they would try. It carries ids only:
// the commitment is read, for its author alone, when it is written.
type recallMsg struct {
	SessionID int64 `json:"session"`
	PrevID    int64 `json:"prev"`
}

func (recallMsg) OneOffKind() string  { return "circle_recall" }
func (recallMsg) OneOffVersion() int  { return 1 }
func (m recallMsg) OneOffKey() string { return strconv.FormatInt(m.SessionID, 10) }
func (m recallMsg) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws, user := c.Occurrence.WorkspaceID, recipientOf(c)
	st, err := s.sessionState(ctx, ws, m.SessionID)
	if err != nil {
		return engine.Message{}, err
	}
	if err := s.stillMember(ctx, ws, st.network, user); err != nil {
		return engine.Message{}, err
	}
	cm, ok, err := s.store.Commitment(ctx, ws, m.PrevID, user)
	if err != nil {
		return engine.Message{}, err
	}
	if !ok {
		return engine.Message{}, engine.Skip("you have no commitment from your last session any more")
	}
	return recallMessage(st.network, cm), nil
}

// commitAsk is the personal DM, the working day after a session, asking
// what the person will try before the next one.
type commitAsk struct {
	SessionID int64 `json:"session"`
}

func (commitAsk) OneOffKind() string  { return "circle_commit" }
func (commitAsk) OneOffVersion() int  { return 1 }
func (m commitAsk) OneOffKey() string { return strconv.FormatInt(m.SessionID, 10) }
func (m commitAsk) compose(ctx context.Context, s *Service, c engine.Context) (engine.Message, error) {
	ws, user := c.Occurrence.WorkspaceID, recipientOf(c)
	st, err := s.sessionState(ctx, ws, m.SessionID)
	if err != nil {
		return engine.Message{}, err
	}
	if err := s.stillMember(ctx, ws, st.network, user); err != nil {
		return engine.Message{}, err
	}
	if _, done, err := s.store.Commitment(ctx, ws, m.SessionID, user); err != nil {
		return engine.Message{}, err
	} else if done {
		return engine.Message{}, engine.Skip("you already said what you will try")
	}
	return commitAskMessage(st.network, st.session), nil
}
