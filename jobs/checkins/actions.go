package checkins

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	checkinmodels "github.com/trellis-bot/trellis/models/checkins"
)

// Create stores a check-in made with the form. A check-in that asks its
// channel's members gets them with SyncMembers, which calls Slack and so
// runs after the ack.
func (s *Service) Create(ctx context.Context, c checkinmodels.Checkin) (checkinmodels.Checkin, error) {
	if c.Anchor.IsZero() {
		c.Anchor = calendar.DateOf(s.clock.Now().UTC())
	}
	return s.store.Create(ctx, c, ParseCadence)
}

// Update stores an edit made with the form by actor (admin says whether
// they are a workspace admin); checkinmodels.ErrNotOwner when they may not.
func (s *Service) Update(ctx context.Context, c checkinmodels.Checkin, actor string, admin bool) (checkinmodels.Checkin, error) {
	return s.store.Update(ctx, c, actor, admin, ParseCadence)
}

// SyncMembers makes a channel-mode check-in ask exactly its channel's
// members (people, not Trellis itself), and reports how many joined and
// left. Chosen-people check-ins are left as they are.
func (s *Service) SyncMembers(ctx context.Context, c checkinmodels.Checkin) (added, removed int, err error) {
	if c.Participants != checkinmodels.ParticipantsChannel {
		return 0, 0, nil
	}
	// Reads are ordered by when they began (the wall clock: this orders
	// calls to Slack, not the simulated time of a test or the sandbox).
	readAt := time.Now()
	members, err := s.channelMembers(ctx, c.WorkspaceID, c.ChannelID, "")
	if err != nil {
		return 0, 0, err
	}
	if s.botUser != nil {
		if me := s.botUser(ctx, c.WorkspaceID); me != "" {
			members = slices.DeleteFunc(members, func(u string) bool { return u == me })
		}
	}
	added, removed, _, err = s.store.SetMembers(ctx, c.WorkspaceID, c.ID, members, readAt)
	return added, removed, err
}

