package okrs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trellis-bot/trellis/jobs/engine"
	"github.com/trellis-bot/trellis/models"
	"github.com/trellis-bot/trellis/models/calendar"
	"github.com/trellis-bot/trellis/models/okrs"
	"github.com/trellis-bot/trellis/mrkdwn"
)

// DigestKind is the kind of the digest schedules (the part of their key
// before the colon), which DigestComposer writes.
const DigestKind = "okrdigest"

// DigestCadence is when a team's digest is posted, in its channel's zone:
// Monday at 09:30, the start of the working week, when a team looks at
// where it stands and plans. It is one fixed time rather than a day after
// the team's nudge day: nudges go out at 10:00 in each owner's own zone
// and are answered over the following days, so a digest the morning
// after would catch only part of a round, and a nudge day set to Friday
// or Saturday would put the digest on a weekend (a channel post has no
// working hours to move it). With the default Tuesday nudges, Monday's
// digest reports each round's answers whole, the day before the next
// round.
const DigestCadence = "mondays at 09:30"

// digestTitle is the digest schedule's title, which the engine shows in
// the post's "Why did I get this?" line.
const digestTitle = "Weekly OKR digest"

// DigestKey is the key of team's digest schedule: "okrdigest:C123".
func DigestKey(team string) string { return DigestKind + ":" + team }

// SyncDigest makes the digest schedule of team (a channel id) in
// workspace ws match its objectives at now: the schedule exists, posting
// in the channel on DigestCadence in zone tz ("" is UTC: a workspace has
// no zone of its own, so the caller passes the channel's), while the team
// has an open objective in a cycle that is active or still to start, and
// it is deleted otherwise. It reports whether the schedule exists. It is
// idempotent: calling it again changes nothing, and the schedule's anchor
// stays the one it was created with.
//
// A cycle still to start keeps the schedule, so that nothing but changes
// to the team's objectives (created, closed, deleted, moved to another
// team) needs to call it: the digests of a cycle in planning, and those
// after the last cycle ended, are skipped by DigestComposer with a reason,
// and the next call after the end deletes the schedule.
func SyncDigest(ctx context.Context, schedules *models.Schedules, store *okrs.Store, ws, team, tz string, now time.Time) (bool, error) {
	team = strings.TrimSpace(team)
	if !mrkdwn.IsChannelID(team) {
		return false, fmt.Errorf("sync digest: %w: %q is not a channel id", models.ErrInvalid, team)
	}
	loc, err := calendar.LoadLocation(tz)
	if tz == "" {
		loc, err = time.UTC, nil
	}
	if err != nil {
		return false, fmt.Errorf("sync digest of %s: %w: %q is not a time zone name", team, models.ErrInvalid, tz)
	}
	today := calendar.DateOf(now.In(loc))
	objs, cycles, err := teamObjectives(ctx, store, ws, team)
	if err != nil {
		return false, fmt.Errorf("sync digest of %s: %w", team, err)
	}
	want := false
	for _, o := range objs {
		if c, ok := cycles[o.CycleID]; ok && o.ClosedAt.IsZero() {
			if s := c.State(today); s == okrs.CyclePlanning || s == okrs.CycleActive {
				want = true
				break
			}
		}
	}
	key := DigestKey(team)
	if !want {
		err := schedules.Delete(ctx, ws, key, "skipped: the team has no open objectives in a current cycle")
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return false, fmt.Errorf("sync digest of %s: %w", team, err)
		}
		return false, nil
	}
	anchor := today
	switch old, err := schedules.Get(ctx, ws, key); {
	case err == nil:
		anchor = old.Anchor
	case !errors.Is(err, models.ErrNotFound):
		return false, fmt.Errorf("sync digest of %s: %w", team, err)
	}
	if _, err := schedules.Put(ctx, models.Schedule{WorkspaceID: ws, Key: key, Title: digestTitle, Cadence: DigestCadence,
		Anchor: anchor, ChannelTZ: tz}); err != nil {
		return false, fmt.Errorf("sync digest of %s: %w", team, err)
	}
	if _, _, err := schedules.SetTargets(ctx, ws, key, []string{team}, now); err != nil {
		return false, fmt.Errorf("sync digest of %s: %w", team, err)
	}
	return true, nil
}