// channelMembers reads a channel's members from Slack, every page. With
// stopAt set it stops at the page that holds that person (what Member
// needs); the list is then incomplete.
func (s *Service) channelMembers(ctx context.Context, workspaceID, channelID, stopAt string) ([]string, error) {
	api, err := s.clients(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	var members []string
	params := &slack.GetUsersInConversationParameters{ChannelID: channelID, Limit: 200}
	for range 500 {
		ids, cursor, err := api.GetUsersInConversationContext(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", channelID, err)
		}
		members = append(members, ids...)
		if cursor == "" || (stopAt != "" && slices.Contains(ids, stopAt)) {
			break
		}
		params.Cursor = cursor
	}
	return members, nil
}

// Member reports whether a person is in a channel now, asked of Slack at
// the moment of the question (conversations.members): what gives access
// to a check-in's answers. Nothing stored is trusted for it, so a person
// who left loses access at once; when Slack cannot be asked the answer is
// an error, never a yes.
func (s *Service) Member(ctx context.Context, workspaceID, channelID, userID string) (bool, error) {
	if userID == "" || channelID == "" {
		return false, nil
	}
	members, err := s.channelMembers(ctx, workspaceID, channelID, userID)
	if err != nil {
		return false, err
	}
	return slices.Contains(members, userID), nil
}

// memberListAge is how long RecentMember trusts a channel's member list.
const memberListAge = time.Minute

// memberList is a channel's members as read in full from Slack.
type memberList struct {
	ids    map[string]bool
	readAt time.Time
}

// RecentMember reports whether a person is in a channel by its member
// list as Slack gave it at most memberListAge ago: what the Home tab, the
// DM list and digests use, so that a busy channel's many readers share
// one read (a big channel's list takes a call per 200 members, and
// conversations.members allows about 50 a minute). A member event this
// replica handles for the channel drops the list at once (SyncChannel).
// Creating a check-in and exporting everyone's answers ask Slack at the
// moment (Member). When Slack cannot be asked the answer is an error,
// never a yes.
func (s *Service) RecentMember(ctx context.Context, workspaceID, channelID, userID string) (bool, error) {
	if userID == "" || channelID == "" {
		return false, nil
	}
	key := workspaceID + "/" + channelID
	now := s.clock.Now()
	s.membersMu.Lock()
	l, ok := s.memberLists[key]
	s.membersMu.Unlock()
	if !ok || now.Sub(l.readAt) >= memberListAge || now.Before(l.readAt) {
		ids, err := s.channelMembers(ctx, workspaceID, channelID, "")
		if err != nil {
			return false, err
		}
		l = memberList{ids: make(map[string]bool, len(ids)), readAt: now}
		for _, id := range ids {
			l.ids[id] = true
		}
		s.membersMu.Lock()
		s.memberLists[key] = l
		s.membersMu.Unlock()
	}
	return l.ids[userID], nil
}

// forgetMembers drops a channel's member list kept by RecentMember.
func (s *Service) forgetMembers(workspaceID, channelID string) {
	s.membersMu.Lock()
	delete(s.memberLists, workspaceID+"/"+channelID)
	s.membersMu.Unlock()
}

// SyncChannel brings every channel-mode check-in of a channel up to date
// with its members: what member_joined_channel and member_left_channel
// trigger. Reading the whole list each time, rather than adding or
// removing the one person, is right however the events are ordered.
func (s *Service) SyncChannel(ctx context.Context, workspaceID, channelID string) error {
	s.forgetMembers(workspaceID, channelID)
	cs, err := s.store.InChannel(ctx, workspaceID, channelID)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cs {
		if _, _, err := s.SyncMembers(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Participants are the people a check-in asks now.
func (s *Service) Participants(ctx context.Context, c checkinmodels.Checkin) ([]string, error) {
	return s.eng.Schedules().Targets(ctx, c.WorkspaceID, checkinmodels.ScheduleKey(c.ID))
}

// RunNow asks every participant now, as the owner's "run now": each gets
// it at the engine's next tick if inside their working window, else when
// their window opens. It returns how many were asked.
func (s *Service) RunNow(ctx context.Context, c checkinmodels.Checkin) (int, error) {
	if c.Paused {
		return 0, fmt.Errorf("run check-in %d: %w: it is paused", c.ID, models.ErrInvalid)
	}
	people, err := s.Participants(ctx, c)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now().Truncate(time.Second)
	n := 0
	for _, u := range people {
		ok, err := s.eng.PlanOnce(ctx, c.WorkspaceID, checkinmodels.ScheduleKey(c.ID), runNow{At: now}, u, now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Submit stores a person's answers to a round — committed before the
// answer form is acknowledged — and, for a blocker on which they named
// someone who could help, plans that person's notice through the engine
// (only when the answer newly says "blocked", so an edit does not notify
// again). The answer's post is returned for DeliverPost to send after the
// ack.
func (s *Service) Submit(ctx context.Context, c checkinmodels.Checkin, roundID int64, userID string, sub checkinmodels.Submission, helpers map[int]string) (checkinmodels.AnswerResult, error) {
	return s.SubmitWith(ctx, c, roundID, userID, sub, helpers, nil)
}

// SubmitWith is Submit with first, when not nil, run at the start of the
// same transaction: another feature's records stored for the answer (a
// checkinmodels.KindFeature question's, see handlers.PendingAnswer). It
// returns answers by question id to add to sub.Answers (an empty one
// keeps the person's earlier answer to that question, if any). An error
// from first, or from storing the answer after it, rolls both back:
// nothing is stored on either side, and the person submitting again
// starts afresh.
func (s *Service) SubmitWith(ctx context.Context, c checkinmodels.Checkin, roundID int64, userID string, sub checkinmodels.Submission, helpers map[int]string,
	first func(ctx context.Context) (map[int]string, error)) (checkinmodels.AnswerResult, error) {
	var res checkinmodels.AnswerResult
	// One transaction: the answer and its helper notices are stored
	// together or not at all, so a person told "try again" never finds
	// their retry counted as an edit with the notice lost.
	err := s.db.Tx(ctx, func(ctx context.Context) error {
		prev, err := s.store.MyResponse(ctx, c.WorkspaceID, roundID, userID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if first != nil {
			more, err := first(ctx)
			if err != nil {
				return err
			}
			answers := maps.Clone(sub.Answers)
			if answers == nil {
				answers = map[int]string{}
			}
			for id, v := range more {
				if v = strings.TrimSpace(v); v != "" {
					answers[id] = v
				} else if old := strings.TrimSpace(prev.Answers[id]); old != "" {
					answers[id] = old
				}
			}
			sub.Answers = answers
		}
		if res, err = s.store.Answer(ctx, c.WorkspaceID, roundID, userID, sub); err != nil {
			return err
		}
		now := s.clock.Now()
		for pos, helper := range helpers {
			if helper == "" || helper == userID || sub.Answers[pos] != ValueYes || prev.Answers[pos] == ValueYes {
				continue
			}
			notice := helperNotice{Round: roundID, Asker: userID, Question: pos}
			if _, err := s.eng.PlanOnce(ctx, c.WorkspaceID, checkinmodels.ScheduleKey(c.ID), notice, helper, now); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// Skip records that a person skips a round: no reminders follow and
// nothing is posted for them.
func (s *Service) Skip(ctx context.Context, c checkinmodels.Checkin, roundID int64, userID string) error {
	return s.store.Decline(ctx, c.WorkspaceID, roundID, userID, checkinmodels.ResponseSkipped)
}

// Snooze puts a round off for a person: minutes from now, or, for
// minutes < 0 ("Tomorrow morning"), until the start of their next working
// window (today's when their day has not started yet). What a choice means
// is decided now, when it is chosen, not when the prompt was sent: a
// number of minutes that would end outside the person's current working
// window is moved to the start of their next one, and moved says so. The
// prompt comes back then, through the engine, so still only inside their
// working window. It returns when.
func (s *Service) Snooze(ctx context.Context, c checkinmodels.Checkin, roundID int64, p models.Person, minutes int) (until time.Time, moved bool, err error) {
	now := s.clock.Now()
	r, err := s.recipient(ctx, p)
	if err != nil {
		return time.Time{}, false, err
	}
	at := now.Add(time.Duration(minutes) * time.Minute).Truncate(time.Minute)
	if end := windowEnd(r, now); minutes <= 0 || end.IsZero() || !at.Before(end) {
		at, moved = dayStart(r, now), minutes > 0
	}
	if err := s.store.Decline(ctx, c.WorkspaceID, roundID, p.UserID, checkinmodels.ResponseSnoozed); err != nil {
		return time.Time{}, false, err
	}
	if _, err := s.eng.PlanOnce(ctx, c.WorkspaceID, checkinmodels.ScheduleKey(c.ID), snoozed{Round: roundID, Until: at}, p.UserID, at); err != nil {
		return time.Time{}, false, err
	}
	return at, moved, nil
}