// teamObjectives reads the team's objectives and the workspace's cycles
// by id.
func teamObjectives(ctx context.Context, store *okrs.Store, ws, team string) ([]okrs.Objective, map[int64]okrs.Cycle, error) {
	objs, err := store.Objectives(ctx, ws, okrs.Filter{Team: team})
	if err != nil {
		return nil, nil, err
	}
	list, err := store.Cycles(ctx, ws)
	if err != nil {
		return nil, nil, err
	}
	cycles := make(map[int64]okrs.Cycle, len(list))
	for _, c := range list {
		cycles[c.ID] = c
	}
	return objs, cycles, nil
}

// names is what a digest reads of people: their display names.
type names interface {
	Get(ctx context.Context, workspaceID, userID string) (models.Person, error)
}

// DigestComposer writes the digests of the DigestKind schedules: the
// team (the occurrence's channel) and its open objectives whose cycle is
// active on the occurrence's date in the channel's zone, each key result
// read from its history at the previous digest and at the occurrence's
// nominal instant (so that writing the same occurrence again writes the
// same digest), and the owners' display names from people. With no such
// objective (a cycle still to start, or over) the occurrence is skipped
// with the reason.
func DigestComposer(store *okrs.Store, people *models.People) engine.Composer {
	return digestComposer{store: store, people: people}
}

type digestComposer struct {
	store  *okrs.Store
	people names
}

// Compose writes the digest of one occurrence.
func (d digestComposer) Compose(ctx context.Context, c engine.Context) (engine.Message, error) {
	ws, team := c.Occurrence.WorkspaceID, c.Occurrence.Recipient
	loc := digestLoc(c.Location)
	now := c.Occurrence.NominalAt
	objs, cycles, err := teamObjectives(ctx, d.store, ws, team)
	if err != nil {
		return engine.Message{}, fmt.Errorf("digest of %s: %w", team, err)
	}
	in, ids := digestObjectives(objs, cycles, calendar.DateOf(now.In(loc)))
	if len(in) == 0 {
		return engine.Message{}, engine.Skip("the team has no open objectives in an active cycle")
	}
	histories, err := d.store.Histories(ctx, ws, ids)
	if err != nil {
		return engine.Message{}, fmt.Errorf("digest of %s: %w", team, err)
	}
	input := DigestInput{Now: now, Since: DigestSince(now, loc), Loc: loc}
	known := map[string]string{}
	for _, o := range in {
		for i, k := range o.KeyResults {
			h := histories[k.KeyResult.ID]
			if o.KeyResults[i].Then, err = EffectiveAt(h, input.Since); err != nil {
				return engine.Message{}, fmt.Errorf("digest of %s: key result %d: %w", team, k.KeyResult.ID, err)
			}
			if o.KeyResults[i].Now, err = EffectiveAt(h, now); err != nil {
				return engine.Message{}, fmt.Errorf("digest of %s: key result %d: %w", team, k.KeyResult.ID, err)
			}
		}
		owner := o.Objective.Owner
		name, ok := known[owner]
		if !ok {
			// A name Trellis does not know is left out: a digest never
			// falls back to a mention, which would notify the owner.
			if p, err := d.people.Get(ctx, ws, owner); err == nil {
				name = p.Name
			} else if !errors.Is(err, models.ErrNotFound) {
				return engine.Message{}, fmt.Errorf("digest of %s: owner: %w", team, err)
			}
			known[owner] = name
		}
		o.OwnerName = name
		input.Objectives = append(input.Objectives, o)
	}
	return DigestMessage(input), nil
}

// digestObjectives are the open objectives of objs whose cycle is active
// on today, in order, with their key results (not read yet), and the ids
// of those key results.
func digestObjectives(objs []okrs.Objective, cycles map[int64]okrs.Cycle, today calendar.Date) ([]DigestObjective, []int64) {
	var out []DigestObjective
	var ids []int64
	for _, o := range objs {
		c, ok := cycles[o.CycleID]
		if !ok || !o.ClosedAt.IsZero() || c.State(today) != okrs.CycleActive {
			continue
		}
		d := DigestObjective{Objective: o, Cycle: c}
		for _, k := range o.KeyResults {
			d.KeyResults = append(d.KeyResults, DigestKR{KeyResult: k})
			ids = append(ids, k.ID)
		}
		out = append(out, d)
	}
	return out, ids
}
